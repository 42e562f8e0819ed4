/**
 * Conditional jumps on scalars (Linux 6.18): is_scalar_branch_taken and
 * reg_set_min_max / regs_refine_cond_op, for JMP (64-bit) and JMP32.
 */
import { isPowerOf2, max, min, s32, s64, u32, u64 } from './int';
import { Reg, ScalarState, freeze, isSane, mark32Unbounded, mark64Unbounded, regBoundsSync, toReg } from './bounds';
import {
  Tnum, tnumAnd, tnumConst, tnumIntersect, tnumIsConst, tnumOr, tnumOverlap, tnumSubreg, tnumWithSubreg,
} from './tnum';

/** Jump conditions, named after their BPF opcodes. */
export type JmpCond = 'jeq' | 'jne' | 'jgt' | 'jge' | 'jlt' | 'jle' | 'jsgt' | 'jsge' | 'jslt' | 'jsle' | 'jset';

const COND_CODES: Readonly<Record<number, JmpCond>> = {
  0x10: 'jeq', 0x20: 'jgt', 0x30: 'jge', 0x40: 'jset', 0x50: 'jne', 0x60: 'jsgt', 0x70: 'jsge',
  0xa0: 'jlt', 0xb0: 'jle', 0xc0: 'jslt', 0xd0: 'jsle',
};

/** The condition of a JMP/JMP32 opcode byte, or null (ja, call, exit, ...). */
export function jmpCondFromCode(code: number): JmpCond | null {
  const cls = code & 0x07;
  if (cls !== 0x05 && cls !== 0x06) return null;
  return COND_CODES[code & 0xf0] ?? null;
}

export interface BranchOpts {
  /** JMP32: compare the low 32 bits. */
  is32: boolean;
  /** Both operands are the same register (`if r3 > r3`). */
  sameReg?: boolean;
}

// Internal: the negation of JSET (the kernel's BPF_JSET | BPF_X from rev_opcode).
type Cond = JmpCond | 'jset_not';

const FLIP: Readonly<Record<JmpCond, JmpCond>> = {
  jeq: 'jeq', jne: 'jne', jset: 'jset', jge: 'jle', jgt: 'jlt', jle: 'jge', jlt: 'jgt',
  jsge: 'jsle', jsgt: 'jslt', jsle: 'jsge', jslt: 'jsgt',
};

const REV: Readonly<Record<Cond, Cond>> = {
  jeq: 'jne', jne: 'jeq', jset: 'jset_not', jset_not: 'jset', jge: 'jlt', jgt: 'jle', jle: 'jgt', jlt: 'jge',
  jsge: 'jslt', jsgt: 'jsle', jsle: 'jsgt', jslt: 'jsge',
};

/** `a <cond> b` with the operands swapped: `b <flip(cond)> a`. */
export const flipCond = (c: JmpCond): JmpCond => FLIP[c];

interface View {
  t: Tnum;
  umin: bigint;
  umax: bigint;
  smin: bigint;
  smax: bigint;
}

const view = (r: ScalarState, is32: boolean): View =>
  is32
    ? { t: tnumSubreg(r.varOff), umin: r.u32min, umax: r.u32max, smin: r.s32min, smax: r.s32max }
    : { t: r.varOff, umin: r.umin, umax: r.umax, smin: r.smin, smax: r.smax };

const isConstAt = (r: ScalarState, is32: boolean): boolean => tnumIsConst(is32 ? tnumSubreg(r.varOff) : r.varOff);

/**
 * is_scalar_branch_taken: 1 when `a <cond> b` holds for every pair of values,
 * 0 when it holds for none, -1 when it depends.
 */
