/**
 * The stack's path through a router namespace and its netfilter hook points: a host in `a`
 * reaches a host in `c` through `r` (ip_forward on), the TTL drops by one, the hooks are
 * called in the kernel's order (OUTPUT, POSTROUTING; PREROUTING, FORWARD, POSTROUTING;
 * PREROUTING, INPUT), TTL 1 is answered with ICMP time exceeded, forwarding off drops, and
 * a REJECT verdict reaches the sender's socket (ICMP port unreachable → ECONNREFUSED; a TCP
 * reset → a refused connect). Run twice, the same exchange gives the same trace (its JSON, byte for byte).
 */
const encode = (x: unknown): Uint8Array => Buffer.from(JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
import { parsePacket } from '@bpfsim/packet';
import type { NetfilterHooks, NfHookName, NfVerdict } from '../../src/net/netfilter_hooks';
import { AF_INET, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_STREAM, int, newKernel, ok, procInNewNet, sin, text } from './sock-kit';

const IP_TTL = 2, SOL_IP = 0;

function recorder(label: string, log: string[], verdict: (h: NfHookName, ip: Uint8Array) => NfVerdict = () => 'ACCEPT'): NetfilterHooks {
  return {
    hook(h, skb, io) {
      const ip = skb.data.subarray(skb.nh ?? 0);
      log.push(`${label}:${h}:${io.indev?.name ?? '-'}>${io.outdev?.name ?? '-'}:ttl${ip[8]}`);
      return verdict(h, ip);
    },
  };
}

function routed(seed = 'forward') {
  const k = newKernel(seed);
  const A = procInNewNet(k), C = procInNewNet(k);
  const r = k.network.createNs('r', { loUp: true });
  const [a0, r0] = k.network.addVeth(A.ns, 'eth0', r, 'r0');
  const [c0, r1] = k.network.addVeth(C.ns, 'eth0', r, 'r1');
  a0.addAddress('10.1.0.2/24');
  r0.addAddress('10.1.0.1/24');
  r1.addAddress('10.2.0.1/24');
  c0.addAddress('10.2.0.2/24');
  A.ns.addRoute('default via 10.1.0.1');
  C.ns.addRoute('default via 10.2.0.1');
  r.sysctl.ipForward = true;
  return { k, a: A.p, c: C.p, nsA: A.ns, nsC: C.ns, r, a0, r0, r1, c0 };
}

describe('forwarding through a router namespace', () => {
  test('a datagram crosses the router: TTL 64 → 63, the hooks in the kernel order', () => {
    const { k, a, c, nsA, nsC, r, c0 } = routed();
    const log: string[] = [];
    nsA.netfilter = recorder('a', log);
    r.netfilter = recorder('r', log);
    nsC.netfilter = recorder('c', log);
    c0.startCapture();
    const s = ok(k, c, 'socket', [AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0]).ret;
    ok(k, c, 'bind', [s, sin('0.0.0.0', 7), 16]);
    const u = ok(k, a, 'socket', [AF_INET, SOCK_DGRAM, 0]).ret;
    ok(k, a, 'sendto', [u, text('over'), 4, 0, sin('10.2.0.2', 7), 16]);
    expect(ok(k, c, 'recvfrom', [s, { out: 8 }, 8, 0, 0, 0]).ret).toBe(4);
    expect(log).toEqual([
      'a:OUTPUT:->eth0:ttl64', 'a:POSTROUTING:->eth0:ttl64',
      'r:PREROUTING:r0>-:ttl64', 'r:FORWARD:r0>r1:ttl63', 'r:POSTROUTING:->r1:ttl63',
      'c:PREROUTING:eth0>-:ttl63', 'c:INPUT:eth0>-:ttl63',
    ]);
    const ipv4 = c0.captured.map((x) => parsePacket(x.data).layers.find((l) => l.kind === 'ipv4') as unknown as { ttl: number } | undefined).filter(Boolean);
    expect(ipv4.map((x) => x!.ttl)).toEqual([63]);
  });

  test('TTL 1 at the router: ICMP time exceeded back to the sender; forwarding off: dropped silently', () => {
    const { k, a, r } = routed();
    const raw = ok(k, a, 'socket', [AF_INET, 3 | SOCK_NONBLOCK, 1]).ret; // an ICMP raw socket sees the error
    const u = ok(k, a, 'socket', [AF_INET, SOCK_DGRAM, 0]).ret;
    ok(k, a, 'setsockopt', [u, SOL_IP, IP_TTL, int(1), 4]);
    ok(k, a, 'sendto', [u, text('x'), 1, 0, sin('10.2.0.2', 7), 16]);
    const e = ok(k, a, 'recvfrom', [raw, { out: 128 }, 128, 0, 0, 0]);
    expect([e.outs[0][20], e.outs[0][21]]).toEqual([11, 0]); // ICMP_TIME_EXCEEDED, ICMP_EXC_TTL
    expect([...e.outs[0].subarray(12, 16)]).toEqual([10, 1, 0, 1]); // from the router's address on that side
    r.sysctl.ipForward = false;
    ok(k, a, 'setsockopt', [u, SOL_IP, IP_TTL, int(64), 4]);
    ok(k, a, 'sendto', [u, text('x'), 1, 0, sin('10.2.0.2', 7), 16]);
    expect(r.drops.get('ip_inaddrerrors')).toBe(1);
    expect(k.syscall(a, 'recvfrom', [raw, { out: 128 }, 128, 0, 0, 0]).ret).toBe(-11);
  });

  test('REJECT at the router: a connected UDP socket gets ECONNREFUSED, a TCP connect is refused by the reset', () => {
    const { k, a, r } = routed();
    r.netfilter = { hook: (h, skb) => (h !== 'FORWARD' ? 'ACCEPT' : skb.data[(skb.nh ?? 0) + 9] === 17 ? { reject: 'icmp-port-unreachable' } : { reject: 'tcp-reset' }) };
    const u = ok(k, a, 'socket', [AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0]).ret;
    ok(k, a, 'connect', [u, sin('10.2.0.2', 53), 16]);
    ok(k, a, 'sendto', [u, text('q'), 1, 0, 0, 0]);
    expect(k.syscall(a, 'recvfrom', [u, { out: 8 }, 8, 0, 0, 0]).ret).toBe(-111);
    const t = ok(k, a, 'socket', [AF_INET, SOCK_STREAM, 0]).ret;
    expect(k.syscall(a, 'connect', [t, sin('10.2.0.2', 80), 16]).ret).toBe(-111);
  });

  test('the same exchange twice gives the same trace, byte for byte', () => {
    const run = () => {
      const { k, a, c } = routed('same');
      const l = ok(k, c, 'socket', [AF_INET, SOCK_STREAM, 0]).ret;
      ok(k, c, 'bind', [l, sin('0.0.0.0', 80), 16]);
      ok(k, c, 'listen', [l, 4]);
      const t = ok(k, a, 'socket', [AF_INET, SOCK_STREAM, 0]).ret;
      ok(k, a, 'connect', [t, sin('10.2.0.2', 80), 16]);
      ok(k, a, 'write', [t, text('GET /'), 5]);
      ok(k, a, 'close', [t]);
      return encode(k.trace.records);
    };
    const x = run(), y = run();
    expect(x.length).toBeGreaterThan(1000);
    expect(Buffer.from(x).equals(Buffer.from(y))).toBe(true);
  });
});
