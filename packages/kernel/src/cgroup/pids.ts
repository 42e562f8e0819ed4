/**
 * The pids controller (kernel/cgroup/pids.c): every task (thread) is charged
 * to its cgroup and each ancestor from fork until it is reaped; a fork that
 * would take a cgroup with pids enabled past its pids.max fails with EAGAIN and
 * counts a "max" event in that cgroup and its ancestors (pids.events) and in
 * its own pids.events.local. Moving tasks charges without a limit.
 */
import { Errno } from '@bpfsim/uapi';
import type { Cgroup } from './cgroup';
import type { CfType } from './cftype';
import { kstrtoll, strstrip } from './parse';

/** PID_MAX_LIMIT + 1: "max". */
export const PIDS_MAX = 4 * 1024 * 1024 + 1;

export class PidsState {
  /** Tasks charged here or below (kept on every cgroup; shown where the controller is enabled). */
  count = 0;
  limit = PIDS_MAX;
  watermark = 0;
  eventsMax = 0;
  eventsLocalMax = 0;
  /** events_local[PIDCG_FORKFAIL]: forks refused here because of an ancestor's limit (not shown on v2). */
  forkFail = 0;

  /** A new css (controller enabled again): limits and counters start over; the count stays true. */
  reset(): void {
    this.limit = PIDS_MAX;
    this.watermark = this.count;
    this.eventsMax = this.eventsLocalMax = this.forkFail = 0;
  }

  /** pids_try_charge + pids_event for a fork into `cg`: 0 or -EAGAIN. */
  tryCharge(cg: Cgroup): number {
    let over: Cgroup | undefined;
    for (const p of cg.upward()) if (!p.isRoot && p.enabled('pids') && p.pids.count + 1 > p.pids.limit) {
      over = p;
      break;
    }
    if (over) {
      cg.cssOf('pids').pids.forkFail++;
      over.pids.eventsLocalMax++;
      for (const p of over.upward()) if (!p.isRoot) p.pids.eventsMax++;
      return -Errno.EAGAIN;
    }
    for (const p of cg.upward()) p.pids.count++;
    this.watermarks(cg);
    return 0;
  }

  /** pids_update_watermark along the way up. */
  watermarks(cg: Cgroup): void {
    for (const p of cg.upward()) if (p.pids.count > p.pids.watermark) p.pids.watermark = p.pids.count;
  }
}

function maxWrite(cg: Cgroup, data: string): number {
  const s = strstrip(data);
  let limit = PIDS_MAX;
  if (s !== 'max') {
    const v = kstrtoll(s);
    if (typeof v === 'number') return v;
    if (v < 0n || v >= BigInt(PIDS_MAX)) return -Errno.EINVAL;
    limit = Number(v);
  }
  cg.pids.limit = limit;
  return 0;
}

export const PIDS_FILES: CfType[] = [
  { ss: 'pids', name: 'max', mode: 0o644, notOnRoot: true, show: (cg) => (cg.pids.limit >= PIDS_MAX ? 'max\n' : `${cg.pids.limit}\n`), write: maxWrite },
  { ss: 'pids', name: 'current', mode: 0o444, notOnRoot: true, show: (cg) => `${cg.pids.count}\n` },
  { ss: 'pids', name: 'peak', mode: 0o444, notOnRoot: true, show: (cg) => `${cg.pids.watermark}\n` },
  { ss: 'pids', name: 'events', mode: 0o444, notOnRoot: true, show: (cg) => `max ${cg.pids.eventsMax}\n` },
  { ss: 'pids', name: 'events.local', mode: 0o444, notOnRoot: true, show: (cg) => `max ${cg.pids.eventsLocalMax}\n` },
];
