/**
 * clsact's two filter chains with cls_bpf filters in direct-action mode
 * (net/sched/cls_bpf.c, net/sched/cls_api.c). Filters run in ascending
 * priority, then handle, order. A direct-action program's return value is the
 * verdict: cls_bpf_exec_opcode keeps TC_ACT_OK, SHOT, STOLEN, TRAP, REDIRECT
 * and UNSPEC and turns every other value (PIPE, RECLASSIFY, QUEUED, ...) into
 * UNSPEC, which means "ask the next filter"; the chain's answer when no filter
 * answers is UNSPEC, which the hook treats as OK.
 */
import { BpfsimError } from '@bpfsim/uapi';
import type { BpfProg } from '../bpf/prog';

export const TC_ACT_UNSPEC = -1, TC_ACT_OK = 0, TC_ACT_RECLASSIFY = 1, TC_ACT_SHOT = 2, TC_ACT_PIPE = 3, TC_ACT_STOLEN = 4,
  TC_ACT_QUEUED = 5, TC_ACT_REPEAT = 6, TC_ACT_REDIRECT = 7, TC_ACT_TRAP = 8;

export const TC_ACT_NAMES: Readonly<Record<number, string>> = {
  [-1]: 'TC_ACT_UNSPEC', 0: 'TC_ACT_OK', 1: 'TC_ACT_RECLASSIFY', 2: 'TC_ACT_SHOT', 3: 'TC_ACT_PIPE', 4: 'TC_ACT_STOLEN',
  5: 'TC_ACT_QUEUED', 6: 'TC_ACT_REPEAT', 7: 'TC_ACT_REDIRECT', 8: 'TC_ACT_TRAP',
};

/** tc's default priority for the first filter without one (TC_H_MAJ 0xc000 >> 16), then one less each. */
const FIRST_AUTO_PRIO = 49152;

export interface TcFilter {
  prog: BpfProg;
  priority: number;
  handle: number;
}

export interface TcAttachOptions {
  /** `tc filter add ... prio N`; default: 49152 for the first, then one below the lowest. */
  priority?: number;
  /** `handle N`; default: the next free one within the priority (from 1). */
  handle?: number;
}

/** cls_bpf_exec_opcode: what a direct-action return value means. */
export function execOpcode(ret: number): number {
  switch (ret) {
    case TC_ACT_OK: case TC_ACT_SHOT: case TC_ACT_STOLEN: case TC_ACT_TRAP: case TC_ACT_REDIRECT: case TC_ACT_UNSPEC:
      return ret;
    default:
      return TC_ACT_UNSPEC;
  }
}

export class TcChain {
  private filters: TcFilter[] = [];

  constructor(readonly where: string) {}

  get list(): readonly TcFilter[] {
    return this.filters;
  }

  add(prog: BpfProg, o: TcAttachOptions = {}): TcFilter {
    const low = this.filters.reduce((m, f) => Math.min(m, f.priority), Infinity);
    const priority = o.priority ?? (this.filters.length ? Math.max(1, low - 1) : FIRST_AUTO_PRIO);
    if (!Number.isInteger(priority) || priority < 1 || priority > 0xffff) {
      throw new BpfsimError('EINVAL', `tc filter on ${this.where}: priority ${priority} is not in 1..65535`);
    }
    const same = this.filters.filter((f) => f.priority === priority);
    const handle = o.handle ?? same.reduce((m, f) => Math.max(m, f.handle), 0) + 1;
    if (same.some((f) => f.handle === handle)) {
      throw new BpfsimError('EEXIST', `tc filter on ${this.where}: prio ${priority} handle ${handle} exists`);
    }
    const f = { prog, priority, handle };
    this.filters.push(f);
    this.filters.sort((a, b) => a.priority - b.priority || a.handle - b.handle);
    return f;
  }

  remove(priority: number, handle?: number): number {
    const before = this.filters.length;
    this.filters = this.filters.filter((f) => !(f.priority === priority && (handle === undefined || f.handle === handle)));
    return before - this.filters.length;
  }

  get empty(): boolean {
    return this.filters.length === 0;
  }
}
