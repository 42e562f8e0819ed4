/**
 * The scalar part of struct bpf_reg_state: var_off plus signed/unsigned
 * 64-bit and 32-bit ranges, with the kernel's (6.18) synchronisation steps.
 *
 * ScalarState is immutable; the algorithms work on a mutable copy (Reg) the
 * way the kernel mutates a bpf_reg_state, and freeze the result.
 */
import {
  S32_MAX, S32_MIN, S64_MAX, S64_MIN, U32_MAX, U64_MAX, max, min, s16, s32, s64, s8, u32, u64,
} from './int';
import {
  Tnum, tnumCast, tnumClearSubreg, tnumConst, tnumConstSubreg, tnumIntersect, tnumIsConst, tnumOr,
  tnumRange, tnumStep, tnumSubreg, tnumUnknown,
} from './tnum';

/** A scalar register's abstract value (all fields canonical: see int.ts). */
export interface ScalarState {
  readonly varOff: Tnum;
  readonly smin: bigint;
  readonly smax: bigint;
  readonly umin: bigint;
  readonly umax: bigint;
  readonly s32min: bigint;
  readonly s32max: bigint;
  readonly u32min: bigint;
  readonly u32max: bigint;
}

/** Mutable working copy, mutated in place like the kernel's bpf_reg_state. */
export interface Reg {
  varOff: Tnum;
  smin: bigint;
  smax: bigint;
  umin: bigint;
  umax: bigint;
  s32min: bigint;
  s32max: bigint;
  u32min: bigint;
  u32max: bigint;
}

export const toReg = (s: ScalarState): Reg => ({
  varOff: s.varOff, smin: s.smin, smax: s.smax, umin: s.umin, umax: s.umax,
  s32min: s.s32min, s32max: s.s32max, u32min: s.u32min, u32max: s.u32max,
});
/**
 * The immutable result (readonly by type). Not Object.freeze'd at run time: freezing every
 * intermediate scalar cost a fifth of the verifier's time, and one literal shape keeps V8's
 * property access monomorphic.
 */
export const freeze = (r: Reg): ScalarState => ({
  varOff: r.varOff, smin: r.smin, smax: r.smax, umin: r.umin, umax: r.umax,
  s32min: r.s32min, s32max: r.s32max, u32min: r.u32min, u32max: r.u32max,
});

// ---- constructors ----

/** ___mark_reg_known */
export function markKnown(r: Reg, imm: bigint): void {
  r.varOff = tnumConst(u64(imm));
  r.smin = r.smax = s64(imm);
  r.umin = r.umax = u64(imm);
  r.s32min = r.s32max = s32(imm);
  r.u32min = r.u32max = u32(imm);
}

/** __mark_reg32_known */
export function mark32Known(r: Reg, imm: bigint): void {
  r.varOff = tnumConstSubreg(r.varOff, u32(imm));
  r.s32min = r.s32max = s32(imm);
  r.u32min = r.u32max = u32(imm);
}

export function mark64Unbounded(r: Reg): void {
  r.smin = S64_MIN;
  r.smax = S64_MAX;
  r.umin = 0n;
  r.umax = U64_MAX;
}

export function mark32Unbounded(r: Reg): void {
  r.s32min = S32_MIN;
  r.s32max = S32_MAX;
  r.u32min = 0n;
  r.u32max = U32_MAX;
}

/** __mark_reg_unknown: every bit and every range unknown. */
export function markUnknown(r: Reg): void {
  r.varOff = tnumUnknown;
  mark64Unbounded(r);
  mark32Unbounded(r);
}

/** A known constant (any bigint; stored as its u64 two's complement). */
export function constScalar(value: bigint | number): ScalarState {
  const r = {} as Reg;
  markKnown(r, BigInt(value));
  return freeze(r);
}

/** An instruction immediate as the kernel's fake source register sees it: s32 sign-extended to 64 bits. */
export const immScalar = (imm: number): ScalarState => constScalar(BigInt(imm | 0));

