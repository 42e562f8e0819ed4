/**
 * is_state_visited: state pruning at prune points, infinite-loop detection, and the kernel's
 * heuristics for when to remember a new state. Scalars are compared by range (all treated as
 * precise: pruning is sound but less frequent than the kernel's, so `processed` can be higher).
 */
import type { Checker, Checkpoint } from './check';
import * as S from './bridge/scalar';
import { Reject } from './errors';
import { SYNC_CALLBACK_HELPERS } from './callback';
import { cloneState, frameStr, type Reg, type VState } from './state';

/**
 * One remembered state in an explored_state bucket (the kernel's bpf_verifier_state_list): how often
 * it pruned a path (hit) and failed to (miss); states that keep missing are evicted.
 */
export interface StateEntry { cp: Checkpoint; hit: number; miss: number }

/** The states of one hash bucket, oldest first (the kernel adds at the head and scans newest first). */
export type Explored = StateEntry[];

/** states_maybe_looping: the current frame's registers are identical (a cheap filter before EXACT). */
function maybeLooping(old: VState, cur: VState): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  const fo = old.frames[old.frames.length - 1].regs, fc = cur.frames[cur.frames.length - 1].regs;
  for (let r = 0; r < 11; r++) if (!regsEqualExact(fo[r], fc[r])) return false;
  return true;
}

/** A checkpoint whose paths are all explored: an evicted one is freed now (maybe_free_verifier_state). */
export function finishCheckpoint(c: Checker, cp: Checkpoint): void {
  if (cp.evicted) c.curStates--;
}

function regsEqualExact(a: Reg, b: Reg): boolean {
  return a.type === b.type && a.maybeNull === b.maybeNull && a.off === b.off && a.id === b.id && a.refObjId === b.refObjId &&
    a.range === b.range && a.map === b.map && a.memSize === b.memSize && a.frameno === b.frameno && S.equal(a.s, b.s) && sameBtfType(a, b);
}

/** PTR_TO_BTF_ID (and untrusted memory): the same struct with the same type flags (regs_exact compares both). */
const sameBtfType = (a: Reg, b: Reg): boolean =>
  a.btfId === b.btfId && !a.trusted === !b.trusted && !a.rcu === !b.rcu && !a.untrusted === !b.untrusted;

/** regsafe: is `cur` within what `old` was proven safe for? */
function regSafe(old: Reg, cur: Reg, idmap: Map<number, number>, exact: boolean): boolean {
  if (exact) return regsEqualExact(old, cur);
  if (old.type === 'not_init') return true;
  if (cur.type === 'not_init') return false;
  if (old.type !== cur.type || old.maybeNull !== cur.maybeNull) return false;
  if (!checkId(old.id, cur.id, idmap) || !checkId(old.refObjId, cur.refObjId, idmap)) return false;
  if (old.type === 'scalar') return S.covers(old.s, cur.s);
  if (old.off !== cur.off || old.map !== cur.map || old.memSize !== cur.memSize || old.frameno !== cur.frameno || !sameBtfType(old, cur)) return false;
  // regs_exact for PTR_TO_BTF_ID: the same variable offset too
  if (old.type === 'ptr_btf' && !S.equal(old.s, cur.s)) return false;
  if (old.type === 'pkt' || old.type === 'pkt_meta') {
    if (old.range < 0 ? old.range !== cur.range : cur.range < old.range) return false;
  }
  return S.covers(old.s, cur.s);
}

function checkId(o: number, c: number, idmap: Map<number, number>): boolean {
  if (!o) return !c || true;
  if (!c) return false;
  const m = idmap.get(o);
  if (m === undefined) { idmap.set(o, c); return true; }
  return m === c;
}

