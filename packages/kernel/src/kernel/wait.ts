/**
 * do_wait (kernel/exit.c): find a child of the caller's thread group that
 * matches the selector and has something to report (exit, stop, continue);
 * reap an exited one. ECHILD when no child matches at all.
 */
import { Errno } from '@bpfsim/uapi';
import { BLOCK, type TaskStruct } from './task_struct';
import { SIG } from './signal';
import type { World } from './world';
import { releaseTask } from './exit';

export const W = {
  NOHANG: 1, UNTRACED: 2, STOPPED: 2, EXITED: 4, CONTINUED: 8, NOWAIT: 0x01000000,
  NOTHREAD: 0x20000000, ALL: 0x40000000, CLONE: 0x80000000,
} as const;

export type WaitSelector = { type: 'all' } | { type: 'pid'; task: TaskStruct | undefined } | { type: 'pgid'; pgid: unknown };

export interface WaitResult {
  child: TaskStruct;
  /** tgid as the waiter's pid namespace sees it. */
  pid: number;
  uid: number;
  status: number;
  why: 'exited' | 'stopped' | 'continued';
}

function eligible(sel: WaitSelector, p: TaskStruct, options: number): boolean {
  if (sel.type === 'pid' && sel.task !== p) return false;
  if (sel.type === 'pgid' && p.signal.pgrp !== sel.pgid) return false;
  // __WALL waits for all; otherwise __WCLONE selects exactly the children whose exit signal is not SIGCHLD.
  if (!(options & W.ALL) && (p.exitSignal !== SIG.SIGCHLD) !== ((options & W.CLONE) !== 0)) return false;
  return true;
}

/** One pass of do_wait: a result, 0 for WNOHANG with nothing ready, -ECHILD, or BLOCK. */
export function doWait(w: World, cur: TaskStruct, sel: WaitSelector, options: number): WaitResult | number | typeof BLOCK {
  const threads = options & W.NOTHREAD ? [cur] : cur.signal.threads;
  let any = false;
  for (const th of threads) {
    for (const p of th.children) {
      if (!p.isGroupLeader && !(options & W.ALL) && !(options & W.CLONE)) continue;
      if (!eligible(sel, p, options)) continue;
      any = true;
      const pid = p.tgidIn(cur.pidNamespace);
      if (p.state === 'zombie' && options & W.EXITED) {
        // delay_group_leader: a leader with live threads is not reapable yet.
        if (p.isGroupLeader && p.signal.threads.length > 1) continue;
        const status = p.signal.groupExit ? p.signal.groupExitCode : p.exitCode;
        const r: WaitResult = { child: p, pid, uid: p.cred.uid, status, why: 'exited' };
        if (!(options & W.NOWAIT)) releaseTask(w, p);
        return r;
      }
      if (p.signal.stopped && p.signal.notifyStopped && options & W.UNTRACED) {
        if (!(options & W.NOWAIT)) p.signal.notifyStopped = false;
        return { child: p, pid, uid: p.cred.uid, status: 0x7f | (p.signal.stopSignal << 8), why: 'stopped' };
      }
      if (p.signal.notifyContinued && options & W.CONTINUED) {
        if (!(options & W.NOWAIT)) p.signal.notifyContinued = false;
        return { child: p, pid, uid: p.cred.uid, status: 0xffff, why: 'continued' };
      }
    }
  }
  if (!any) return -Errno.ECHILD;
  if (options & W.NOHANG) return 0;
  return BLOCK;
}
