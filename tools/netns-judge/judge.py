#!/usr/bin/env python3
"""The real kernel's side of the packet-path comparison (bpfsim's own tool).

Reads one question (JSON) on stdin, builds throw-away network namespaces
bpfsim-judge-{a,b,c}-<pid> joined by veth pairs, attaches the program, sends
the packets from the peer side with AF_PACKET sockets, and answers (JSON on
stdout) with what came out where and the maps' contents. Never touches the
machine's own interfaces; everything it made is removed, also on failure.

Topology (the same one bpfsim builds in the test):
  a: veth0 (MAC_A)  <->  b: veth1 (MAC_B)        the program's device is veth0 (xdp, tc-ingress)
  a: veth2 (MAC_C)  <->  c: veth3 (MAC_D)        only with "pairs": 2 (redirect targets)
Packets are sent on veth1 in b. After each one a marker frame (EtherType
0x88b5, local experimental) follows; every program under test passes it, so
what a socket on veth0 sees before the marker belongs to that packet.
"""
import ctypes, json, os, select, signal, socket, struct, subprocess, sys, tempfile, time

CLONE_NEWNET = 0x40000000
ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_OUTGOING = 4
TP_STATUS_VLAN_VALID = 1 << 4
TP_STATUS_VLAN_TPID_VALID = 1 << 6
MARKER_TYPE = 0x88B5
PREFIX = 'bpfsim-judge-'

libc = ctypes.CDLL(None, use_errno=True)


def run(*cmd, check=True):
    p = subprocess.run(list(cmd), capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()[:2000]}")
    return p.stdout


def sweep():
    """Remove judge namespaces left by runs whose process is gone."""
    out = run('ip', '-j', 'netns', 'list', check=False) or '[]'
    try:
        names = [n['name'] for n in json.loads(out)]
    except ValueError:
        names = []
    for n in names:
        if not n.startswith(PREFIX):
            continue
        pid = n.rsplit('-', 1)[-1]
        alive = pid.isdigit() and os.path.exists(f'/proc/{pid}')
        if not alive or int(pid) == os.getpid():
            run('ip', 'netns', 'del', n, check=False)


def setns(name):
    fd = os.open(f'/var/run/netns/{name}', os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f'setns {name}')
    finally:
        os.close(fd)


def packet_socket(ns, dev):
    setns(ns)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind((dev, ETH_P_ALL))
    s.setblocking(False)
    return s


def recv_frames(s, timeout):
    """Incoming frames (VLAN tag written back from the aux data, as libpcap does) until quiet."""
    out = []
    while True:
        r, _, _ = select.select([s], [], [], timeout)
        if not r:
            return out
        data, anc, _, addr = s.recvmsg(65600, 256)
        if addr[2] == PACKET_OUTGOING:
            continue
        for lvl, typ, val in anc:
            if lvl == SOL_PACKET and typ == PACKET_AUXDATA and len(val) >= 20:
                status, _, _, _, _, tci, tpid = struct.unpack('<IIIHHHH', val[:20])
                if status & TP_STATUS_VLAN_VALID:
                    if not status & TP_STATUS_VLAN_TPID_VALID:
                        tpid = 0x8100
                    data = data[:12] + struct.pack('>HH', tpid, tci) + data[12:]
        out.append(data)
        timeout = 0


def is_marker(f, seq):
    return len(f) >= 18 and f[12:14] == struct.pack('>H', MARKER_TYPE) and f[14:18] == struct.pack('>I', seq)


def prog_id_xdp(ns, dev):
    info = json.loads(run('ip', '-n', ns, '-d', '-j', 'link', 'show', 'dev', dev))[0]
    x = info.get('xdp') or {}
    prog = x.get('prog') or (x.get('attached') or [{}])[0].get('prog') or {}
    return prog.get('id')


def prog_id_tc(ns, dev, direction):
    filters = json.loads(run('tc', '-n', ns, '-j', 'filter', 'show', 'dev', dev, direction) or '[]')
    for f in filters:
        o = f.get('options') or {}
        if 'prog' in o and 'id' in o['prog']:
            return o['prog']['id']
    return None


def bpftool(ns, *args):
    return json.loads(run('ip', 'netns', 'exec', ns, 'bpftool', '-j', *args) or 'null')


def hexbytes(h):
    return [f'0x{h[i:i + 2]}' for i in range(0, len(h), 2)]


def dump_map(ns, mid):
    entries = bpftool(ns, 'map', 'dump', 'id', str(mid)) or []
    out = []
    for e in entries:
        # Slots whose lookup fails (an empty devmap index) come back as an error entry: left out.
        k = ''.join(b[2:] for b in e.get('key', []))
        if isinstance(e.get('value'), list):
            out.append([k, ''.join(b[2:] for b in e['value'])])
        elif isinstance(e.get('values'), list):
            out.append([k, [''.join(b[2:] for b in v['value']) for v in e['values']]])
    out.sort()
    return out


