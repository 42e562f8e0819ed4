/**
 * TCP between two simulated processes, only through their syscalls: over a veth pair
 * between two namespaces and over loopback; the handshake, data both ways, the close,
 * a reset for a closed port, the listen backlog, and sock:inet_sock_set_state as a
 * tcpstates-like program sees it (the tracepoint record and the mirrored struct sock).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { formatBtfC } from '@bpfsim/loader';
import { parsePacket } from '@bpfsim/packet';
import { Kernel, parseObject, vmlinuxBtf } from '../../src';
import { TcpSock } from '../../src/net/ipv4/tcp';
import { AF_INET, SOCK_NONBLOCK, SOCK_STREAM, completed, int, newKernel, ok, parseSin, procInNewNet, sin, str, text, twoHosts } from './sock-kit';

const ECONNREFUSED = -111, EAGAIN = -11, EINPROGRESS = -115, ENOTCONN = -107;
const SOL_SOCKET = 1, SO_REUSEADDR = 2, SO_TYPE = 3, SO_ERROR = 4, SO_PROTOCOL = 38;

function serve(k: Kernel, t: Parameters<Kernel['syscall']>[0], addr: string, port: number, backlog = 1): number {
  const s = ok(k, t, 'socket', [AF_INET, SOCK_STREAM, 0]).ret;
  ok(k, t, 'setsockopt', [s, SOL_SOCKET, SO_REUSEADDR, int(1), 4]);
  ok(k, t, 'bind', [s, sin(addr, port), 16]);
  ok(k, t, 'listen', [s, backlog]);
  return s;
}

describe('TCP between two namespaces over veth', () => {
  test('handshake, data both ways, close: what each side sees and what goes on the wire', () => {
    const { k, a, b, va } = twoHosts();
    va.startCapture();
    const l = serve(k, b, '0.0.0.0', 8080);
    const acc = k.syscall(b, 'accept4', [l, { out: 16 }, int(16), 0]);
    expect(acc.blocked).toBe(true);
    const c = ok(k, a, 'socket', [AF_INET, SOCK_STREAM, 0]).ret;
    expect(k.syscall(a, 'connect', [c, sin('10.0.0.2', 8080), 16]).ret).toBe(0);
    const fd = completed(b, 'accept4')!;
    expect(fd).toBeGreaterThanOrEqual(0);
    expect(fd).not.toBe(l);
    const peer = ok(k, b, 'getpeername', [fd, { out: 16 }, int(16)]);
    const me = ok(k, a, 'getsockname', [c, { out: 16 }, int(16)]);
    expect(parseSin(peer.outs[0])).toEqual(parseSin(me.outs[0]));
    expect(parseSin(me.outs[0]).port % 2).toBe(0); // connect() takes even ports first
    expect(ok(k, b, 'getsockopt', [fd, SOL_SOCKET, SO_TYPE, { out: 4 }, int(4)]).outs[0][0]).toBe(1);
    expect(ok(k, b, 'getsockopt', [fd, SOL_SOCKET, SO_PROTOCOL, { out: 4 }, int(4)]).outs[0][0]).toBe(6);
    expect(ok(k, a, 'sendto', [c, text('ping'), 4, 0, 0, 0]).ret).toBe(4);
    const got = ok(k, b, 'recvfrom', [fd, { out: 16 }, 16, 0, 0, 0]);
    expect(str(got.outs[0].subarray(0, got.ret))).toBe('ping');
    ok(k, b, 'write', [fd, text('PING'), 4]);
    const back = ok(k, a, 'read', [c, { out: 16 }, 16]);
    expect(str(back.outs[0].subarray(0, back.ret))).toBe('PING');
    ok(k, a, 'close', [c]);
    expect(ok(k, b, 'read', [fd, { out: 16 }, 16]).ret).toBe(0); // end of stream
    ok(k, b, 'close', [fd]);
    // The wire, as seen on veth0 (a's side): after ARP, the handshake (MSS option on the SYN), data
    // and its immediate ACK each way (no delayed ACKs in the model), then FIN/ACK each way.
    const tcp = va.captured.map((x) => ({ dir: x.dir, l: parsePacket(x.data).layers.find((y) => y.kind === 'tcp') as unknown as { flags: number; options: { kind: string; value?: number }[] } | undefined }))
      .filter((x) => x.l);
    const letters = (f: number): string => `${f & 2 ? 'S' : ''}${f & 1 ? 'F' : ''}${f & 4 ? 'R' : ''}${f & 8 ? 'P' : ''}${f & 16 ? '.' : ''}`;
    expect(tcp.map((x) => `${x.dir}:${letters(x.l!.flags)}`)).toEqual([
      'out:S', 'in:S.', 'out:.', 'out:P.', 'in:.', 'in:P.', 'out:.', 'out:F.', 'in:.', 'in:F.', 'out:.',
    ]);
    expect(tcp[0].l!.options).toEqual([{ kind: 'mss', value: 1460 }]);
    // IP ids: the listener's SYN-ACK has 0; the client's packets count up from its socket's start.
    const ids = va.captured.filter((x) => x.data[12] === 8 && x.data[13] === 0).map((x) => ({ dir: x.dir, id: (x.data[18] << 8) | x.data[19] }));
    expect(ids[1]).toEqual({ dir: 'in', id: 0 });
    const out = ids.filter((x) => x.dir === 'out').map((x) => x.id);
    expect(out.slice(1)).toEqual(out.slice(1).map((_, i) => (out[1] + i) & 0xffff));
    const sa = (k.network.namespaces.flatMap((n) => n.socks.tcp) as TcpSock[]);
    // Left: the client (the active closer) in TIME_WAIT and the listener; the accepted socket is gone.
    expect(sa.map((s) => s.state)).toEqual([6, 10]);
  });

  test('a connect to a port nobody listens on is refused by a reset', () => {
    const { k, a } = twoHosts();
    const c = ok(k, a, 'socket', [AF_INET, SOCK_STREAM, 0]).ret;
    expect(k.syscall(a, 'connect', [c, sin('10.0.0.2', 9), 16]).ret).toBe(ECONNREFUSED);
    expect(k.syscall(a, 'getpeername', [c, { out: 16 }, int(16)]).ret).toBe(ENOTCONN);
  });

  test('a nonblocking connect is EINPROGRESS when the handshake cannot finish at once (the peer is down), SO_ERROR stays 0', () => {
    const { k, a, vb } = twoHosts();
    vb.setUp(false);
    const c = ok(k, a, 'socket', [AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0]).ret;
    expect(k.syscall(a, 'connect', [c, sin('10.0.0.2', 80), 16]).ret).toBe(EINPROGRESS);
    expect(ok(k, a, 'getsockopt', [c, SOL_SOCKET, SO_ERROR, { out: 4 }, int(4)]).outs[0][0]).toBe(0);
    expect(k.syscall(a, 'recvfrom', [c, { out: 4 }, 4, 0, 0, 0]).ret).toBe(EAGAIN);
  });

  test('the listen backlog: with backlog 0 one connection waits to be accepted, the next SYN is dropped', () => {
    const { k, a, b, nsB } = twoHosts();
    const l = serve(k, b, '10.0.0.2', 7, 0);
    const c1 = ok(k, a, 'socket', [AF_INET, SOCK_STREAM, 0]).ret;
    expect(k.syscall(a, 'connect', [c1, sin('10.0.0.2', 7), 16]).ret).toBe(0);
    const c2 = ok(k, a, 'socket', [AF_INET, SOCK_STREAM, 0]).ret;
    expect(k.syscall(a, 'connect', [c2, sin('10.0.0.2', 7), 16]).blocked).toBe(true);
    expect(nsB.drops.get('tcp_listen_overflow')).toBe(1);
    expect(ok(k, b, 'accept', [l, 0, 0]).ret).toBeGreaterThanOrEqual(0);
  });
});

describe('TCP over loopback', () => {
  test('a client and a server process of one namespace talk through lo; recv sleeps until data comes', () => {
    const k = newKernel();
    const { p: srv, ns } = procInNewNet(k);
    ns.lo.setUp(true);
    const cli = k.syscall(srv, 'fork').child!;
    const l = serve(k, srv, '127.0.0.1', 5555);
    const c = ok(k, cli, 'socket', [AF_INET, SOCK_STREAM, 0]).ret;
    expect(k.syscall(cli, 'connect', [c, sin('127.0.0.1', 5555), 16]).ret).toBe(0);
    const fd = ok(k, srv, 'accept4', [l, { out: 16 }, int(16), 0o2000000]).ret;
    expect(k.syscall(cli, 'recvfrom', [c, { out: 16 }, 16, 0, 0, 0]).blocked).toBe(true);
    const big = new Uint8Array(200000).map((_, i) => i & 0xff);
    // More than the peer's window and our send buffer: the send sleeps until the reader drains.
    const snd = k.syscall(srv, 'sendto', [fd, big, big.length, 0, 0, 0]);
    expect(completed(cli, 'recvfrom')).toBe(16);
    let total = 16;
    while (total < big.length) {
      const r = ok(k, cli, 'recvfrom', [c, { out: 65536 }, 65536, 0, 0, 0]);
      expect(r.outs[0][0]).toBe(total & 0xff);
      total += r.ret;
    }
    expect(total).toBe(big.length);
    expect(snd.blocked ? completed(srv, 'sendto') : snd.ret).toBe(big.length);
  });
});

const clang = ['clang-19', 'clang'].find((c) => spawnSync(c, ['--version']).status === 0);

function buildFixture(name: string): Uint8Array {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-net-'));
  try {
    fs.writeFileSync(path.join(dir, 'vmlinux.h'), formatBtfC(vmlinuxBtf()));
    const out = path.join(dir, `${name}.bpf.o`);
    const r = spawnSync(clang!, ['-g', '-O2', '-target', 'bpf', '-D__TARGET_ARCH_x86', '-I', dir, '-c', path.join(__dirname, 'fixtures', `${name}.bpf.c`), '-o', out], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return new Uint8Array(fs.readFileSync(out));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

(clang ? describe : describe.skip)('sock:inet_sock_set_state', () => {
  test('a tcpstates-like program sees every state change of both ends, and the socket behind skaddr', () => {
    const k = new Kernel({ seed: 'sockets', cpus: 2, btf: vmlinuxBtf() });
    void k.world;
    const parsed = parseObject(buildFixture('tcpstates'), 'tcpstates.bpf.o', k);
    const obj = k.loadObject(parsed, { file: 'tcpstates.bpf.o' });
    obj.program('handle_set_state').attach('tracepoint/sock/inet_sock_set_state');
    const { p: srv, ns } = procInNewNet(k);
    ns.lo.setUp(true);
    const cli = k.syscall(srv, 'fork').child!;
    const l = serve(k, srv, '127.0.0.1', 5555);
    const c = ok(k, cli, 'socket', [AF_INET, SOCK_STREAM, 0]).ret;
    ok(k, cli, 'connect', [c, sin('127.0.0.1', 5555), 16]);
    const fd = ok(k, srv, 'accept', [l, 0, 0]).ret;
    ok(k, cli, 'close', [c]);
    ok(k, srv, 'close', [fd]);
    ok(k, srv, 'close', [l]);
    const recs = (obj.map('events').map as unknown as { consume(): Uint8Array[] }).consume().map((b) => {
      const dv = new DataView(b.buffer, b.byteOffset);
      return { old: dv.getUint32(0, true), new: dv.getUint32(4, true), sport: dv.getUint16(8, true), dport: dv.getUint16(10, true), family: dv.getUint16(12, true), proto: dv.getUint16(14, true), skNum: dv.getUint16(24, true), skDport: dv.getUint16(26, true), skState: b[32] };
    });
    const names = ['', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING'];
    const cport = recs[1].sport;
    const who = (r: (typeof recs)[0]): string => (r.sport === 5555 ? 'srv' : 'cli');
    expect(recs.map((r) => `${who(r)} ${names[r.old]}->${names[r.new]}`)).toEqual([
      'srv CLOSE->LISTEN',
      'cli CLOSE->SYN_SENT',
      // The client is established when the SYN-ACK arrives, the server's child when the ACK does.
      'cli SYN_SENT->ESTABLISHED',
      'srv CLOSE->SYN_RECV',
      'srv SYN_RECV->ESTABLISHED',
      'cli ESTABLISHED->FIN_WAIT1',
      'srv ESTABLISHED->CLOSE_WAIT',
      'cli FIN_WAIT1->FIN_WAIT2',
      'srv CLOSE_WAIT->LAST_ACK',
      'cli FIN_WAIT2->CLOSE',
      'srv LAST_ACK->CLOSE',
      'srv LISTEN->CLOSE',
    ]);
    for (const r of recs) {
      expect(r.family).toBe(2);
      expect(r.proto).toBe(6);
      // The struct sock behind skaddr: skc_num in host order, skc_dport in network order, the old state.
      expect(r.skNum).toBe(r.sport);
      expect(((r.skDport & 0xff) << 8) | (r.skDport >> 8)).toBe(r.dport);
      expect(r.skState).toBe(r.old);
    }
    expect(cport).toBeGreaterThan(0);
  });
});

(clang ? describe : describe.skip)('kprobes on the socket functions', () => {
  test('tcp_v4_connect, inet_bind and inet_csk_accept (kretprobe) see their arguments and the accepted socket', () => {
    const k = new Kernel({ seed: 'sockets', cpus: 2, btf: vmlinuxBtf() });
    void k.world;
    const parsed = parseObject(buildFixture('tcpconnect'), 'tcpconnect.bpf.o', k);
    const obj = k.loadObject(parsed, { file: 'tcpconnect.bpf.o' });
    for (const p of parsed.programs) obj.program(p.name).attach(p.section);
    const { p: srv, ns } = procInNewNet(k);
    ns.lo.setUp(true);
    const cli = k.syscall(srv, 'fork').child!;
    const l = serve(k, srv, '127.0.0.1', 5555);
    const c = ok(k, cli, 'socket', [AF_INET, SOCK_STREAM, 0]).ret;
    ok(k, cli, 'connect', [c, sin('127.0.0.1', 5555), 16]);
    ok(k, srv, 'accept', [l, 0, 0]);
    const me = parseSin(ok(k, cli, 'getsockname', [c, { out: 16 }, int(16)]).outs[0]).port;
    const recs = (obj.map('events').map as unknown as { consume(): Uint8Array[] }).consume().map((b) => {
      const dv = new DataView(b.buffer, b.byteOffset);
      return [dv.getUint32(0, true), dv.getUint16(4, true), dv.getUint16(6, true)];
    });
    // bind(5555) of a SOCK_STREAM socket; connect to 5555 before the port is chosen (skc_num 0); the child: 5555 ← client port.
    expect(recs).toEqual([[3, 5555, 1], [1, 5555, 0], [2, 5555, me]]);
  });
});
