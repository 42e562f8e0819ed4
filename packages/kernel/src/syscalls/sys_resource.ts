/**
 * prlimit64/getrlimit (kernel/sys.c). Limits are per process (signal_struct); a new process
 * starts with what a root process on the recorded machine had (DEFAULT_RLIMITS: data, not
 * derived), and fork copies them.
 */
import { Errno } from '@bpfsim/uapi';
import { CAP } from '../kernel/cred';
import { fromUser, toUser, type SysHandler } from './context';
import type { TaskStruct } from '../kernel/task_struct';

export const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;
const INF = RLIM_INFINITY;

/** [cur, max] by RLIMIT_* number, as a root shell on the 6.18 recording machine reads them (prlimit -p $$). */
export const DEFAULT_RLIMITS: readonly (readonly [bigint, bigint])[] = [
  [INF, INF], // RLIMIT_CPU
  [INF, INF], // RLIMIT_FSIZE
  [INF, INF], // RLIMIT_DATA
  [8192n * 1024n, INF], // RLIMIT_STACK
  [0n, INF], // RLIMIT_CORE
  [INF, INF], // RLIMIT_RSS
  [31_722n, 31_722n], // RLIMIT_NPROC (max_threads / 2 on the recording machine)
  [1024n, 524_288n], // RLIMIT_NOFILE
  [8n * 1024n * 1024n, 8n * 1024n * 1024n], // RLIMIT_MEMLOCK
  [INF, INF], // RLIMIT_AS
  [INF, INF], // RLIMIT_LOCKS
  [31_722n, 31_722n], // RLIMIT_SIGPENDING
  [819_200n, 819_200n], // RLIMIT_MSGQUEUE
  [0n, 0n], // RLIMIT_NICE
  [0n, 0n], // RLIMIT_RTPRIO
  [INF, INF], // RLIMIT_RTTIME
];
const RLIM_NLIMITS = DEFAULT_RLIMITS.length;
const RLIMIT_NOFILE = 7;
/** sysctl fs.nr_open default. */
const NR_OPEN = 1_048_576n;

const limitsOf = (t: TaskStruct): [bigint, bigint][] => {
  return (t.signal.rlim ??= DEFAULT_RLIMITS.map(([a, b]) => [a, b]));
};

function encode(l: readonly [bigint, bigint]): Uint8Array {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, l[0], true);
  dv.setBigUint64(8, l[1], true);
  return b;
}

export const resourceSyscalls: Record<string, SysHandler> = {
  prlimit64: (c, a) => {
    const [pid, newp, oldp] = [a[0] | 0, a[2], a[3]];
    // The resource is an unsigned int register.
    const res = a[1] >>> 0;
    if (res >= RLIM_NLIMITS) return -Errno.EINVAL;
    let next: [bigint, bigint] | undefined;
    if (newp) {
      const b = fromUser(c, newp, 16);
      if (typeof b === 'number') return b;
      const dv = new DataView(b.buffer);
      next = [dv.getBigUint64(0, true), dv.getBigUint64(8, true)];
      if (next[0] > next[1]) return -Errno.EINVAL;
    }
    const target = pid === 0 ? c.t : c.w.findTask(pid, c.t.pidNamespace);
    if (!target || !target.alive) return -Errno.ESRCH;
    const lim = limitsOf(target);
    if (next) {
      const cur = lim[res];
      if (next[1] > cur[1] && !c.t.cred.capable(CAP.SYS_RESOURCE)) return -Errno.EPERM;
      if (res === RLIMIT_NOFILE && next[1] > NR_OPEN) return -Errno.EPERM;
    }
    if (oldp) {
      const e = toUser(c, oldp, encode(lim[res]));
      if (e) return e;
    }
    if (next) lim[res] = next;
    return 0;
  },
  getrlimit: (c, a) => {
    const res = a[0] >>> 0;
    if (res >= RLIM_NLIMITS) return -Errno.EINVAL;
    return toUser(c, a[1], encode(limitsOf(c.t)[res]));
  },
};