def main():
    q = json.load(sys.stdin)
    os.sched_setaffinity(0, {q.get('cpu', 0)})
    sweep()
    pid = os.getpid()
    ns = {x: f'{PREFIX}{x}-{pid}' for x in 'abc'}
    made = []
    tmp = tempfile.NamedTemporaryFile(suffix='.bpf.o', delete=False)
    root = os.open('/proc/self/ns/net', os.O_RDONLY)
    answer = {}
    try:
        tmp.write(bytes.fromhex(q['object']))
        tmp.close()
        pairs = q.get('pairs', 1)
        for x in ('abc' if pairs > 1 else 'ab'):
            run('ip', 'netns', 'add', ns[x])
            made.append(ns[x])
            run('ip', 'netns', 'exec', ns[x], 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1')
        macs = q['macs']
        run('ip', '-n', ns['a'], 'link', 'add', 'veth0', 'address', macs[0], 'type', 'veth', 'peer', 'name', 'veth1', 'address', macs[1], 'netns', ns['b'])
        run('ip', '-n', ns['a'], 'link', 'set', 'veth0', 'up')
        run('ip', '-n', ns['b'], 'link', 'set', 'veth1', 'up')
        if pairs > 1:
            run('ip', '-n', ns['a'], 'link', 'add', 'veth2', 'address', macs[2], 'type', 'veth', 'peer', 'name', 'veth3', 'address', macs[3], 'netns', ns['c'])
            run('ip', '-n', ns['a'], 'link', 'set', 'veth2', 'up')
            run('ip', '-n', ns['c'], 'link', 'set', 'veth3', 'up')
        ifindex = {}
        for x, dev in (('a', 'veth0'), ('b', 'veth1'), ('a', 'veth2'), ('c', 'veth3')):
            if pairs > 1 or dev in ('veth0', 'veth1'):
                ifindex[dev] = json.loads(run('ip', '-n', ns[x], '-j', 'link', 'show', 'dev', dev))[0]['ifindex']
        answer['ifindex'] = ifindex
        hook, sec = q['hook'], q['section']
        if hook in ('xdp', 'xdp-native'):
            mode = 'xdpgeneric' if hook == 'xdp' else 'xdpdrv'
            run('ip', '-n', ns['a'], 'link', 'set', 'dev', 'veth0', mode, 'obj', tmp.name, 'sec', sec)
            pid_ = prog_id_xdp(ns['a'], 'veth0')
        elif hook in ('tc-ingress', 'tc-egress'):
            nsx, dev, direction = (ns['a'], 'veth0', 'ingress') if hook == 'tc-ingress' else (ns['b'], 'veth1', 'egress')
            run('tc', '-n', nsx, 'qdisc', 'add', 'dev', dev, 'clsact')
            run('tc', '-n', nsx, 'filter', 'add', 'dev', dev, direction, 'bpf', 'da', 'obj', tmp.name, 'sec', sec)
            pid_ = prog_id_tc(nsx, dev, direction)
        else:
            raise ValueError(f'unknown hook {hook}')
        if pid_ is None:
            raise RuntimeError('attached program not found')
        info = bpftool(ns['a'], 'prog', 'show', 'id', str(pid_))
        maps = {}
        for mid in info.get('map_ids', []):
            m = bpftool(ns['a'], 'map', 'show', 'id', str(mid))
            maps[m['name']] = mid
        for u in q.get('updates', []):
            run('ip', 'netns', 'exec', ns['a'], 'bpftool', 'map', 'update', 'id', str(maps[u['map']]),
                'key', 'hex', *[b[2:] for b in hexbytes(u['key'])], 'value', 'hex', *[b[2:] for b in hexbytes(u['value'])])
        sa = packet_socket(ns['a'], 'veth0')
        sb = packet_socket(ns['b'], 'veth1')
        sc = packet_socket(ns['c'], 'veth3') if pairs > 1 else None
        os.sched_setaffinity(0, {q.get('cpu', 0)})
        dst = q['macs'][0]
        results = []
        for seq, h in enumerate(q['packets']):
            send_err = 0
            try:
                sb.send(bytes.fromhex(h))
            except OSError as e:
                # dev_queue_xmit's NET_XMIT_DROP (a tc egress TC_ACT_SHOT) comes back as ENOBUFS.
                send_err = e.errno
            marker = bytes.fromhex(dst.replace(':', '')) + bytes.fromhex(q['macs'][1].replace(':', '')) + struct.pack('>HI', MARKER_TYPE, seq) + bytes(42)
            sb.send(marker)
            got, deadline = [], time.monotonic() + 2.0
            while not any(is_marker(f, seq) for f in got):
                if time.monotonic() > deadline:
                    raise RuntimeError(f'marker {seq} never arrived')
                got += recv_frames(sa, 0.05)
            at = next(i for i, f in enumerate(got) if is_marker(f, seq))
            rest = got[at + 1:]
            if rest:
                raise RuntimeError(f'packet {seq}: frames after the marker')
            wait = 0
            results.append({
                'sendErr': send_err,
                'a': [f.hex() for f in got[:at]],
                'b': [f.hex() for f in recv_frames(sb, wait)],
                'c': [f.hex() for f in recv_frames(sc, wait)] if sc else [],
            })
        libc.setns(root, CLONE_NEWNET)
        answer['results'] = results
        answer['maps'] = {name: dump_map(ns['a'], mid) for name, mid in sorted(maps.items()) if name in q.get('dump', [])}
        if hook == 'tc-ingress':
            # clsact counts what tc ingress dropped (tc_run: mini_qdisc_qstats_cpu_drop on TC_ACT_SHOT).
            qd = json.loads(run('tc', '-n', ns['a'], '-s', '-j', 'qdisc', 'show', 'dev', 'veth0'))
            answer['tcDrops'] = sum(x.get('drops', 0) for x in qd if x.get('kind') == 'clsact')
        stats = json.loads(run('ip', '-n', ns['a'], '-s', '-j', 'link', 'show', 'dev', 'veth0'))[0]['stats64']
        answer['veth0'] = {'rx_packets': stats['rx']['packets'], 'rx_dropped': stats['rx']['dropped']}
    finally:
        libc.setns(root, CLONE_NEWNET)
        for n in reversed(made):
            run('ip', 'netns', 'del', n, check=False)
        os.unlink(tmp.name)
    json.dump(answer, sys.stdout)


if __name__ == '__main__':
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
