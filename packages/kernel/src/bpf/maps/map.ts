/**
 * The contract every bpfsim map type implements (one file per type beside this
 * one) and that the bpf() syscall layer, the helpers and the tail-call
 * resolver code against.
 *
 * Conventions
 * - Errors are returned, not thrown: every operation that the kernel can fail
 *   returns a NEGATIVE errno (`-Errno.ENOENT`); success is 0 or the result
 *   itself (`Uint8Array`, `bigint` address). `typeof r === 'number'` tells
 *   failure from bytes. Thrown errors are bugs or BpfsimErrors for misuse of the
 *   API: MapUsageError (code MAP_USAGE) for a key/value buffer shorter than the
 *   map's sizes, MapTypeUnsupported for kernel map types bpfsim lacks
 *   (cgroup_array, reuseport, struct_ops, user_ringbuf, arena).
 * - Keys and values are plain bytes (little-endian, as on x86_64). Buffers passed
 *   in are never retained; buffers returned are fresh copies.
 * - "User-space side" methods have the semantics of the bpf() syscall commands
 *   (BPF_MAP_LOOKUP_ELEM, ...): the map checks the creating fd's
 *   BPF_F_RDONLY/WRONLY (`fdAccess`; EPERM), its frozen state, BPF_F_LOCK
 *   without a spin lock (EINVAL) and a NULL key (EINVAL), then the type's rules.
 *   The error codes, values and iteration orders are checked against the real
 *   kernel by packages/kernel/test/maps-oracle-*.test.ts.
 *   Per-CPU maps exchange all possible CPUs' values concatenated, each rounded
 *   up to 8 bytes (`userValueSize` bytes), exactly as the kernel does.
 * - "Program side" methods have the semantics of the helpers (bpf_map_*_elem
 *   called from a program on CPU `cpu`). Values live in regions of the kernel's
 *   AddressSpace (kind 'map_value'), so `lookupAddr` returns a pointer that a
 *   program reads/writes directly; it stays valid while the element exists
 *   (for preallocated hash maps, as in the kernel, the slot is reused after
 *   delete; it is never unmapped before `free()`).
 * - Each map owns one small read-only 'map' region standing for its struct
 *   bpf_map: `addr` is what ld_imm64 BPF_PSEUDO_MAP_FD/IDX resolves to and
 *   what helpers receive in r1; region.owner is the BpfMap.
 * - Determinism: get_next_key order is defined per type and documented in its
 *   file (hash maps: bucket order of jhash with a seed that is 0 under
 *   BPF_F_ZERO_SEED and otherwise drawn from `ctx.rng`, then chain order;
 *   LRU eviction is exact LRU, see hashtab.ts).
 * - Flag constants live in flags.ts (re-exported here) so map modules can use
 *   them without importing this file's re-export of createMap.
 */
import type { AddressSpaceApi } from '@bpfsim/vm';
import type { InnerMapMeta } from './inner-map';
import type { MapMemoryCharge } from './memcg';

/** A negative errno (-Errno.X) or 0 for success. */
export type ErrnoResult = number;

/** Whatever a file descriptor stands for, as far as maps care: something with a kernel id. */
export interface KernelObjectRef {
  /** The object's id (prog id, map id, ...): what user-space lookups of fd maps return. */
  readonly id: number;
}

/** A program as prog_array sees it. */
export interface ProgRef extends KernelObjectRef {
  /** enum bpf_prog_type */
  readonly type: number;
  /** enum bpf_attach_type given at load (devmap/cpumap programs must be BPF_XDP_DEVMAP/BPF_XDP_CPUMAP). */
  readonly expectedAttachType?: number;
  /** Offloaded/jited/xdp_has_frags ... compatibility keys compared by prog_array; opaque here. */
  readonly compatKey?: string;
}

/** What `resolveFd` is asked to find. */
export type FdKind = 'prog' | 'map' | 'perf_event' | 'xsk' | 'cgroup' | 'netdev' | 'task' | 'socket' | 'inode';

/** A perf event opened on one CPU (perf_event_open(PERF_COUNT_SW_BPF_OUTPUT, cpu)). */
export interface PerfEventRef extends KernelObjectRef {
  readonly cpu: number;
  /** The event's mmapped ring once user space maps it (perf_buffer__new): bounded, counts lost samples. */
  ring?: PerfSampleSink;
}

