/**
 * Basic blocks of a prepared program for the compiled engine. A block is
 * charged against the instruction budget once, at its entry, so everything
 * that must see an exact count (helpers and callbacks read m.remaining, a
 * fault reports it) ends a block or is corrected by `after`.
 */
import { Op } from '../ops';
import type { PreparedProgram } from '../prepare';

const PSEUDO_FUNC = 4;
/** Longest block (slots); see the cut below. */
const MAX_BLOCK_SLOTS = 64;

export interface Blocks {
  /** Block start slots in ascending order (sentinel slots after the program included). */
  readonly starts: readonly number[];
  /** 1 where a slot starts a block: the compiled function can be entered there. */
  readonly leader: Uint8Array;
  /** Instructions of each slot's block that come after it (the budget a fault in it gives back). */
  readonly after: Int32Array;
}

/** Ops after which control does not simply fall to the next slot. */
export function endsBlock(op: Op): boolean {
  switch (op) {
    case Op.INVALID: case Op.FALL_OFF: case Op.BAD_TARGET:
    case Op.JA: case Op.MAY_GOTO: case Op.EXIT:
    case Op.CALL_HELPER: case Op.TAIL_CALL: case Op.CALL_LOCAL: case Op.CALL_KFUNC: case Op.CALLX:
    case Op.LD_ABS: case Op.LD_IND:
      return true;
  }
  return op >= Op.JEQ_K && op <= Op.JSLE32_X;
}

/** Ops whose aux holds a jump or call target slot. */
export function hasTarget(op: Op): boolean {
  return op === Op.JA || op === Op.MAY_GOTO || op === Op.CALL_LOCAL || (op >= Op.JEQ_K && op <= Op.JSLE32_X);
}

export function findBlocks(p: PreparedProgram): Blocks {
  const n = p.length;
  const size = p.ops.length; // n + 1 + bad targets
  const leader = new Uint8Array(size);
  leader[0] = 1;
  for (let s = n; s < size; s++) leader[s] = 1; // sentinels: fell off / bad target
  for (let pc = 0; pc < n; pc++) {
    const op = p.ops[pc] as Op;
    if (op === Op.LDDW) {
      if (p.insns[pc].src === PSEUDO_FUNC && p.imm[pc] >= 0 && p.imm[pc] < n) leader[p.imm[pc]] = 1; // callback entry
      pc++; // the second slot runs only when jumped to (then it is a leader below)
      continue;
    }
    if (hasTarget(op)) leader[p.aux[pc]] = 1;
    if (endsBlock(op)) leader[pc + 1] = 1;
  }
  // A jumped-to lddw tail splits the lddw's block: the slot after it must be enterable too.
  for (let pc = 0; pc + 1 < n; pc++) {
    if (p.ops[pc] === Op.LDDW) {
      if (leader[pc + 1] && pc + 2 < size) leader[pc + 2] = 1;
      pc++;
    }
  }
  // Long straight runs are cut so that every compiled function stays small enough for V8 to optimize.
  for (let pc = 0, run = 0; pc < n; pc++) {
    run = leader[pc] ? 1 : run + 1;
    if (run > MAX_BLOCK_SLOTS && !(pc > 0 && p.ops[pc - 1] === Op.LDDW)) {
      leader[pc] = 1;
      run = 1;
    }
  }
  const starts: number[] = [];
  for (let s = 0; s < size; s++) if (leader[s]) starts.push(s);
  const after = new Int32Array(size);
  for (let b = 0; b < starts.length; b++) {
    const slots = blockSlots(p, starts[b], leader);
    for (let i = 0; i < slots.length; i++) after[slots[i]] = slots.length - 1 - i;
  }
  return { starts, leader, after };
}

/** The executed slots of the block starting at `start` (an lddw is one slot; its tail is skipped). */
export function blockSlots(p: PreparedProgram, start: number, leader: Uint8Array): number[] {
  const n = p.length;
  const out: number[] = [];
  let pc = start;
  for (;;) {
    out.push(pc);
    const op = p.ops[pc] as Op;
    if (pc >= n || endsBlock(op)) return out;
    const next = pc + (op === Op.LDDW ? 2 : 1);
    if (next >= p.ops.length || leader[next] || (op === Op.LDDW && leader[pc + 1])) return out;
    pc = next;
  }
}
