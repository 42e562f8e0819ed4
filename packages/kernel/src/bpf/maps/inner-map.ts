/**
 * The inner-map template of ARRAY_OF_MAPS / HASH_OF_MAPS (kernel/bpf/map_in_map.c):
 * bpf_map_meta_alloc() checks the template, map_meta_equal() checks each map
 * stored later.
 */
import { BpfMapType, Errno } from '@bpfsim/uapi';
import type { BpfMap, ErrnoResult, MapAttr, MapContext } from './map';
import { MapFlag } from './flags';

export interface InnerMapMeta {
  type: number;
  keySize: number;
  valueSize: number;
  flags: number;
  maxEntries: number;
}

/** Types whose ops have map_meta_equal (others cannot be inner maps: ENOTSUPP). */
const CAN_BE_INNER = new Set<number>([
  BpfMapType.HASH, BpfMapType.ARRAY, BpfMapType.PERCPU_HASH, BpfMapType.PERCPU_ARRAY, BpfMapType.LRU_HASH,
  BpfMapType.LRU_PERCPU_HASH, BpfMapType.LPM_TRIE, BpfMapType.QUEUE, BpfMapType.STACK, BpfMapType.RINGBUF,
  BpfMapType.BLOOM_FILTER, BpfMapType.DEVMAP, BpfMapType.DEVMAP_HASH, BpfMapType.CPUMAP, BpfMapType.XSKMAP,
  BpfMapType.PERF_EVENT_ARRAY, BpfMapType.SOCKMAP, BpfMapType.SOCKHASH,
]);

const ARRAY_LIKE = new Set<number>([BpfMapType.ARRAY, BpfMapType.PERCPU_ARRAY, BpfMapType.PERF_EVENT_ARRAY]);

export function innerMapMeta(attr: MapAttr, ctx: MapContext): InnerMapMeta | ErrnoResult {
  if (!ctx.resolveFd) return -Errno.EBADF;
  const inner = ctx.resolveFd(attr.innerMapFd ?? 0, 'map');
  if (typeof inner === 'number') return inner;
  const m = inner as BpfMap;
  // One level only.
  if (m.type === BpfMapType.ARRAY_OF_MAPS || m.type === BpfMapType.HASH_OF_MAPS) return -Errno.EINVAL;
  if (!CAN_BE_INNER.has(m.type)) return -Errno.ENOTSUPP;
  return { type: m.type, keySize: m.keySize, valueSize: m.valueSize, flags: m.flags, maxEntries: m.maxEntries };
}

export function metaEqual(meta: InnerMapMeta, m: BpfMap): boolean {
  if (meta.type !== m.type || meta.keySize !== m.keySize || meta.valueSize !== m.valueSize || meta.flags !== m.flags) return false;
  if (ARRAY_LIKE.has(meta.type) && !(meta.flags & MapFlag.INNER_MAP)) return meta.maxEntries === m.maxEntries;
  return true;
}
