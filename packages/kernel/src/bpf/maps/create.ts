/**
 * BPF_MAP_CREATE: the syscall's generic checks (map_create() in
 * kernel/bpf/syscall.c), then the type's alloc_check and alloc, then the name.
 * Types the kernel has but bpfsim does not model throw MapTypeUnsupported
 * (a BpfsimError); unknown types get the kernel's EINVAL.
 */
import { BpfMapType, BpfMapTypeName, BpfsimError, Errno } from '@bpfsim/uapi';
import type {
  BpfMap, CgroupArrayMap, ErrnoResult, LocalStorageMap, MapAttr, MapContext, MapInMap, PerfEventArrayMap, ProgArrayMap, RedirectMap,
  RingBufMap,
} from './map';
import { MapFlag } from './flags';
import { mapFootprint } from './memcg';
import { type MapBase, type MapTypeDef, numaNode, NUMA_NO_NODE } from './base';
import { hashTableType } from './hashtab';
import { arrayType } from './array';
import { queueStackType } from './queue-stack';
import { bloomFilterType } from './bloom-filter';
import { lpmTrieType } from './lpm-trie';
import { ringbufType } from './ringbuf';
import { progArrayType } from './prog-array';
import { perfEventArrayType } from './perf-event-array';
import { cgroupArrayType } from './cgroup-array';
import { arrayOfMapsType } from './array-of-maps';
import { hashOfMapsType } from './hash-of-maps';
import { devmapType } from './devmap';
import { cpumapType } from './cpumap';
import { xskmapType } from './xskmap';
import { cgroupStorageType } from './cgroup-storage';
import { localStorageType } from './local-storage';
import { stackTraceType } from './stack-trace';
import { sockmapType } from './sockmap';
import { sockhashType } from './sockhash';
import type { SockMap } from './sock-map-base';

/** enum bpf_map_type -> implementation. */
const MAP_TYPES: ReadonlyMap<number, MapTypeDef> = new Map<number, MapTypeDef>([
  [BpfMapType.HASH, hashTableType],
  [BpfMapType.PERCPU_HASH, hashTableType],
  [BpfMapType.LRU_HASH, hashTableType],
  [BpfMapType.LRU_PERCPU_HASH, hashTableType],
  [BpfMapType.ARRAY, arrayType],
  [BpfMapType.PERCPU_ARRAY, arrayType],
  [BpfMapType.PROG_ARRAY, progArrayType],
  [BpfMapType.PERF_EVENT_ARRAY, perfEventArrayType],
  [BpfMapType.CGROUP_ARRAY, cgroupArrayType],
  [BpfMapType.LPM_TRIE, lpmTrieType],
  [BpfMapType.ARRAY_OF_MAPS, arrayOfMapsType],
  [BpfMapType.HASH_OF_MAPS, hashOfMapsType],
  [BpfMapType.DEVMAP, devmapType],
  [BpfMapType.DEVMAP_HASH, devmapType],
  [BpfMapType.CPUMAP, cpumapType],
  [BpfMapType.XSKMAP, xskmapType],
  [BpfMapType.CGROUP_STORAGE, cgroupStorageType],
  [BpfMapType.PERCPU_CGROUP_STORAGE, cgroupStorageType],
  [BpfMapType.QUEUE, queueStackType],
  [BpfMapType.STACK, queueStackType],
  [BpfMapType.RINGBUF, ringbufType],
  [BpfMapType.TASK_STORAGE, localStorageType],
  [BpfMapType.CGRP_STORAGE, localStorageType],
  [BpfMapType.SK_STORAGE, localStorageType],
  [BpfMapType.INODE_STORAGE, localStorageType],
  [BpfMapType.STACK_TRACE, stackTraceType],
  [BpfMapType.BLOOM_FILTER, bloomFilterType],
  [BpfMapType.SOCKMAP, sockmapType],
  [BpfMapType.SOCKHASH, sockhashType],
]);

/** The highest enum bpf_map_type of the reference kernel. */
const MAX_MAP_TYPE = BpfMapType.ARENA;

export class MapTypeUnsupported extends BpfsimError {
  constructor(type: number) {
    super('MAP_TYPE_UNSUPPORTED', `map create: ${BpfMapTypeName[type] ?? type} is a kernel map type bpfsim does not model yet`);
  }
}

