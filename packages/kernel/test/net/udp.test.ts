/**
 * UDP sockets driven only by syscalls of simulated processes: over loopback in a fresh
 * net namespace, and between two namespaces over a veth pair (ARP first, on the wire).
 */
import { parsePacket } from '@bpfsim/packet';
import { AF_INET, SOCK_DGRAM, SOCK_NONBLOCK, completed, int, newKernel, ok, parseSin, procInNewNet, sin, str, text, twoHosts } from './sock-kit';

const ENETUNREACH = -101, ECONNREFUSED = -111, EAGAIN = -11, EADDRINUSE = -98, EADDRNOTAVAIL = -99, EDESTADDRREQ = -89;

describe('UDP over loopback', () => {
  test('a new namespace has loopback down until it is brought up; then a datagram goes and comes back', () => {
    const k = newKernel();
    const { p, ns } = procInNewNet(k);
    expect(ns.lo.up).toBe(false);
    const s = ok(k, p, 'socket', [AF_INET, SOCK_DGRAM, 0]).ret;
    expect(k.syscall(p, 'sendto', [s, text('x'), 1, 0, sin('127.0.0.1', 9), 16]).ret).toBe(ENETUNREACH);
    ns.lo.setUp(true);
    const srv = ok(k, p, 'socket', [AF_INET, SOCK_DGRAM, 0]).ret;
    ok(k, p, 'bind', [srv, sin('127.0.0.1', 6000), 16]);
    // The failed send autobound s first (inet_send_prepare), so it cannot bind again.
    expect(k.syscall(p, 'bind', [s, sin('127.0.0.1', 6001), 16]).ret).toBe(-22);
    const t = ok(k, p, 'socket', [AF_INET, SOCK_DGRAM, 0]).ret;
    expect(k.syscall(p, 'bind', [t, sin('127.0.0.1', 6000), 16]).ret).toBe(EADDRINUSE);
    expect(k.syscall(p, 'bind', [t, sin('10.9.9.9', 0), 16]).ret).toBe(EADDRNOTAVAIL);
    expect(ok(k, p, 'sendto', [s, text('datagram'), 8, 0, sin('127.0.0.1', 6000), 16]).ret).toBe(8);
    const r = ok(k, p, 'recvfrom', [srv, { out: 64 }, 64, 0, { out: 16 }, int(16)]);
    expect(r.ret).toBe(8);
    expect(str(r.outs[0].subarray(0, 8))).toBe('datagram');
    const from = parseSin(r.outs[1]);
    expect(from.addr).toBe('127.0.0.1');
    // The autobound port is an ephemeral one of ip_local_port_range.
    expect(from.port).toBeGreaterThanOrEqual(32768);
    expect(from.port).toBeLessThanOrEqual(60999);
    const name = ok(k, p, 'getsockname', [s, { out: 16 }, int(16)]);
    expect(parseSin(name.outs[0]).port).toBe(from.port);
  });

  test('lo comes up as ip and ifconfig bring it up: SIOCSIFFLAGS, and rtnetlink RTM_NEWLINK with an acknowledgement', () => {
    const k = newKernel();
    const { p, ns } = procInNewNet(k);
    const s = ok(k, p, 'socket', [AF_INET, SOCK_DGRAM, 0]).ret;
    const ifr = (flags: number) => {
      const b = new Uint8Array(40);
      b.set(text('lo'));
      b[16] = flags;
      return b;
    };
    const get = ok(k, p, 'ioctl', [s, 0x8913, ifr(0)]); // SIOCGIFFLAGS
    expect(get.ret).toBe(0);
    ok(k, p, 'ioctl', [s, 0x8914, ifr(1)]); // SIOCSIFFLAGS IFF_UP
    expect(ns.lo.up).toBe(true);
    expect(ns.devinet.local(0x7f000001)).toBeDefined();
    ok(k, p, 'ioctl', [s, 0x8914, ifr(0)]);
    expect(ns.lo.up).toBe(false);
    expect(k.syscall(p, 'ioctl', [s, 0x8913, (() => { const b = ifr(0); b.set(text('nope')); return b; })()]).ret).toBe(-19);
    // socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE); RTM_NEWLINK {ifindex 1, flags IFF_UP, change IFF_UP} with NLM_F_ACK.
    const nl = ok(k, p, 'socket', [16, 3, 0]).ret;
    const m = new Uint8Array(32);
    const dv = new DataView(m.buffer);
    dv.setUint32(0, 32, true);
    dv.setUint16(4, 16, true);
    dv.setUint16(6, 1 | 4, true);
    dv.setUint32(8, 7, true);
    dv.setInt32(20, 1, true);
    dv.setUint32(24, 1, true);
    dv.setUint32(28, 1, true);
    ok(k, p, 'sendto', [nl, m, 32, 0, 0, 0]);
    expect(ns.lo.up).toBe(true);
    const ack = ok(k, p, 'recvfrom', [nl, { out: 64 }, 64, 0, 0, 0]);
    const av = new DataView(ack.outs[0].buffer);
    expect([ack.ret, av.getUint16(4, true), av.getInt32(16, true), av.getUint32(8, true)]).toEqual([36, 2, 0, 7]); // NLMSG_ERROR, error 0, seq 7
  });

  test('a blocking recvfrom sleeps until a datagram arrives; a nonblocking one is EAGAIN', () => {
    const k = newKernel();
    const { p, ns } = procInNewNet(k);
    ns.lo.setUp(true);
    const q = (() => {
      const r = k.syscall(p, 'fork');
      return r.child!;
    })();
    const srv = ok(k, p, 'socket', [AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0]).ret;
    ok(k, p, 'bind', [srv, sin('127.0.0.1', 7000), 16]);
    expect(k.syscall(p, 'recvfrom', [srv, { out: 16 }, 16, 0, 0, 0]).ret).toBe(EAGAIN);
    const blk = ok(k, p, 'socket', [AF_INET, SOCK_DGRAM, 0]).ret;
    ok(k, p, 'bind', [blk, sin('127.0.0.1', 7001), 16]);
    const r = k.syscall(p, 'recvfrom', [blk, { out: 16 }, 16, 0, 0, 0]);
    expect(r.blocked).toBe(true);
    const c = ok(k, q, 'socket', [AF_INET, SOCK_DGRAM, 0]).ret;
    ok(k, q, 'sendto', [c, text('wake'), 4, 0, sin('127.0.0.1', 7001), 16]);
    expect(completed(p, 'recvfrom')).toBe(4);
  });

  test('a connected socket hears ICMP port unreachable as ECONNREFUSED; an unconnected one does not', () => {
    const k = newKernel();
    const { p, ns } = procInNewNet(k);
    ns.lo.setUp(true);
    const s = ok(k, p, 'socket', [AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0]).ret;
    expect(k.syscall(p, 'sendto', [s, text('x'), 1, 0, 0, 0]).ret).toBe(EDESTADDRREQ);
    ok(k, p, 'sendto', [s, text('x'), 1, 0, sin('127.0.0.1', 9), 16]);
    expect(k.syscall(p, 'recvfrom', [s, { out: 4 }, 4, 0, 0, 0]).ret).toBe(EAGAIN);
    ok(k, p, 'connect', [s, sin('127.0.0.1', 9), 16]);
    ok(k, p, 'sendto', [s, text('x'), 1, 0, 0, 0]);
    expect(k.syscall(p, 'recvfrom', [s, { out: 4 }, 4, 0, 0, 0]).ret).toBe(ECONNREFUSED);
    // Reported once.
    expect(k.syscall(p, 'recvfrom', [s, { out: 4 }, 4, 0, 0, 0]).ret).toBe(EAGAIN);
    expect(ns.drops.get('no_socket')).toBe(2);
  });
});

