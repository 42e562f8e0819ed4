/**
 * What every map type shares: the attributes, the map-object region, the
 * bpf() syscall layer's generic checks (access mode, frozen, BPF_F_LOCK) and
 * the generic batch commands. Map types extend MapBase and override the
 * syscall-side and program-side operations they support; the defaults return what the kernel
 * returns for a map without that operation.
 */
import { BpfsimError, Errno } from '@bpfsim/uapi';
import type { AddressSpaceApi, Region } from '@bpfsim/vm';
import type { BatchResult, BpfMap, ErrnoResult, MapAttr, MapContext } from './map';
import { BPF_F_LOCK, MapFlag } from './flags';
import type { MapMemoryCharge } from './memcg';

/** Size of the stand-in for struct bpf_map that `addr` points at. */
const MAP_OBJECT_BYTES = 256;

export const ACCESS_MASK = MapFlag.RDONLY | MapFlag.WRONLY | MapFlag.RDONLY_PROG | MapFlag.WRONLY_PROG;
/** MAX_BPF_STACK: keys are built on the program stack. */
export const MAX_BPF_STACK = 512;
/** KMALLOC_MAX_SIZE on x86_64 (order-10 pages: 4 MiB). */
export const KMALLOC_MAX_SIZE = 1 << 22;
/** PCPU_MIN_UNIT_SIZE: bound on one per-CPU value. */
export const PCPU_MIN_UNIT_SIZE = 32 << 10;
/**
 * BPF_LOCAL_STORAGE_MAX_VALUE_SIZE: U16_MAX - sizeof(struct bpf_local_storage_elem) (128 on
 * x86_64; measured: 65407 is the largest cgroup storage value Linux 6.18 accepts).
 */
export const LOCAL_STORAGE_MAX_VALUE_SIZE = 0xffff - 128;
/** NUMA_NO_NODE */
export const NUMA_NO_NODE = -1;

/** bpf_map_flags_access_ok(): a program cannot be both read-only and write-only. */
export function accessOk(flags: number): boolean {
  return (flags & (MapFlag.RDONLY_PROG | MapFlag.WRONLY_PROG)) !== (MapFlag.RDONLY_PROG | MapFlag.WRONLY_PROG);
}

/** bpf_map_attr_numa_node() */
export function numaNode(attr: MapAttr): number {
  return (attr.flags ?? 0) & MapFlag.NUMA_NODE ? (attr.numaNode ?? 0) : NUMA_NO_NODE;
}

export function roundUp8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

export function roundupPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export function le32(b: Uint8Array, off = 0): number {
  return (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0;
}

/** The slot a 4-byte array key names, or -1 for no key (array-indexed maps: array, fd arrays, devmap, sockmap). */
export function arrayIndex(key: Uint8Array | null): number {
  return key && key.length >= 4 ? le32(key) : -1;
}

/**
 * array_map_get_next_key, shared by every array-indexed map: no key or one out of range starts at
 * slot 0, the last slot has no successor (ENOENT), any other slot is followed by the next.
 */
export function arrayNextKey(i: number, maxEntries: number): Uint8Array | ErrnoResult {
  const out = new Uint8Array(4);
  if (i < 0 || i >= maxEntries) return out;
  if (i === maxEntries - 1) return -Errno.ENOENT;
  putLe32(out, i + 1);
  return out;
}

export function putLe32(b: Uint8Array, v: number, off = 0): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
  b[off + 2] = (v >>> 16) & 0xff;
  b[off + 3] = (v >>> 24) & 0xff;
}

export function bytesEqual(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}

const E = (e: number): ErrnoResult => -e;

/** A bpfsim caller passed a buffer of the wrong size (a bug in the caller, not the simulated program). */
export class MapUsageError extends BpfsimError {
  constructor(message: string) {
    super('MAP_USAGE', message);
  }
}

