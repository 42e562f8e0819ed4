/**
 * Context structs as programs see them. A layout is a table of fields at the
 * uapi offsets; `virtualCtx` turns it into a VM `virtual` region accessor so a
 * load of a computed field (xdp_md->data, __sk_buff->len, ...) yields what the
 * kernel's ctx rewrite would load from the real kernel object, and a store to a
 * writable field lands where the kernel's rewrite would put it.
 *
 * Fields without `get` are plain bytes of the backing buffer (cb[], args[] of
 * raw tracepoints, pt_regs registers).
 */
import type { VirtualAccess } from '@bpfsim/vm';

export interface CtxField {
  name: string;
  off: number;
  size: 1 | 2 | 4 | 8;
  /**
   * A pointer the kernel's rewrite widens to 64 bits: a load of any size at
   * `off` yields the whole pointer (xdp_md->data is a __u32 in uapi).
   */
  pointer?: boolean;
  /** Computed value (from kernel state); absent: the backing bytes. */
  get?: () => bigint;
  /** Store hook for computed writable fields; absent with `get`: stores are dropped, as for read-only fields. */
  set?: (value: bigint) => void;
}

export interface CtxLayout {
  /** The C struct name ("xdp_md"). */
  struct: string;
  size: number;
  fields: readonly CtxField[];
}

const MASK = (bytes: number): bigint => (1n << BigInt(bytes * 8)) - 1n;

function readLE(bytes: Uint8Array, off: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[off + i] ?? 0);
  return v;
}

function writeLE(bytes: Uint8Array, off: number, size: number, value: bigint): void {
  let v = value;
  for (let i = 0; i < size; i++) {
    bytes[off + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function signExtend(v: bigint, size: number): bigint {
  const bits = BigInt(size * 8);
  const sign = 1n << (bits - 1n);
  return (v & sign ? v - (1n << bits) : v) & MASK(8);
}

/** Field lookup table: byte offset -> field (computed once per layout). */
function fieldIndex(layout: CtxLayout): (CtxField | undefined)[] {
  const at: (CtxField | undefined)[] = new Array(layout.size).fill(undefined);
  for (const f of layout.fields) for (let i = 0; i < f.size; i++) at[f.off + i] = f;
  return at;
}

/**
 * The VirtualAccess of a context with this layout over `bytes` (layout.size
 * long). Accesses that straddle two fields or hit padding read/write the
 * backing bytes (the verifier rejects them; an unverified run sees bytes).
 */
export function virtualCtx(layout: CtxLayout, bytes: Uint8Array): VirtualAccess {
  const at = fieldIndex(layout);
  return {
    load(off, size, signed) {
      const f = at[off];
      let v: bigint;
      if (f && f.get && off + size <= f.off + f.size) {
        const full = f.get() & MASK(f.pointer ? 8 : f.size);
        if (f.pointer && off === f.off) return full;
        v = (full >> BigInt((off - f.off) * 8)) & MASK(size);
      } else {
        v = readLE(bytes, off, size);
      }
      return signed ? signExtend(v, size) : v;
    },
    store(off, size, value) {
      const f = at[off];
      if (f && f.get && off + size <= f.off + f.size) {
        if (!f.set) return;
        const shift = BigInt((off - f.off) * 8);
        const keep = MASK(f.size) ^ (MASK(size) << shift);
        f.set(((f.get() & keep) | ((value & MASK(size)) << shift)) & MASK(f.size));
        return;
      }
      writeLE(bytes, off, size, value);
    },
  };
}

export { readLE, writeLE };