describe('UDP between two namespaces over veth', () => {
  test('ARP resolves the peer on the wire, then the echo goes both ways', () => {
    const { k, a, b, va, vb, nsA } = twoHosts();
    va.startCapture();
    const srv = ok(k, b, 'socket', [AF_INET, SOCK_DGRAM, 0]).ret;
    ok(k, b, 'bind', [srv, sin('0.0.0.0', 5353), 16]);
    const cli = ok(k, a, 'socket', [AF_INET, SOCK_DGRAM, 0]).ret;
    ok(k, a, 'sendto', [cli, text('hello'), 5, 0, sin('10.0.0.2', 5353), 16]);
    const got = ok(k, b, 'recvfrom', [srv, { out: 32 }, 32, 0, { out: 16 }, int(16)]);
    expect(str(got.outs[0].subarray(0, got.ret))).toBe('hello');
    const peer = parseSin(got.outs[1]);
    expect(peer.addr).toBe('10.0.0.1');
    ok(k, b, 'sendto', [srv, got.outs[0].subarray(0, 5), 5, 0, got.outs[1], 16]);
    const back = ok(k, a, 'recvfrom', [cli, { out: 32 }, 32, 0, 0, 0]);
    expect(str(back.outs[0].subarray(0, back.ret))).toBe('hello');
    // On veth0's wire: ARP who-has 10.0.0.2, the reply, the datagram, and its echo (b learnt a's address from the request).
    const frames = va.captured.map((c) => ({ dir: c.dir, p: parsePacket(c.data) }));
    const kinds = frames.map((f) => `${f.dir}:${f.p.layers.map((l) => l.kind).join('/')}`);
    expect(kinds).toEqual(['out:eth/arp', 'in:eth/arp', 'out:eth/ipv4/udp', 'in:eth/ipv4/udp']);
    const req = va.captured[0].data;
    expect([...req.subarray(0, 6)]).toEqual([255, 255, 255, 255, 255, 255]);
    expect([...req.subarray(38, 42)]).toEqual([10, 0, 0, 2]);
    const n = nsA.arp.lookup(va, 0x0a000002)!;
    expect(n.state).toBe('reachable');
    expect([...n.mac!]).toEqual([...vb.mac]);
    // TTL 64, DF set, UDP checksum valid: the datagram as the kernel would send it.
    const dg = va.captured[2].data;
    expect(dg[14 + 8]).toBe(64);
    expect(dg[14 + 6] & 0x40).toBe(0x40);
    // An unconnected datagram socket's DF is PMTU discovery's wish only: its IP id is not 0 (as on 6.18).
    expect((dg[14 + 4] << 8) | dg[14 + 5]).not.toBe(0);
  });

  test('the receive side sleeps, the send wakes it, through the namespaces', () => {
    const { k, a, b } = twoHosts();
    const srv = ok(k, b, 'socket', [AF_INET, SOCK_DGRAM, 0]).ret;
    ok(k, b, 'bind', [srv, sin('10.0.0.2', 4000), 16]);
    expect(k.syscall(b, 'recvfrom', [srv, { out: 100 }, 100, 0, 0, 0]).blocked).toBe(true);
    const cli = ok(k, a, 'socket', [AF_INET, SOCK_DGRAM, 0]).ret;
    ok(k, a, 'connect', [cli, sin('10.0.0.2', 4000), 16]);
    ok(k, a, 'write', [cli, text('abc'), 3]);
    expect(completed(b, 'recvfrom')).toBe(3);
  });
});
