/**
 * Fixed-width integer helpers over bigint, mirroring C's u64/s64/u32/s32
 * conversions (truncation on assignment, wrap-around arithmetic).
 * Canonical forms: u64 in [0, 2^64), s64 in [-2^63, 2^63), u32 in [0, 2^32),
 * s32 in [-2^31, 2^31).
 */

export const U64_MAX = (1n << 64n) - 1n;
export const S64_MAX = (1n << 63n) - 1n;
export const S64_MIN = -(1n << 63n);
export const U32_MAX = (1n << 32n) - 1n;
export const S32_MAX = (1n << 31n) - 1n;
export const S32_MIN = -(1n << 31n);

/** (u64)x */
export const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
/** (s64)x */
export const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
/** (u32)x */
export const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);
/** (s32)x */
export const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);
/** (s16)x */
export const s16 = (x: bigint): bigint => BigInt.asIntN(16, x);
/** (s8)x */
export const s8 = (x: bigint): bigint => BigInt.asIntN(8, x);

export const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
export const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** Index of the highest set bit plus one (the kernel's fls64); 0 for 0. */
export function fls64(x: bigint): number {
  const v = u64(x);
  if (v === 0n) return 0;
  // two 32-bit halves and Math.clz32, not a bit-by-bit bigint loop (hot in tnum_range)
  const hi = Number(v >> 32n);
  return hi ? 64 - Math.clz32(hi) : 32 - Math.clz32(Number(v & 0xffffffffn));
}

/** True when x is a power of two (x != 0). */
export const isPowerOf2 = (x: bigint): boolean => x !== 0n && (x & (x - 1n)) === 0n;