export function isBranchTaken(a: ScalarState, b: ScalarState, cond: JmpCond, opts: BranchOpts): 1 | 0 | -1 {
  const is32 = opts.is32;
  let r1 = a;
  let r2 = b;
  let v1 = view(a, is32);
  let v2 = view(b, is32);
  switch (cond) {
    case 'jeq':
    case 'jne': {
      const eq = cond === 'jeq' ? 1 : 0;
      const ne = cond === 'jeq' ? 0 : 1;
      if (tnumIsConst(v1.t) && tnumIsConst(v2.t)) return v1.t.value === v2.t.value ? eq : ne;
      // Known bits that disagree: the values can never be equal.
      if (!tnumOverlap(v1.t, v2.t)) return ne;
      if (v1.umin > v2.umax || v1.umax < v2.umin) return ne;
      if (v1.smin > v2.smax || v1.smax < v2.smin) return ne;
      if (!is32) {
        // 64-bit ranges inconclusive: the 32-bit subranges may still exclude equality.
        if (a.u32min > b.u32max || a.u32max < b.u32min) return ne;
        if (a.s32min > b.s32max || a.s32max < b.s32min) return ne;
      }
      return -1;
    }
    case 'jset':
      if (!isConstAt(r2, is32)) {
        [r1, r2] = [r2, r1];
        [v1, v2] = [v2, v1];
      }
      if (!isConstAt(r2, is32)) return -1;
      if (~v1.t.mask & v1.t.value & v2.t.value) return 1;
      if (!((v1.t.mask | v1.t.value) & v2.t.value)) return 0;
      return -1;
    case 'jgt':
      return v1.umin > v2.umax ? 1 : v1.umax <= v2.umin ? 0 : -1;
    case 'jsgt':
      return v1.smin > v2.smax ? 1 : v1.smax <= v2.smin ? 0 : -1;
    case 'jlt':
      return v1.umax < v2.umin ? 1 : v1.umin >= v2.umax ? 0 : -1;
    case 'jslt':
      return v1.smax < v2.smin ? 1 : v1.smin >= v2.smax ? 0 : -1;
    case 'jge':
      return v1.umin >= v2.umax ? 1 : v1.umax < v2.umin ? 0 : -1;
    case 'jsge':
      return v1.smin >= v2.smax ? 1 : v1.smax < v2.smin ? 0 : -1;
    case 'jle':
      return v1.umax <= v2.umin ? 1 : v1.umin > v2.umax ? 0 : -1;
    case 'jsle':
      return v1.smax <= v2.smin ? 1 : v1.smin > v2.smax ? 0 : -1;
  }
}

const constAt = (r: Reg, is32: boolean): boolean => tnumIsConst(is32 ? tnumSubreg(r.varOff) : r.varOff);
const constValue = (r: Reg, is32: boolean): bigint => (is32 ? tnumSubreg(r.varOff).value : r.varOff.value);

