#!/usr/bin/env python3
"""Record what the real iptables and kernel do with generated rule sets.

For each case: build namespaces bpfsim-nf-<pid>-{a,b} joined by veth0 (a) <-> veth1 (b),
iptables-restore the rule set in b, send the case's packets from a with an AF_PACKET socket,
then keep b's `iptables-save` and `iptables-save -c` (comment lines dropped: they carry a date).
Every namespace is removed in a finally, and stale bpfsim-nf-* namespaces of dead processes first.
Usage (root): python3 tools/record-iptables/record.py > packages/kernel/test/net/fixtures/iptables.json
"""
import json, os, random, socket, struct, subprocess, sys, time

SEED = 13
PID = os.getpid()
NA, NB = f'bpfsim-nf-{PID}-a', f'bpfsim-nf-{PID}-b'
MAC_A, MAC_B = '02:00:00:00:01:0a', '02:00:00:00:01:0b'
A_IPS = ['10.0.0.1', '10.0.0.7', '192.168.1.5', '172.16.3.4', '10.200.0.9']
B_IPS = ['10.0.0.2', '10.9.9.9', '10.0.0.99']  # the last is not local to b (PREROUTING only)


def sh(*args, ns=None, input=None, check=True):
    cmd = (['ip', 'netns', 'exec', ns] if ns else []) + list(args)
    r = subprocess.run(cmd, input=input, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f'{" ".join(cmd)}: {r.stderr.strip()}')
    return r


def sweep():
    for line in subprocess.run(['ip', 'netns', 'list'], capture_output=True, text=True).stdout.splitlines():
        name = line.split()[0] if line.split() else ''
        if name.startswith('bpfsim-nf-'):
            try:
                pid = int(name.split('-')[2])
                os.kill(pid, 0)
            except (ValueError, IndexError, ProcessLookupError):
                subprocess.run(['ip', 'netns', 'del', name], capture_output=True)
            except PermissionError:
                pass


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack(f'!{len(b)//2}H', b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def ip4(s):
    return socket.inet_aton(s)


def ipv4(src, dst, proto, payload, ident=1):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident, 0, 64, proto, 0, ip4(src), ip4(dst))
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + payload


def l4sum(src, dst, proto, seg):
    return csum(ip4(src) + ip4(dst) + struct.pack('!BBH', 0, proto, len(seg)) + seg)


def tcp(src, dst, sport, dport, flags, data=b''):
    seg = struct.pack('!HHIIBBHHH', sport, dport, 1000, 0 if not flags & 0x10 else 5000, 5 << 4, flags, 64240, 0, 0) + data
    c = l4sum(src, dst, 6, seg)
    return ipv4(src, dst, 6, seg[:16] + struct.pack('!H', c) + seg[18:])


def udp(src, dst, sport, dport, data=b'hello'):
    seg = struct.pack('!HHHH', sport, dport, 8 + len(data), 0) + data
    c = l4sum(src, dst, 17, seg) or 0xffff
    return ipv4(src, dst, 17, seg[:6] + struct.pack('!H', c) + seg[8:])


def icmp(src, dst, typ, code, rest=b'\0\x07\0\x01', data=b'ping'):
    m = struct.pack('!BBH', typ, code, 0) + rest + data
    return ipv4(src, dst, 1, m[:2] + struct.pack('!H', csum(m)) + m[4:])


def frame(ip):
    return bytes.fromhex(MAC_B.replace(':', '')) + bytes.fromhex(MAC_A.replace(':', '')) + b'\x08\x00' + ip


PORTS = [22, 53, 80, 443, 8080, 1000, 5000, 33000]
FLAGS = [0x02, 0x02, 0x10, 0x12, 0x01, 0x04, 0x11, 0x18, 0x00, 0x03, 0x14]


