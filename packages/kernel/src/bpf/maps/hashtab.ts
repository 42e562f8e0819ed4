/**
 * The hash table behind HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH
 * (kernel/bpf/hashtab.c), stored without one object per element:
 *
 * - element slots 0..capacity-1; keys in a read-only key slab (so
 *   bpf_for_each_map_elem can hand out key pointers), values in a value slab
 *   (non-percpu: round_up(value_size, 8) per slot; per-CPU: that times
 *   possibleCpus, CPU c's copy at c * round_up(value_size, 8)).
 * - n_buckets = roundup_pow_of_two(max_entries) bucket heads, singly linked
 *   chains through `next`; a new element goes to the head of its bucket, as
 *   hlist_nulls_add_head_rcu does.
 * - bucket = htab_map_hash(key) & (n_buckets - 1), htab_map_hash being
 *   jhash2/jhash with seed 0 under BPF_F_ZERO_SEED, else a u32 from ctx.rng.
 *
 * get_next_key order is therefore the kernel's: buckets ascending, each chain
 * newest first; a missing key restarts from the first element. With
 * BPF_F_ZERO_SEED it matches the real kernel key for key.
 *
 * Updating an existing key in HASH/LRU_HASH builds a new element (moved to the
 * head of its bucket) and retires the old one, like the kernel; preallocated
 * HASH keeps one spare slot for that swap (the kernel's per-CPU extra_elems),
 * so an existing key can always be updated in a full map. PERCPU_HASH updates
 * in place. Freed slots are reused last-freed-first.
 *
 * LRU policy (deterministic; the kernel's is approximate): one exact LRU list.
 * Insertions, updates and program lookups make an element most recently used;
 * syscall lookups do not (as in the kernel). Like prealloc_lru_pop(), a free
 * slot is taken before the key is looked up: when none is free the least
 * recently used element is evicted, even if the update then fails its flags
 * check. So the map never exceeds max_entries, updates never fail with E2BIG,
 * and the most recently used element is never the one evicted.
 */
import { Errno } from '@bpfsim/uapi';
import type { BatchResult, ErrnoResult, MapAttr, MapContext } from './map';
import { BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, MapFlag } from './flags';
import {
  ACCESS_MASK, KMALLOC_MAX_SIZE, MapBase, type MapTypeDef, NUMA_NO_NODE, PCPU_MIN_UNIT_SIZE, SIM_MAX_ELEMS,
  accessOk, bytesEqual, le32, numaNode, putLe32, roundUp8, roundupPow2,
} from './base';
import { mapHash } from './jhash';
import { Slab } from './slab';
import { hashElemFootprint } from './memcg';
import { BpfMapType } from '@bpfsim/uapi';

const HTAB_CREATE_FLAG_MASK =
  MapFlag.NO_PREALLOC | MapFlag.NO_COMMON_LRU | MapFlag.NUMA_NODE | ACCESS_MASK | MapFlag.ZERO_SEED;
/** sizeof(struct htab_elem) on x86_64. */
const HTAB_ELEM_SIZE = 48;
const E = (e: number): ErrnoResult => -e;

export interface HashKind {
  percpu: boolean;
  lru: boolean;
}

export function hashKind(type: number): HashKind {
  return {
    percpu: type === BpfMapType.PERCPU_HASH || type === BpfMapType.LRU_PERCPU_HASH,
    lru: type === BpfMapType.LRU_HASH || type === BpfMapType.LRU_PERCPU_HASH,
  };
}

/** htab_map_alloc_check() */
export function checkHashAttr(attr: MapAttr, ctx: MapContext): ErrnoResult {
  const { percpu, lru } = hashKind(attr.type);
  const flags = attr.flags ?? 0;
  const prealloc = !(flags & MapFlag.NO_PREALLOC);
  const percpuLru = (flags & MapFlag.NO_COMMON_LRU) !== 0;
  if (flags & MapFlag.ZERO_SEED && ctx.sysAdmin === false) return E(Errno.EPERM);
  if (flags & ~HTAB_CREATE_FLAG_MASK || !accessOk(flags)) return E(Errno.EINVAL);
  if (!lru && percpuLru) return E(Errno.EINVAL);
  if (lru && !prealloc) return E(Errno.ENOTSUPP);
  if (numaNode(attr) !== NUMA_NO_NODE && (percpu || percpuLru)) return E(Errno.EINVAL);
  if (attr.maxEntries === 0 || attr.keySize === 0 || attr.valueSize === 0) return E(Errno.EINVAL);
  if (attr.keySize + attr.valueSize >= KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE) return E(Errno.E2BIG);
  if (percpu && roundUp8(attr.valueSize) > PCPU_MIN_UNIT_SIZE) return E(Errno.E2BIG);
  return 0;
}

