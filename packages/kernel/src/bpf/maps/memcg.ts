/**
 * A total budget for map memory: the kernel charges what a map allocates to the creator's memory
 * cgroup (bpf_map_area_alloc, bpf_mem_alloc with __GFP_ACCOUNT) and fails the allocation with ENOMEM
 * past its limit. bpfsim keeps one budget per Kernel, charged with the kernel's own estimate of a
 * map's memory (the map_mem_usage figures `bpftool map show` prints as memlock): at creation for
 * what the kernel allocates then, per element for hash maps created with BPF_F_NO_PREALLOC.
 */
import { BpfMapType } from '@bpfsim/uapi';
import { MapFlag } from './flags';
import type { MapAttr } from './map';

/** What a map charges its memory to (the narrow view maps get). */
export interface MapMemoryCharge {
  /** Charge `bytes`; false (nothing charged) when that would pass the limit. */
  charge(bytes: number): boolean;
  uncharge(bytes: number): void;
}

/** Default limit: 1 GiB, far above what tests and examples use; Kernel option mapMemoryLimit changes it. */
export const DEFAULT_MAP_MEMORY_LIMIT = 2 ** 30;

export class MapMemoryBudget implements MapMemoryCharge {
  used = 0;
  constructor(readonly limit: number = DEFAULT_MAP_MEMORY_LIMIT) {}
  charge(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }
  uncharge(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

const PAGE = 4096;
const up8 = (n: number): number => Math.ceil(n / 8) * 8;
const pageAlign = (n: number): number => Math.ceil(n / PAGE) * PAGE;
const pow2 = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, n)));
/**
 * The fixed parts of the kernel's estimates on x86-64 (sizeof(struct bpf_array), bpf_htab,
 * bpf_ringbuf_map, bpf_queue_stack), and of struct htab_elem, struct bucket, HASHTAB_MAP_LOCK_COUNT,
 * struct llist_node; map_mem_usage's formulas with them give `bpftool map show`'s memlock exactly
 * for array, percpu_array, hash (also BPF_F_NO_PREALLOC, empty), lru_hash, percpu_hash, ringbuf and
 * queue on Linux 6.18 (test/maps-budget.test.ts). Other types are estimated.
 */
const MAP_STRUCT = 256;
const ARRAY_STRUCT = 312;
const HTAB_STRUCT = 832;
const RINGBUF_STRUCT = 304;
const RINGBUF_META_PAGES = 3;
const QUEUE_STRUCT = 312;
const HTAB_ELEM = 48;
const BUCKET = 16;
const LOCK_COUNT = 8;
const LLIST_NODE = 8;

const isHash = (t: number): boolean =>
  t === BpfMapType.HASH || t === BpfMapType.PERCPU_HASH || t === BpfMapType.LRU_HASH || t === BpfMapType.LRU_PERCPU_HASH;
const isPercpuHash = (t: number): boolean => t === BpfMapType.PERCPU_HASH || t === BpfMapType.LRU_PERCPU_HASH;

/** htab->elem_size: the element header, the key, and the value (a pointer for per-CPU maps). */
function htabElemSize(attr: MapAttr): number {
  return HTAB_ELEM + up8(attr.keySize) + (isPercpuHash(attr.type) ? 8 : up8(attr.valueSize));
}

/** A hash map created with BPF_F_NO_PREALLOC: the memory of one element (charged on insert). */
export function hashElemFootprint(attr: MapAttr, cpus: number): number {
  const percpu = isPercpuHash(attr.type);
  return htabElemSize(attr) + LLIST_NODE + (percpu ? LLIST_NODE + 8 + up8(attr.valueSize) * cpus : 0);
}

/** The memory the kernel allocates when it creates the map (its map_mem_usage right after map_create). */
export function mapFootprint(attr: MapAttr, cpus: number): number {
  const t = attr.type;
  const n = attr.maxEntries;
  const flags = attr.flags ?? 0;
  if (isHash(t)) {
    const lru = t === BpfMapType.LRU_HASH || t === BpfMapType.LRU_PERCPU_HASH;
    let usage = HTAB_STRUCT + BUCKET * pow2(n) + 4 * cpus * LOCK_COUNT;
    if (flags & MapFlag.NO_PREALLOC) return usage;
    // plain HASH keeps one extra element per CPU for updates of existing keys
    const entries = n + (!lru && !isPercpuHash(t) ? cpus : 0);
    usage += htabElemSize(attr) * entries;
    if (isPercpuHash(t)) usage += up8(attr.valueSize) * cpus * entries;
    else if (!lru) usage += 8 * cpus;
    return usage;
  }
  switch (t) {
    case BpfMapType.ARRAY: case BpfMapType.PERCPU_ARRAY: case BpfMapType.PROG_ARRAY: case BpfMapType.PERF_EVENT_ARRAY:
    case BpfMapType.CGROUP_ARRAY: case BpfMapType.ARRAY_OF_MAPS: {
      const elem = up8(attr.valueSize);
      if (t === BpfMapType.PERCPU_ARRAY) return ARRAY_STRUCT + 8 * n + elem * cpus * n;
      if (flags & MapFlag.MMAPABLE) return pageAlign(ARRAY_STRUCT) + pageAlign(elem * n);
      return ARRAY_STRUCT + elem * n;
    }
    case BpfMapType.RINGBUF:
      // meta and data pages, and the page pointer array (data pages are mapped twice)
      return RINGBUF_STRUCT + (RINGBUF_META_PAGES + n / PAGE) * PAGE + 8 * (RINGBUF_META_PAGES + 2 * (n / PAGE));
    case BpfMapType.QUEUE: case BpfMapType.STACK:
      return QUEUE_STRUCT + (n + 1) * attr.valueSize;
    case BpfMapType.BLOOM_FILTER:
      return MAP_STRUCT + Math.ceil(pow2(n * Math.max(1, Number(attr.mapExtra ?? 0n) & 0xf || 5)) / 8);
    case BpfMapType.STACK_TRACE:
      return MAP_STRUCT + 8 * pow2(n) + (16 + attr.valueSize) * n;
    case BpfMapType.DEVMAP: case BpfMapType.CPUMAP: case BpfMapType.XSKMAP: case BpfMapType.SOCKMAP:
      return MAP_STRUCT + 8 * n;
    default:
      // elements allocated on demand (LPM trie, local storage, sockhash, devmap hash, ...)
      return MAP_STRUCT;
  }
}
