/**
 * BLOOM_FILTER (kernel/bpf/bloom_filter.c): a bit array sized as the kernel
 * sizes it (max_entries * nr_hash_funcs * 7/5 bits, rounded up to a power of
 * two, at least 64), nr_hash_funcs = map_extra & 0xf (0 means 5). Bit i of
 * value v is jhash2/jhash(v, hash_seed + i) & mask; hash_seed is 0 under
 * BPF_F_ZERO_SEED (then false positives are the real kernel's), otherwise a
 * u32 from ctx.rng. push adds, peek tests (ENOENT: definitely absent); there
 * are no keys and no deletion.
 */
import { Errno } from '@bpfsim/uapi';
import type { ErrnoResult, MapAttr, MapContext } from './map';
import { BPF_ANY, MapFlag } from './flags';
import { ACCESS_MASK, KMALLOC_MAX_SIZE, MapBase, type MapTypeDef, accessOk } from './base';
import { mapHash } from './jhash';

const BLOOM_CREATE_FLAG_MASK = MapFlag.NUMA_NODE | MapFlag.ZERO_SEED | ACCESS_MASK;
/** bpfsim's ceiling on the bit array (the kernel's is 2^32 bits). */
const SIM_MAX_BITSET_BYTES = 1 << 28;
const E = (e: number): ErrnoResult => -e;

export class BloomFilterMap extends MapBase {
  readonly nrHashFuncs: number;
  private readonly bits: Uint8Array;
  private readonly mask: number;
  private readonly seed: number;

  constructor(attr: MapAttr, ctx: MapContext, nrBitsLog2: number) {
    super(attr, ctx);
    this.nrHashFuncs = Number((attr.mapExtra ?? 0n) & 0xfn) || 5;
    const nrBits = 2 ** nrBitsLog2;
    this.mask = (nrBits - 1) >>> 0;
    this.bits = new Uint8Array(Math.max(8, Math.ceil(nrBits / 8)));
    this.seed = this.flags & MapFlag.ZERO_SEED || !ctx.rng ? 0 : ctx.rng() >>> 0;
  }

  private bit(value: Uint8Array, i: number): number {
    return (mapHash(value, (this.seed + i) >>> 0, 0, this.valueSize) & this.mask) >>> 0;
  }

  override pushElem(value: Uint8Array, flags: number): ErrnoResult {
    if (flags !== BPF_ANY) return E(Errno.EINVAL);
    for (let i = 0; i < this.nrHashFuncs; i++) {
      const b = this.bit(value, i);
      this.bits[b >>> 3] |= 1 << (b & 7);
    }
    return 0;
  }

  override peekElem(value: Uint8Array): ErrnoResult {
    for (let i = 0; i < this.nrHashFuncs; i++) {
      const b = this.bit(value, i);
      if (!(this.bits[b >>> 3] & (1 << (b & 7)))) return E(Errno.ENOENT);
    }
    return 0;
  }

  override popElem(): ErrnoResult {
    return E(Errno.EOPNOTSUPP);
  }

  /** User-space lookup tests `valueIn`; a hit returns no bytes. */
  protected override sysLookup(_key: Uint8Array | null, _flags: number, valueIn?: Uint8Array): Uint8Array | ErrnoResult {
    if (!valueIn) return E(Errno.EINVAL);
    const err = this.peekElem(valueIn);
    return err || new Uint8Array(0);
  }
  protected override sysUpdate(_key: Uint8Array | null, value: Uint8Array, flags: number): ErrnoResult {
    return this.pushElem(value, flags);
  }
  protected override sysDelete(): ErrnoResult {
    return E(Errno.EOPNOTSUPP);
  }
  protected override sysGetNextKey(): Uint8Array | ErrnoResult {
    return E(Errno.EOPNOTSUPP);
  }
  override updateFromProg(): ErrnoResult {
    return E(Errno.EINVAL);
  }
  override deleteFromProg(): ErrnoResult {
    return E(Errno.EOPNOTSUPP);
  }
}

/** log2 of the bit count, or -1 for the kernel's "2^32 bits" fallback. */
function bitsLog2(maxEntries: number, nrHash: number): number {
  let nrBits = maxEntries * nrHash;
  if (nrBits > 0xffffffff) return 32;
  nrBits = Math.floor(nrBits / 5) * 7;
  if (nrBits > 0xffffffff || nrBits > 2 ** 31) return 32;
  if (nrBits <= 64) return 6;
  return Math.ceil(Math.log2(nrBits));
}

export const bloomFilterType: MapTypeDef = {
  check(attr) {
    const flags = attr.flags ?? 0;
    const extra = attr.mapExtra ?? 0n;
    if (attr.keySize !== 0 || attr.valueSize === 0 || attr.maxEntries === 0 || flags & ~BLOOM_CREATE_FLAG_MASK ||
      !accessOk(flags) || (extra & ~0xfn) !== 0n) return E(Errno.EINVAL);
    if (attr.valueSize > KMALLOC_MAX_SIZE) return E(Errno.E2BIG);
    return 0;
  },
  create(attr, ctx) {
    const nrHash = Number((attr.mapExtra ?? 0n) & 0xfn) || 5;
    const log2 = bitsLog2(attr.maxEntries, nrHash);
    if (2 ** log2 / 8 > SIM_MAX_BITSET_BYTES) return E(Errno.ENOMEM);
    return new BloomFilterMap(attr, ctx, log2);
  },
};