def gen_packets(rng, n):
    out = []
    flows = []
    for _ in range(n):
        if flows and rng.random() < 0.25:
            out.append(rng.choice(flows))  # the same packet again: conntrack sees a known flow
            continue
        s, d = rng.choice(A_IPS), rng.choice(B_IPS)
        k = rng.random()
        if k < 0.45:
            p = tcp(s, d, rng.choice(PORTS + [40000 + rng.randrange(100)]), rng.choice(PORTS), rng.choice(FLAGS))
        elif k < 0.8:
            p = udp(s, d, rng.choice(PORTS + [50000 + rng.randrange(100)]), rng.choice(PORTS), b'x' * rng.randrange(0, 40))
        else:
            t = rng.choice([(8, 0), (0, 0), (3, 3), (11, 0), (13, 0), (3, 1)])
            if t[0] in (3, 11):
                inner = udp(d, s, 53, 40000)[:28]
                p = icmp(s, d, t[0], t[1], b'\0\0\0\0', inner)
            else:
                p = icmp(s, d, t[0], t[1], struct.pack('!HH', rng.randrange(1, 5), rng.randrange(1, 50)))
        f = frame(p)
        flows.append(f)
        out.append(f)
    return out


def cidr(rng):
    base = rng.choice(A_IPS + B_IPS)
    plen = rng.choice([32, 24, 16, 8, 0, 30])
    return f'{base}/{plen}' if plen != 32 or rng.random() < 0.5 else base


def port_spec(rng):
    a = rng.choice(PORTS)
    r = rng.random()
    if r < 0.6:
        return str(a)
    lo, hi = sorted([a, rng.choice(PORTS)])
    return f'{lo}:{hi}' if r < 0.9 else f'{lo}:'


def gen_rule(rng, chain, table, user_targets):
    parts = []
    neg = lambda: '! ' if rng.random() < 0.2 else ''
    if rng.random() < 0.3:
        parts.append(f'{neg()}-s {cidr(rng)}')
    if rng.random() < 0.3:
        parts.append(f'{neg()}-d {cidr(rng)}')
    if rng.random() < 0.2:
        parts.append(f'{neg()}-i {rng.choice(["veth1", "veth+", "eth0", "lo"])}')
    proto = rng.choice(['tcp', 'udp', 'icmp', 'all', None, None])
    if proto:
        parts.append(f'-p {proto}')
    if proto in ('tcp', 'udp'):
        r = rng.random()
        if r < 0.3:
            parts.append(f'{neg()}--dport {port_spec(rng)}')
        elif r < 0.45:
            parts.append(f'{neg()}--sport {port_spec(rng)}')
        elif r < 0.65:
            ports = ','.join(sorted({str(rng.choice(PORTS)) for _ in range(rng.randrange(1, 4))}))
            parts.append(f'-m multiport {neg()}--{rng.choice(["dports", "sports", "ports"])} {ports}')
        if proto == 'tcp' and rng.random() < 0.3:
            parts.append(rng.choice([f'{neg()}--syn', '--tcp-flags SYN,ACK SYN,ACK', '--tcp-flags ALL NONE', f'{neg()}--tcp-flags FIN,RST RST']))
    if proto == 'icmp' and rng.random() < 0.6:
        parts.append(f'{neg()}--icmp-type {rng.choice(["echo-request", "echo-reply", "port-unreachable", "destination-unreachable", "any", "8", "11/0"])}')
    if rng.random() < 0.25:
        st = ','.join(sorted({rng.choice(['NEW', 'ESTABLISHED', 'RELATED', 'INVALID']) for _ in range(rng.randrange(1, 3))}))
        parts.append(rng.choice([f'-m conntrack {neg()}--ctstate {st}', f'-m state {neg()}--state {st}']))
    if rng.random() < 0.1:
        parts.append(f'-m limit --limit 1/hour --limit-burst {rng.randrange(1, 6)}')
    if rng.random() < 0.15:
        parts.append(f'-m comment --comment "{rng.choice(["web", "a b", "x"])}"')
    targets = ['ACCEPT', 'DROP', 'RETURN', 'LOG', None] + user_targets
    if table == 'filter':
        targets += ['REJECT']
    t = rng.choice(targets)
    if t == 'REJECT':
        w = 'tcp-reset' if proto == 'tcp' and rng.random() < 0.5 else rng.choice(['icmp-port-unreachable', 'icmp-host-prohibited', 'icmp-admin-prohibited'])
        parts.append(f'-j REJECT --reject-with {w}')
    elif t == 'LOG':
        parts.append(rng.choice(['-j LOG', '-j LOG --log-prefix "nf: "', '-j LOG --log-level 6 --log-prefix drop']))
    elif t and t.startswith('@'):
        parts.append(f'-g {t[1:]}')
    elif t:
        parts.append(f'-j {t}')
    return f'-A {chain} ' + ' '.join(parts)


