/**
 * The memory controller (mm/memcontrol.c), for the memory the model allocates:
 * anonymous memory a process maps (anonymous mmap, brk growth) is charged in
 * pages to its cgroup and every ancestor when it is mapped (as if populated at
 * once), and uncharged when it is unmapped or the mm goes (exit, exec). A
 * charge that would take a cgroup past memory.max counts a "max" event there,
 * then the memcg OOM killer (mm/oom_kill.ts) kills the task with the most
 * charged pages in that cgroup's subtree ("oom" there, "oom_kill" in the
 * victim's cgroup) and the charge is tried once more; if it still does not fit
 * the allocation fails with ENOMEM. Crossing memory.high counts a "high" event.
 */
import { Errno } from '@bpfsim/uapi';
import type { MmStruct } from '../mm/mm_struct';
import type { TaskStruct } from '../kernel/task_struct';
import type { Cgroup } from './cgroup';
import type { CfType } from './cftype';
import { memparse, strstrip } from './parse';
import { selectOomVictim } from '../mm/oom_kill';

export const PAGE_SIZE = 4096;
/** PAGE_COUNTER_MAX on 64-bit: LONG_MAX / PAGE_SIZE pages. */
export const PAGE_COUNTER_MAX = (1n << 63n) / 4096n - 1n;

const EVENTS = ['low', 'high', 'max', 'oom', 'oom_kill', 'oom_group_kill'] as const;
type MemEvent = (typeof EVENTS)[number];

export class MemState {
  /** Pages charged here or below. */
  usage = 0;
  watermark = 0;
  max = PAGE_COUNTER_MAX;
  high = PAGE_COUNTER_MAX;
  readonly events: Record<MemEvent, number> = { low: 0, high: 0, max: 0, oom: 0, oom_kill: 0, oom_group_kill: 0 };
  readonly eventsLocal: Record<MemEvent, number> = { low: 0, high: 0, max: 0, oom: 0, oom_kill: 0, oom_group_kill: 0 };

  reset(): void {
    this.max = this.high = PAGE_COUNTER_MAX;
    this.watermark = this.usage;
    for (const e of EVENTS) this.events[e] = this.eventsLocal[e] = 0;
  }
}

/** memcg_memory_event: local to `cg`, hierarchical up to the root. */
function memoryEvent(cg: Cgroup, e: MemEvent): void {
  cg.memory.eventsLocal[e]++;
  for (const p of cg.upward()) if (!p.isRoot) p.memory.events[e]++;
}

/** What an mm has charged, and to which cgroup (the one its owner was in when it charged). */
interface MmCharge {
  /** Pages by the cgroup they went to (the owner's at each charge: Linux charges each page to its memcg). */
  byCg: Map<Cgroup, number>;
  pages: number;
  /** Anonymous mappings by address: their pages (munmap uncharges them). */
  maps: Map<number, number>;
}
const charges = new WeakMap<MmStruct, MmCharge>();

/** Pages `mm` has charged (the OOM killer's rss). */
export function mmChargedPages(mm: MmStruct | undefined): number {
  return mm ? (charges.get(mm)?.pages ?? 0) : 0;
}

function overLimit(cg: Cgroup, pages: number): Cgroup | undefined {
  for (const p of cg.upward()) if (!p.isRoot && p.enabled('memory') && BigInt(p.memory.usage + pages) > p.memory.max) return p;
  return undefined;
}

/** try_charge_memcg for `pages` pages on behalf of `t`: 0 or -ENOMEM. */
export function memcgCharge(t: TaskStruct, pages: number): number {
  const mm = t.mm;
  const cg = t.cgroup;
  if (!mm || !cg || pages <= 0) return 0;
  for (let attempt = 0; ; attempt++) {
    const over = overLimit(cg, pages);
    if (!over) break;
    memoryEvent(over, 'max');
    if (attempt > 0) return -Errno.ENOMEM;
    memoryEvent(over, 'oom');
    const victim = selectOomVictim(over, (x) => mmChargedPages(x.mm));
    if (!victim) return -Errno.ENOMEM;
    if (victim.cgroup) memoryEvent(victim.cgroup, 'oom_kill');
    cg.hier.host.events?.markVictim?.(victim, t, mmChargedPages(victim.mm));
    cg.hier.host.kill(victim);
    if (!t.alive || t.exiting) return -Errno.ENOMEM;
  }
  let c = charges.get(mm);
  if (!c) {
    c = { byCg: new Map(), pages: 0, maps: new Map() };
    charges.set(mm, c);
    const prev = mm.onRelease;
    mm.onRelease = () => {
      prev?.();
      memcgUncharge(mm, c!.pages);
    };
  }
  c.pages += pages;
  c.byCg.set(cg, (c.byCg.get(cg) ?? 0) + pages);
  for (const p of cg.upward()) {
    p.memory.usage += pages;
    if (p.memory.usage > p.memory.watermark) p.memory.watermark = p.memory.usage;
    if (!p.isRoot && BigInt(p.memory.usage) > p.memory.high) memoryEvent(p, 'high');
  }
  return 0;
}

