/**
 * adjust_scalar_min_max_vals and the scalar cases of check_alu_op (Linux
 * 6.18): the abstract result of one ALU/ALU64 instruction on scalars.
 */
import { S32_MAX, S32_MIN, S64_MAX, S64_MIN, U32_MAX, U64_MAX, max, min, s32, s64, u32, u64 } from './int';
import {
  Reg, ScalarState, constScalar, coerceRegToSize, coerceRegToSizeSx, coerceSubregToSizeSx, freeze, mark32Known, mark32Unbounded,
  mark64Unbounded, markKnown, markUnknown, regBoundsSync, toReg, updateRegBounds, zext32To64,
} from './bounds';
import { foldConst } from './fold';
import {
  tnumAdd, tnumBswap, tnumAnd, tnumArshift, tnumIsConst, tnumLshift, tnumMul, tnumNeg, tnumOr, tnumRshift, tnumSub,
  tnumSubreg, tnumSubregIsConst, tnumXor,
} from './tnum';

/** Scalar ALU operations, named after their BPF opcodes (sdiv/smod/movsx*: off != 0; le/be/bswap: BPF_END). */
export type AluOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'sdiv' | 'mod' | 'smod' | 'or' | 'and' | 'lsh' | 'rsh' | 'arsh' | 'xor'
  | 'neg' | 'mov' | 'movsx8' | 'movsx16' | 'movsx32'
  | 'le16' | 'le32' | 'le64' | 'be16' | 'be32' | 'be64' | 'bswap16' | 'bswap32' | 'bswap64';

const OP_CODES: Readonly<Record<number, AluOp>> = {
  0x00: 'add', 0x10: 'sub', 0x20: 'mul', 0x30: 'div', 0x40: 'or', 0x50: 'and', 0x60: 'lsh', 0x70: 'rsh',
  0x80: 'neg', 0x90: 'mod', 0xa0: 'xor', 0xb0: 'mov', 0xc0: 'arsh',
};

/**
 * The AluOp of an ALU/ALU64 opcode byte with its off/imm fields, or null for
 * an opcode that is not a scalar ALU operation.
 */
export function aluOpFromInsn(code: number, off: number, imm: number): AluOp | null {
  const op = code & 0xf0;
  const cls = code & 0x07;
  if (cls !== 0x04 && cls !== 0x07) return null;
  const is64 = cls === 0x07;
  if (op === 0xd0) {
    const w = imm === 16 || imm === 32 || imm === 64 ? imm : 0;
    if (!w) return null;
    if (is64) return `bswap${w}` as AluOp;
    return ((code & 0x08) ? `be${w}` : `le${w}`) as AluOp;
  }
  const name = OP_CODES[op];
  if (!name) return null;
  if (off === 1 && (name === 'div' || name === 'mod')) return name === 'div' ? 'sdiv' : 'smod';
  if (name === 'mov' && (off === 8 || off === 16 || off === 32)) return `movsx${off}` as AluOp;
  return name;
}

// ---- add / sub / mul (check_*_overflow semantics) ----

function fitsS(x: bigint, bits: 32 | 64): boolean {
  return bits === 64 ? x >= S64_MIN && x <= S64_MAX : x >= S32_MIN && x <= S32_MAX;
}

function scalar32Add(d: Reg, s: Reg): void {
  const smin = d.s32min + s.s32min;
  const smax = d.s32max + s.s32max;
  if (!fitsS(smin, 32) || !fitsS(smax, 32)) {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  } else {
    d.s32min = smin;
    d.s32max = smax;
  }
  const umin = d.u32min + s.u32min;
  const umax = d.u32max + s.u32max;
  const minOv = umin > U32_MAX;
  const maxOv = umax > U32_MAX;
  d.u32min = u32(umin);
  d.u32max = u32(umax);
  // Bounds stay valid when every sum or no sum wraps.
  if (!minOv && maxOv) {
    d.u32min = 0n;
    d.u32max = U32_MAX;
  }
}

