/**
 * ARRAY and PERCPU_ARRAY (kernel/bpf/arraymap.c): max_entries values of
 * round_up(value_size, 8) bytes, zero-initialised, that always exist. The
 * values are one slab (a region per 4 MiB chunk), so element i's address never
 * changes; per-CPU arrays keep CPU c's copy of element i at
 * (i * possibleCpus + c) * round_up(value_size, 8).
 * get_next_key: 0, 1, ..., max_entries-1; a missing or out-of-range key gives 0.
 */
import { BpfMapType, Errno } from '@bpfsim/uapi';
import type { ErrnoResult, MapAttr, MapContext } from './map';
import { BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, MapFlag } from './flags';
import {
  ACCESS_MASK, MapBase, type MapTypeDef, NUMA_NO_NODE, PCPU_MIN_UNIT_SIZE, SIM_MAX_ELEMS, accessOk, arrayIndex, arrayNextKey,
  numaNode, putLe32, roundUp8,
} from './base';
import { Slab } from './slab';

const ARRAY_CREATE_FLAG_MASK =
  MapFlag.NUMA_NODE | MapFlag.MMAPABLE | ACCESS_MASK | MapFlag.PRESERVE_ELEMS | MapFlag.INNER_MAP;
const INT_MAX = 0x7fffffff;
/** bpfsim refuses arrays whose storage would exceed this (the kernel: ENOMEM from vmalloc). */
const SIM_MAX_ARRAY_BYTES = 2 ** 31;
const E = (e: number): ErrnoResult => -e;

/** array_map_alloc_check(), shared by every array-backed type (fd arrays too). */
export function checkArrayAttr(attr: MapAttr): ErrnoResult {
  const percpu = attr.type === BpfMapType.PERCPU_ARRAY;
  const flags = attr.flags ?? 0;
  if (
    attr.maxEntries === 0 || attr.keySize !== 4 || attr.valueSize === 0 || flags & ~ARRAY_CREATE_FLAG_MASK ||
    !accessOk(flags) || (percpu && numaNode(attr) !== NUMA_NO_NODE)
  ) return E(Errno.EINVAL);
  if (attr.type !== BpfMapType.ARRAY && flags & (MapFlag.MMAPABLE | MapFlag.INNER_MAP)) return E(Errno.EINVAL);
  if (attr.type !== BpfMapType.PERF_EVENT_ARRAY && flags & MapFlag.PRESERVE_ELEMS) return E(Errno.EINVAL);
  if (attr.valueSize > INT_MAX) return E(Errno.E2BIG);
  if (percpu && roundUp8(attr.valueSize) > PCPU_MIN_UNIT_SIZE) return E(Errno.E2BIG);
  return 0;
}

export class ArrayMap extends MapBase {
  readonly percpu: boolean;
  private readonly stride: number;
  protected readonly values: Slab;
  protected override readonly batchOps = { lookup: true, update: true };
  /** A 4-byte region holding the index bpf_for_each_map_elem passes as the key. */
  private keyScratch: Slab | undefined;

  constructor(attr: MapAttr, ctx: MapContext) {
    const percpu = attr.type === BpfMapType.PERCPU_ARRAY;
    const stride = roundUp8(attr.valueSize);
    super(attr, ctx, percpu ? stride * ctx.possibleCpus : attr.valueSize);
    this.percpu = percpu;
    this.stride = stride;
    this.values = new Slab(this.mem, percpu ? stride * this.ncpu : stride, attr.maxEntries, 'map_value',
      `${this.name || 'array'}.values`, this.progWritable, this);
  }

  private index(key: Uint8Array | null): number {
    return arrayIndex(key);
  }

  protected override sysLookup(key: Uint8Array | null): Uint8Array | ErrnoResult {
    const i = this.index(key);
    if (i < 0 || i >= this.maxEntries) return E(Errno.ENOENT);
    const o = this.values.off(i);
    return this.values.buf(i).slice(o, o + this.userValueSize);
  }

  private doUpdate(key: Uint8Array | null, value: Uint8Array, flags: number, allCpus: boolean, cpu: number): ErrnoResult {
    if ((flags & ~BPF_F_LOCK) > BPF_EXIST) return E(Errno.EINVAL);
    const i = this.index(key);
    if (i < 0 || i >= this.maxEntries) return E(Errno.E2BIG);
    if (flags & BPF_NOEXIST) return E(Errno.EEXIST);
    if (flags & BPF_F_LOCK && this.spinLockOff === undefined) return E(Errno.EINVAL);
    const buf = this.values.buf(i);
    const o = this.values.off(i);
    if (!this.percpu) buf.set(value.subarray(0, this.valueSize), o);
    else if (allCpus) buf.set(value.subarray(0, this.userValueSize), o);
    else buf.set(value.subarray(0, this.valueSize), o + cpu * this.stride);
    return 0;
  }

  protected override sysUpdate(key: Uint8Array | null, value: Uint8Array, flags: number): ErrnoResult {
    return this.doUpdate(key, value, flags, this.percpu, 0);
  }

  /** Array elements cannot be deleted. */
  protected override sysDelete(): ErrnoResult {
    return E(Errno.EINVAL);
  }

  protected override sysGetNextKey(key: Uint8Array | null): Uint8Array | ErrnoResult {
    return arrayNextKey(this.index(key), this.maxEntries);
  }

  override lookupAddr(key: Uint8Array, cpu: number): bigint {
    const i = this.index(key);
    if (i < 0 || i >= this.maxEntries || cpu < 0 || cpu >= this.ncpu) return 0n;
    return this.values.addr(i, this.percpu ? cpu * this.stride : 0);
  }

  override updateFromProg(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): ErrnoResult {
    return this.doUpdate(key, value, flags, false, cpu);
  }

  override deleteFromProg(): ErrnoResult {
    return E(Errno.EINVAL);
  }

  override forEachElem(cpu: number, fn: (keyAddr: bigint, valueAddr: bigint) => boolean): number {
    this.keyScratch ??= new Slab(this.mem, 8, 1, 'mem', `${this.name || 'array'}.iter_key`, false, this);
    const kb = this.keyScratch.buf(0);
    let n = 0;
    for (let i = 0; i < this.maxEntries; i++) {
      putLe32(kb, i);
      n++;
      if (fn(this.keyScratch.addr(0), this.values.addr(i, this.percpu ? cpu * this.stride : 0))) break;
    }
    return n;
  }

  /** map_direct_value_addr(): address of byte `off` of element 0 (global data sections). */
  directValueAddr(off: number): bigint | ErrnoResult {
    if (this.maxEntries !== 1) return E(Errno.ENOTSUPP);
    if (off >= this.valueSize) return E(Errno.EINVAL);
    return this.values.addr(0, off);
  }

  protected override freeStorage(): void {
    this.values.free();
    this.keyScratch?.free();
  }
}

export const arrayType: MapTypeDef = {
  check: checkArrayAttr,
  create(attr, ctx) {
    const per = roundUp8(attr.valueSize) * (attr.type === BpfMapType.PERCPU_ARRAY ? ctx.possibleCpus : 1);
    if (attr.maxEntries > SIM_MAX_ELEMS || per * attr.maxEntries > SIM_MAX_ARRAY_BYTES) return E(Errno.ENOMEM);
    return new ArrayMap(attr, ctx);
  },
};
