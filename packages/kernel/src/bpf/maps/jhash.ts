/**
 * Bob Jenkins' lookup3 hash as the kernel's include/linux/jhash.h computes it
 * (jhash over bytes, jhash2 over u32 words read little-endian). Hash maps and
 * the bloom filter use it so that, with BPF_F_ZERO_SEED, bucket order and
 * bloom false positives are the kernel's own.
 */
const INITVAL = 0xdeadbeef;

function rol(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

// a, b, c are passed in a 3-slot state to avoid allocating per block.
function mix(s: Uint32Array): void {
  let a = s[0], b = s[1], c = s[2];
  a = (a - c) >>> 0; a ^= rol(c, 4); c = (c + b) >>> 0;
  b = (b - a) >>> 0; b ^= rol(a, 6); a = (a + c) >>> 0;
  c = (c - b) >>> 0; c ^= rol(b, 8); b = (b + a) >>> 0;
  a = (a - c) >>> 0; a ^= rol(c, 16); c = (c + b) >>> 0;
  b = (b - a) >>> 0; b ^= rol(a, 19); a = (a + c) >>> 0;
  c = (c - b) >>> 0; c ^= rol(b, 4); b = (b + a) >>> 0;
  s[0] = a; s[1] = b; s[2] = c;
}

function final(s: Uint32Array): number {
  let a = s[0], b = s[1], c = s[2];
  c ^= b; c = (c - rol(b >>> 0, 14)) >>> 0;
  a ^= c; a = (a - rol(c, 11)) >>> 0;
  b ^= a; b = (b - rol(a, 25)) >>> 0;
  c ^= b; c = (c - rol(b, 16)) >>> 0;
  a ^= c; a = (a - rol(c, 4)) >>> 0;
  b ^= a; b = (b - rol(a, 14)) >>> 0;
  c ^= b; c = (c - rol(b, 24)) >>> 0;
  return c >>> 0;
}

const st = new Uint32Array(3);

function le32(k: Uint8Array, o: number): number {
  return (k[o] | (k[o + 1] << 8) | (k[o + 2] << 16) | (k[o + 3] << 24)) >>> 0;
}

/** jhash(key, length, initval): `len` bytes of `k` from `off`. */
export function jhash(k: Uint8Array, initval: number, off = 0, len = k.length - off): number {
  st[0] = st[1] = st[2] = (INITVAL + len + initval) >>> 0;
  let o = off;
  let n = len;
  while (n > 12) {
    st[0] = (st[0] + le32(k, o)) >>> 0;
    st[1] = (st[1] + le32(k, o + 4)) >>> 0;
    st[2] = (st[2] + le32(k, o + 8)) >>> 0;
    mix(st);
    n -= 12;
    o += 12;
  }
  if (n === 0) return st[2];
  // The kernel's fall-through switch: bytes 8..11 go to c, 4..7 to b, 0..3 to a.
  for (let i = n - 1; i >= 0; i--) {
    const word = i >> 2;
    st[word] = (st[word] + (k[o + i] << ((i & 3) * 8))) >>> 0;
  }
  return final(st);
}

/** jhash2(words, length, initval): `len` bytes (a multiple of 4) read as little-endian u32 words. */
export function jhash2(k: Uint8Array, initval: number, off = 0, len = k.length - off): number {
  let words = len >>> 2;
  st[0] = st[1] = st[2] = (INITVAL + (words << 2) + initval) >>> 0;
  let o = off;
  while (words > 3) {
    st[0] = (st[0] + le32(k, o)) >>> 0;
    st[1] = (st[1] + le32(k, o + 4)) >>> 0;
    st[2] = (st[2] + le32(k, o + 8)) >>> 0;
    mix(st);
    words -= 3;
    o += 12;
  }
  if (words === 0) return st[2];
  for (let i = 0; i < words; i++) st[i] = (st[i] + le32(k, o + 4 * i)) >>> 0;
  return final(st);
}

/** htab_map_hash(): jhash2 when the length is a multiple of 4, else jhash. */
export function mapHash(k: Uint8Array, seed: number, off = 0, len = k.length - off): number {
  return (len & 3) === 0 ? jhash2(k, seed, off, len) : jhash(k, seed, off, len);
}