/** regs_refine_cond_op: narrow r1 and r2 (possibly the same object) assuming `r1 <cond> r2` holds. */
function refineCondOp(r1: Reg, r2: Reg, cond: Cond, is32: boolean): void {
  if (cond === 'jge' || cond === 'jgt' || cond === 'jsge' || cond === 'jsgt') {
    cond = FLIP[cond];
    [r1, r2] = [r2, r1];
  }
  switch (cond) {
    case 'jeq':
      if (is32) {
        r1.u32min = max(r1.u32min, r2.u32min);
        r1.u32max = min(r1.u32max, r2.u32max);
        r1.s32min = max(r1.s32min, r2.s32min);
        r1.s32max = min(r1.s32max, r2.s32max);
        r2.u32min = r1.u32min;
        r2.u32max = r1.u32max;
        r2.s32min = r1.s32min;
        r2.s32max = r1.s32max;
        const t = tnumIntersect(tnumSubreg(r1.varOff), tnumSubreg(r2.varOff));
        r1.varOff = tnumWithSubreg(r1.varOff, t);
        r2.varOff = tnumWithSubreg(r2.varOff, t);
      } else {
        r1.umin = max(r1.umin, r2.umin);
        r1.umax = min(r1.umax, r2.umax);
        r1.smin = max(r1.smin, r2.smin);
        r1.smax = min(r1.smax, r2.smax);
        r2.umin = r1.umin;
        r2.umax = r1.umax;
        r2.smin = r1.smin;
        r2.smax = r1.smax;
        r1.varOff = tnumIntersect(r1.varOff, r2.varOff);
        r2.varOff = r1.varOff;
      }
      break;
    case 'jne': {
      if (!constAt(r2, is32)) [r1, r2] = [r2, r1];
      if (!constAt(r2, is32)) break;
      // A constant at the edge of the other range shrinks it by one.
      const val = constValue(r2, is32);
      if (is32) {
        if (r1.u32min === u32(val)) r1.u32min = u32(r1.u32min + 1n);
        if (r1.u32max === u32(val)) r1.u32max = u32(r1.u32max - 1n);
        if (r1.s32min === s32(val)) r1.s32min = s32(r1.s32min + 1n);
        if (r1.s32max === s32(val)) r1.s32max = s32(r1.s32max - 1n);
      } else {
        if (r1.umin === u64(val)) r1.umin = u64(r1.umin + 1n);
        if (r1.umax === u64(val)) r1.umax = u64(r1.umax - 1n);
        if (r1.smin === s64(val)) r1.smin = s64(r1.smin + 1n);
        if (r1.smax === s64(val)) r1.smax = s64(r1.smax - 1n);
      }
      break;
    }
    case 'jset': {
      if (!constAt(r2, is32)) [r1, r2] = [r2, r1];
      if (!constAt(r2, is32)) break;
      const val = constValue(r2, is32);
      // Only a single tested bit tells which bit is set.
      if (!isPowerOf2(val)) break;
      if (is32) r1.varOff = tnumWithSubreg(r1.varOff, tnumOr(tnumSubreg(r1.varOff), tnumConst(val)));
      else r1.varOff = tnumOr(r1.varOff, tnumConst(val));
      break;
    }
    case 'jset_not': {
      if (!constAt(r2, is32)) [r1, r2] = [r2, r1];
      if (!constAt(r2, is32)) break;
      const val = constValue(r2, is32);
      // Ranges are forgotten first so a dead path cannot produce inconsistent bounds.
      mark64Unbounded(r1);
      mark32Unbounded(r1);
      if (is32) r1.varOff = tnumWithSubreg(r1.varOff, tnumAnd(tnumSubreg(r1.varOff), tnumConst(u64(~val))));
      else r1.varOff = tnumAnd(r1.varOff, tnumConst(u64(~val)));
      break;
    }
    case 'jle':
      if (is32) {
        r1.u32max = min(r1.u32max, r2.u32max);
        r2.u32min = max(r1.u32min, r2.u32min);
      } else {
        r1.umax = min(r1.umax, r2.umax);
        r2.umin = max(r1.umin, r2.umin);
      }
      break;
    case 'jlt':
      if (is32) {
        r1.u32max = min(r1.u32max, u32(r2.u32max - 1n));
        r2.u32min = max(u32(r1.u32min + 1n), r2.u32min);
      } else {
        r1.umax = min(r1.umax, u64(r2.umax - 1n));
        r2.umin = max(u64(r1.umin + 1n), r2.umin);
      }
      break;
    case 'jsle':
      if (is32) {
        r1.s32max = min(r1.s32max, r2.s32max);
        r2.s32min = max(r1.s32min, r2.s32min);
      } else {
        r1.smax = min(r1.smax, r2.smax);
        r2.smin = max(r1.smin, r2.smin);
      }
      break;
    case 'jslt':
      if (is32) {
        r1.s32max = min(r1.s32max, s32(r2.s32max - 1n));
        r2.s32min = max(s32(r1.s32min + 1n), r2.s32min);
      } else {
        r1.smax = min(r1.smax, s64(r2.smax - 1n));
        r2.smin = max(s64(r1.smin + 1n), r2.smin);
      }
      break;
    default:
      break;
  }
}

/** After an impossible refinement the kernel reports a verifier bug and forgets the ranges (var_off stays). */
function sanitize(r: Reg): void {
  if (!isSane(freeze(r))) {
    mark64Unbounded(r);
    mark32Unbounded(r);
  }
}

export interface RefinedEdge {
  /** The first operand (dst_reg) on this edge. */
  readonly a: ScalarState;
  /** The second operand (src_reg, or the immediate's fake register). */
  readonly b: ScalarState;
}

export interface RefinedBranch {
  /** The jump is taken: `a <cond> b` holds. */
  readonly taken: RefinedEdge;
  /** Fall-through: `a <cond> b` does not hold. */
  readonly notTaken: RefinedEdge;
}

/**
 * reg_set_min_max: both operands narrowed on each edge of `if a <cond> b`,
 * each synchronised with reg_bounds_sync. With sameReg, a and b are one
 * register (the kernel refines it through both aliases; `b` is ignored).
 * Only meaningful when isBranchTaken returned -1.
 */
export function refineBranch(a: ScalarState, b: ScalarState, cond: JmpCond, opts: BranchOpts): RefinedBranch {
  const is32 = opts.is32;
  const edge = (c: Cond): [Reg, Reg] => {
    const r1 = toReg(a);
    const r2 = opts.sameReg ? r1 : toReg(b);
    refineCondOp(r1, r2, c, is32);
    regBoundsSync(r1);
    regBoundsSync(r2);
    return [r1, r2];
  };
  const [f1, f2] = edge(REV[cond]);
  const [t1, t2] = edge(cond);
  for (const r of [t1, t2, f1, f2]) sanitize(r);
  return {
    taken: { a: freeze(t1), b: freeze(t2) },
    notTaken: { a: freeze(f1), b: freeze(f2) },
  };
}
