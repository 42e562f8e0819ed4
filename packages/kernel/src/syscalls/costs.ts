/**
 * Modelled cost of each syscall in virtual nanoseconds: the clock advances by
 * it on every call. Figures are round orders of magnitude of a syscall on a
 * current x86-64 machine with mitigations (getpid ~100 ns; a small file
 * operation ~1 µs; process creation ~100 µs); docs/kernel.md lists them.
 */
const COSTS: Record<string, number> = {
  getpid: 100, getppid: 100, gettid: 100, getuid: 100, geteuid: 100, getgid: 100, getegid: 100,
  getpgid: 150, getpgrp: 150, getsid: 150, uname: 200, prctl: 200,
  setuid: 500, setgid: 500, setsid: 500, setpgid: 300, sethostname: 500, setdomainname: 500,
  kill: 700, tkill: 700, tgkill: 700, rt_sigaction: 200, rt_sigprocmask: 150,
  fork: 100_000, vfork: 30_000, clone: 100_000, clone3: 100_000, execve: 300_000, execveat: 300_000,
  exit: 20_000, exit_group: 30_000, wait4: 1_000, waitid: 1_000, unshare: 20_000, setns: 5_000,
  openat: 1_500, open: 1_500, creat: 2_500, close: 300, read: 500, write: 700, pread64: 500, pwrite64: 700,
  lseek: 150, dup: 200, dup2: 200, dup3: 200, pipe: 1_500, pipe2: 1_500,
  stat: 1_000, lstat: 1_000, fstat: 300, newfstatat: 1_000, access: 1_000, faccessat: 1_000, faccessat2: 1_000,
  mkdir: 3_000, mkdirat: 3_000, rmdir: 3_000, unlink: 3_000, unlinkat: 3_000, rename: 4_000, renameat: 4_000, renameat2: 4_000,
  link: 3_000, linkat: 3_000, symlink: 3_000, symlinkat: 3_000, readlink: 1_000, readlinkat: 1_000,
  chdir: 800, fchdir: 300, getcwd: 400, chmod: 1_500, fchmod: 500, fchmodat: 1_500, truncate: 2_000, ftruncate: 1_000,
  getdents64: 2_000, brk: 1_000, mmap: 2_000, munmap: 2_000,
  // vDSO-served in Linux, a syscall here; nanosleep's cost is the entry, the sleep is added on top.
  clock_gettime: 50, clock_getres: 50, nanosleep: 1_000, clock_nanosleep: 1_000, umask: 100, fcntl: 200,
};
export const DEFAULT_SYSCALL_COST_NS = 1_000;

export function syscallCost(name: string): number {
  return COSTS[name] ?? DEFAULT_SYSCALL_COST_NS;
}

const costNs = new Map<string, bigint>();
/** The cost as the clock takes it (cached: a bigint per call would cost more than getpid). */
export function syscallCostNs(name: string): bigint {
  let c = costNs.get(name);
  if (c === undefined) costNs.set(name, (c = BigInt(syscallCost(name))));
  return c;
}
