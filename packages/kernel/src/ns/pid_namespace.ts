/**
 * Pid namespaces (kernel/pid_namespace.c) and their pid allocator (kernel/pid.c
 * alloc_pid over idr_alloc_cyclic): each namespace hands out the number after
 * the last one it gave, wraps at pid_max back to RESERVED_PIDS (once the cursor
 * has passed it; the first task of a new namespace gets 1, its init), and
 * skips numbers still in use.
 */
import { Errno } from '@bpfsim/uapi';
import type { TaskStruct } from '../kernel/task_struct';
import { InumAllocator, NS_INIT_INO, NsCommon } from './ns_common';

/** include/linux/pid.h: numbers below this are not reused after a wrap. */
export const RESERVED_PIDS = 300;
/** PID_MAX_DEFAULT (CONFIG_BASE_SMALL=0) and the per-CPU floor pid_idr_init applies. */
export const PID_MAX_DEFAULT = 0x8000;
export const PIDS_PER_CPU_DEFAULT = 1024;
/** PID_MAX_LIMIT on 64-bit: 4M. */
export const PID_MAX_LIMIT = 4 * 1024 * 1024;
/** MAX_PID_NS_LEVEL: nesting deeper than 32 fails with ENOSPC. */
export const MAX_PID_NS_LEVEL = 32;

export class PidNamespace extends NsCommon {
  /** Allocated numbers (the idr); the value is unused, presence is what counts. */
  private readonly idr = new Set<number>();
  /** idr cursor: where the next cyclic search starts. */
  private cursor = 0;
  /** PIDNS_ADDING: cleared when the namespace's init has exited; later forks get ENOMEM. */
  adding = true;
  /** The namespace's init: reaps orphans, its death kills the namespace. */
  childReaper: TaskStruct | undefined;

  constructor(
    readonly level: number,
    readonly parent: PidNamespace | undefined,
    public pidMax: number,
    inums: InumAllocator | undefined,
  ) {
    super('pid', inums ? inums.alloc() : NS_INIT_INO.pid, inums);
    parent?.get();
  }

  static initial(cpus: number): PidNamespace {
    return new PidNamespace(0, undefined, Math.min(PID_MAX_LIMIT, Math.max(PID_MAX_DEFAULT, PIDS_PER_CPU_DEFAULT * cpus)), undefined);
  }

  /** create_pid_namespace: a child one level down; ENOSPC past MAX_PID_NS_LEVEL. */
  createChild(inums: InumAllocator): PidNamespace | number {
    if (this.level + 1 > MAX_PID_NS_LEVEL) return -Errno.ENOSPC;
    return new PidNamespace(this.level + 1, this, this.pidMax, inums);
  }

  /** Number of pids currently allocated in this namespace. */
  get allocated(): number {
    return this.idr.size;
  }
  has(nr: number): boolean {
    return this.idr.has(nr);
  }

  /** One number: `tid` exactly (clone3 set_tid; -EEXIST if taken) or the next cyclic one (-EAGAIN when full). */
  allocNr(tid?: number): number {
    if (tid !== undefined) {
      if (this.idr.has(tid)) return -Errno.EEXIST;
      this.idr.add(tid);
      return tid;
    }
    const min = this.cursor > RESERVED_PIDS ? RESERVED_PIDS : 1;
    const end = this.pidMax;
    let start = Math.max(this.cursor, min);
    if (start >= end) start = min;
    // Search [start, end) then wrap to [min, start).
    for (let pass = 0; pass < 2; pass++) {
      const lo = pass === 0 ? start : min;
      const hi = pass === 0 ? end : start;
      for (let nr = lo; nr < hi; nr++) {
        if (!this.idr.has(nr)) {
          this.idr.add(nr);
          this.cursor = nr + 1;
          return nr;
        }
      }
    }
    return -Errno.EAGAIN;
  }

  /**
   * A pinned input (strace replay): the next cyclic allocation starts at `nr`, as if the
   * namespace's history had left its idr cursor there.
   */
  setNextNr(nr: number): void {
    this.cursor = nr;
  }

  freeNr(nr: number): void {
    this.idr.delete(nr);
  }

  /** Reset after the first allocation in a fresh namespace failed (alloc_pid's out_free path). */
  resetCursorIfEmpty(): void {
    if (this.idr.size === 0) this.cursor = 0;
  }

  /** Is `this` the same as, or an ancestor of, `ns`? */
  isAncestorOf(ns: PidNamespace): boolean {
    for (let n: PidNamespace | undefined = ns; n; n = n.parent) if (n === this) return true;
    return false;
  }

  protected override released(): void {
    this.parent?.put();
  }
}
