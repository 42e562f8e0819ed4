/**
 * struct pid (include/linux/pid.h): one number per pid namespace level, from the
 * task's own namespace up to the initial one. numbers[level] is the number in
 * the namespace at that level; pid_nr_ns gives 0 where the pid is not visible.
 */
import { Errno } from '@bpfsim/uapi';
import type { PidNamespace } from '../ns/pid_namespace';

export interface Upid {
  nr: number;
  ns: PidNamespace;
}

export class Pid {
  constructor(readonly numbers: readonly Upid[]) {}

  get level(): number {
    return this.numbers.length - 1;
  }
  /** The namespace the pid was allocated in (task_active_pid_ns of its task). */
  get ns(): PidNamespace {
    return this.numbers[this.numbers.length - 1].ns;
  }
  /** pid_nr: the number in the initial namespace. */
  get nr(): number {
    return this.numbers[0].nr;
  }
  /** pid_nr_ns: the number `ns` sees, 0 when the pid is outside it. */
  nrIn(ns: PidNamespace): number {
    const u = this.numbers[ns.level];
    return u && u.ns === ns ? u.nr : 0;
  }

  /** Free every number (free_pid). */
  free(): void {
    for (const u of this.numbers) {
      u.ns.freeNr(u.nr);
      u.ns.put();
    }
  }
}

/**
 * alloc_pid: a number in `ns` and each ancestor, innermost first. `setTid`
 * (clone3) gives numbers from the innermost level outwards. Returns -errno on failure
 * (EINVAL bad set_tid, EPERM set_tid without the capability, EEXIST taken, EAGAIN full,
 * ENOMEM the namespace's init is gone).
 */
export function allocPid(ns: PidNamespace, setTid: readonly number[] = [], mayCheckpoint = true): Pid | number {
  if (setTid.length > ns.level + 1) return -Errno.EINVAL;
  const numbers: Upid[] = new Array(ns.level + 1);
  let tmp: PidNamespace | undefined = ns;
  let err = 0;
  let i = ns.level;
  for (; i >= 0 && tmp; i--) {
    const k = ns.level - i;
    let nr: number;
    if (k < setTid.length) {
      const tid = setTid[k];
      if (tid < 1 || tid >= tmp.pidMax || (tid !== 1 && !tmp.childReaper)) {
        err = -Errno.EINVAL;
        break;
      }
      // checkpoint_restore_ns_capable: CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN.
      if (!mayCheckpoint) {
        err = -Errno.EPERM;
        break;
      }
      nr = tmp.allocNr(tid);
    } else {
      nr = tmp.allocNr();
    }
    if (nr < 0) {
      err = nr;
      break;
    }
    numbers[i] = { nr, ns: tmp };
    tmp = tmp.parent;
  }
  if (err === 0 && !ns.adding) err = -Errno.ENOMEM;
  if (err !== 0) {
    for (let j = i + 1; j <= ns.level; j++) if (numbers[j]) numbers[j].ns.freeNr(numbers[j].nr);
    ns.resetCursorIfEmpty();
    return err;
  }
  for (const u of numbers) u.ns.get();
  return new Pid(numbers);
}
