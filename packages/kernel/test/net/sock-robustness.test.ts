/**
 * Socket syscalls with arbitrary arguments (a seeded generator: descriptors, pointers, lengths,
 * flags, levels, option names, sockaddrs of every family and length) never throw: every call
 * answers a number (a result or -errno) or sleeps.
 */
import { AF_INET, newKernel, ok, procInNewNet } from './sock-kit';

function rng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

const CALLS = ['bind', 'connect', 'listen', 'accept4', 'getsockname', 'getpeername', 'shutdown', 'sendto', 'recvfrom', 'sendmsg', 'recvmsg', 'setsockopt', 'getsockopt', 'read', 'write', 'ioctl', 'poll', 'close'];

test('random socket calls in a namespace with lo up: numbers or sleeps, never an exception', () => {
  const r = rng(7);
  let calls = 0;
  for (let round = 0; round < 80; round++) {
    const k = newKernel(`robust${round}`);
    const { p, ns } = procInNewNet(k);
    ns.lo.setUp(true);
    const fds: number[] = [];
    for (const [d, t, pr] of [[AF_INET, 1, 0], [AF_INET, 2, 0], [AF_INET, 3, 1], [17, 3, 0x0300], [16, 3, 0], [1, 1, 0], [10, 2, 0]]) fds.push(ok(k, p, 'socket', [d, t | 0o4000, pr]).ret);
    for (let i = 0; i < 100 && !p.blocked && p.alive; i++) {
      const name = CALLS[r(CALLS.length)];
      const fd = r(4) === 0 ? r(12) - 2 : fds[r(fds.length)];
      const len = [0, 1, 2, 8, 12, 16, 20, 28, 128, 4096, -1][r(11)];
      const buf = new Uint8Array(Math.max(0, Math.min(len, 256)));
      for (let j = 0; j < buf.length; j++) buf[j] = r(4) === 0 ? r(256) : 0;
      if (buf.length >= 2 && r(2)) buf[0] = [2, 1, 10, 16, 17, 0][r(6)];
      if (buf.length >= 8 && r(2)) buf.set([127, 0, 0, 1], 4);
      const ptr = r(5) === 0 ? 0 : r(5) === 0 ? 0xdead0000 : buf;
      const args: (number | Uint8Array | { out: number })[] = [fd, ptr, len, r(3) ? 0 : r(0x10000), r(3) ? { out: 64 } : r(300), r(2) ? 16 : { out: 4 }];
      const res = k.syscall(p, name, args as never);
      expect(typeof res.ret).toBe('number');
      calls++;
    }
  }
  expect(calls).toBeGreaterThan(1000);
});