function scalar64Add(d: Reg, s: Reg): void {
  const smin = d.smin + s.smin;
  const smax = d.smax + s.smax;
  if (!fitsS(smin, 64) || !fitsS(smax, 64)) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin = smin;
    d.smax = smax;
  }
  const umin = d.umin + s.umin;
  const umax = d.umax + s.umax;
  const minOv = umin > U64_MAX;
  const maxOv = umax > U64_MAX;
  d.umin = u64(umin);
  d.umax = u64(umax);
  if (!minOv && maxOv) {
    d.umin = 0n;
    d.umax = U64_MAX;
  }
}

function scalar32Sub(d: Reg, s: Reg): void {
  const smin = d.s32min - s.s32max;
  const smax = d.s32max - s.s32min;
  if (!fitsS(smin, 32) || !fitsS(smax, 32)) {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  } else {
    d.s32min = smin;
    d.s32max = smax;
  }
  const umin = d.u32min - s.u32max;
  const umax = d.u32max - s.u32min;
  const minUf = umin < 0n;
  const maxUf = umax < 0n;
  d.u32min = u32(umin);
  d.u32max = u32(umax);
  if (minUf && !maxUf) {
    d.u32min = 0n;
    d.u32max = U32_MAX;
  }
}

function scalar64Sub(d: Reg, s: Reg): void {
  const smin = d.smin - s.smax;
  const smax = d.smax - s.smin;
  if (!fitsS(smin, 64) || !fitsS(smax, 64)) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin = smin;
    d.smax = smax;
  }
  const umin = d.umin - s.umax;
  const umax = d.umax - s.umin;
  const minUf = umin < 0n;
  const maxUf = umax < 0n;
  d.umin = u64(umin);
  d.umax = u64(umax);
  if (minUf && !maxUf) {
    d.umin = 0n;
    d.umax = U64_MAX;
  }
}

function scalar32Mul(d: Reg, s: Reg): void {
  const umax = d.u32max * s.u32max;
  const umin = d.u32min * s.u32min;
  if (umax > U32_MAX || umin > U32_MAX) {
    d.u32min = 0n;
    d.u32max = U32_MAX;
  } else {
    d.u32min = umin;
    d.u32max = umax;
  }
  const p = [d.s32min * s.s32min, d.s32min * s.s32max, d.s32max * s.s32min, d.s32max * s.s32max];
  if (p.some((x) => !fitsS(x, 32))) {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  } else {
    d.s32min = p.reduce(min);
    d.s32max = p.reduce(max);
  }
}

function scalar64Mul(d: Reg, s: Reg): void {
  const umax = d.umax * s.umax;
  const umin = d.umin * s.umin;
  if (umax > U64_MAX || umin > U64_MAX) {
    d.umin = 0n;
    d.umax = U64_MAX;
  } else {
    d.umin = umin;
    d.umax = umax;
  }
  const p = [d.smin * s.smin, d.smin * s.smax, d.smax * s.smin, d.smax * s.smax];
  if (p.some((x) => !fitsS(x, 64))) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin = p.reduce(min);
    d.smax = p.reduce(max);
  }
}

// ---- bitwise (var_off already holds the result tnum) ----

/** s32 bounds from a u32 range that does not cross the sign boundary, else unbounded. */
function s32FromU32(d: Reg): void {
  if (s32(d.u32min) <= s32(d.u32max)) {
    d.s32min = s32(d.u32min);
    d.s32max = s32(d.u32max);
  } else {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  }
}

function s64FromU64(d: Reg): void {
  if (s64(d.umin) <= s64(d.umax)) {
    d.smin = s64(d.umin);
    d.smax = s64(d.umax);
  } else {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  }
}

type Bitwise = 'and' | 'or' | 'xor';

