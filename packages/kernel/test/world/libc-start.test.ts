/**
 * The calls a C library makes at start-up and the replay hooks behind them: thread set-up
 * (arch_prctl, set_tid_address, set_robust_list, rseq), resource limits, getrandom (pinned and
 * seeded), pinned mmap/brk placement with mprotect/munmap, statfs, sockets, ioctl, and a
 * SIGCHLD that arrives with the exit a parent waits for.
 */
import { Errno } from '@bpfsim/uapi';
import { newKernel, spawn } from './helpers';

const u64 = (b: Uint8Array, off = 0): bigint => new DataView(b.buffer, b.byteOffset).getBigUint64(off, true);

describe('start-up syscalls', () => {
  test('thread set-up returns what Linux returns', () => {
    const k = newKernel();
    const sh = spawn(k);
    expect(k.syscall(sh, 'arch_prctl', [0x1002, 0x7f00_0000_0740]).ret).toBe(0);
    expect(k.syscall(sh, 'arch_prctl', [0x1002, 0x8000_0000_0000]).ret).toBe(-Errno.EPERM);
    expect(k.syscall(sh, 'arch_prctl', [0x9999, 0]).ret).toBe(-Errno.EINVAL);
    const fs = k.syscall(sh, 'arch_prctl', [0x1003, { out: 8 }]);
    expect(fs.ret).toBe(0);
    expect(u64(fs.outs[0])).toBe(0x7f00_0000_0740n);
    expect(k.syscall(sh, 'set_tid_address', [0x1000]).ret).toBe(sh.pid);
    expect(k.syscall(sh, 'set_robust_list', [0x1000, 24]).ret).toBe(0);
    expect(k.syscall(sh, 'set_robust_list', [0x1000, 16]).ret).toBe(-Errno.EINVAL);
    expect(k.syscall(sh, 'rseq', [0x7f00_0000_1060, 0x20, 0, 0x53053053]).ret).toBe(0);
    // A second registration of the same area is EBUSY, of another EINVAL.
    expect(k.syscall(sh, 'rseq', [0x7f00_0000_1060, 0x20, 0, 0x53053053]).ret).toBe(-Errno.EBUSY);
    expect(k.syscall(sh, 'rseq', [0x7f00_0000_2060, 0x20, 0, 0x53053053]).ret).toBe(-Errno.EINVAL);
    // exec drops the registration.
    k.syscall(sh, 'execve', ['/bin/ls', ['ls'], []]);
    expect(k.syscall(sh, 'rseq', [0x7f00_0000_1060, 0x20, 0, 0x53053053]).ret).toBe(0);
  });

  test('prlimit64 reads the defaults, lowers a limit, and a fork inherits it', () => {
    const k = newKernel();
    const sh = spawn(k);
    const r = k.syscall(sh, 'prlimit64', [0, 3, 0, { out: 16 }]);
    expect(r.ret).toBe(0);
    expect([u64(r.outs[0]), u64(r.outs[0], 8)]).toEqual([8n * 1024n * 1024n, 0xffff_ffff_ffff_ffffn]);
    const lim = new Uint8Array(16);
    new DataView(lim.buffer).setBigUint64(0, 256n, true);
    new DataView(lim.buffer).setBigUint64(8, 512n, true);
    expect(k.syscall(sh, 'prlimit64', [0, 7, lim, 0]).ret).toBe(0);
    const child = k.syscall(sh, 'fork').child!;
    const c = k.syscall(child, 'getrlimit', [7, { out: 16 }]);
    expect([u64(c.outs[0]), u64(c.outs[0], 8)]).toEqual([256n, 512n]);
    expect(k.syscall(sh, 'prlimit64', [0, 16, 0, { out: 16 }]).ret).toBe(-Errno.EINVAL);
    expect(k.syscall(sh, 'prlimit64', [99999, 3, 0, { out: 16 }]).ret).toBe(-Errno.ESRCH);
  });

  test('getrandom returns pinned bytes first, then the seeded stream, the same for the same seed', () => {
    const run = () => {
      const k = newKernel();
      const sh = spawn(k);
      k.world.pinnedEntropy.push(1, 2, 3);
      const a = k.syscall(sh, 'getrandom', [{ out: 8 }, 8, 1]);
      expect(a.ret).toBe(8);
      expect([...a.outs[0].subarray(0, 3)]).toEqual([1, 2, 3]);
      expect(k.syscall(sh, 'getrandom', [{ out: 8 }, 8, 0x8]).ret).toBe(-Errno.EINVAL);
      return [...a.outs[0]];
    };
    expect(run()).toEqual(run());
  });

  test('pinned placement: mmap returns the pinned address, MAP_FIXED its own, mprotect needs a mapping', () => {
    const k = newKernel();
    const sh = spawn(k);
    const mm = sh.mm!;
    mm.layout.startBrk = mm.layout.brk = 0x5570_b0d6_8000;
    expect(k.syscall(sh, 'brk', [0]).ret).toBe(0x5570_b0d6_8000);
    expect(k.syscall(sh, 'brk', [0x5570_b0d8_9000]).ret).toBe(0x5570_b0d8_9000);
    mm.layout.nextMmap.push(0x7fab_0108_c000);
    expect(k.syscall(sh, 'mmap', [0, 8192, 3, 0x22, -1, 0]).ret).toBe(0x7fab_0108_c000);
    expect(k.syscall(sh, 'mprotect', [0x7fab_0108_c000, 4096, 1]).ret).toBe(0);
    expect(k.syscall(sh, 'mprotect', [0x7fab_0108_c000, 16384, 1]).ret).toBe(-Errno.ENOMEM);
    expect(k.syscall(sh, 'mprotect', [0x7fab_0108_c001, 4096, 1]).ret).toBe(-Errno.EINVAL);
    // A file mapping over the in-memory file system: the file must be open and regular.
    const fd = k.syscall(sh, 'openat', [-100, '/etc/hostname', 0, 0]).ret;
    expect(k.syscall(sh, 'mmap', [0x7fab_0200_0000, 4096, 1, 0x12, fd, 0]).ret).toBe(0x7fab_0200_0000);
    expect(k.syscall(sh, 'mmap', [0, 4096, 1, 0x02, 99, 0]).ret).toBe(-Errno.EBADF);
    expect(k.syscall(sh, 'mmap', [0, 4096, 3, 0x01, fd, 0]).ret).toBe(-Errno.EACCES);
    const dir = k.syscall(sh, 'openat', [-100, '/etc', 0o200000, 0]).ret;
    expect(k.syscall(sh, 'mmap', [0, 4096, 1, 0x02, dir, 0]).ret).toBe(-Errno.ENODEV);
    // munmap splits: the first page stays mapped.
    expect(k.syscall(sh, 'munmap', [0x7fab_0108_d000, 4096]).ret).toBe(0);
    expect(k.syscall(sh, 'mprotect', [0x7fab_0108_c000, 4096, 3]).ret).toBe(0);
    expect(k.syscall(sh, 'mprotect', [0x7fab_0108_d000, 4096, 3]).ret).toBe(-Errno.ENOMEM);
  });

  test('statfs, sockets, ioctl and fadvise on the model files', () => {
    const k = newKernel();
    const sh = spawn(k);
    const s = k.syscall(sh, 'statfs', ['/tmp', { out: 120 }]);
    expect(s.ret).toBe(0);
    expect(u64(s.outs[0])).toBe(0x01021994n);
    expect(k.syscall(sh, 'statfs', ['/selinux', { out: 120 }]).ret).toBe(-Errno.ENOENT);
    const fd = k.syscall(sh, 'socket', [1, 1 | 0o2000000, 0]).ret;
    expect(fd).toBeGreaterThanOrEqual(0);
    const addr = new Uint8Array(110);
    addr[0] = 1;
    addr.set(new TextEncoder().encode('/var/run/nscd/socket'), 2);
    expect(k.syscall(sh, 'connect', [fd, addr, 110]).ret).toBe(-Errno.ENOENT);
    addr.fill(0, 2);
    addr.set(new TextEncoder().encode('/etc/hostname'), 2);
    expect(k.syscall(sh, 'connect', [fd, addr, 110]).ret).toBe(-Errno.ECONNREFUSED);
    expect(k.syscall(sh, 'lseek', [fd, 0, 1]).ret).toBe(-Errno.ESPIPE);
    expect(k.syscall(sh, 'socket', [99, 1, 0]).ret).toBe(-97);
    const f = k.syscall(sh, 'openat', [-100, '/etc/hostname', 0, 0]).ret;
    expect(k.syscall(sh, 'ioctl', [f, 0x5401, 0]).ret).toBe(-Errno.ENOTTY);
    expect(k.syscall(sh, 'ioctl', [77, 0x5401, 0]).ret).toBe(-Errno.EBADF);
    expect(k.syscall(sh, 'fadvise64', [f, 0, 0, 2]).ret).toBe(0);
    expect(k.syscall(sh, 'prctl', [23, 40, 0, 0, 0]).ret).toBe(1);
    expect(k.syscall(sh, 'prctl', [23, 41, 0, 0, 0]).ret).toBe(-Errno.EINVAL);
    expect(k.syscall(sh, 'prctl', [3, 0, 0, 0, 0]).ret).toBe(1);
  });

  test('a parent asleep in wait4 with a SIGCHLD handler reaps the child whose exit sent the signal', () => {
    const k = newKernel();
    const sh = spawn(k);
    const act = new Uint8Array(32);
    new DataView(act.buffer).setBigUint64(0, 0x5555_0000n, true);
    expect(k.syscall(sh, 'rt_sigaction', [17, act, 0, 8]).ret).toBe(0);
    const child = k.syscall(sh, 'fork').child!;
    const w = k.syscall(sh, 'wait4', [-1, { out: 4 }, 0, 0]);
    expect(w.blocked).toBe(true);
    k.syscall(child, 'exit_group', [3]);
    expect(sh.completed).toEqual([{ name: 'wait4', ret: child.pid }]);
    // With nothing to reap, the same signal ends the sleep with EINTR.
    const other = k.syscall(sh, 'fork').child!;
    expect(k.syscall(sh, 'wait4', [other.pid + 1000, { out: 4 }, 0, 0]).ret).toBe(-Errno.ECHILD);
    expect(k.syscall(sh, 'wait4', [-1, { out: 4 }, 0x8, 0]).blocked).toBe(true);
    k.syscall(other, 'kill', [sh.pid, 17]);
    expect(sh.completed.at(-1)).toEqual({ name: 'wait4', ret: -Errno.EINTR });
    // The handler's rt_sigreturn gives back the interrupted call's result and consumes the signal.
    expect(sh.signal.shared).toContain(17);
    expect(k.syscall(sh, 'rt_sigreturn').ret).toBe(-Errno.EINTR);
    expect(sh.signal.shared).not.toContain(17);
  });

  test('rt_sigsuspend sleeps with its mask until a handled signal, even under SA_RESTART, then -EINTR', () => {
    const k = newKernel();
    const sh = spawn(k);
    const act = new Uint8Array(32);
    new DataView(act.buffer).setBigUint64(0, 0x5555_0000n, true);
    new DataView(act.buffer).setBigUint64(8, 0x10000000n, true); // SA_RESTART
    k.syscall(sh, 'rt_sigaction', [10, act, 0, 8]);
    const other = k.syscall(sh, 'fork').child!;
    const mask = new Uint8Array(8);
    new DataView(mask.buffer).setBigUint64(0, 1n << 11n, true); // SIGUSR2 blocked while asleep
    expect(k.syscall(sh, 'rt_sigsuspend', [mask, 8]).blocked).toBe(true);
    expect(sh.blockedSigs).toBe(1n << 11n);
    k.syscall(other, 'kill', [sh.pid, 10]);
    expect(sh.completed.at(-1)).toEqual({ name: 'rt_sigsuspend', ret: -Errno.EINTR });
    expect(sh.blockedSigs).toBe(0n);
    expect(k.syscall(sh, 'rt_sigsuspend', [mask, 4]).ret).toBe(-Errno.EINVAL);
  });
});