/** bpf_obj_name_cpy(): [A-Za-z0-9_.], at most 15 characters. */
function nameOk(name: string): boolean {
  return name.length < 16 && /^[A-Za-z0-9_.]*$/.test(name);
}

/**
 * Create a map as BPF_MAP_CREATE would: the map, or a negative errno. On
 * success the map has its id (ctx.allocId) and its regions in ctx.memory.
 */
export function createMap(attr: MapAttr, ctx: MapContext): BpfMap | ErrnoResult {
  const flags = attr.flags ?? 0;
  const t = attr.type;
  if (t !== BpfMapType.BLOOM_FILTER && t !== BpfMapType.ARENA && (attr.mapExtra ?? 0n) !== 0n) return -Errno.EINVAL;
  if ((flags & MapFlag.RDONLY) && (flags & MapFlag.WRONLY)) return -Errno.EINVAL;
  // bpfsim models a single NUMA node 0.
  const node = numaNode(attr);
  if (node !== NUMA_NO_NODE && node !== 0) return -Errno.EINVAL;
  if (!Number.isInteger(t) || t <= 0 || t > MAX_MAP_TYPE) return -Errno.EINVAL;
  const def = MAP_TYPES.get(t);
  if (!def) throw new MapTypeUnsupported(t);
  const err = def.check(attr, ctx);
  if (err) return err;
  const map = def.create(attr, ctx);
  if (typeof map === 'number') return map;
  // the allocation's memcg charge: past the budget, ENOMEM (the model allocates lazily, the charge is the kernel's estimate)
  const footprint = mapFootprint(attr, ctx.possibleCpus);
  if (ctx.budget && !ctx.budget.charge(footprint)) {
    map.free();
    return -Errno.ENOMEM;
  }
  if (!nameOk(attr.name ?? '')) {
    map.free();
    ctx.budget?.uncharge(footprint);
    return -Errno.EINVAL;
  }
  (map as MapBase).id = ctx.allocId();
  return map;
}

// ---- narrowing to the type-specific interfaces ----

export function isProgArray(m: BpfMap): m is ProgArrayMap {
  return m.type === BpfMapType.PROG_ARRAY;
}
export function isMapInMap(m: BpfMap): m is MapInMap {
  return m.type === BpfMapType.ARRAY_OF_MAPS || m.type === BpfMapType.HASH_OF_MAPS;
}
export function isRedirectMap(m: BpfMap): m is RedirectMap {
  return m.type === BpfMapType.DEVMAP || m.type === BpfMapType.DEVMAP_HASH || m.type === BpfMapType.CPUMAP ||
    m.type === BpfMapType.XSKMAP;
}
/** SOCKMAP and SOCKHASH: the socket behind a key (redirect helpers). */
export function isSockMap(m: BpfMap): m is SockMap {
  return m.type === BpfMapType.SOCKMAP || m.type === BpfMapType.SOCKHASH;
}
export function isPerfEventArray(m: BpfMap): m is PerfEventArrayMap {
  return m.type === BpfMapType.PERF_EVENT_ARRAY;
}
export function isCgroupArray(m: BpfMap): m is CgroupArrayMap {
  return m.type === BpfMapType.CGROUP_ARRAY;
}
export function isRingBuf(m: BpfMap): m is RingBufMap {
  return m.type === BpfMapType.RINGBUF;
}
export function isLocalStorage(m: BpfMap): m is LocalStorageMap {
  return m.type === BpfMapType.CGROUP_STORAGE || m.type === BpfMapType.PERCPU_CGROUP_STORAGE ||
    m.type === BpfMapType.TASK_STORAGE || m.type === BpfMapType.CGRP_STORAGE || m.type === BpfMapType.SK_STORAGE ||
    m.type === BpfMapType.INODE_STORAGE;
}
/** Per-CPU value maps (user-space values are possibleCpus 8-byte-aligned copies). */
export function isPercpu(m: BpfMap): boolean {
  return m.type === BpfMapType.PERCPU_HASH || m.type === BpfMapType.PERCPU_ARRAY ||
    m.type === BpfMapType.LRU_PERCPU_HASH || m.type === BpfMapType.PERCPU_CGROUP_STORAGE;
}