export abstract class MapBase implements BpfMap {
  id = 0;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly name: string;
  readonly mapExtra: bigint;
  readonly userValueSize: number;
  frozen = false;
  /** BPF_F_RDONLY / BPF_F_WRONLY of the creating fd: what user space may do through it. */
  readonly fdAccess: number;
  protected readonly mem: AddressSpaceApi;
  protected readonly ncpu: number;
  protected readonly spinLockOff: number | undefined;
  /** The map-memory budget elements allocated on demand are charged to (memcg.ts). */
  protected readonly budget: MapMemoryCharge | undefined;
  private readonly objRegion: Region;

  constructor(attr: MapAttr, ctx: MapContext, userValueSize = attr.valueSize) {
    this.type = attr.type;
    this.keySize = attr.keySize;
    this.valueSize = attr.valueSize;
    this.maxEntries = attr.maxEntries;
    // BPF_F_RDONLY/WRONLY describe the fd, not the map (bpf_map_flags_retain_permanent).
    this.flags = (attr.flags ?? 0) & ~(MapFlag.RDONLY | MapFlag.WRONLY);
    this.fdAccess = (attr.flags ?? 0) & (MapFlag.RDONLY | MapFlag.WRONLY);
    this.name = attr.name ?? '';
    this.mapExtra = attr.mapExtra ?? 0n;
    this.userValueSize = userValueSize;
    this.mem = ctx.memory;
    this.ncpu = ctx.possibleCpus;
    this.spinLockOff = attr.spinLockOff;
    this.budget = ctx.budget;
    this.objRegion = ctx.memory.map('map', new Uint8Array(MAP_OBJECT_BYTES), {
      name: `map ${this.name || '(anon)'}`,
      writable: false,
      owner: this,
    });
  }

  get addr(): bigint {
    return this.objRegion.base;
  }

  /** Value storage writable by programs unless BPF_F_RDONLY_PROG. */
  protected get progWritable(): boolean {
    return (this.flags & MapFlag.RDONLY_PROG) === 0;
  }

  private canRead(): boolean {
    return (this.fdAccess & MapFlag.WRONLY) === 0;
  }
  private canWrite(): boolean {
    return !this.frozen && (this.fdAccess & MapFlag.RDONLY) === 0;
  }

  // ---- user space: the syscall layer's checks, then the type's operation ----

  /** __bpf_copy_key(): a NULL key is EINVAL when the map has keys; short buffers are caller bugs. */
  private badKey(key: Uint8Array | null, op: string): ErrnoResult {
    if (key === null) return this.keySize ? E(Errno.EINVAL) : 0;
    if (key.length < this.keySize) {
      throw new MapUsageError(`map ${this.name || this.id} ${op}: key is ${key.length} bytes, key_size is ${this.keySize}`);
    }
    return 0;
  }
  private checkValue(value: Uint8Array, op: string): void {
    if (value.length < this.userValueSize) {
      throw new MapUsageError(`map ${this.name || this.id} ${op}: value is ${value.length} bytes, expected ${this.userValueSize}`);
    }
  }

  lookup(key: Uint8Array | null, flags = 0, valueIn?: Uint8Array): Uint8Array | ErrnoResult {
    if (flags & ~BPF_F_LOCK) return E(Errno.EINVAL);
    if (!this.canRead()) return E(Errno.EPERM);
    if (flags & BPF_F_LOCK && this.spinLockOff === undefined) return E(Errno.EINVAL);
    const bad = this.badKey(key, 'lookup');
    if (bad) return bad;
    return this.sysLookup(key, flags, valueIn);
  }

  update(key: Uint8Array | null, value: Uint8Array, flags = 0): ErrnoResult {
    if (!this.canWrite()) return E(Errno.EPERM);
    if (flags & BPF_F_LOCK && this.spinLockOff === undefined) return E(Errno.EINVAL);
    const bad = this.badKey(key, 'update');
    if (bad) return bad;
    this.checkValue(value, 'update');
    return this.sysUpdate(key, value, flags);
  }

