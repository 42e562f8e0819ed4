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

/** Remembered states at one instruction: finished ones (prune candidates), and those still on a path, by register key. */
export interface Explored { done: Checkpoint[]; active: Map<string, Checkpoint[]>; activeCount: number }

/** The top frame's registers as text: states that may be looping share it exactly. */
function regsKey(st: VState): string {
  const f = st.frames[st.frames.length - 1];
  let k = `${st.frames.length}|`;
  for (const r of f.regs) {
    if (r.type === 'not_init') { k += '-;'; continue; }
    // a cheap digest; candidates with the same key are compared exactly
    k += `${r.type[0]}${r.off},${r.range},${r.s.varOff.mask === 0n ? r.s.varOff.value : r.s.umax};`;
  }
  return k;
}

/** A checkpoint whose paths are all explored becomes a pruning candidate. */
export function finishCheckpoint(c: Checker, cp: Checkpoint): void {
  const e = c.explored.get(cp.idx);
  if (!e) return;
  const list = e.active.get(cp.key);
  if (list) {
    const i = list.indexOf(cp);
    if (i >= 0) { list.splice(i, 1); e.activeCount--; if (!list.length) e.active.delete(cp.key); }
  }
  e.done.push(cp);
}

function regsEqualExact(a: Reg, b: Reg): boolean {
  return a.type === b.type && a.maybeNull === b.maybeNull && a.off === b.off && a.id === b.id && a.refObjId === b.refObjId &&
    a.range === b.range && a.map === b.map && a.memSize === b.memSize && a.frameno === b.frameno && S.equal(a.s, b.s);
}

/** regsafe: is `cur` within what `old` was proven safe for? */
function regSafe(old: Reg, cur: Reg, idmap: Map<number, number>, exact: boolean): boolean {
  if (exact) return regsEqualExact(old, cur);
  if (old.type === 'not_init') return true;
  if (cur.type === 'not_init') return false;
  if (old.type !== cur.type || old.maybeNull !== cur.maybeNull) return false;
  if (!checkId(old.id, cur.id, idmap) || !checkId(old.refObjId, cur.refObjId, idmap)) return false;
  if (old.type === 'scalar') return S.covers(old.s, cur.s);
  if (old.off !== cur.off || old.map !== cur.map || old.memSize !== cur.memSize || old.frameno !== cur.frameno) return false;
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
  if (old.refs.length !== cur.refs.length || old.activeLock !== cur.activeLock) return false;
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
  let addNew = callsCallback || (c.jmpsProcessed - c.prevJmpsProcessed >= 2 && c.processed - c.prevInsnProcessed >= 8);
  let e = c.explored.get(idx);
  if (!e) { e = { done: [], active: new Map(), activeCount: 0 }; c.explored.set(idx, e); }
  const key = regsKey(cur);
  if (e.activeCount && callsCallback) {
    for (const list of e.active.values()) {
      for (const cp of list) {
        if (statesEqual(c, cp.st, cur, c.liveBefore[idx], false)) { c.endPath(); return 1; }
      }
    }
  } else if (e.activeCount) {
    for (const cp of e.active.get(key) ?? []) {
      const old = cp.st;
      if (old.callbackUnrollDepth === cur.callbackUnrollDepth && statesEqual(c, old, cur, 0x3ff, true)) {
        const top = cur.frames.length - 1;
        throw new Reject(
          `infinite loop detected at insn ${idx}\ncur state:${frameStr(cur, cur.frames[top], null, null)}\nold state:${frameStr(old, old.frames[top], null, null)}`,
          'EINVAL',
        );
      }
    }
    if (!callsCallback && c.jmpsProcessed - c.prevJmpsProcessed < 20 && c.processed - c.prevInsnProcessed < 100) addNew = false;
  }
  for (const cp of e.done) {
    if (statesEqual(c, cp.st, cur, c.liveBefore[idx], false)) {
      c.endPath();
      return 1;
    }
  }
  // the kernel counts every state in this instruction's hash bucket, other instructions' included
  const bucket = stateBucket(c, idx);
  const n = c.bucketStates.get(bucket) ?? 0;
  if (n > c.maxStatesPerInsn) c.maxStatesPerInsn = n;
  if (!addNew) return 0;
  c.totalStates++;
  c.bucketStates.set(bucket, n + 1);
  c.curStates++;
  if (c.curStates > c.peakStates) c.peakStates = c.curStates;
  c.prevJmpsProcessed = c.jmpsProcessed;
  c.prevInsnProcessed = c.processed;
  const cp: Checkpoint = { st: cloneState(cur), branches: 1, parent: c.curParent, idx, key };
  c.curParent = cp;
  const list = e.active.get(key);
  if (list) list.push(cp); else e.active.set(key, [cp]);
  e.activeCount++;
  return 0;
}