function statesEqual(c: Checker, old: VState, cur: VState, live: number, exact: boolean): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  if (old.refs.length !== cur.refs.length || old.activeLock !== cur.activeLock || (old.rcuLocks ?? 0) !== (cur.rcuLocks ?? 0)) return false;
  const idmap = new Map<number, number>();
  for (let i = 0; i < old.refs.length; i++) if (!checkId(old.refs[i].id, cur.refs[i].id, idmap)) return false;
  for (let fi = 0; fi < old.frames.length; fi++) {
    const fo = old.frames[fi], fc = cur.frames[fi];
    if (fo.callsite !== fc.callsite) return false;
    // func_states_equal: a state that pushed more callback visits does not cover one that pushed fewer
    if (fo.callbackDepth > fc.callbackDepth) return false;
    const top = fi === old.frames.length - 1;
    for (let r = 0; r < 11; r++) {
      if (!exact && top && r < 10 && !(live & (1 << r))) continue;
      if (!regSafe(fo.regs[r], fc.regs[r], idmap, exact)) return false;
    }
    for (let i = 0; i < fo.stack.length; i++) {
      const so = fo.stack[i];
      const sc = fc.stack[i];
      for (let b = 0; b < 8; b++) {
        const to = so.types[b];
        if (to === 'invalid' && !exact) continue;
        const tc = sc ? sc.types[b] : 'invalid';
        if (exact ? to !== tc : !(to === tc || (to === 'misc' && (tc === 'zero' || tc === 'spill' && sc!.spilled.type === 'scalar')) || to === 'misc' && tc === 'invalid')) return false;
      }
      if (so.types[7] === 'spill' && (!sc || !regSafe(so.spilled, sc.spilled, idmap, exact))) return false;
    }
    if (exact && fc.stack.length !== fo.stack.length) {
      for (let i = fo.stack.length; i < fc.stack.length; i++) if (fc.stack[i].types.some((t) => t !== 'invalid')) return false;
    }
  }
  return true;
}

/** explored_state: the kernel's hash of (insn, callsite of the current frame) into prog-length buckets. */
function stateBucket(c: Checker, idx: number): number {
  const callsite = c.cur.frames[c.cur.frames.length - 1].callsite;
  return ((idx ^ callsite) >>> 0) % c.prog.length;
}

/** 1 when `cur` at `idx` is covered by a remembered state (prune), 0 otherwise; throws on an infinite loop. */
export function isStateVisited(c: Checker, idx: number): 0 | 1 {
  const cur = c.cur;
  const insn = c.prog[idx];
  // a callback-calling helper call: a forced checkpoint, and the place where iterating callbacks converge
  const callsCallback = insn.code === 0x85 && insn.src === 0 && SYNC_CALLBACK_HELPERS.has(insn.imm);
  const force = callsCallback;
  let addNew = force || (c.jmpsProcessed - c.prevJmpsProcessed >= 2 && c.processed - c.prevInsnProcessed >= 8);
  const bucket = stateBucket(c, idx);
  let list = c.explored.get(bucket);
  if (!list) { list = []; c.explored.set(bucket, list); }
  const statesCnt = list.length;
  // newest first, as the kernel walks its list
  for (let i = list.length - 1; i >= 0; i--) {
    const sl = list[i];
    const old = sl.cp.st;
    if (sl.cp.idx !== idx) continue;
    if (sl.cp.branches > 0) {
      if (callsCallback) {
        if (statesEqual(c, old, cur, c.liveBefore[idx], false)) return hit(c, sl);
      } else if (maybeLooping(old, cur) && old.callbackUnrollDepth === cur.callbackUnrollDepth && statesEqual(c, old, cur, 0x3ff, true)) {
        const top = cur.frames.length - 1;
        throw new Reject(
          `infinite loop detected at insn ${idx}\ncur state:${frameStr(cur, cur.frames[top], null, null)}\nold state:${frameStr(old, old.frames[top], null, null)}`,
          'EINVAL',
        );
      }
      // inside a loop: do not remember states too often (distinct iterations rarely help pruning)
      if (!force && c.jmpsProcessed - c.prevJmpsProcessed < 20 && c.processed - c.prevInsnProcessed < 100) addNew = false;
    } else if (statesEqual(c, old, cur, c.liveBefore[idx], false)) {
      return hit(c, sl);
    }
    // miss: a state that keeps missing is unlikely to help; evict it (checkpoints on a loop get longer)
    if (addNew) sl.miss++;
    const n = force && sl.cp.branches > 0 ? 64 : 3;
    if (sl.miss > sl.hit * n + n) {
      list.splice(i, 1);
      if (sl.cp.branches === 0) c.curStates--;
      else sl.cp.evicted = true;
    }
  }
  if (statesCnt > c.maxStatesPerInsn) c.maxStatesPerInsn = statesCnt;
  if (!addNew) return 0;
  c.totalStates++;
  c.curStates++;
  if (c.curStates > c.peakStates) c.peakStates = c.curStates;
  c.prevJmpsProcessed = c.jmpsProcessed;
  c.prevInsnProcessed = c.processed;
  const cp: Checkpoint = { st: cloneState(cur), branches: 1, parent: c.curParent, idx, evicted: false };
  c.curParent = cp;
  list.push({ cp, hit: 0, miss: 0 });
  return 0;
}

function hit(c: Checker, sl: StateEntry): 1 {
  sl.hit++;
  c.endPath();
  return 1;
}