/** `scalar()`: nothing known (mark_reg_unknown). */
export function unknownScalar(): ScalarState {
  const r = {} as Reg;
  markUnknown(r);
  return freeze(r);
}

/**
 * The value of an N-byte load (1, 2, 4 or 8) of unknown memory:
 * mark_reg_unknown, then coerce_reg_to_size (or coerce_reg_to_size_sx for a
 * sign-extending BPF_MEMSX load).
 */
export function fromLoadSize(size: 1 | 2 | 4 | 8, opts: { signed?: boolean } = {}): ScalarState {
  const r = {} as Reg;
  markUnknown(r);
  if (size < 8) {
    if (opts.signed) coerceRegToSizeSx(r, size);
    else coerceRegToSize(r, size);
  }
  return freeze(r);
}

/** A scalar known only to lie in [umin, umax] (unsigned), synced like the kernel would. */
export function rangeScalar(umin: bigint, umax: bigint): ScalarState {
  const r = {} as Reg;
  markUnknown(r);
  r.umin = u64(umin);
  r.umax = u64(umax);
  regBoundsSync(r);
  return freeze(r);
}

// ---- synchronisation (reg_bounds_sync and its parts) ----

function updateReg32Bounds(r: Reg): void {
  const v = tnumSubreg(r.varOff);
  r.s32min = max(r.s32min, s32(v.value | (v.mask & u32(S32_MIN))));
  r.s32max = min(r.s32max, s32(v.value | (v.mask & S32_MAX)));
  r.u32min = max(r.u32min, v.value);
  r.u32max = min(r.u32max, v.value | v.mask);
}

function updateReg64Bounds(r: Reg): void {
  const v = r.varOff;
  r.smin = max(r.smin, s64(v.value | (v.mask & u64(S64_MIN))));
  r.smax = min(r.smax, s64(v.value | (v.mask & S64_MAX)));
  r.umin = max(r.umin, v.value);
  r.umax = min(r.umax, v.value | v.mask);
  // When the u64 range and the tnum share a single value, the register is that constant.
  const next = tnumStep(r.varOff, r.umin);
  const uminIn = (r.umin & ~v.mask) === v.value;
  const tmax = v.value | v.mask;
  if (uminIn && next > r.umax) markKnown(r, r.umin);
  else if (!uminIn && next === tmax) markKnown(r, tmax);
  else if (!uminIn && next <= r.umax && tnumStep(r.varOff, next) > r.umax) markKnown(r, next);
}

/** __update_reg_bounds: learn ranges from var_off. */
export function updateRegBounds(r: Reg): void {
  updateReg32Bounds(r);
  updateReg64Bounds(r);
}