/** Where a perf event's samples go: its ring buffer (bpf/buffer-reader.ts). 0, or -ENOSPC when full. */
export interface PerfSampleSink {
  write(data: Uint8Array): ErrnoResult;
}

/** Attributes of BPF_MAP_CREATE (union bpf_attr, map part). */
export interface MapAttr {
  /** enum bpf_map_type (BpfMapType in @bpfsim/uapi). */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** BPF_F_* map flags. */
  flags?: number;
  /** Up to 15 chars of [A-Za-z0-9_.]; anything else is EINVAL, as in bpf_obj_name_cpy. */
  name?: string;
  /** For array_of_maps/hash_of_maps: fd of the template inner map. */
  innerMapFd?: number;
  numaNode?: number;
  /** Bloom filter: number of hash functions (low 4 bits, 0 means 5). Must be 0 elsewhere. */
  mapExtra?: bigint;
  /**
   * Byte offset of a struct bpf_spin_lock in the value, from BTF (the loader
   * finds it). Without one, BPF_F_LOCK operations fail with EINVAL as in the kernel.
   */
  spinLockOff?: number;
  /** BTF type ids of key and value (local storage maps require them, as in the kernel). */
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
}

/** What a map needs from the kernel that creates it. */
export interface MapContext {
  /** The kernel's address space: value storage and the map object are regions of it. */
  memory: AddressSpaceApi;
  /** num_possible_cpus(): per-CPU values have one copy per possible CPU. */
  possibleCpus: number;
  /** Called once, on success only, for the map's id (the kernel's map idr). */
  allocId: () => number;
  /** Uniform u32 source (a named stream of the kernel's rng) for hash seeds. Seed 0 when absent. */
  rng?: () => number;
  /** Resolve a user-space fd stored into fd-holding maps. Returns the object or a negative errno (EBADF, EINVAL). */
  resolveFd?: (fd: number, kind: FdKind) => KernelObjectRef | ErrnoResult;
  /** Resolve an ifindex (devmap values) in the map creator's net namespace. */
  resolveIfindex?: (ifindex: number) => KernelObjectRef | undefined;
  /** CAP_SYS_ADMIN (BPF_F_ZERO_SEED needs it). Default true (bpfsim runs programs "as root"). */
  sysAdmin?: boolean;
  /** The map-memory budget (memcg.ts): creation and BPF_F_NO_PREALLOC elements are charged to it. */
  budget?: MapMemoryCharge;
}

/** One batch step's result (BPF_MAP_*_BATCH). `error` is 0 or a negative errno (-ENOENT at the end). */
export interface BatchResult {
  count: number;
  keys: Uint8Array;
  values: Uint8Array;
  /** Opaque continuation token (pass back as inBatch); null when iteration ended. */
  outBatch: Uint8Array | null;
  error: ErrnoResult;
}

