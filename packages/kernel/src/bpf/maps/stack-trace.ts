/**
 * STACK_TRACE (kernel/bpf/stackmap.c): n_buckets = roundup_pow_of_two(max_entries)
 * slots of up to value_size / 8 instruction pointers, written by
 * bpf_get_stackid (helpers/stack.ts computes the id and calls storeStack).
 * User space reads a slot (the rest of the value zeroed), takes it
 * (lookup_and_delete), deletes it, and
 * iterates filled slots in id order; it cannot update (EINVAL). Programs
 * cannot look slots up (EOPNOTSUPP).
 */
import { Errno } from '@bpfsim/uapi';
import type { ErrnoResult } from './map';
import { MapFlag } from './flags';
import { MapBase, type MapTypeDef, le32, putLe32, roundupPow2 } from './base';

/** No BPF_F_RDONLY_PROG/WRONLY_PROG: the kernel refuses them for stack maps. */
const STACK_CREATE_FLAG_MASK = MapFlag.NUMA_NODE | MapFlag.RDONLY | MapFlag.WRONLY | MapFlag.STACK_BUILD_ID;
/** sysctl kernel.perf_event_max_stack (default). */
const PERF_EVENT_MAX_STACK = 127;
/** sizeof(struct bpf_stack_build_id) */
const BUILD_ID_ENTRY = 32;

export class StackTraceMap extends MapBase {
  private readonly stacks = new Map<number, bigint[]>();
  get nBuckets(): number {
    return roundupPow2(this.maxEntries);
  }

  storedStack(id: number): bigint[] | undefined {
    return this.stacks.get(id);
  }
  storeStack(id: number, ips: bigint[]): void {
    this.stacks.set(id, ips.slice());
  }

  protected override sysLookup(key: Uint8Array | null): Uint8Array | ErrnoResult {
    const ips = key ? this.stacks.get(le32(key)) : undefined;
    if (!ips) return -Errno.ENOENT;
    const out = new Uint8Array(this.valueSize);
    const dv = new DataView(out.buffer);
    ips.slice(0, this.valueSize / 8).forEach((ip, i) => dv.setBigUint64(i * 8, ip, true));
    return out;
  }
  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM takes the trace out of its slot. */
  protected override sysLookupAndDelete(key: Uint8Array | null): Uint8Array | ErrnoResult {
    const v = this.sysLookup(key);
    if (typeof v !== 'number' && key) this.stacks.delete(le32(key));
    return v;
  }
  protected override sysUpdate(): ErrnoResult {
    return -Errno.EINVAL;
  }
  protected override sysDelete(key: Uint8Array | null): ErrnoResult {
    const id = key ? le32(key) : 0;
    if (id >= this.nBuckets) return -Errno.E2BIG;
    return this.stacks.delete(id) ? 0 : -Errno.ENOENT;
  }
  protected override sysGetNextKey(key: Uint8Array | null): Uint8Array | ErrnoResult {
    let id = 0;
    if (key) {
      id = le32(key);
      id = id >= this.nBuckets || !this.stacks.has(id) ? 0 : id + 1;
    }
    // The smallest filled id at or after `id` (sorted here: Map order is insertion order).
    let best = -1;
    for (const k of this.stacks.keys()) if (k >= id && (best < 0 || k < best)) best = k;
    if (best < 0) return -Errno.ENOENT;
    const out = new Uint8Array(4);
    putLe32(out, best);
    return out;
  }
  override updateFromProg(): ErrnoResult {
    return -Errno.EINVAL;
  }
  override deleteFromProg(key: Uint8Array): ErrnoResult {
    return this.sysDelete(key);
  }
}

export const stackTraceType: MapTypeDef = {
  check(attr) {
    const flags = attr.flags ?? 0;
    const vs = attr.valueSize;
    if (flags & ~STACK_CREATE_FLAG_MASK) return -Errno.EINVAL;
    if (attr.maxEntries === 0 || attr.keySize !== 4 || vs < 8 || vs % 8) return -Errno.EINVAL;
    if (flags & MapFlag.STACK_BUILD_ID) {
      if (vs % BUILD_ID_ENTRY || vs / BUILD_ID_ENTRY > PERF_EVENT_MAX_STACK) return -Errno.EINVAL;
    } else if (vs / 8 > PERF_EVENT_MAX_STACK) return -Errno.EINVAL;
    if (attr.maxEntries > 2 ** 31) return -Errno.E2BIG;
    return 0;
  },
  create: (attr, ctx) => new StackTraceMap(attr, ctx),
};