export class HashTableMap extends MapBase {
  readonly percpu: boolean;
  readonly lru: boolean;
  private readonly seed: number;
  private readonly kstride: number;
  private readonly vstride: number; // bytes per CPU copy (or per value)
  private readonly nBuckets: number;
  /** Bucket heads as slot + 1 (0: empty), so a new map's zeroed array needs no fill and its untouched pages no memory. */
  private readonly buckets: Int32Array;
  // Per-slot arrays grow as slots are first used (fresh): a map with a large max_entries is cheap
  // to create. Free slots are `fresh..capacity-1` plus the released ones on freeStack.
  private next: Int32Array;
  private hashes: Uint32Array;
  private freeStack: Int32Array;
  private freeTop = 0;
  private fresh = 0;
  private readonly capacity: number;
  /** HASH only: the spare element an update of an existing key swaps in. */
  private spare = -1;
  private count = 0;
  private readonly keys: Slab;
  private readonly values: Slab;
  // LRU list (head = most recently used)
  private lruPrev: Int32Array | undefined;
  private lruNext: Int32Array | undefined;
  private lruHead = -1;
  private lruTail = -1;

  constructor(attr: MapAttr, ctx: MapContext, maxEntries: number) {
    const kind = hashKind(attr.type);
    const vstride = roundUp8(attr.valueSize);
    super({ ...attr, maxEntries }, ctx, kind.percpu ? vstride * ctx.possibleCpus : attr.valueSize);
    this.percpu = kind.percpu;
    this.lru = kind.lru;
    this.seed = this.flags & MapFlag.ZERO_SEED || !ctx.rng ? 0 : ctx.rng() >>> 0;
    this.kstride = roundUp8(this.keySize);
    this.vstride = vstride;
    this.nBuckets = roundupPow2(maxEntries);
    const capacity = maxEntries + (this.percpu || this.lru ? 0 : 1);
    this.buckets = new Int32Array(this.nBuckets);
    this.capacity = capacity;
    const initial = Math.min(capacity, 64);
    this.next = new Int32Array(initial);
    this.hashes = new Uint32Array(initial);
    this.freeStack = new Int32Array(initial);
    if (this.lru) {
      this.lruPrev = new Int32Array(initial);
      this.lruNext = new Int32Array(initial);
    }
    // Pop order 0, 1, 2, ...: fill the slabs front to back.
    if (!this.percpu && !this.lru) this.spare = this.popFree();
    const label = this.name || 'hash';
    this.keys = new Slab(this.mem, this.kstride, capacity, 'map_value', `${label}.keys`, false, this);
    this.values = new Slab(this.mem, this.percpu ? vstride * this.ncpu : vstride, capacity, 'map_value', `${label}.values`, this.progWritable, this);
    if (this.budget && this.flags & MapFlag.NO_PREALLOC) this.elemCharge = hashElemFootprint(attr, ctx.possibleCpus);
  }

  /** A BPF_F_NO_PREALLOC element's memory (0: preallocated at creation, or no budget). */
  private readonly elemCharge: number = 0;

  private uncharge(): void {
    if (this.elemCharge) this.budget!.uncharge(this.elemCharge);
  }

  /** Number of elements. */
  get size(): number {
    return this.count;
  }

  // ---- the index ----

  private hashOf(key: Uint8Array): number {
    return mapHash(key, this.seed, 0, this.keySize);
  }

  private find(key: Uint8Array, hash: number): number {
    const ks = this.keySize;
    for (let i = this.buckets[hash & (this.nBuckets - 1)] - 1; i >= 0; i = this.next[i]) {
      if (this.hashes[i] === hash && bytesEqual(this.keys.buf(i), this.keys.off(i), key, 0, ks)) return i;
    }
    return -1;
  }

  private link(slot: number, key: Uint8Array, hash: number): void {
    this.keys.buf(slot).set(key.subarray(0, this.keySize), this.keys.off(slot));
    this.hashes[slot] = hash;
    const b = hash & (this.nBuckets - 1);
    this.next[slot] = this.buckets[b] - 1;
    this.buckets[b] = slot + 1;
  }

