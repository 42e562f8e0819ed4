/**
 * Tristate numbers: the verifier's bit-level knowledge of a 64-bit value, as
 * kernel/bpf/tnum.c (Linux 6.18) computes it. `mask` bits are unknown; the
 * other bits equal `value` (value & mask is always 0).
 */
import { U64_MAX, fls64, s32, s64, u32, u64 } from './int';

export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

// readonly by type; not frozen at run time (the cost shows on the verifier's hot path)
const T = (value: bigint, mask: bigint): Tnum => ({ value: u64(value), mask: u64(mask) });
/** For results that are already in [0, 2^64) (and/or/and-not of canonical values): no wrapping needed. */
const Tc = (value: bigint, mask: bigint): Tnum => ({ value, mask });

/** Nothing known about any bit. */
export const tnumUnknown: Tnum = Object.freeze({ value: 0n, mask: U64_MAX });

export const tnumConst = (value: bigint): Tnum => T(value, 0n);

/** The smallest tnum covering every value in [min, max] (unsigned). */
export function tnumRange(minv: bigint, maxv: bigint): Tnum {
  const chi = u64(minv) ^ u64(maxv);
  const bits = fls64(chi);
  if (bits > 63) return tnumUnknown;
  const delta = (1n << BigInt(bits)) - 1n;
  return T(u64(minv) & ~delta, delta);
}

export const tnumLshift = (a: Tnum, shift: number | bigint): Tnum =>
  T(a.value << BigInt(shift), a.mask << BigInt(shift));

export const tnumRshift = (a: Tnum, shift: number | bigint): Tnum =>
  Tc(a.value >> BigInt(shift), a.mask >> BigInt(shift));

/** Arithmetic right shift at the instruction's width (32 or 64). */
export function tnumArshift(a: Tnum, minShift: number | bigint, bitness: 32 | 64): Tnum {
  const sh = BigInt(minShift);
  if (bitness === 32) return T(u32(s32(a.value) >> sh), u32(s32(a.mask) >> sh));
  return T(s64(a.value) >> sh, s64(a.mask) >> sh);
}

export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = u64(a.mask + b.mask);
  const sv = u64(a.value + b.value);
  const sigma = u64(sm + sv);
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return T(sv & ~mu, mu);
}

export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = u64(a.value - b.value);
  const alpha = u64(dv + a.mask);
  const beta = u64(dv - b.mask);
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return T(dv & ~mu, mu);
}

export const tnumNeg = (a: Tnum): Tnum => tnumSub(T(0n, 0n), a);

export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return Tc(v, alpha & beta & ~v);
}

export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return Tc(v, mu & ~v);
}

export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return T(v & ~mu, mu);
}

/**
 * Long multiplication over the trits of `a`; for an unknown bit the two
 * partial accumulators (bit 0 / bit 1) are joined with tnumUnion (the 6.18
 * algorithm, which replaced the value/mask decomposition).
 */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  let acc: Tnum = T(0n, 0n);
  let x = a;
  let y = b;
  while (x.value || x.mask) {
    if (x.value & 1n) acc = tnumAdd(acc, y);
    else if (x.mask & 1n) acc = tnumUnion(acc, tnumAdd(acc, y));
    x = tnumRshift(x, 1);
    y = tnumLshift(y, 1);
  }
  return acc;
}

/**
 * Values in both a and b. Where a and b disagree on a known bit the result
 * has it as a known 1 (the kernel's behaviour; only happens on dead paths).
 */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return Tc(v & ~mu, mu);
}

/** Values in a or b (a superset: bits where they disagree become unknown). */
export function tnumUnion(a: Tnum, b: Tnum): Tnum {
  const v = a.value & b.value;
  const mu = (a.value ^ b.value) | a.mask | b.mask;
  return Tc(v & ~mu, mu);
}

/** Keep the low `size` bytes. */
const CAST_MASKS = [0n, 0xffn, 0xffffn, 0xffffffn, 0xffffffffn, 0xffffffffffn, 0xffffffffffffn, 0xffffffffffffffn];
export function tnumCast(a: Tnum, size: number): Tnum {
  const m = size >= 8 ? U64_MAX : CAST_MASKS[size];
  return Tc(a.value & m, a.mask & m);
}

export function tnumIsAligned(a: Tnum, size: bigint): boolean {
  if (!size) return true;
  return ((a.value | a.mask) & (size - 1n)) === 0n;
}

/** Is every value of b also a value of a? */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  if (b.mask & ~a.mask) return false;
  return a.value === (b.value & ~a.mask);
}

/** Can a and b hold the same value? */
export function tnumOverlap(a: Tnum, b: Tnum): boolean {
  const mu = ~a.mask & ~b.mask;
  return (a.value & mu) === (b.value & mu);
}

/**
 * The smallest member of t greater than z (t's largest member when there is
 * none; t's smallest when z is below it): "increment z within the mask".
 */
export function tnumStep(t: Tnum, z: bigint): bigint {
  const tmax = t.value | t.mask;
  if (z >= tmax) return tmax;
  if (z < t.value) return t.value;
  const d = u64(z - t.value);
  const carryMask = (1n << BigInt(fls64(d & ~t.mask))) - 1n;
  const filled = u64(d | carryMask | ~t.mask);
  const inc = u64(filled + 1n) & t.mask;
  return t.value | inc;
}

const swapBytes = (x: bigint, bytes: number): bigint => {
  let out = 0n;
  for (let i = 0; i < bytes; i++) out = (out << 8n) | ((x >> BigInt(8 * i)) & 0xffn);
  return out;
};

/** tnum_bswap16/32/64: reverse the low `bytes` bytes of value and mask (higher bytes cleared). */
export function tnumBswap(t: Tnum, bytes: 2 | 4 | 8): Tnum {
  return T(swapBytes(t.value, bytes), swapBytes(t.mask, bytes));
}

/** Does the concrete u64 value x belong to a? */
export const tnumContains = (a: Tnum, x: bigint): boolean => (u64(x) & ~a.mask) === a.value;

export const tnumIsConst = (a: Tnum): boolean => a.mask === 0n;
export const tnumIsUnknown = (a: Tnum): boolean => a.mask === U64_MAX;
export const tnumEqualsConst = (a: Tnum, b: bigint): boolean => tnumIsConst(a) && a.value === u64(b);
export const tnumEquals = (a: Tnum, b: Tnum): boolean => a.value === b.value && a.mask === b.mask;

/** The low 32 bits. */
export const tnumSubreg = (a: Tnum): Tnum => tnumCast(a, 4);
/** The high 32 bits, low 32 bits known zero. */
export const tnumClearSubreg = (a: Tnum): Tnum => tnumLshift(tnumRshift(a, 32), 32);
/** High 32 bits of reg, low 32 bits of subreg. */
export const tnumWithSubreg = (reg: Tnum, subreg: Tnum): Tnum => tnumOr(tnumClearSubreg(reg), tnumSubreg(subreg));
/** High 32 bits of a, low 32 bits the constant value. */
export const tnumConstSubreg = (a: Tnum, value: bigint): Tnum => tnumWithSubreg(a, tnumConst(value));
export const tnumSubregIsConst = (a: Tnum): boolean => tnumSubreg(a).mask === 0n;

const hex = (x: bigint): string => (x === 0n ? '0x0' : '0x' + x.toString(16));

/** The kernel's tnum_strn: `(0x0; 0xff)` (the kernel's %#llx prints 0 as 0x0, unlike glibc). */
export const tnumStr = (a: Tnum): string => `(${hex(a.value)}; ${hex(a.mask)})`;
