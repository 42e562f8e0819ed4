/**
 * Keys and values as a test writes them (numbers, bigints, byte arrays, hex
 * strings, objects) turned into map bytes, and map bytes turned back into
 * what a person reads: BTF-decoded values where the map has a type, integers
 * where the size is one of C's, bytes otherwise.
 */
import { BpfMapType, BpfsimError } from '@bpfsim/uapi';
import { decodeBtfValue, type Btf, type BtfValue } from '@bpfsim/loader';

/** What a test may give as a key or a value. Objects are matched through BTF (never encoded). */
export type BytesLike = number | bigint | Uint8Array | readonly number[] | string;

/** A value or key given in a form bpfsim cannot turn into bytes. */
export class JestValueError extends BpfsimError {
  constructor(message: string) {
    super('EJESTVALUE', message);
  }
}

export const isPerCpu = (mapType: number): boolean =>
  mapType === BpfMapType.PERCPU_ARRAY || mapType === BpfMapType.PERCPU_HASH || mapType === BpfMapType.LRU_PERCPU_HASH
  || mapType === BpfMapType.PERCPU_CGROUP_STORAGE;

export function isBytesLike(v: unknown): v is BytesLike {
  return typeof v === 'number' || typeof v === 'bigint' || v instanceof Uint8Array || typeof v === 'string'
    || (Array.isArray(v) && v.every((b) => typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 255));
}

/** Little-endian bytes of an integer in `size` bytes (two's complement for negatives). */
export function intBytes(v: number | bigint, size: number, what: string): Uint8Array {
  if (typeof v === 'number' && !Number.isInteger(v)) throw new JestValueError(`${what}: ${v} is not a whole number`);
  let n = BigInt(v);
  const bits = BigInt(size * 8);
  if (n < -(1n << (bits - 1n)) || n >= 1n << bits) throw new JestValueError(`${what}: ${v} does not fit in ${size} bytes`);
  n = BigInt.asUintN(size * 8, n);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/** The bytes a key or value given by a test stands for; `size` is the map's key or value size. */
export function toBytes(v: BytesLike, size: number, what: string): Uint8Array {
  if (typeof v === 'number' || typeof v === 'bigint') return intBytes(v, size, what);
  let bytes: Uint8Array;
  if (typeof v === 'string') {
    const h = v.replace(/\s+/g, '');
    if (!/^([0-9a-fA-F]{2})*$/.test(h)) throw new JestValueError(`${what}: ${JSON.stringify(v)} is not hex bytes ("0a 00 00 01")`);
    bytes = Uint8Array.from(Buffer.from(h, 'hex'));
  } else bytes = Uint8Array.from(v);
  if (bytes.length !== size) throw new JestValueError(`${what}: ${bytes.length} bytes given, the map's are ${size}`);
  return bytes;
}

/** Unsigned little-endian integer of `bytes`. */
export function leUint(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

export const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex').replace(/(..)(?!$)/g, '$1 ');

/** One CPU's slots of a per-CPU lookup result (round_up(value_size, 8) apart). */
export function perCpuSlots(value: Uint8Array, valueSize: number): Uint8Array[] {
  const stride = Math.ceil(valueSize / 8) * 8;
  const out: Uint8Array[] = [];
  for (let at = 0; at + valueSize <= value.length; at += stride) out.push(value.slice(at, at + valueSize));
  return out;
}

/** How a map's key or value bytes read: through BTF when typed, else an integer of C's sizes, else bytes. */
export function decodeBytes(bytes: Uint8Array, btf: Btf | undefined, typeId: number | undefined, file: string): BtfValue | Uint8Array {
  if (btf && typeId) {
    try {
      return decodeBtfValue(btf, typeId, bytes, file);
    } catch {
      // a type that does not describe these bytes: fall back to the raw view
    }
  }
  if (bytes.length === 1 || bytes.length === 2 || bytes.length === 4 || bytes.length === 8) {
    const v = leUint(bytes);
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
  return bytes;
}

/** JSON for messages: bigints as 5n, bytes as hex. */
export function show(v: unknown): string {
  return JSON.stringify(v, (_k, x) => {
    if (typeof x === 'bigint') return `${x}n`;
    if (x instanceof Uint8Array) return `<${hexOf(x)}>`;
    if (x && typeof x === 'object' && typeof (x as { asymmetricMatch?: unknown }).asymmetricMatch === 'function')
      return String((x as { toString(): string }).toString());
    return x;
  }) ?? String(v);
}
