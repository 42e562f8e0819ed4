/**
 * The cpu controller (kernel/sched/core.c cpu files, kernel/sched/fair.c CFS
 * bandwidth) on virtual time. Tasks consume CPU in two ways: each syscall's
 * modelled cost (src/syscalls/costs.ts) is system time, and
 * `CgroupHierarchy.compute(task, ns)` is user time a scenario says the task
 * spends. Both count in cpu.stat usage of the task's cgroup and its ancestors
 * and use up the runtime of each ancestor with a cpu.max quota. Only compute
 * waits: when a quota is used up, the task is throttled until that cgroup's
 * next period starts (periods are counted from when cpu.max was set), the
 * virtual clock moves to it, and nr_throttled / throttled_usec count it.
 * nr_periods counts the periods in which the cgroup ran.
 */
import { Errno } from '@bpfsim/uapi';
import type { TaskStruct } from '../kernel/task_struct';
import type { Cgroup } from './cgroup';
import type { CfType } from './cftype';
import { kstrtoull, strstrip } from './parse';

const NSEC_PER_USEC = 1000n;
const DEFAULT_PERIOD = 100_000n * NSEC_PER_USEC;
const MIN_PERIOD = 1_000_000n; // min_cfs_quota_period: 1 ms
const MAX_PERIOD = 1_000_000_000n; // max_cfs_quota_period: 1 s
/** max_cfs_runtime: MAX_BW (2^44 - 1) µs. */
const MAX_RUNTIME = ((1n << 44n) - 1n) * NSEC_PER_USEC;

export class CpuState {
  // Usage counters in ns as numbers (exact to 2^53 ns, 104 days): BigInt arithmetic on every syscall costs.
  usageNs = 0;
  userNs = 0;
  systemNs = 0;
  weight = 100n;
  /** cpu.max quota in ns; undefined: "max". */
  quota: bigint | undefined;
  period = DEFAULT_PERIOD;
  /** Start of the current period and the runtime left in it. */
  periodStart: bigint;
  runtimeLeft = 0n;
  /** The period index this cgroup last ran / was last throttled in. */
  private ranIn = -1n;
  private throttledIn = -1n;
  nrPeriods = 0;
  nrThrottled = 0;
  throttledNs = 0n;

  constructor(now: bigint) {
    this.periodStart = now;
  }
  reset(now: bigint): void {
    this.quota = undefined;
    this.period = DEFAULT_PERIOD;
    this.weight = 100n;
    this.periodStart = now;
    this.nrPeriods = this.nrThrottled = 0;
    this.throttledNs = 0n;
    this.ranIn = this.throttledIn = -1n;
  }
  /** A new cgroup starts with the default bandwidth (nothing inherited but the clock). */
  inherit(_parent: CpuState): void {}

  /** tg_set_cfs_bandwidth: a new quota/period starts a period now with a full runtime. */
  set(quota: bigint | undefined, period: bigint, now: bigint): void {
    this.quota = quota;
    this.period = period;
    this.periodStart = now;
    this.runtimeLeft = quota ?? 0n;
    this.ranIn = this.throttledIn = -1n;
  }
  /** The period timer: whole periods passed since periodStart refill the runtime. */
  roll(now: bigint): void {
    if (this.quota === undefined) return;
    const k = (now - this.periodStart) / this.period;
    if (k > 0n) {
      this.periodStart += k * this.period;
      this.runtimeLeft = this.quota;
    }
  }
  private index(now: bigint): bigint {
    return (now - this.periodStart) / this.period;
  }
  markRan(now: bigint): void {
    if (this.quota === undefined) return;
    const key = this.periodStart + this.index(now) * this.period;
    if (key !== this.ranIn) {
      this.ranIn = key;
      this.nrPeriods++;
    }
  }
  markThrottled(): void {
    if (this.throttledIn !== this.periodStart) {
      this.throttledIn = this.periodStart;
      this.nrThrottled++;
    }
  }
}

/** Charge `ns` of CPU time to `cg` and its ancestors (usage, and the runtime of limited ones). */
function account(cg: Cgroup, ns: number, user: boolean, now: () => bigint): void {
  // Runs on every syscall: a plain walk up, no generator, BigInt only where a quota is set.
  for (let p: Cgroup | undefined = cg; p; p = p.parent) {
    const c = p.cpu;
    c.usageNs += ns;
    if (user) c.userNs += ns;
    else c.systemNs += ns;
    if (c.quota !== undefined && p.enabled('cpu')) {
      const n = now();
      const b = BigInt(ns);
      c.roll(n);
      c.markRan(n);
      c.runtimeLeft = c.runtimeLeft > b ? c.runtimeLeft - b : 0n;
    }
  }
}