function reg32DeduceBounds(r: Reg): void {
  // Upper 32 bits constant across the u64 range: the low halves form a range.
  if (r.umin >> 32n === r.umax >> 32n) {
    r.u32min = max(r.u32min, u32(r.umin));
    r.u32max = min(r.u32max, u32(r.umax));
    if (s32(r.umin) <= s32(r.umax)) {
      r.s32min = max(r.s32min, s32(r.umin));
      r.s32max = min(r.s32max, s32(r.umax));
    }
  }
  if (r.smin >> 32n === r.smax >> 32n) {
    if (u32(r.smin) <= u32(r.smax)) {
      r.u32min = max(r.u32min, u32(r.smin));
      r.u32max = min(r.u32max, u32(r.smax));
    }
    if (s32(r.smin) <= s32(r.smax)) {
      r.s32min = max(r.s32min, s32(r.smin));
      r.s32max = min(r.s32max, s32(r.smax));
    }
  }
  // Upper halves two consecutive numbers while the low halves go negative -> positive.
  if (u32(u32(r.umin >> 32n) + 1n) === u32(r.umax >> 32n) && s32(r.umin) < 0n && s32(r.umax) >= 0n) {
    r.s32min = max(r.s32min, s32(r.umin));
    r.s32max = min(r.s32max, s32(r.umax));
  }
  if (u32(u32(r.smin >> 32n) + 1n) === u32(r.smax >> 32n) && s32(r.smin) < 0n && s32(r.smax) >= 0n) {
    r.s32min = max(r.s32min, s32(r.smin));
    r.s32max = min(r.s32max, s32(r.smax));
  }
  // u32 range not crossing the s32 sign boundary is also an s32 range, and vice versa.
  if (s32(r.u32min) <= s32(r.u32max)) {
    r.s32min = max(r.s32min, s32(r.u32min));
    r.s32max = min(r.s32max, s32(r.u32max));
  }
  if (u32(r.s32min) <= u32(r.s32max)) {
    r.u32min = max(r.u32min, u32(r.s32min));
    r.u32max = min(r.u32max, u32(r.s32max));
  } else if (r.u32max < u32(r.s32min)) {
    // s32 range crosses the sign boundary; the u32 range overlaps only its non-negative part.
    r.s32min = s32(r.u32min);
    r.u32max = min(r.u32max, u32(r.s32max));
  } else if (u32(r.s32max) < r.u32min) {
    // ... or only its negative part.
    r.s32max = s32(r.u32max);
    r.u32min = max(r.u32min, u32(r.s32min));
  }
}

function reg64DeduceBounds(r: Reg): void {
  if (s64(r.umin) <= s64(r.umax)) {
    r.smin = max(r.smin, s64(r.umin));
    r.smax = min(r.smax, s64(r.umax));
  }
  if (u64(r.smin) <= u64(r.smax)) {
    r.umin = max(r.umin, u64(r.smin));
    r.umax = min(r.umax, u64(r.smax));
  } else if (r.umax < u64(r.smin)) {
    // s64 range crosses the sign boundary; the u64 range overlaps only its non-negative part.
    r.smin = s64(r.umin);
    r.umax = min(r.umax, u64(r.smax));
  } else if (u64(r.smax) < r.umin) {
    // ... or only its negative part.
    r.smax = s64(r.umax);
    r.umin = max(r.umin, u64(r.smin));
  }
}

function regDeduceMixedBounds(r: Reg): void {
  const LOW = 0xffffffffn;
  // u32 -> u64: substitute the low halves of the bounds.
  const newUmin = (r.umin & ~LOW) | r.u32min;
  const newUmax = (r.umax & ~LOW) | r.u32max;
  r.umin = max(r.umin, u64(newUmin));
  r.umax = min(r.umax, u64(newUmax));
  const newSmin = s64((u64(r.smin) & ~LOW) | r.u32min);
  const newSmax = s64((u64(r.smax) & ~LOW) | r.u32max);
  r.smin = max(r.smin, newSmin);
  r.smax = min(r.smax, newSmax);
  // After a sign-extending load: 64-bit range within s32 and low half non-negative.
  if (r.s32min >= 0n && r.smin >= S32_MIN && r.smax <= S32_MAX) {
    r.smin = r.s32min;
    r.smax = r.s32max;
    r.umin = u64(r.s32min);
    r.umax = u64(r.s32max);
    r.varOff = tnumIntersect(r.varOff, tnumRange(u64(r.smin), u64(r.smax)));
  }
}

/** __reg_deduce_bounds */
export function regDeduceBounds(r: Reg): void {
  reg32DeduceBounds(r);
  reg64DeduceBounds(r);
  regDeduceMixedBounds(r);
}

/** __reg_bound_offset: learn var_off bits from the ranges. */
export function regBoundOffset(r: Reg): void {
  const var64 = tnumIntersect(r.varOff, tnumRange(r.umin, r.umax));
  const var32 = tnumIntersect(tnumSubreg(var64), tnumRange(r.u32min, r.u32max));
  r.varOff = tnumOr(tnumClearSubreg(var64), var32);
}

