/**
 * Conditional-jump helpers of do_check: is_branch_taken for pointers and packet pointers,
 * null checks (mark_ptr_or_null_regs), packet range discovery (try_match_pkt_pointers), and
 * linked-scalar refinement (sync_linked_regs).
 */
import type { Insn } from '@bpfsim/isa';
import { op } from './opcodes';
import * as S from './bridge/scalar';
import { cloneReg, isPtr, scalar, withScalar, type Reg, type VState } from './state';

const AT_PKT_END = -1;
const BEYOND_PKT_END = -2;
const MAX_PACKET_OFF = 0xffff;

export function setScalar(st: VState, r: number, s: S.Scalar): void {
  const f = st.frames[st.frames.length - 1];
  const reg = f.regs[r];
  f.regs[r] = withScalar(reg, s);
  // sync_linked_regs: registers sharing the id learn the same bounds
  if (reg.id && reg.type === 'scalar') {
    for (const fr of st.frames) {
      for (let i = 0; i < fr.regs.length; i++) if (fr.regs[i].type === 'scalar' && fr.regs[i].id === reg.id) fr.regs[i] = withScalar(fr.regs[i], s);
      for (const sl of fr.stack) if (sl.types[7] === 'spill' && sl.spilled.type === 'scalar' && sl.spilled.id === reg.id) sl.spilled = withScalar(sl.spilled, s);
    }
  }
}

const REG_NOT_NULL = new Set(['map_value', 'map_key', 'sock', 'tcp_sock', 'sock_common', 'mem', 'ringbuf_mem', 'map_ptr']);

export function branchTaken(a: Reg, b: Reg, o: number, is32: boolean): 1 | 0 | -1 {
  const pktAny = (r: Reg): boolean => r.type === 'pkt' || r.type === 'pkt_meta' || r.type === 'pkt_end';
  if (pktAny(a) && pktAny(b) && !is32) {
    let pkt: Reg;
    let jop = o;
    if (b.type === 'pkt_end') pkt = a;
    else if (a.type === 'pkt_end') { pkt = b; jop = flip(o); } else return -1;
    if (pkt.range >= 0) return -1;
    switch (jop) {
      case op.BPF_JLE: case op.BPF_JGT:
        if (pkt.range === BEYOND_PKT_END) return jop === op.BPF_JGT ? 1 : 0;
        break;
      case op.BPF_JLT: case op.BPF_JGE:
        if (pkt.range === BEYOND_PKT_END || pkt.range === AT_PKT_END) return jop === op.BPF_JGE ? 1 : 0;
        break;
    }
    return -1;
  }
  if (isPtr(a) || isPtr(b)) {
    let p = a, s = b, jop = o;
    if (!(s.type === 'scalar' && S.isConst(is32 ? S.zext32(s.s) : s.s))) { p = b; s = a; jop = flip(o); }
    if (!(s.type === 'scalar' && S.isConst(is32 ? S.zext32(s.s) : s.s))) return -1;
    // reg_not_null: trusted BTF pointers are never NULL, untrusted memory may be
    const notNull = p.type === 'ptr_btf' ? Boolean(p.trusted || p.refObjId) : REG_NOT_NULL.has(p.type) && !p.untrusted;
    if (p.maybeNull || !notNull) return -1;
    if (S.constValue(is32 ? S.zext32(s.s) : s.s) !== 0n) return -1;
    if (jop === op.BPF_JEQ) return 0;
    if (jop === op.BPF_JNE) return 1;
    return -1;
  }
  return S.branchTaken(o, is32, a.s, b.s, a === b);
}

function flip(o: number): number {
  const m: Record<number, number> = {
    [op.BPF_JGT]: op.BPF_JLT, [op.BPF_JLT]: op.BPF_JGT, [op.BPF_JGE]: op.BPF_JLE, [op.BPF_JLE]: op.BPF_JGE,
    [op.BPF_JSGT]: op.BPF_JSLT, [op.BPF_JSLT]: op.BPF_JSGT, [op.BPF_JSGE]: op.BPF_JSLE, [op.BPF_JSLE]: op.BPF_JSGE,
  };
  return m[o] ?? o;
}