/** Give back `pages` of what `mm` charged. */
export function memcgUncharge(mm: MmStruct, pages: number): void {
  const c = charges.get(mm);
  if (!c) return;
  let n = Math.min(pages, c.pages);
  c.pages -= n;
  // The most recent charges go first.
  for (const [cg, have] of [...c.byCg].reverse()) {
    if (n === 0) break;
    const k = Math.min(n, have);
    n -= k;
    if (k === have) c.byCg.delete(cg);
    else c.byCg.set(cg, have - k);
    for (const p of cg.upward()) p.memory.usage -= k;
  }
}

/** An anonymous mapping at `addr` of `pages` pages was made (after memcgCharge succeeded). */
export function memcgRecordMap(mm: MmStruct, addr: number, pages: number): void {
  charges.get(mm)?.maps.set(addr, pages);
}
/** munmap(addr, len): the pages of a recorded anonymous mapping it covers are uncharged. */
export function memcgUnmap(mm: MmStruct, addr: number, len: number): void {
  const c = charges.get(mm);
  const pages = c?.maps.get(addr);
  if (!c || pages === undefined) return;
  const n = Math.min(pages, Math.ceil(len / PAGE_SIZE));
  if (n === pages) c.maps.delete(addr);
  else c.maps.set(addr + n * PAGE_SIZE, pages - n), c.maps.delete(addr);
  memcgUncharge(mm, n);
}

/** memory.max / memory.high: "max" or bytes (K/M/G suffixes), rounded down to pages. */
function pageCounterMemparse(data: string): bigint | number {
  const s = strstrip(data);
  if (s === 'max') return PAGE_COUNTER_MAX;
  const { value, rest } = memparse(s);
  if (rest.length || s.length === 0) return -Errno.EINVAL;
  const pages = value / BigInt(PAGE_SIZE);
  return pages > PAGE_COUNTER_MAX ? PAGE_COUNTER_MAX : pages;
}

const showPages = (p: bigint): string => (p >= PAGE_COUNTER_MAX ? 'max\n' : `${p * BigInt(PAGE_SIZE)}\n`);

/** memory_max_write: a limit below the usage makes the OOM killer run until it fits (nothing is reclaimable). */
function maxWrite(cg: Cgroup, data: string, writer: TaskStruct): number {
  const v = pageCounterMemparse(data);
  if (typeof v === 'number') return v;
  cg.memory.max = v;
  while (BigInt(cg.memory.usage) > v) {
    memoryEvent(cg, 'max');
    memoryEvent(cg, 'oom');
    const victim = selectOomVictim(cg, (x) => mmChargedPages(x.mm));
    if (!victim) break;
    if (victim.cgroup) memoryEvent(victim.cgroup, 'oom_kill');
    cg.hier.host.events?.markVictim?.(victim, writer, mmChargedPages(victim.mm));
    cg.hier.host.kill(victim);
  }
  return 0;
}

function highWrite(cg: Cgroup, data: string): number {
  const v = pageCounterMemparse(data);
  if (typeof v === 'number') return v;
  cg.memory.high = v;
  return 0;
}

const eventsShow = (e: Record<MemEvent, number>): string => EVENTS.map((k) => `${k} ${e[k]}\n`).join('');

/** memory_files (and the swap and zswap files after them), in the kernel's order. */
export const MEMORY_FILES: CfType[] = [
  { ss: 'memory', name: 'current', mode: 0o444, notOnRoot: true, show: (cg) => `${cg.memory.usage * PAGE_SIZE}\n` },
  { ss: 'memory', name: 'peak', mode: 0o644, notOnRoot: true, show: (cg) => `${cg.memory.watermark * PAGE_SIZE}\n` },
  { ss: 'memory', name: 'min', mode: 0o644, notOnRoot: true },
  { ss: 'memory', name: 'low', mode: 0o644, notOnRoot: true },
  { ss: 'memory', name: 'high', mode: 0o644, notOnRoot: true, show: (cg) => showPages(cg.memory.high), write: highWrite },
  { ss: 'memory', name: 'max', mode: 0o644, notOnRoot: true, show: (cg) => showPages(cg.memory.max), write: maxWrite },
  { ss: 'memory', name: 'events', mode: 0o444, notOnRoot: true, show: (cg) => eventsShow(cg.memory.events) },
  { ss: 'memory', name: 'events.local', mode: 0o444, notOnRoot: true, show: (cg) => eventsShow(cg.memory.eventsLocal) },
  { ss: 'memory', name: 'stat', mode: 0o444 },
  { ss: 'memory', name: 'numa_stat', mode: 0o444 },
  { ss: 'memory', name: 'oom.group', mode: 0o644, notOnRoot: true },
  { ss: 'memory', name: 'reclaim', mode: 0o200 },
  { ss: 'memory', name: 'swap.current', mode: 0o444, notOnRoot: true },
  { ss: 'memory', name: 'swap.high', mode: 0o644, notOnRoot: true },
  { ss: 'memory', name: 'swap.max', mode: 0o644, notOnRoot: true },
  { ss: 'memory', name: 'swap.peak', mode: 0o644, notOnRoot: true },
  { ss: 'memory', name: 'swap.events', mode: 0o444, notOnRoot: true },
  { ss: 'memory', name: 'zswap.current', mode: 0o444, notOnRoot: true },
  { ss: 'memory', name: 'zswap.max', mode: 0o644, notOnRoot: true },
  { ss: 'memory', name: 'zswap.writeback', mode: 0o644, notOnRoot: true },
];
