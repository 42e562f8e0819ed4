/**
 * 64-bit arithmetic on registers kept as two int32 halves (lo[r], hi[r]).
 * Each function updates register d with operand (bl, bh); BigInt only where
 * exact double arithmetic cannot do it (wide division).
 *
 * Kernel semantics (do_misc_fixups in kernel/bpf/verifier.c patches the
 * divisions): x / 0 = 0; x % 0 = x (64-bit) or the zero-extended low half
 * (32-bit); signed x / -1 = -x (so INT_MIN / -1 = INT_MIN); signed x % -1 = 0.
 */
const TWO32 = 4294967296;

export function mul64(lo: Int32Array, hi: Int32Array, d: number, bl: number, bh: number): void {
  const al = lo[d];
  const ah = hi[d];
  // lo * lo as a full 64-bit product through 16-bit limbs (every partial sum is exact in a double).
  const a0 = al & 0xffff, a1 = al >>> 16, b0 = bl & 0xffff, b1 = bl >>> 16;
  const p00 = a0 * b0;
  const mid = (p00 >>> 16) + a1 * b0 + a0 * b1;
  lo[d] = (mid << 16) | (p00 & 0xffff);
  hi[d] = Math.floor(mid / 65536) + a1 * b1 + Math.imul(al, bh) + Math.imul(ah, bl);
}

const big = (l: number, h: number): bigint => (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);
const bigSigned = (l: number, h: number): bigint => (BigInt(h) << 32n) | BigInt(l >>> 0);

function store(lo: Int32Array, hi: Int32Array, d: number, v: bigint): void {
  lo[d] = Number(BigInt.asIntN(32, v));
  hi[d] = Number(BigInt.asIntN(32, v >> 32n));
}

export function udiv64(lo: Int32Array, hi: Int32Array, d: number, bl: number, bh: number): void {
  if (bl === 0 && bh === 0) {
    lo[d] = 0;
    hi[d] = 0;
  } else if (bh === 0 && hi[d] === 0) {
    lo[d] = Math.floor((lo[d] >>> 0) / (bl >>> 0));
  } else {
    store(lo, hi, d, big(lo[d], hi[d]) / big(bl, bh));
  }
}

export function umod64(lo: Int32Array, hi: Int32Array, d: number, bl: number, bh: number): void {
  if (bl === 0 && bh === 0) return;
  if (bh === 0 && hi[d] === 0) lo[d] = (lo[d] >>> 0) % (bl >>> 0);
  else store(lo, hi, d, big(lo[d], hi[d]) % big(bl, bh));
}

export function sdiv64(lo: Int32Array, hi: Int32Array, d: number, bl: number, bh: number): void {
  if (bl === 0 && bh === 0) {
    lo[d] = 0;
    hi[d] = 0;
  } else if (bh === bl >> 31 && hi[d] === lo[d] >> 31) {
    // Both fit in int32: the quotient is exact (2^31 for INT32_MIN / -1 is fine in 64 bits).
    const q = Math.trunc(lo[d] / bl);
    lo[d] = q;
    hi[d] = q < 0 ? -1 : 0;
  } else {
    const b = bigSigned(bl, bh);
    const a = bigSigned(lo[d], hi[d]);
    store(lo, hi, d, b === -1n ? -a : a / b);
  }
}

export function smod64(lo: Int32Array, hi: Int32Array, d: number, bl: number, bh: number): void {
  if (bl === 0 && bh === 0) return;
  if (bh === bl >> 31 && hi[d] === lo[d] >> 31) {
    const r = lo[d] % bl; // sign of the dividend, as C's %
    lo[d] = r;
    hi[d] = r < 0 ? -1 : 0;
  } else {
    const b = bigSigned(bl, bh);
    store(lo, hi, d, b === -1n ? 0n : bigSigned(lo[d], hi[d]) % b);
  }
}

export function udiv32(lo: Int32Array, hi: Int32Array, d: number, b: number): void {
  const bu = b >>> 0;
  lo[d] = bu === 0 ? 0 : Math.floor((lo[d] >>> 0) / bu);
  hi[d] = 0;
}

export function umod32(lo: Int32Array, hi: Int32Array, d: number, b: number): void {
  const bu = b >>> 0;
  if (bu !== 0) lo[d] = (lo[d] >>> 0) % bu;
  hi[d] = 0;
}

export function sdiv32(lo: Int32Array, hi: Int32Array, d: number, b: number): void {
  lo[d] = b === 0 ? 0 : Math.trunc(lo[d] / b); // INT32_MIN / -1 = 2^31 wraps to INT32_MIN
  hi[d] = 0;
}

export function smod32(lo: Int32Array, hi: Int32Array, d: number, b: number): void {
  if (b !== 0) lo[d] = lo[d] % b;
  hi[d] = 0;
}

export function shl64(lo: Int32Array, hi: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  if (n < 32) {
    hi[d] = (hi[d] << n) | (lo[d] >>> (32 - n));
    lo[d] = lo[d] << n;
  } else {
    hi[d] = lo[d] << (n - 32);
    lo[d] = 0;
  }
}

export function shr64(lo: Int32Array, hi: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  if (n < 32) {
    lo[d] = (lo[d] >>> n) | (hi[d] << (32 - n));
    hi[d] = hi[d] >>> n;
  } else {
    lo[d] = hi[d] >>> (n - 32);
    hi[d] = 0;
  }
}

export function sar64(lo: Int32Array, hi: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  if (n < 32) {
    lo[d] = (lo[d] >>> n) | (hi[d] << (32 - n));
    hi[d] = hi[d] >> n;
  } else {
    lo[d] = hi[d] >> (n - 32);
    hi[d] = hi[d] >> 31;
  }
}

export function bswap32(v: number): number {
  return ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}

/** Address = reg + off as (hi, lo) halves; lo unsigned. */
export function addrHi(regLo: number, regHi: number, off: number): number {
  return (regHi + Math.floor(((regLo >>> 0) + off) / TWO32)) | 0;
}