/** A syscall's modelled cost, as system time (never delayed: the kernel finishes the call). */
export function chargeSyscall(t: TaskStruct, ns: number, now: () => bigint): void {
  if (t.cgroup && ns > 0) account(t.cgroup, ns, false, now);
}

/** `t` computes for `ns` of CPU time: the clock advances by it plus any throttled waits. */
export function compute(t: TaskStruct, ns: bigint): void {
  const cg = t.cgroup;
  if (!cg) return;
  const host = cg.hier.host;
  let left = ns;
  while (left > 0n) {
    const now = host.now();
    const limited = [...cg.upward()].filter((p) => p.cpu.quota !== undefined && p.enabled('cpu'));
    for (const p of limited) p.cpu.roll(now);
    let avail = left;
    for (const p of limited) if (p.cpu.runtimeLeft < avail) avail = p.cpu.runtimeLeft;
    if (avail > 0n) {
      account(cg, Number(avail), true, () => now);
      host.advance(avail);
      left -= avail;
      continue;
    }
    // Throttled: wait for the earliest period end among the cgroups out of runtime.
    const out = limited.filter((p) => p.cpu.runtimeLeft === 0n);
    let until = -1n;
    for (const p of out) {
      const end = p.cpu.periodStart + p.cpu.period;
      if (until < 0n || end < until) until = end;
    }
    const wait = until - now;
    for (const p of out) {
      p.cpu.markThrottled();
      p.cpu.throttledNs += wait;
    }
    host.advance(wait);
  }
}

const usec = (ns: bigint | number): bigint => (typeof ns === 'number' ? BigInt(Math.floor(ns / 1000)) : ns / NSEC_PER_USEC);

/** cpu.stat: the base usage lines, then (with the cpu controller) the bandwidth lines. */
export function cpuStatShow(cg: Cgroup): string {
  const c = cg.cpu;
  let s = `usage_usec ${usec(c.usageNs)}\nuser_usec ${usec(c.userNs)}\nsystem_usec ${usec(c.systemNs)}\nnice_usec 0\n`;
  if (cg.enabled('cpu')) s += `nr_periods ${c.nrPeriods}\nnr_throttled ${c.nrThrottled}\nthrottled_usec ${usec(c.throttledNs)}\nnr_bursts 0\nburst_usec 0\n`;
  return s;
}
export function cpuStatLocalShow(cg: Cgroup): string {
  return cg.enabled('cpu') ? `throttled_usec ${usec(cg.cpu.throttledNs)}\n` : '';
}

/** cpu_max_write: "$MAX [$PERIOD]" in µs ("max" for no limit); the period stays when not given. */
function maxWrite(cg: Cgroup, data: string): number {
  const toks = strstrip(data).split(/[ \t\n]+/);
  if (toks[0] === '') return -Errno.EINVAL;
  let period = cg.cpu.period;
  if (toks.length > 1 && /^\d+/.test(toks[1])) period = BigInt(/^\d+/.exec(toks[1])![0]) * NSEC_PER_USEC;
  let quota: bigint | undefined;
  const q = /^\d+/.exec(toks[0]);
  if (q) quota = BigInt(q[0]) * NSEC_PER_USEC;
  else if (toks[0] !== 'max') return -Errno.EINVAL;
  if (period < MIN_PERIOD || period > MAX_PERIOD) return -Errno.EINVAL;
  if (quota !== undefined && (quota < MIN_PERIOD || quota > MAX_RUNTIME)) return -Errno.EINVAL;
  cg.cpu.set(quota, period, cg.hier.host.now());
  return 0;
}

function weightWrite(cg: Cgroup, data: string): number {
  const v = kstrtoull(strstrip(data));
  if (typeof v === 'number') return v;
  if (v < 1n || v > 10000n) return -Errno.ERANGE;
  cg.cpu.weight = v;
  return 0;
}

/** cpu_files (v2), in the kernel's order; uclamp files are absent without CONFIG_UCLAMP_TASK_GROUP. */
export const CPU_FILES: CfType[] = [
  { ss: 'cpu', name: 'weight', mode: 0o644, notOnRoot: true, show: (cg) => `${cg.cpu.weight}\n`, write: weightWrite },
  { ss: 'cpu', name: 'weight.nice', mode: 0o644, notOnRoot: true },
  { ss: 'cpu', name: 'idle', mode: 0o644, notOnRoot: true },
  { ss: 'cpu', name: 'max', mode: 0o644, notOnRoot: true, show: (cg) => `${cg.cpu.quota === undefined ? 'max' : usec(cg.cpu.quota)} ${usec(cg.cpu.period)}\n`, write: maxWrite },
  { ss: 'cpu', name: 'max.burst', mode: 0o644, notOnRoot: true },
];
