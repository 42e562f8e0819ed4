/** Blocked signals (rt_sigprocmask), the clocks, sleeps, and execveat's comm rules. */
import { Errno } from '@bpfsim/uapi';
import { O, SIG } from '../../src';
import { newKernel, spawn } from './helpers';

const mask = (...sigs: number[]) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, sigs.reduce((m, s) => m | (1n << BigInt(s - 1)), 0n), true);
  return b;
};
const ts = (sec: number, nsec: number) => {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigInt64(0, BigInt(sec), true);
  dv.setBigInt64(8, BigInt(nsec), true);
  return b;
};
const readTs = (b: Uint8Array) => {
  const dv = new DataView(b.buffer);
  return dv.getBigInt64(0, true) * 1_000_000_000n + dv.getBigInt64(8, true);
};

test('a blocked SIGTERM stays pending and acts when unblocked; SIGKILL cannot be blocked', () => {
  const k = newKernel();
  const sh = spawn(k);
  const c = k.syscall(sh, 'fork').child!;
  expect(k.syscall(c, 'rt_sigprocmask', [0, mask(SIG.SIGTERM, SIG.SIGKILL), 0, 8]).ret).toBe(0);
  const old = k.syscall(c, 'rt_sigprocmask', [0, null, { out: 8 }, 8]);
  expect(new DataView(old.outs[0].buffer).getBigUint64(0, true)).toBe(1n << 14n);
  k.syscall(sh, 'kill', [c.pid, SIG.SIGTERM]);
  expect(c.alive).toBe(true);
  expect(c.signal.shared).toEqual([SIG.SIGTERM]);
  expect(k.syscall(c, 'rt_sigprocmask', [1, mask(SIG.SIGTERM), 0, 8]).ret).toBe(0);
  expect(c.alive).toBe(false);
  const c2 = k.syscall(sh, 'fork').child!;
  k.syscall(c2, 'rt_sigprocmask', [2, mask(SIG.SIGKILL), 0, 8]);
  k.syscall(sh, 'kill', [c2.pid, SIG.SIGKILL]);
  expect(c2.alive).toBe(false);
  expect(k.syscall(sh, 'rt_sigprocmask', [3, mask(1), 0, 8]).ret).toBe(-Errno.EINVAL);
  expect(k.syscall(sh, 'rt_sigprocmask', [0, mask(1), 0, 4]).ret).toBe(-Errno.EINVAL);
});

test('clock_gettime reads the virtual clock; nanosleep and clock_nanosleep move it', () => {
  const k = newKernel();
  const sh = spawn(k);
  const t0 = k.clock.monotonicNs;
  const r = k.syscall(sh, 'clock_gettime', [1, { out: 16 }]);
  expect(readTs(r.outs[0])).toBe(t0);
  expect(k.syscall(sh, 'nanosleep', [ts(1, 500), 0]).ret).toBe(0);
  expect(k.clock.monotonicNs - t0).toBe(50n + 1_000_000_500n + 1_000n);
  const rt = readTs(k.syscall(sh, 'clock_gettime', [0, { out: 16 }]).outs[0]);
  expect(rt + 50n).toBe(k.clock.realtimeAtBootNs + k.clock.boottimeNs);
  const now = k.clock.monotonicNs;
  const until = now + 10_000n;
  expect(k.syscall(sh, 'clock_nanosleep', [1, 1, ts(Number(until / 1_000_000_000n), Number(until % 1_000_000_000n)), 0]).ret).toBe(0);
  expect(k.clock.monotonicNs).toBe(now + 10_000n + 1_000n);
  expect(k.syscall(sh, 'nanosleep', [ts(0, 1_000_000_000), 0]).ret).toBe(-Errno.EINVAL);
  expect(k.syscall(sh, 'clock_gettime', [99, { out: 16 }]).ret).toBe(-Errno.EINVAL);
});

test('execveat: relative to a directory descriptor, and AT_EMPTY_PATH naming comm after the file', () => {
  const k = newKernel();
  const sh = spawn(k);
  const dir = k.syscall(sh, 'open', ['/bin', O.RDONLY | O.DIRECTORY, 0]).ret;
  expect(k.syscall(sh, 'execveat', [dir, 'cat', ['cat'], [], 0]).ret).toBe(0);
  expect(sh.comm).toBe('cat');
  const fd = k.syscall(sh, 'open', ['/bin/ls', O.RDONLY, 0]).ret;
  expect(k.syscall(sh, 'execveat', [fd, '', ['ls'], [], 0]).ret).toBe(-Errno.ENOENT);
  expect(k.syscall(sh, 'execveat', [fd, '', ['ls'], [], 0x1000]).ret).toBe(0);
  expect(sh.comm).toBe('ls');
  expect(k.syscall(sh, 'execveat', [-100, '/bin/ls', ['ls'], [], 0x4]).ret).toBe(-Errno.EINVAL);
});
