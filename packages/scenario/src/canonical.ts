/**
 * The canonical msgpack encoding of plain data: map keys sorted, bigints
 * that fit in a double's safe range as numbers and the rest as
 * {"$u64": "<decimal>"}, byte arrays as msgpack bin. Same data → same bytes.
 */
import * as msgpack from 'msgpack-lite';

export type Plain = null | boolean | number | string | bigint | Uint8Array | Plain[] | { [k: string]: Plain | undefined };

/** Set an own property, even one named __proto__ (plain assignment would replace the prototype). */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

function toWire(v: unknown): unknown {
  if (typeof v === 'bigint') {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : { $bigint: v.toString() };
  }
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (Array.isArray(v)) return v.map(toWire);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) setOwn(out, k, toWire(x));
    }
    return out;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) throw new TypeError(`cannot encode ${v}`);
  return v;
}

function fromWire(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map(fromWire);
  if (v && typeof v === 'object') {
    const rec = v as Record<string, unknown>;
    const keys = Object.keys(rec);
    if (keys.length === 1 && keys[0] === '$bigint' && typeof rec.$bigint === 'string') return BigInt(rec.$bigint);
    const out: Record<string, unknown> = {};
    for (const k of keys) setOwn(out, k, fromWire(rec[k]));
    return out;
  }
  return v;
}

const codec = msgpack.createCodec({ binarraybuffer: false, preset: false });

export function encodeCanonical(v: unknown): Uint8Array {
  return new Uint8Array(msgpack.encode(toWire(v), { codec }));
}

/** Decode; throws the decoder's error on malformed input (callers wrap it with the file name). */
export function decodeCanonical(bytes: Uint8Array): unknown {
  return fromWire(msgpack.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { codec }));
}
