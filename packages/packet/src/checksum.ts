/**
 * The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of 16-bit
 * big-endian words, an odd trailing byte padded with zero. TCP, UDP and ICMPv6 prepend a
 * pseudo-header of the enclosing IP addresses, protocol and length (RFC 793, 768, 8200 §8.1).
 */

/** Ones' complement sum (not yet folded/complemented) of `b[off, end)`, added to `acc`. */
export function sum16(b: Uint8Array, off = 0, end = b.length, acc = 0): number {
  let s = acc;
  let i = off;
  for (; i + 1 < end; i += 2) s += (b[i] << 8) | b[i + 1];
  if (i < end) s += b[i] << 8;
  // Fold now and then so the running sum stays a small integer.
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

export function fold(s: number): number {
  let x = s;
  while (x > 0xffff) x = (x & 0xffff) + (x >>> 16);
  return x;
}

/** The checksum field value for the given bytes (the field itself must be zero in them). */
export function inetChecksum(b: Uint8Array, off = 0, end = b.length, acc = 0): number {
  return ~fold(sum16(b, off, end, acc)) & 0xffff;
}

/** The addresses an L4 checksum covers; either both 4 bytes (IPv4) or both 16 (IPv6). */
export interface PseudoHeader {
  src: Uint8Array;
  dst: Uint8Array;
}

export function pseudoSum(ph: PseudoHeader, proto: number, length: number): number {
  let s = sum16(ph.src) + sum16(ph.dst) + proto;
  if (ph.src.length === 16) s += (length >>> 16) + (length & 0xffff);
  else s += length & 0xffff;
  return fold(s);
}

/** True when `b[off, end)` (checksum field included) sums to 0xffff with the given start. */
export function checksumValid(b: Uint8Array, off: number, end: number, acc = 0): boolean {
  return fold(sum16(b, off, end, acc)) === 0xffff;
}