  delete(key: Uint8Array | null): ErrnoResult {
    if (!this.canWrite()) return E(Errno.EPERM);
    const bad = this.badKey(key, 'delete');
    if (bad) return bad;
    return this.sysDelete(key);
  }

  getNextKey(key: Uint8Array | null): Uint8Array | ErrnoResult {
    if (!this.canRead()) return E(Errno.EPERM);
    if (key && key.length < this.keySize) this.badKey(key, 'get_next_key');
    return this.sysGetNextKey(key);
  }

  lookupAndDelete(key: Uint8Array | null, flags = 0): Uint8Array | ErrnoResult {
    if (flags & ~BPF_F_LOCK) return E(Errno.EINVAL);
    if (!this.canRead() || !this.canWrite()) return E(Errno.EPERM);
    if (flags & BPF_F_LOCK && this.spinLockOff === undefined) return E(Errno.EINVAL);
    const bad = this.badKey(key, 'lookup_and_delete');
    if (bad) return bad;
    return this.sysLookupAndDelete(key, flags);
  }

  freeze(): ErrnoResult {
    if (!this.canWrite()) return E(Errno.EPERM);
    this.frozen = true;
    return 0;
  }

  /**
   * Which batch commands the type has (the kernel answers ENOTSUPP for the
   * others). Arrays: lookup and update; hash maps: all four.
   */
  protected readonly batchOps: { lookup?: boolean; lookupAndDelete?: boolean; update?: boolean; delete?: boolean } = {};

  /** The batch commands' common checks: a failure result, or undefined to go on. */
  protected batchPrecheck(del: boolean, elemFlags: number): BatchResult | undefined {
    const empty = (error: number): BatchResult => ({ count: 0, keys: new Uint8Array(0), values: new Uint8Array(0), outBatch: null, error });
    if (!(del ? this.batchOps.lookupAndDelete : this.batchOps.lookup)) return empty(E(Errno.ENOTSUPP));
    if (!this.canRead() || (del && !this.canWrite())) return empty(E(Errno.EPERM));
    if (elemFlags & ~BPF_F_LOCK) return empty(E(Errno.EINVAL));
    if (elemFlags & BPF_F_LOCK && this.spinLockOff === undefined) return empty(E(Errno.EINVAL));
    return undefined;
  }

  /** generic_map_lookup_batch(): iteration by get_next_key; the token is the last key returned. */
  lookupBatch(inBatch: Uint8Array | null, count: number, del: boolean, elemFlags = 0): BatchResult {
    const pre = this.batchPrecheck(del, elemFlags);
    if (pre) return pre;
    const keys: Uint8Array[] = [];
    const values: Uint8Array[] = [];
    let prev = inBatch;
    let error = 0;
    while (keys.length < count) {
      const next = this.sysGetNextKey(prev);
      if (typeof next === 'number') { error = next; break; }
      const v = del ? this.sysLookupAndDelete(next, elemFlags) : this.sysLookup(next, elemFlags);
      if (typeof v === 'number') { error = v; break; }
      keys.push(next);
      values.push(v);
      if (!del) prev = next;
    }
    return {
      count: keys.length,
      keys: concat(keys, this.keySize),
      values: concat(values, this.userValueSize),
      outBatch: keys.length ? keys[keys.length - 1] : null,
      error,
    };
  }

  /** generic_map_update_batch(): element by element, stopping at the first error. */
  updateBatch(keys: Uint8Array, values: Uint8Array, elemFlags = 0): { count: number; error: ErrnoResult } {
    if (!this.batchOps.update) return { count: 0, error: E(Errno.ENOTSUPP) };
    if (!this.canWrite()) return { count: 0, error: E(Errno.EPERM) };
    if (elemFlags & ~BPF_F_LOCK || (elemFlags & BPF_F_LOCK && this.spinLockOff === undefined)) return { count: 0, error: E(Errno.EINVAL) };
    const n = this.keySize ? Math.floor(keys.length / this.keySize) : 0;
    for (let i = 0; i < n; i++) {
      const err = this.update(
        keys.subarray(i * this.keySize, (i + 1) * this.keySize),
        values.subarray(i * this.userValueSize, (i + 1) * this.userValueSize),
        elemFlags,
      );
      if (err) return { count: i, error: err };
    }
    return { count: n, error: 0 };
  }

