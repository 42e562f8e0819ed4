/**
 * Signal numbers and default actions (include/linux/signal.h, kernel/signal.c),
 * and the wait status words a reaped child reports.
 */
export const SIG = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8,
  SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15,
  SIGSTKFLT: 16, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22,
  SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29,
  SIGPWR: 30, SIGSYS: 31,
} as const;
export const SIGRTMIN = 32;
/** _NSIG on x86-64. */
export const NSIG = 64;

export type SigDefault = 'term' | 'core' | 'ignore' | 'stop' | 'cont';

const CORE = new Set<number>([SIG.SIGQUIT, SIG.SIGILL, SIG.SIGTRAP, SIG.SIGABRT, SIG.SIGBUS, SIG.SIGFPE, SIG.SIGSEGV, SIG.SIGXCPU, SIG.SIGXFSZ, SIG.SIGSYS]);
const IGNORE = new Set<number>([SIG.SIGCHLD, SIG.SIGURG, SIG.SIGWINCH]);
const STOP = new Set<number>([SIG.SIGSTOP, SIG.SIGTSTP, SIG.SIGTTIN, SIG.SIGTTOU]);

/** What SIG_DFL does with `sig` (real-time signals terminate). */
export function sigDefault(sig: number): SigDefault {
  if (sig === SIG.SIGCONT) return 'cont';
  if (CORE.has(sig)) return 'core';
  if (IGNORE.has(sig)) return 'ignore';
  if (STOP.has(sig)) return 'stop';
  return 'term';
}

/** valid_signal: 0..64 (0 only checks permission). */
export function validSignal(sig: number): boolean {
  return Number.isInteger(sig) && sig >= 0 && sig <= NSIG;
}

/** sig_kernel_only: SIGKILL and SIGSTOP cannot be caught, blocked or ignored. */
export function sigKernelOnly(sig: number): boolean {
  return sig === SIG.SIGKILL || sig === SIG.SIGSTOP;
}

/** Wait status of a normal exit: (code & 0xff) << 8. */
export const exitStatus = (code: number): number => (code & 0xff) << 8;
/** Wait status of a death by signal; 0x80 (WCOREDUMP) only when a core was written, which RLIMIT_CORE=0 (the kernel's default) prevents. */
export const signalStatus = (sig: number, core: boolean): number => sig | (core ? 0x80 : 0);

/** siginfo si_code values for SIGCHLD. */
export const CLD = { EXITED: 1, KILLED: 2, DUMPED: 3, TRAPPED: 4, STOPPED: 5, CONTINUED: 6 } as const;

/** Disposition of one signal: SIG_DFL, SIG_IGN or a handler address, plus sa_flags. */
export interface SigAction {
  handler: bigint;
  flags: number;
  mask: bigint;
  restorer: bigint;
}
export const SIG_DFL = 0n;
export const SIG_IGN = 1n;
/** sa_flags bits the model acts on. */
export const SA = { NOCLDSTOP: 1, NOCLDWAIT: 2, SIGINFO: 4, RESTORER: 0x04000000, ONSTACK: 0x08000000, RESTART: 0x10000000, NODEFER: 0x40000000, RESETHAND: 0x80000000 } as const;