def gen_ruleset(rng):
    lines = ['*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]']
    for _ in range(rng.randrange(0, 4)):
        lines.append(gen_rule(rng, 'PREROUTING', 'raw', []))
    lines += ['-A OUTPUT -j DROP', 'COMMIT']  # b never answers: its replies would change what conntrack sees
    lines += ['*mangle', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]']
    for _ in range(rng.randrange(0, 4)):
        lines.append(gen_rule(rng, rng.choice(['PREROUTING', 'INPUT']), 'mangle', []))
    lines.append('COMMIT')
    lines += ['*filter', f':INPUT {rng.choice(["ACCEPT", "DROP"])} [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':zeta - [0:0]', ':alpha - [0:0]']
    for _ in range(rng.randrange(2, 10)):
        lines.append(gen_rule(rng, 'INPUT', 'filter', ['zeta', 'alpha', '@alpha']))
    for _ in range(rng.randrange(0, 4)):
        lines.append(gen_rule(rng, 'zeta', 'filter', ['alpha', '@alpha']))
    for _ in range(rng.randrange(0, 4)):
        lines.append(gen_rule(rng, 'alpha', 'filter', []))
    lines.append('COMMIT')
    return '\n'.join(lines) + '\n'


HAND = [
    open(os.path.join(os.path.dirname(__file__), f)).read() for f in ('hand1.rules', 'hand2.rules')
]


def strip(save):
    return ''.join(l + '\n' for l in save.splitlines() if not l.startswith('#'))


def run_case(rules, packets):
    sh('ip', 'netns', 'add', NA)
    sh('ip', 'netns', 'add', NB)
    try:
        for ns in (NA, NB):
            sh('sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', ns=ns)
        sh('ip', 'link', 'add', 'veth0', 'address', MAC_A, 'type', 'veth', 'peer', 'name', 'veth1', 'address', MAC_B, 'netns', NB, ns=NA)
        sh('ip', 'link', 'set', 'veth0', 'up', ns=NA)
        sh('ip', 'addr', 'add', '10.0.0.2/24', 'dev', 'veth1', ns=NB)
        sh('ip', 'addr', 'add', '10.9.9.9/32', 'dev', 'veth1', ns=NB)
        sh('ip', 'link', 'set', 'veth1', 'up', ns=NB)
        sh('ip', 'link', 'set', 'lo', 'up', ns=NB)
        r = sh('iptables-restore', ns=NB, input=rules, check=False)
        if r.returncode != 0:
            return {'error': r.stderr.strip()}
        if packets:
            # The sender runs inside a: a small python that writes every frame to veth0.
            code = ('import socket,sys\ns=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\ns.bind(("veth0",0))\n'
                    'for l in sys.stdin.read().split():\n s.send(bytes.fromhex(l))\n')
            sh('python3', '-c', code, ns=NA, input='\n'.join(p.hex() for p in packets))
            time.sleep(0.2)
        return {'save': strip(sh('iptables-save', ns=NB).stdout), 'saveCounters': strip(sh('iptables-save', '-c', ns=NB).stdout)}
    finally:
        subprocess.run(['ip', 'netns', 'del', NA], capture_output=True)
        subprocess.run(['ip', 'netns', 'del', NB], capture_output=True)


def main():
    sweep()
    n = int(os.environ.get('BPFSIM_NF_CASES', '40'))
    rng = random.Random(SEED)
    cases = []
    for i, rules in enumerate(HAND):
        cases.append({'name': f'hand{i + 1}', 'rules': rules, 'packets': [], **run_case(rules, [])})
    for i in range(n):
        rules = gen_ruleset(rng)
        packets = gen_packets(rng, 60)
        res = run_case(rules, packets)
        cases.append({'name': f'gen{i}', 'rules': rules, 'packets': [p.hex() for p in packets], **res})
    ver = subprocess.run(['iptables', '--version'], capture_output=True, text=True).stdout.strip()
    json.dump({'tool': ver, 'kernel': os.uname().release, 'seed': SEED, 'cases': cases}, sys.stdout, indent=1)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