/** mark_ptr_or_null_regs: after `if rX == 0`, every register sharing rX's id is null or not null. */
export function markPtrOrNull(st: VState, id: number, isNull: boolean): void {
  if (!id) return;
  let refId = 0;
  const fix = (r: Reg): Reg => {
    if (!r.maybeNull || r.id !== id) return r;
    if (r.refObjId) refId = r.refObjId;
    if (isNull) return scalar(S.known(0n));
    // mark_ptr_not_null_reg(): a map-in-map lookup's result is the inner map (its template: no name)
    if (r.type === 'map_value' && r.map?.inner) return { ...r, type: 'map_ptr', map: r.map.inner, maybeNull: false, id: 0 };
    // mark_ptr_not_null_reg(): a sock map lookup's result is the socket
    if (r.type === 'map_value' && r.map && (r.map.type === op.BpfMapType.SOCKMAP || r.map.type === op.BpfMapType.SOCKHASH)) {
      return { ...r, type: 'sock', map: undefined, maybeNull: false, id: 0 };
    }
    const out: Reg = cloneReg(r);
    out.maybeNull = false;
    out.id = 0;
    return out;
  };
  for (const f of st.frames) {
    f.regs = f.regs.map(fix);
    for (const sl of f.stack) if (sl.types[7] === 'spill') sl.spilled = fix(sl.spilled);
  }
  if (isNull && refId) st.refs = st.refs.filter((r) => r.id !== refId);
}

function findGoodPktPointers(st: VState, reg: Reg, rightOpen: boolean): void {
  if (reg.off < 0 || (reg.off === 0 && rightOpen)) return;
  if (reg.s.umax > BigInt(MAX_PACKET_OFF) || reg.s.umax + BigInt(reg.off) > BigInt(MAX_PACKET_OFF)) return;
  const newRange = reg.off + (rightOpen ? 1 : 0);
  const fix = (r: Reg): Reg => (r.type === reg.type && r.id === reg.id ? { ...r, range: Math.max(r.range, newRange) } : r);
  for (const f of st.frames) {
    f.regs = f.regs.map(fix);
    for (const sl of f.stack) if (sl.types[7] === 'spill') sl.spilled = fix(sl.spilled);
  }
}

function markPktEnd(st: VState, regno: number, rangeOpen: boolean): void {
  const f = st.frames[st.frames.length - 1];
  const r = f.regs[regno];
  if (r.type !== 'pkt') return;
  f.regs[regno] = { ...r, range: rangeOpen ? BEYOND_PKT_END : AT_PKT_END };
}

/** try_match_pkt_pointers: `this` is the fall-through state, `other` the jump target's. */
export function matchPktPointers(o: number, insn: Insn, thisB: VState, other: VState): void {
  const regs = thisB.frames[thisB.frames.length - 1].regs;
  const d = regs[insn.dst], s = regs[insn.src];
  const initPkt = (r: Reg): boolean => r.type === 'pkt' && r.off === 0 && S.isConst(r.s) && S.constValue(r.s) === 0n;
  const fwd = (d.type === 'pkt' && s.type === 'pkt_end') || (d.type === 'pkt_meta' && initPkt(s));
  const rev = (d.type === 'pkt_end' && s.type === 'pkt') || (initPkt(d) && s.type === 'pkt_meta');
  if (!fwd && !rev) return;
  switch (o) {
    case op.BPF_JGT:
      if (fwd) { findGoodPktPointers(thisB, d, false); markPktEnd(other, insn.dst, true); }
      else { findGoodPktPointers(other, s, true); markPktEnd(thisB, insn.src, false); }
      break;
    case op.BPF_JLT:
      if (fwd) { findGoodPktPointers(other, d, true); markPktEnd(thisB, insn.dst, false); }
      else { findGoodPktPointers(thisB, s, false); markPktEnd(other, insn.src, true); }
      break;
    case op.BPF_JGE:
      if (fwd) { findGoodPktPointers(thisB, d, true); markPktEnd(other, insn.dst, false); }
      else { findGoodPktPointers(other, s, false); markPktEnd(thisB, insn.src, true); }
      break;
    case op.BPF_JLE:
      if (fwd) { findGoodPktPointers(other, d, false); markPktEnd(thisB, insn.dst, true); }
      else { findGoodPktPointers(thisB, s, true); markPktEnd(other, insn.src, false); }
      break;
  }
}