export interface BpfMap {
  readonly id: number;
  /** enum bpf_map_type */
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** Map flags as BPF_OBJ_GET_INFO_BY_FD reports them (without the fd's BPF_F_RDONLY/WRONLY). */
  readonly flags: number;
  /** BPF_F_RDONLY / BPF_F_WRONLY given at creation: user-space access through the map (checked here). */
  readonly fdAccess: number;
  readonly name: string;
  readonly mapExtra: bigint;
  /** Address of this map's 'map' region (its struct bpf_map). */
  readonly addr: bigint;
  /** Bytes a user-space lookup returns / an update takes (per-CPU: round_up(valueSize, 8) * possibleCpus). */
  readonly userValueSize: number;
  /** True after BPF_MAP_FREEZE. */
  readonly frozen: boolean;

  // ---- user-space side (bpf() commands) ----
  /**
   * BPF_MAP_LOOKUP_ELEM. `key` null for queue/stack/bloom (keySize 0). For a
   * bloom filter `valueIn` is the value to test (0-length result on a hit).
   * flags: BPF_F_LOCK.
   */
  lookup(key: Uint8Array | null, flags?: number, valueIn?: Uint8Array): Uint8Array | ErrnoResult;
  /** BPF_MAP_UPDATE_ELEM. flags: BPF_ANY(0) / BPF_NOEXIST(1) / BPF_EXIST(2), | BPF_F_LOCK(4). */
  update(key: Uint8Array | null, value: Uint8Array, flags?: number): ErrnoResult;
  /** BPF_MAP_DELETE_ELEM. */
  delete(key: Uint8Array | null): ErrnoResult;
  /** BPF_MAP_GET_NEXT_KEY; null (or a missing key) gives the first key. -ENOENT after the last. */
  getNextKey(key: Uint8Array | null): Uint8Array | ErrnoResult;
  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM (queue/stack pop with key null; hash types with a key). */
  lookupAndDelete(key: Uint8Array | null, flags?: number): Uint8Array | ErrnoResult;
  /** BPF_MAP_FREEZE: user space may no longer write. */
  freeze(): ErrnoResult;
  /** BPF_MAP_LOOKUP_BATCH / BPF_MAP_LOOKUP_AND_DELETE_BATCH (del true). */
  lookupBatch(inBatch: Uint8Array | null, count: number, del: boolean, elemFlags?: number): BatchResult;
  /** BPF_MAP_UPDATE_BATCH: count elements processed; error from the first failing element. */
  updateBatch(keys: Uint8Array, values: Uint8Array, elemFlags?: number): { count: number; error: ErrnoResult };
  /** BPF_MAP_DELETE_BATCH. */
  deleteBatch(keys: Uint8Array): { count: number; error: ErrnoResult };

  // ---- program side (helpers, running on CPU `cpu`) ----
  /**
   * bpf_map_lookup_elem: address of the value (this CPU's copy for per-CPU
   * maps; the inner map's `addr` for map-in-map), or 0n if absent.
   * bpf_map_lookup_percpu_elem is lookupAddr(key, otherCpu) (0n if cpu >= possibleCpus).
   */
  lookupAddr(key: Uint8Array, cpu: number): bigint;
  /** bpf_map_update_elem from a program. */
  updateFromProg(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): ErrnoResult;
  /** bpf_map_delete_elem from a program. */
  deleteFromProg(key: Uint8Array, cpu: number): ErrnoResult;
  /** bpf_map_push_elem (queue, stack, bloom filter). flags: BPF_ANY or BPF_EXIST (overwrite oldest). */
  pushElem(value: Uint8Array, flags: number): ErrnoResult;
  /** bpf_map_pop_elem: writes the element into `out` (valueSize bytes). */
  popElem(out: Uint8Array): ErrnoResult;
  /** bpf_map_peek_elem: queue/stack write into `value`; bloom filter tests `value` (0 or -ENOENT). */
  peekElem(value: Uint8Array): ErrnoResult;
  /**
   * bpf_for_each_map_elem: calls fn(keyAddr, valueAddr) in iteration order
   * until it returns true (stop). Returns the number of elements visited.
   */
  forEachElem(cpu: number, fn: (keyAddr: bigint, valueAddr: bigint) => boolean): number | ErrnoResult;

  /**
   * map_direct_value_addr (ARRAY with max_entries 1, i.e. global data): the
   * address of byte `off` of the value. Other maps: -ENOTSUPP / -EINVAL.
   */
  directValueAddr?(off: number): bigint | ErrnoResult;

  /** Unmap every region the map owns. The map must not be used afterwards. */
  free(): void;
}

export * from './flags';

// ---- type-specific extensions (narrow with the guards in create.ts) ----

/** BPF_MAP_TYPE_PROG_ARRAY: what the tail-call resolver reads. */
export interface ProgArrayMap extends BpfMap {
  /** The program in slot `index`, or undefined (tail call falls through). */
  getProg(index: number): ProgRef | undefined;
  /** bpf_prog_map_compatible: the first program checked fixes the map's owner type; others must match. */
  compatible(prog: ProgRef): boolean;
  /** Drop every entry (the kernel does this when the last user-space reference to a prog_array goes). */
  clear(): void;
}

/** BPF_MAP_TYPE_ARRAY_OF_MAPS / HASH_OF_MAPS. */
export interface MapInMap extends BpfMap {
  innerMap(key: Uint8Array): BpfMap | undefined;
  /** The inner-map template every stored map must match (the verifier types lookups with it). */
  readonly meta: InnerMapMeta;
}

/** DEVMAP, DEVMAP_HASH, CPUMAP, XSKMAP: the object behind a key, for the redirect path. */
export interface RedirectMap extends BpfMap {
  /** devmap: { ifindex, progFd }, cpumap: { qsize, progFd }, xskmap: the socket ref. */
  target(key: number): { value: Uint8Array; ref?: KernelObjectRef } | undefined;
}

/** One record of a perf event array slot. */
export interface PerfRecord {
  readonly cpu: number;
  readonly data: Uint8Array;
}

/** BPF_MAP_TYPE_CGROUP_ARRAY: the cgroup in a slot (undefined when empty or out of range). */
export interface CgroupArrayMap extends BpfMap {
  cgroupAt(index: number): KernelObjectRef | undefined;
}

/** BPF_MAP_TYPE_PERF_EVENT_ARRAY. */
export interface PerfEventArrayMap extends BpfMap {
  /**
   * bpf_perf_event_output: flags' low 32 bits are the slot index or
   * BPF_F_CURRENT_CPU (0xffffffff); other bits must be 0 (EINVAL).
   * ENOENT for an empty slot, EOPNOTSUPP if the slot's event is on another CPU.
   */
  output(cpu: number, flags: bigint, data: Uint8Array): ErrnoResult;
  /** User space (perf_buffer__poll): take the records written to slot `index`, oldest first. */
  drain(index: number): PerfRecord[];
}

/** BPF_MAP_TYPE_RINGBUF. */
export interface RingBufMap extends BpfMap {
  /** bpf_ringbuf_reserve: address of `size` writable bytes, or 0n (no room: counted in `dropped`). */
  reserve(size: number, flags: number): bigint;
  /** bpf_ringbuf_submit / bpf_ringbuf_discard of a reserved record (by its address). */
  submit(addr: bigint, flags: number): void;
  discard(addr: bigint, flags: number): void;
  /** bpf_ringbuf_output: 0, -EAGAIN when it does not fit (counted in `dropped`), -EINVAL for bad flags. */
  output(data: Uint8Array, flags: number): ErrnoResult;
  /** bpf_ringbuf_query: BPF_RB_AVAIL_DATA, RING_SIZE, CONS_POS, PROD_POS. */
  query(flags: number): bigint;
  /** User space (ring_buffer__consume): committed records in order; discarded ones are skipped. */
  consume(): Uint8Array[];
  /** Records that did not fit. */
  readonly dropped: number;
}

/**
 * CGROUP_STORAGE, PERCPU_CGROUP_STORAGE (legacy), and the local storages TASK_STORAGE,
 * CGRP_STORAGE, SK_STORAGE, INODE_STORAGE: keyed by owner object id.
 */
export interface LocalStorageMap extends BpfMap {
  /**
   * bpf_get_local_storage / bpf_task_storage_get: address of the owner's value
   * (this CPU's copy for per-CPU storage). With `create`, a missing entry is
   * created (from `init`, else zeroed); 0n when absent (or E2BIG/ENOMEM).
   */
  storageGet(owner: bigint, cpu: number, create: boolean, init?: Uint8Array): bigint;
  /**
   * CGROUP_STORAGE / PERCPU_CGROUP_STORAGE: a program using the map was
   * attached to cgroup `owner` with `attachType` (the key's second field when
   * key_size is 16): make sure the storage exists. Returns its address for `cpu`.
   */
  attachStorage?(owner: bigint, attachType: number, cpu: number): bigint;
  /** bpf_task_storage_delete: 0 or -ENOENT. */
  storageDelete(owner: bigint): ErrnoResult;
  /** The owner is gone (task exit, cgroup removal): drop its entry. */
  ownerGone(owner: bigint): void;
}

export {
  createMap, MapTypeUnsupported, isProgArray, isMapInMap, isRedirectMap, isPerfEventArray, isCgroupArray, isRingBuf, isLocalStorage,
  isPercpu, isSockMap,
} from './create';
export type { SockMap, SockRef } from './sock-map-base';