  private unlink(slot: number): void {
    const b = this.hashes[slot] & (this.nBuckets - 1);
    if (this.buckets[b] - 1 === slot) {
      this.buckets[b] = this.next[slot] + 1;
      return;
    }
    for (let i = this.buckets[b] - 1; i >= 0; i = this.next[i]) {
      if (this.next[i] === slot) {
        this.next[i] = this.next[slot];
        return;
      }
    }
  }

  private release(slot: number): void {
    if (this.lru) this.lruRemove(slot);
    this.pushFree(slot);
  }

  // ---- free slots ----

  private hasFree(): boolean {
    return this.freeTop > 0 || this.fresh < this.capacity;
  }
  /** A free slot: the last released one, else the first never used (-1 when none). */
  private popFree(): number {
    if (this.freeTop > 0) return this.freeStack[--this.freeTop];
    if (this.fresh >= this.capacity) return -1;
    if (this.fresh >= this.next.length) this.growSlots(this.fresh + 1);
    return this.fresh++;
  }
  private pushFree(slot: number): void {
    if (this.freeTop >= this.freeStack.length) this.freeStack = grown(this.freeStack, Math.min(this.capacity, this.freeStack.length * 2 + 1));
    this.freeStack[this.freeTop++] = slot;
  }
  private growSlots(min: number): void {
    const n = Math.min(this.capacity, Math.max(min, this.next.length * 2));
    this.next = grown(this.next, n);
    this.hashes = grown(this.hashes, n);
    if (this.lruPrev) this.lruPrev = grown(this.lruPrev, n);
    if (this.lruNext) this.lruNext = grown(this.lruNext, n);
  }

  // ---- LRU list ----

  private lruRemove(s: number): void {
    const p = this.lruPrev!, n = this.lruNext!;
    if (p[s] >= 0) n[p[s]] = n[s]; else this.lruHead = n[s];
    if (n[s] >= 0) p[n[s]] = p[s]; else this.lruTail = p[s];
  }
  private lruPushFront(s: number): void {
    const p = this.lruPrev!, n = this.lruNext!;
    p[s] = -1;
    n[s] = this.lruHead;
    if (this.lruHead >= 0) p[this.lruHead] = s; else this.lruTail = s;
    this.lruHead = s;
  }
  private touch(s: number): void {
    if (this.lruHead === s) return;
    this.lruRemove(s);
    this.lruPushFront(s);
  }

  /** prealloc_lru_pop(): a free slot, evicting the least recently used element when there is none. */
  private lruPop(): number {
    if (this.hasFree()) return this.popFree();
    const victim = this.lruTail;
    this.lruRemove(victim);
    this.unlink(victim);
    this.count--;
    return victim;
  }

  // ---- values ----

  private valueOff(slot: number, cpu: number): number {
    return this.values.off(slot) + (this.percpu ? cpu * this.vstride : 0);
  }

  /** Write a value: user space gives every CPU's copy (percpu), a program one CPU's. */
  private writeValue(slot: number, value: Uint8Array, allCpus: boolean, cpu: number, zeroOthers: boolean): void {
    const buf = this.values.buf(slot);
    if (!this.percpu) {
      buf.set(value.subarray(0, this.valueSize), this.values.off(slot));
      return;
    }
    for (let c = 0; c < this.ncpu; c++) {
      const o = this.valueOff(slot, c);
      if (allCpus) buf.set(value.subarray(c * this.vstride, (c + 1) * this.vstride), o);
      else if (c === cpu) buf.set(value.subarray(0, this.valueSize), o);
      else if (zeroOthers) buf.fill(0, o, o + this.vstride);
    }
  }

  private readValue(slot: number): Uint8Array {
    const o = this.values.off(slot);
    return this.values.buf(slot).slice(o, o + this.userValueSize);
  }

  // ---- batch commands ----

  protected override readonly batchOps = { lookup: true, lookupAndDelete: true, update: true, delete: true };

