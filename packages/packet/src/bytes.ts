/** Big-endian field access on byte arrays: network byte order is the only order on the wire. */

export function u16(b: Uint8Array, off: number): number {
  return (b[off] << 8) | b[off + 1];
}

export function u32(b: Uint8Array, off: number): number {
  return ((b[off] << 24) >>> 0) + ((b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]);
}

export function put16(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 8) & 0xff;
  b[off + 1] = v & 0xff;
}

export function put32(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 24) & 0xff;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Check that a user-supplied field fits in `bits` bits (the typed alternative to silent masking). */
export function checkField(v: number, bits: number, what: string, fail: (m: string) => Error): number {
  if (!Number.isInteger(v) || v < 0 || v > 2 ** bits - 1) throw fail(`${what}: ${v} does not fit in ${bits} bits`);
  return v;
}

export const utf8 = new TextEncoder();
