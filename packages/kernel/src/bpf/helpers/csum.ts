/**
 * Internet checksum arithmetic as include/net/checksum.h does it. Values are
 * the 16/32-bit words as they sit in memory read little-endian (x86), which
 * is what programs pass; ones' complement sums are byte-order neutral.
 */

/** csum_add: 32-bit add with end-around carry. */
export function csumAdd(a: number, b: number): number {
  const r = (a >>> 0) + (b >>> 0);
  return (r + (r > 0xffffffff ? 1 : 0)) >>> 0;
}
export const csumSub = (a: number, b: number): number => csumAdd(a, ~b >>> 0);

/** csum_fold: 32 -> 16 bits, inverted. */
export function csumFold(x: number): number {
  let s = (x & 0xffff) + (x >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/**
 * csum_partial (x86-64's do_csum): the 32-bit ones' complement sum of the
 * buffer as little-endian 16-bit words (odd tail byte as the low byte), plus `seed`.
 * The exact 32-bit representative is architecture specific; test/helpers
 * compare bpf_csum_diff with the kernel to pin it.
 */
export function csumPartial(b: Uint8Array, seed: number): number {
  let sum = 0;
  let i = 0;
  for (; i + 1 < b.length; i += 2) sum += b[i] | (b[i + 1] << 8);
  if (i < b.length) sum += b[i];
  // Fold the wide sum into 32 bits with end-around carries, then add the seed.
  while (sum > 0xffffffff) sum = (sum % 0x100000000) + Math.floor(sum / 0x100000000);
  return csumAdd(sum, seed);
}

/** csum_replace4 / csum_replace2 on a stored checksum `sum16`. */
export function csumReplace(sum16: number, from: number, to: number): number {
  return csumFold(csumAdd(csumSub(~sum16 >>> 0, from), to));
}

/** csum_replace_by_diff */
export function csumReplaceByDiff(sum16: number, diff: number): number {
  return csumFold(csumAdd(diff, ~sum16 >>> 0));
}
