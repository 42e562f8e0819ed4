/**
 * Link and network addresses as text (what tests and timelines read) and as bytes (what the
 * wire carries). Text forms: MAC "02:00:00:00:00:01", IPv4 dotted quad, IPv6 per RFC 5952
 * (the compressed form tcpdump prints).
 */
import { PacketBuildError } from './errors';

export type AddrInput = string | Uint8Array | readonly number[];

function fromBytes(v: Uint8Array | readonly number[], n: number, what: string): Uint8Array {
  if (v.length !== n) throw new PacketBuildError(`${what}: expected ${n} bytes, got ${v.length}`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const b = v[i];
    if (!Number.isInteger(b) || b < 0 || b > 255) throw new PacketBuildError(`${what}: byte ${i} is not 0..255`);
    out[i] = b;
  }
  return out;
}

export function macBytes(v: AddrInput, what = 'MAC address'): Uint8Array {
  if (typeof v !== 'string') return fromBytes(v, 6, what);
  const parts = v.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new PacketBuildError(`${what}: '${v}' is not a MAC address (six hex bytes separated by ':')`);
  }
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export function macText(b: Uint8Array, off = 0): string {
  const out: string[] = [];
  for (let i = 0; i < 6; i++) out.push(b[off + i].toString(16).padStart(2, '0'));
  return out.join(':');
}

export function ipv4Bytes(v: AddrInput, what = 'IPv4 address'): Uint8Array {
  if (typeof v !== 'string') return fromBytes(v, 4, what);
  const parts = v.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
    throw new PacketBuildError(`${what}: '${v}' is not a dotted-quad IPv4 address`);
  }
  return Uint8Array.from(parts.map(Number));
}

export function ipv4Text(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

export function ipv6Bytes(v: AddrInput, what = 'IPv6 address'): Uint8Array {
  if (typeof v !== 'string') return fromBytes(v, 16, what);
  const bad = (): never => {
    throw new PacketBuildError(`${what}: '${v}' is not an IPv6 address`);
  };
  let s = v;
  const tail: number[] = [];
  // An embedded dotted quad ("::ffff:1.2.3.4") supplies the last 32 bits.
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    if (lastColon < 0) bad();
    const q = ipv4Bytes(s.slice(lastColon + 1), what);
    tail.push((q[0] << 8) | q[1], (q[2] << 8) | q[3]);
    s = s.slice(0, lastColon + 1) + (s[lastColon - 1] === ':' ? '' : '0');
    if (s.endsWith(':0')) s = s.slice(0, -2);
    else if (!s.endsWith('::')) bad();
  }
  const halves = s.split('::');
  if (halves.length > 2) bad();
  const group = (x: string): number[] =>
    x === '' ? [] : x.split(':').map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : bad()));
  const head = group(halves[0]);
  const rest = halves.length === 2 ? group(halves[1]) : [];
  const have = head.length + rest.length + tail.length;
  let words: number[];
  if (halves.length === 2) {
    if (have > 7) bad();
    words = [...head, ...new Array<number>(8 - have).fill(0), ...rest, ...tail];
  } else {
    if (have !== 8) bad();
    words = [...head, ...tail];
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** RFC 5952 text: lower case, the longest run (>= 2) of zero groups as "::", first one on ties. */
export function ipv6Text(b: Uint8Array, off = 0): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[off + 2 * i] << 8) | b[off + 2 * i + 1]);
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(w);
  return `${hex(w.slice(0, bestAt))}::${hex(w.slice(bestAt + bestLen))}`;
}
