/**
 * Signal masks and time (kernel/signal.c rt_sigprocmask, kernel/time/):
 * clock_gettime reads the virtual clock; nanosleep and clock_nanosleep move it
 * forward by the time slept (the world has one thread of control: a sleep is
 * the caller's time passing), returning 0.
 */
import { Errno } from '@bpfsim/uapi';
import { deliverUnblocked } from '../kernel/signal_send';
import { SIG } from '../kernel/signal';
import { fromUser, i32, toUser, type SysCtx, type SysHandler } from './context';

const SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
const UNBLOCKABLE = (1n << BigInt(SIG.SIGKILL - 1)) | (1n << BigInt(SIG.SIGSTOP - 1));

const rtSigprocmask: SysHandler = (c, a) => {
  const [how, setPtr, oldPtr, size] = a;
  if (size !== 8) return -Errno.EINVAL;
  const t = c.t;
  const old = t.blockedSigs;
  if (setPtr) {
    const b = fromUser(c, setPtr, 8);
    if (typeof b === 'number') return b;
    const set = new DataView(b.buffer).getBigUint64(0, true) & ~UNBLOCKABLE;
    if (how === SIG_BLOCK) t.blockedSigs = old | set;
    else if (how === SIG_UNBLOCK) t.blockedSigs = old & ~set;
    else if (how === SIG_SETMASK) t.blockedSigs = set;
    else return -Errno.EINVAL;
  }
  if (oldPtr) {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, old, true);
    const e = toUser(c, oldPtr, out);
    if (e) return e;
  }
  if (t.blockedSigs & ~old || old & ~t.blockedSigs) deliverUnblocked(c.w, t);
  return 0;
};

/** Clock ids (include/uapi/linux/time.h). */
const CLOCK = { REALTIME: 0, MONOTONIC: 1, PROCESS_CPUTIME_ID: 2, THREAD_CPUTIME_ID: 3, MONOTONIC_RAW: 4, REALTIME_COARSE: 5, MONOTONIC_COARSE: 6, BOOTTIME: 7, TAI: 11 } as const;

function clockNs(c: SysCtx, id: number): bigint | undefined {
  const k = c.w.clock;
  switch (id) {
    case CLOCK.REALTIME: return k.realtimeAtBootNs + k.boottimeNs;
    case CLOCK.REALTIME_COARSE: return k.realtimeAtBootNs + k.coarseNs;
    case CLOCK.MONOTONIC:
    case CLOCK.MONOTONIC_RAW: return k.monotonicNs;
    case CLOCK.MONOTONIC_COARSE: return k.coarseNs;
    case CLOCK.BOOTTIME: return k.boottimeNs;
    case CLOCK.TAI: return k.taiNs;
    // CPU-time clocks: simulated processes use no CPU time of their own.
    case CLOCK.PROCESS_CPUTIME_ID:
    case CLOCK.THREAD_CPUTIME_ID: return 0n;
    default: return undefined;
  }
}

function timespec(ns: bigint): Uint8Array {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigInt64(0, ns / 1_000_000_000n, true);
  dv.setBigInt64(8, ns % 1_000_000_000n, true);
  return b;
}

/** Read a struct timespec: its nanoseconds, or -errno (EFAULT, EINVAL for a bad one). */
function readTimespec(c: SysCtx, addr: number): bigint | number {
  const b = fromUser(c, addr, 16);
  if (typeof b === 'number') return b;
  const dv = new DataView(b.buffer);
  const sec = dv.getBigInt64(0, true);
  const nsec = dv.getBigInt64(8, true);
  if (sec < 0n || nsec < 0n || nsec >= 1_000_000_000n) return -Errno.EINVAL;
  return sec * 1_000_000_000n + nsec;
}

const TIMER_ABSTIME = 1;

function sleepFor(c: SysCtx, ns: bigint): number {
  // The sleeper leaves its CPU for the sleep (sched_switch, then sched_wakeup when its hrtimer fires).
  c.w.rq?.sleep(c.t);
  c.w.clock.advance(ns);
  c.w.rq?.wake(c.t);
  c.w.wake();
  return 0;
}

export const timeSyscalls: Record<string, SysHandler> = {
  rt_sigprocmask: rtSigprocmask,
  clock_gettime: (c, a) => {
    const ns = clockNs(c, i32(a[0]));
    return ns === undefined ? -Errno.EINVAL : toUser(c, a[1], timespec(ns));
  },
  clock_getres: (c, a) => {
    const id = i32(a[0]);
    if (clockNs(c, id) === undefined) return -Errno.EINVAL;
    const coarse = id === CLOCK.REALTIME_COARSE || id === CLOCK.MONOTONIC_COARSE;
    return a[1] ? toUser(c, a[1], timespec(coarse ? c.w.clock.tickNs : 1n)) : 0;
  },
  nanosleep: (c, a) => {
    const ns = readTimespec(c, a[0]);
    return typeof ns === 'number' ? ns : sleepFor(c, ns);
  },
  clock_nanosleep: (c, a) => {
    const id = i32(a[0]);
    if (id === CLOCK.THREAD_CPUTIME_ID) return -Errno.EINVAL;
    const now = clockNs(c, id);
    if (now === undefined) return -Errno.EINVAL;
    const ns = readTimespec(c, a[2]);
    if (typeof ns === 'number') return ns;
    return sleepFor(c, a[1] & TIMER_ABSTIME ? (ns > now ? ns - now : 0n) : ns);
  },
};