  /**
   * __htab_map_lookup_and_delete_batch(): whole buckets at a time. The token
   * is the next bucket index (u32). A bucket that does not fit in what is left
   * of `count` ends the batch (ENOSPC if nothing was copied yet); ENOENT once
   * the last bucket is done.
   */
  override lookupBatch(inBatch: Uint8Array | null, count: number, del: boolean, elemFlags = 0): BatchResult {
    const pre = this.batchPrecheck(del, elemFlags);
    if (pre) return pre;
    const done = (keys: Uint8Array[], values: Uint8Array[], batch: number, error: number): BatchResult => {
      const kb = new Uint8Array(keys.length * this.keySize);
      const vb = new Uint8Array(values.length * this.userValueSize);
      keys.forEach((k, i) => kb.set(k, i * this.keySize));
      values.forEach((v, i) => vb.set(v, i * this.userValueSize));
      const token = new Uint8Array(4);
      putLe32(token, batch);
      return { count: keys.length, keys: kb, values: vb, outBatch: token, error };
    };
    if (!count) return done([], [], 0, 0);
    let batch = inBatch && inBatch.length >= 4 ? le32(inBatch) : 0;
    if (batch >= this.nBuckets) return { count: 0, keys: new Uint8Array(0), values: new Uint8Array(0), outBatch: null, error: E(Errno.ENOENT) };
    const keys: Uint8Array[] = [];
    const values: Uint8Array[] = [];
    for (;;) {
      const slots: number[] = [];
      for (let i = this.buckets[batch] - 1; i >= 0; i = this.next[i]) slots.push(i);
      if (slots.length > count - keys.length) return done(keys, values, batch, keys.length ? 0 : E(Errno.ENOSPC));
      for (const s of slots) {
        keys.push(this.keyOf(s));
        values.push(this.readValue(s));
        if (del) {
          this.unlink(s);
          this.release(s);
          this.count--;
          this.uncharge();
        }
      }
      batch++;
      if (batch >= this.nBuckets) return done(keys, values, batch, E(Errno.ENOENT));
    }
  }

  // ---- operations ----

  private doUpdate(key: Uint8Array, value: Uint8Array, flags: number, allCpus: boolean, cpu: number): ErrnoResult {
    const op = flags & ~BPF_F_LOCK;
    if (this.lru || this.percpu ? flags > BPF_EXIST : op > BPF_EXIST) return E(Errno.EINVAL);
    if (flags & BPF_F_LOCK && this.spinLockOff === undefined) return E(Errno.EINVAL);
    const hash = this.hashOf(key);
    // LRU takes its element before looking the key up (it may evict); LRU_PERCPU only when it may insert.
    let fresh = -1;
    if (this.lru && !(this.percpu && op === BPF_EXIST)) fresh = this.lruPop();
    const old = this.find(key, hash);
    let err = 0;
    if (old >= 0 && op === BPF_NOEXIST) err = E(Errno.EEXIST);
    else if (old < 0 && op === BPF_EXIST) err = E(Errno.ENOENT);
    if (err) {
      if (fresh >= 0) this.pushFree(fresh);
      return err;
    }
    if (old >= 0 && (this.percpu || flags & BPF_F_LOCK)) {
      // In place: per-CPU values, and BPF_F_LOCK updates of an existing element.
      this.writeValue(old, value, allCpus, cpu, false);
      if (this.lru) this.touch(old);
      if (fresh >= 0) this.pushFree(fresh);
      return 0;
    }
    let slot: number;
    if (this.lru) slot = fresh;
    else if (old >= 0) {
      slot = this.spare;
      this.spare = old;
    } else {
      if (this.count >= this.maxEntries || !this.hasFree()) return E(Errno.E2BIG);
      // BPF_F_NO_PREALLOC: the element is allocated now (alloc_htab_elem), charged to the budget
      if (this.elemCharge && !this.budget!.charge(this.elemCharge)) return E(Errno.ENOMEM);
      slot = this.popFree();
    }
    this.writeValue(slot, value, allCpus, cpu, true);
    this.link(slot, key, hash);
    if (this.lru) this.lruPushFront(slot);
    if (old >= 0) {
      this.unlink(old);
      if (this.lru) this.release(old);
    } else {
      this.count++;
    }
    return 0;
  }

  private doDelete(key: Uint8Array): ErrnoResult {
    const slot = this.find(key, this.hashOf(key));
    if (slot < 0) return E(Errno.ENOENT);
    this.unlink(slot);
    this.release(slot);
    this.count--;
    this.uncharge();
    return 0;
  }

  protected override sysLookup(key: Uint8Array | null): Uint8Array | ErrnoResult {
    if (!key) return E(Errno.EINVAL);
    const slot = this.find(key, this.hashOf(key));
    return slot < 0 ? E(Errno.ENOENT) : this.readValue(slot);
  }