function scalar32Bitwise(op: Bitwise, d: Reg, s: Reg): void {
  const srcKnown = tnumSubregIsConst(s.varOff);
  const dstKnown = tnumSubregIsConst(d.varOff);
  const v = tnumSubreg(d.varOff);
  if (srcKnown && dstKnown) {
    mark32Known(d, v.value);
    return;
  }
  if (op === 'and') {
    d.u32min = v.value;
    d.u32max = min(d.u32max, s.u32max);
  } else if (op === 'or') {
    d.u32min = max(d.u32min, s.u32min);
    d.u32max = v.value | v.mask;
  } else {
    d.u32min = v.value;
    d.u32max = v.value | v.mask;
  }
  s32FromU32(d);
}

function scalar64Bitwise(op: Bitwise, d: Reg, s: Reg): void {
  const srcKnown = tnumIsConst(s.varOff);
  const dstKnown = tnumIsConst(d.varOff);
  const v = d.varOff;
  if (srcKnown && dstKnown) {
    markKnown(d, v.value);
    return;
  }
  if (op === 'and') {
    d.umin = v.value;
    d.umax = min(d.umax, s.umax);
  } else if (op === 'or') {
    d.umin = max(d.umin, s.umin);
    d.umax = v.value | v.mask;
  } else {
    d.umin = v.value;
    d.umax = v.value | v.mask;
  }
  s64FromU64(d);
  updateRegBounds(d);
}

// ---- shifts (only reached with a constant, in-range shift amount) ----

function lsh32Bounds(d: Reg, uminVal: bigint, umaxVal: bigint): void {
  d.s32min = S32_MIN;
  d.s32max = S32_MAX;
  if (umaxVal > 31n || d.u32max > 1n << (31n - umaxVal)) {
    d.u32min = 0n;
    d.u32max = U32_MAX;
  } else {
    d.u32min = u32(d.u32min << uminVal);
    d.u32max = u32(d.u32max << umaxVal);
  }
}

function lsh64Bounds(d: Reg, uminVal: bigint, umaxVal: bigint): void {
  // <<32 keeps the s32 bounds' sign (the compiler's sign-extension idiom).
  if (uminVal === 32n && umaxVal === 32n) {
    d.smax = s64(d.s32max << 32n);
    d.smin = s64(d.s32min << 32n);
  } else {
    d.smax = S64_MAX;
    d.smin = S64_MIN;
  }
  if (d.umax > 1n << (63n - umaxVal)) {
    d.umin = 0n;
    d.umax = U64_MAX;
  } else {
    d.umin = u64(d.umin << uminVal);
    d.umax = u64(d.umax << umaxVal);
  }
}

function scalar32Lsh(d: Reg, s: Reg): void {
  const sub = tnumSubreg(d.varOff);
  lsh32Bounds(d, s.u32min, s.u32max);
  d.varOff = tnumSubreg(tnumLshift(sub, s.u32min));
  mark64Unbounded(d);
  updateRegBounds(d);
}

function scalar64Lsh(d: Reg, s: Reg): void {
  lsh64Bounds(d, s.umin, s.umax);
  lsh32Bounds(d, s.umin, s.umax);
  d.varOff = tnumLshift(d.varOff, s.umin);
  updateRegBounds(d);
}

function scalar32Rsh(d: Reg, s: Reg): void {
  const sub = tnumSubreg(d.varOff);
  d.s32min = S32_MIN;
  d.s32max = S32_MAX;
  d.varOff = tnumRshift(sub, s.u32min);
  d.u32min >>= s.u32max;
  d.u32max >>= s.u32min;
  mark64Unbounded(d);
  updateRegBounds(d);
}

function scalar64Rsh(d: Reg, s: Reg): void {
  d.smin = S64_MIN;
  d.smax = S64_MAX;
  d.varOff = tnumRshift(d.varOff, s.umin);
  d.umin >>= s.umax;
  d.umax >>= s.umin;
  mark32Unbounded(d);
  updateRegBounds(d);
}

function scalar32Arsh(d: Reg, s: Reg): void {
  const sh = s.u32min;
  d.s32min = s32(d.s32min >> sh);
  d.s32max = s32(d.s32max >> sh);
  d.varOff = tnumArshift(tnumSubreg(d.varOff), sh, 32);
  d.u32min = 0n;
  d.u32max = U32_MAX;
  mark64Unbounded(d);
  updateRegBounds(d);
}