/** A known constant whose every bound already is that constant: reg_bounds_sync leaves it as it is. */
function isSettledConst(r: Reg): boolean {
  const v = r.varOff.value;
  return r.varOff.mask === 0n && r.umin === v && r.umax === v && r.smin === r.smax && r.smin === s64(v) &&
    r.u32min === r.u32max && r.u32min === u32(v) && r.s32min === r.s32max && r.s32min === s32(v);
}

/** reg_bounds_sync */
export function regBoundsSync(r: Reg): void {
  // the fixpoint of the steps below for a settled constant is itself (skipping them is only speed)
  if (isSettledConst(r)) return;
  updateRegBounds(r);
  // the kernel deduces three times; a pass that changes nothing is a fixpoint, so the rest are skipped
  for (let pass = 0; pass < 3; pass++) {
    const { varOff, smin, smax, umin, umax, s32min, s32max, u32min, u32max } = r;
    regDeduceBounds(r);
    if (r.smin === smin && r.smax === smax && r.umin === umin && r.umax === umax && r.s32min === s32min &&
      r.s32max === s32max && r.u32min === u32min && r.u32max === u32max && r.varOff.value === varOff.value &&
      r.varOff.mask === varOff.mask) break;
  }
  regBoundOffset(r);
  updateRegBounds(r);
}

/** The kernel's invariant check (reg_bounds_sanity_check); false on an inconsistent (dead-path) state. */
export function isSane(s: ScalarState): boolean {
  if (s.umin > s.umax || s.smin > s.smax || s.u32min > s.u32max || s.s32min > s.s32max) return false;
  if (tnumIsConst(s.varOff)) {
    const v = s.varOff.value;
    if (s.umin !== v || s.umax !== v || s.smin !== s64(v) || s.smax !== s64(v)) return false;
  }
  const sub = tnumSubreg(s.varOff);
  if (sub.mask === 0n) {
    const v = sub.value;
    if (s.u32min !== v || s.u32max !== v || s.s32min !== s32(v) || s.s32max !== s32(v)) return false;
  }
  return true;
}

// ---- width changes ----

/** __reg_assign_32_into_64 */
function assign32Into64(r: Reg): void {
  r.umin = r.u32min;
  r.umax = r.u32max;
  // s32 bounds carry over only when both are non-negative.
  if (r.s32min >= 0n && r.s32max >= 0n) {
    r.smin = r.s32min;
    r.smax = r.s32max;
  } else {
    r.smin = 0n;
    r.smax = U32_MAX;
  }
}

/** zext_32_to_64: an ALU32 result's upper half is zero. */
export function zext32To64(r: Reg): void {
  r.varOff = tnumSubreg(r.varOff);
  assign32Into64(r);
}

/** coerce_reg_to_size: zero-extend from `size` bytes (narrow loads). */
export function coerceRegToSize(r: Reg, size: number): void {
  r.varOff = tnumCast(r.varOff, size);
  const mask = (1n << BigInt(size * 8)) - 1n;
  if ((r.umin & ~mask) === (r.umax & ~mask)) {
    r.umin &= mask;
    r.umax &= mask;
  } else {
    r.umin = 0n;
    r.umax = mask;
  }
  r.smin = r.umin;
  r.smax = r.umax;
  if (size < 4) mark32Unbounded(r);
  regBoundsSync(r);
}

const sext = (x: bigint, size: number): bigint => (size === 1 ? s8(x) : size === 2 ? s16(x) : s32(x));

function setSext64Default(r: Reg, size: number): void {
  const half = 1n << BigInt(size * 8 - 1);
  r.smin = r.s32min = -half;
  r.smax = r.s32max = half - 1n;
  r.umin = r.u32min = 0n;
  r.umax = U64_MAX;
  r.u32max = U32_MAX;
  r.varOff = tnumUnknown;
}