  /** generic_map_delete_batch() */
  deleteBatch(keys: Uint8Array): { count: number; error: ErrnoResult } {
    if (!this.batchOps.delete) return { count: 0, error: E(Errno.ENOTSUPP) };
    if (!this.canWrite()) return { count: 0, error: E(Errno.EPERM) };
    const n = this.keySize ? Math.floor(keys.length / this.keySize) : 0;
    for (let i = 0; i < n; i++) {
      const err = this.sysDelete(keys.subarray(i * this.keySize, (i + 1) * this.keySize));
      if (err) return { count: i, error: err };
    }
    return { count: n, error: 0 };
  }

  // ---- per-type operations; defaults are the kernel's answer for "not supported" ----

  protected sysLookup(key: Uint8Array | null, _flags: number, _valueIn?: Uint8Array): Uint8Array | ErrnoResult {
    if (!key) return E(Errno.EINVAL);
    const a = this.lookupAddr(key, 0);
    if (!a) return E(Errno.ENOENT);
    return this.mem.read(a, this.valueSize);
  }
  protected sysUpdate(key: Uint8Array | null, value: Uint8Array, flags: number): ErrnoResult {
    if (!key) return E(Errno.EINVAL);
    return this.updateFromProg(key, value, flags, 0);
  }
  protected sysDelete(key: Uint8Array | null): ErrnoResult {
    if (!key) return E(Errno.EINVAL);
    return this.deleteFromProg(key, 0);
  }
  protected sysGetNextKey(_key: Uint8Array | null): Uint8Array | ErrnoResult {
    return E(Errno.ENOTSUPP);
  }
  /** map_lookup_and_delete_elem() answers ENOTSUPP for types other than hash and queue/stack. */
  protected sysLookupAndDelete(_key: Uint8Array | null, _flags: number): Uint8Array | ErrnoResult {
    return E(Errno.ENOTSUPP);
  }

  lookupAddr(_key: Uint8Array, _cpu: number): bigint {
    return 0n;
  }
  updateFromProg(_key: Uint8Array, _value: Uint8Array, _flags: number, _cpu: number): ErrnoResult {
    return E(Errno.EOPNOTSUPP);
  }
  deleteFromProg(_key: Uint8Array, _cpu: number): ErrnoResult {
    return E(Errno.EOPNOTSUPP);
  }
  pushElem(_value: Uint8Array, _flags: number): ErrnoResult {
    return E(Errno.EOPNOTSUPP);
  }
  popElem(_out: Uint8Array): ErrnoResult {
    return E(Errno.EOPNOTSUPP);
  }
  peekElem(_value: Uint8Array): ErrnoResult {
    return E(Errno.EOPNOTSUPP);
  }
  forEachElem(_cpu: number, _fn: (keyAddr: bigint, valueAddr: bigint) => boolean): number | ErrnoResult {
    return E(Errno.EOPNOTSUPP);
  }

  free(): void {
    this.freeStorage();
    this.mem.unmap(this.objRegion);
  }
  protected freeStorage(): void {}
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(parts.length * size);
  parts.forEach((p, i) => out.set(p.subarray(0, size), i * size));
  return out;
}

/**
 * One map type: `check` is the kernel's map_alloc_check (attribute
 * validation, no allocation); `create` is map_alloc (may still fail, e.g.
 * ENOMEM or E2BIG for sizes only known after rounding).
 */
export interface MapTypeDef {
  check(attr: MapAttr, ctx: MapContext): ErrnoResult;
  create(attr: MapAttr, ctx: MapContext): MapBase | ErrnoResult;
}

/** bpfsim's own ceiling on preallocated elements (typed arrays are allocated up front); the kernel would usually fail with ENOMEM well before. */
export const SIM_MAX_ELEMS = 1 << 24;