function scalar64Arsh(d: Reg, s: Reg): void {
  const sh = s.umin;
  d.smin >>= sh;
  d.smax >>= sh;
  d.varOff = tnumArshift(d.varOff, sh, 64);
  d.umin = 0n;
  d.umax = U64_MAX;
  mark32Unbounded(d);
  updateRegBounds(d);
}

// ---- byte swaps ----

/**
 * scalar_byte_swap on a little-endian host: le16/le32 only truncate, le64 is a
 * no-op; be* and bswap* swap the tnum, forget the ranges, and 16/32-bit forms
 * then truncate to their width.
 */
function scalarByteSwap(d: Reg, op: AluOp): void {
  const width = Number(op.replace(/\D/g, '')) as 16 | 32 | 64;
  const needSwap = !op.startsWith('le');
  if (needSwap) {
    d.varOff = tnumBswap(d.varOff, (width / 8) as 2 | 4 | 8);
    mark64Unbounded(d);
    mark32Unbounded(d);
  }
  if (width === 16 || width === 32) coerceRegToSize(d, width / 8);
}

// ---- dispatch ----

/** is_safe_to_compute_dst_reg_range: ops whose result range the kernel computes rather than giving up. */
function isSafeToCompute(op: AluOp, s: Reg, is64: boolean): boolean {
  switch (op) {
    case 'add': case 'sub': case 'neg': case 'and': case 'xor': case 'or': case 'mul':
      return true;
    case 'lsh': case 'rsh': case 'arsh': {
      const srcConst = is64
        ? tnumIsConst(s.varOff) && s.smin === s.smax && s.umin === s.umax
        : tnumSubregIsConst(s.varOff) && s.s32min === s.s32max && s.u32min === s.u32max;
      // The 64-bit umax is compared even for ALU32 (as the kernel does).
      return srcConst && s.umax < (is64 ? 64n : 32n);
    }
    default:
      // div/sdiv/mod/smod: 6.18 does not track them.
      return false;
  }
}

/**
 * maybe_fork_scalars: AND/OR of a constant into a register known to be in
 * [-1, 0] (64-bit, else 32-bit) splits the state. The current path continues
 * with -1; the returned copy (0) is what the kernel pushes to re-execute the
 * same instruction. Only the 32-bit half is set in the 32-bit case.
 */
function maybeFork(d: Reg): Reg | null {
  let alu32: boolean;
  if (d.smin === -1n && d.smax === 0n) alu32 = false;
  else if (d.s32min === -1n && d.s32max === 0n) alu32 = true;
  else return null;
  const pushed = { ...d };
  if (alu32) {
    mark32Known(pushed, 0n);
    mark32Known(d, U64_MAX);
  } else {
    markKnown(pushed, 0n);
    markKnown(d, U64_MAX);
  }
  return pushed;
}

/** adjust_scalar_min_max_vals on working copies; returns the forked state, if any. */
function adjustScalar(op: AluOp, d: Reg, s: Reg, is64: boolean): Reg | null {
  let fork: Reg | null = null;
  if (!isSafeToCompute(op, s, is64)) {
    markUnknown(d);
    return null;
  }
  switch (op) {
    case 'add':
      scalar32Add(d, s);
      scalar64Add(d, s);
      d.varOff = tnumAdd(d.varOff, s.varOff);
      break;
    case 'sub':
      scalar32Sub(d, s);
      scalar64Sub(d, s);
      d.varOff = tnumSub(d.varOff, s.varOff);
      break;
    case 'neg': {
      // dst = 0 - dst
      const old = { ...d };
      markKnown(d, 0n);
      scalar32Sub(d, old);
      scalar64Sub(d, old);
      d.varOff = tnumNeg(old.varOff);
      break;
    }
    case 'mul':
      d.varOff = tnumMul(d.varOff, s.varOff);
      scalar32Mul(d, s);
      scalar64Mul(d, s);
      break;
    case 'and':
      if (tnumIsConst(s.varOff)) fork = maybeFork(d);
      d.varOff = tnumAnd(d.varOff, s.varOff);
      scalar32Bitwise('and', d, s);
      scalar64Bitwise('and', d, s);
      break;
    case 'or':
      if (tnumIsConst(s.varOff)) fork = maybeFork(d);
      d.varOff = tnumOr(d.varOff, s.varOff);
      scalar32Bitwise('or', d, s);
      scalar64Bitwise('or', d, s);
      break;
    case 'xor':
      d.varOff = tnumXor(d.varOff, s.varOff);
      scalar32Bitwise('xor', d, s);
      scalar64Bitwise('xor', d, s);
      break;
    case 'lsh':
      if (is64) scalar64Lsh(d, s);
      else scalar32Lsh(d, s);
      break;
    case 'rsh':
      if (is64) scalar64Rsh(d, s);
      else scalar32Rsh(d, s);
      break;
    case 'arsh':
      if (is64) scalar64Arsh(d, s);
      else scalar32Arsh(d, s);
      break;
    default:
      break;
  }
  if (!is64) zext32To64(d);
  regBoundsSync(d);
  return fork;
}