  protected override sysUpdate(key: Uint8Array | null, value: Uint8Array, flags: number): ErrnoResult {
    if (!key) return E(Errno.EINVAL);
    return this.doUpdate(key, value, flags, this.percpu, 0);
  }

  protected override sysDelete(key: Uint8Array | null): ErrnoResult {
    if (!key) return E(Errno.EINVAL);
    return this.doDelete(key);
  }

  protected override sysGetNextKey(key: Uint8Array | null): Uint8Array | ErrnoResult {
    let b = 0;
    if (key) {
      const hash = this.hashOf(key);
      const slot = this.find(key, hash);
      if (slot >= 0) {
        if (this.next[slot] >= 0) return this.keyOf(this.next[slot]);
        b = (hash & (this.nBuckets - 1)) + 1;
      }
    }
    for (; b < this.nBuckets; b++) if (this.buckets[b] > 0) return this.keyOf(this.buckets[b] - 1);
    return E(Errno.ENOENT);
  }

  private keyOf(slot: number): Uint8Array {
    const o = this.keys.off(slot);
    return this.keys.buf(slot).slice(o, o + this.keySize);
  }

  protected override sysLookupAndDelete(key: Uint8Array | null, flags: number): Uint8Array | ErrnoResult {
    if (!key) return E(Errno.EINVAL);
    if (flags & ~BPF_F_LOCK || (flags & BPF_F_LOCK && this.spinLockOff === undefined)) return E(Errno.EINVAL);
    const slot = this.find(key, this.hashOf(key));
    if (slot < 0) return E(Errno.ENOENT);
    const v = this.readValue(slot);
    this.unlink(slot);
    this.release(slot);
    this.count--;
    this.uncharge();
    return v;
  }

  override lookupAddr(key: Uint8Array, cpu: number): bigint {
    if (cpu < 0 || cpu >= this.ncpu) return 0n;
    const slot = this.find(key, this.hashOf(key));
    if (slot < 0) return 0n;
    if (this.lru) this.touch(slot);
    return this.values.addr(slot, this.percpu ? cpu * this.vstride : 0);
  }

  override updateFromProg(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): ErrnoResult {
    return this.doUpdate(key, value, flags, false, cpu);
  }

  override deleteFromProg(key: Uint8Array): ErrnoResult {
    return this.doDelete(key);
  }

  override forEachElem(cpu: number, fn: (keyAddr: bigint, valueAddr: bigint) => boolean): number {
    let n = 0;
    for (let b = 0; b < this.nBuckets; b++) {
      for (let i = this.buckets[b] - 1; i >= 0; ) {
        const nxt = this.next[i]; // the callback may delete the element
        n++;
        if (fn(this.keys.addr(i), this.values.addr(i, this.percpu ? cpu * this.vstride : 0))) return n;
        i = nxt;
      }
    }
    return n;
  }

  protected override freeStorage(): void {
    this.keys.free();
    this.values.free();
  }
}

/** htab_map_alloc's size checks on the (adjusted) max_entries: 0 or a negative errno. */
export function checkHashSize(maxEntries: number): ErrnoResult {
  // n_buckets > U32_MAX / sizeof(struct bucket) (16 bytes)
  if (maxEntries > 2 ** 31 || roundupPow2(maxEntries) > Math.floor(0xffffffff / 16)) return E(Errno.E2BIG);
  if (maxEntries > SIM_MAX_ELEMS) return E(Errno.ENOMEM);
  return 0;
}

/** The four hash types: htab_map_alloc_check, then htab_map_alloc's size checks. */
export const hashTableType: MapTypeDef = {
  check: checkHashAttr,
  create(attr, ctx) {
    let maxEntries = attr.maxEntries;
    if ((attr.flags ?? 0) & MapFlag.NO_COMMON_LRU) {
      // Each CPU's LRU list gets at least one element.
      const n = ctx.possibleCpus;
      maxEntries = Math.ceil(maxEntries / n) * n;
      if (maxEntries > 0xffffffff) maxEntries = Math.floor(attr.maxEntries / n) * n;
    }
    const err = checkHashSize(maxEntries);
    if (err) return err;
    return new HashTableMap(attr, ctx, maxEntries);
  },
};

/** A copy of `a` with room for `n` entries. */
function grown<T extends Int32Array | Uint32Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}
