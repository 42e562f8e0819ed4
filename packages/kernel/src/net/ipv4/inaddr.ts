/**
 * IPv4 addresses as the stack holds them: u32 in host order (the kernel keeps
 * __be32; the order only matters at the wire, where helpers convert).
 */
import { BpfsimError } from '@bpfsim/uapi';

export const INADDR_ANY = 0;
export const INADDR_BROADCAST = 0xffffffff;
export const INADDR_LOOPBACK = 0x7f000001;

/** "10.0.0.1" → u32; a typed error names the bad text. */
export function ip4(s: string | number, what = 'IPv4 address'): number {
  if (typeof s === 'number') {
    if (!Number.isInteger(s) || s < 0 || s > 0xffffffff) throw new BpfsimError('EINVAL', `${what} ${s} is not a u32`);
    return s >>> 0;
  }
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) throw new BpfsimError('EINVAL', `${what} ${JSON.stringify(s)} is not a dotted quad`);
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

/** "10.0.0.0/24" → [address, prefix length]. */
export function cidr(s: string, what = 'prefix'): [number, number] {
  const [a, p] = s.split('/');
  const len = p === undefined ? 32 : Number(p);
  if (!Number.isInteger(len) || len < 0 || len > 32) throw new BpfsimError('EINVAL', `${what} ${JSON.stringify(s)}: bad prefix length`);
  return [ip4(a, what), len];
}

export const ip4Text = (n: number): string => `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
export const maskOf = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
export const inPrefix = (a: number, net: number, prefix: number): boolean => ((a & maskOf(prefix)) >>> 0) === ((net & maskOf(prefix)) >>> 0);

export const ipv4IsLoopback = (a: number): boolean => a >>> 24 === 127;
export const ipv4IsMulticast = (a: number): boolean => a >>> 28 === 0xe;
export const ipv4IsZeronet = (a: number): boolean => a >>> 24 === 0;
export const ipv4IsLbcast = (a: number): boolean => a === INADDR_BROADCAST;

export const rd32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
export const rd16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
export function wr32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24; b[o + 1] = (v >>> 16) & 0xff; b[o + 2] = (v >>> 8) & 0xff; b[o + 3] = v & 0xff;
}
export function wr16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff; b[o + 1] = v & 0xff;
}