export interface AluResult {
  /** dst after the instruction on the path being verified. */
  readonly dst: ScalarState;
  /**
   * When set, the kernel also pushes a state that re-executes this same
   * instruction with dst replaced by this value (maybe_fork_scalars: AND/OR
   * with a constant of a register in [-1, 0]). The driver must explore it.
   */
  readonly fork?: ScalarState;
}

/**
 * One ALU/ALU64 instruction on scalars: `dst = dst <op> src` (for neg and the
 * byte swaps `src` is ignored; for mov/movsx `dst = src`). ALU32
 * (`is64: false`) results are zero-extended, as the kernel does. A BPF_K
 * source is `immScalar(imm)`.
 *
 * The caller handles what is not about values: rejecting a constant zero
 * divisor or an out-of-range constant shift, pointer operands, and register
 * ids (linked scalars).
 */
export function scalarAluStep(op: AluOp, dst: ScalarState, src: ScalarState, opts: { is64: boolean; noFold?: boolean }): AluResult {
  const is64 = opts.is64;
  if (!opts.noFold && src.varOff.mask === 0n && (dst.varOff.mask === 0n || op === 'mov' || op.startsWith('movsx'))) {
    const v = foldConst(op, dst.varOff.value, src.varOff.value, is64);
    if (v !== null) return { dst: constScalar(v) };
  }
  switch (op) {
    case 'mov': {
      const d = toReg(src);
      if (!is64) {
        zext32To64(d);
        regBoundsSync(d);
      }
      return { dst: freeze(d) };
    }
    case 'movsx8': case 'movsx16': case 'movsx32': {
      const size = op === 'movsx8' ? 1 : op === 'movsx16' ? 2 : 4;
      const d = toReg(src);
      if (is64) {
        coerceRegToSizeSx(d, size);
      } else {
        coerceSubregToSizeSx(d, size);
        zext32To64(d);
        regBoundsSync(d);
      }
      return { dst: freeze(d) };
    }
    case 'le16': case 'le32': case 'le64': case 'be16': case 'be32': case 'be64':
    case 'bswap16': case 'bswap32': case 'bswap64': {
      const d = toReg(dst);
      scalarByteSwap(d, op);
      // BPF_END is never zero-extended afterwards (le64 is a 64-bit operation in the ALU class).
      regBoundsSync(d);
      return { dst: freeze(d) };
    }
    default: {
      const d = toReg(dst);
      const fork = adjustScalar(op, d, toReg(op === 'neg' ? dst : src), is64);
      return fork ? { dst: freeze(d), fork: freeze(fork) } : { dst: freeze(d) };
    }
  }
}

/** scalarAluStep's dst, for callers that have checked there is no fork (or only need the current path). */
export function scalarAlu(op: AluOp, dst: ScalarState, src: ScalarState, opts: { is64: boolean }): ScalarState {
  return scalarAluStep(op, dst, src, opts).dst;
}