/** coerce_reg_to_size_sx: sign-extend the low `size` bytes to 64 bits (movsx, MEMSX loads). */
export function coerceRegToSizeSx(r: Reg, size: number): void {
  const bits = BigInt(size * 8);
  if (tnumIsConst(r.varOff)) {
    r.varOff = tnumConst(u64(sext(r.varOff.value, size)));
    const c = r.varOff.value;
    r.smax = r.smin = s64(c);
    r.umax = r.umin = c;
    r.s32max = r.s32min = s32(c);
    r.u32max = r.u32min = u32(c);
    return;
  }
  const topSmax = (u64(r.smax) >> bits) << bits;
  const topSmin = (u64(r.smin) >> bits) << bits;
  if (topSmax === topSmin) {
    const a = sext(r.smax, size);
    const b = sext(r.smin, size);
    const hi = max(a, b);
    const lo = min(a, b);
    if ((hi >= 0n) === (lo >= 0n)) {
      r.smin = lo;
      r.s32min = s32(lo);
      r.smax = hi;
      r.s32max = s32(hi);
      r.umin = u64(lo);
      r.u32min = u32(lo);
      r.umax = u64(hi);
      r.u32max = u32(hi);
      r.varOff = tnumRange(u64(lo), u64(hi));
      return;
    }
  }
  setSext64Default(r, size);
}

function setSext32Default(r: Reg, size: number): void {
  const half = 1n << BigInt(size * 8 - 1);
  r.s32min = -half;
  r.s32max = half - 1n;
  r.u32min = 0n;
  r.u32max = U32_MAX;
  r.varOff = tnumSubreg(tnumUnknown);
}

/** coerce_subreg_to_size_sx: sign-extend the low `size` bytes (1 or 2) into the 32-bit subregister. */
export function coerceSubregToSizeSx(r: Reg, size: number): void {
  const bits = BigInt(size * 8);
  if (tnumIsConst(r.varOff)) {
    r.varOff = tnumConst(u64(sext(u32(r.varOff.value), size)));
    const c = u32(r.varOff.value);
    r.s32min = r.s32max = s32(c);
    r.u32min = r.u32max = c;
    return;
  }
  const topSmax = (u32(r.s32max) >> bits) << bits;
  const topSmin = (u32(r.s32min) >> bits) << bits;
  if (topSmax === topSmin) {
    const a = sext(r.s32max, size);
    const b = sext(r.s32min, size);
    const hi = max(a, b);
    const lo = min(a, b);
    if ((lo >= 0n) === (hi >= 0n)) {
      r.s32min = lo;
      r.s32max = hi;
      r.u32min = u32(lo);
      r.u32max = u32(hi);
      r.varOff = tnumSubreg(tnumRange(u64(lo), u64(hi)));
      return;
    }
  }
  setSext32Default(r, size);
}

// ---- immutable wrappers for callers (stack fills, helpers' return values) ----

/** reg_bounds_sync on a copy. */
export function syncScalar(s: ScalarState): ScalarState {
  const r = toReg(s);
  regBoundsSync(r);
  return freeze(r);
}

/** coerce_reg_to_size on a copy: keep the low `size` bytes, zero-extended (narrow loads and fills). */
export function coerceScalarToSize(s: ScalarState, size: 1 | 2 | 4): ScalarState {
  const r = toReg(s);
  coerceRegToSize(r, size);
  return freeze(r);
}

/** coerce_reg_to_size_sx on a copy: sign-extend the low `size` bytes to 64 bits (MEMSX loads and fills). */
export function coerceScalarToSizeSx(s: ScalarState, size: 1 | 2 | 4): ScalarState {
  const r = toReg(s);
  coerceRegToSizeSx(r, size);
  return freeze(r);
}

/** zext_32_to_64 then reg_bounds_sync on a copy: what a 32-bit write leaves in the full register. */
export function zext32Scalar(s: ScalarState): ScalarState {
  const r = toReg(s);
  zext32To64(r);
  regBoundsSync(r);
  return freeze(r);
}
