/**
 * CGROUP_STORAGE and PERCPU_CGROUP_STORAGE (kernel/bpf/local_storage.c, the
 * legacy per-attachment storage read with bpf_get_local_storage). Keys are
 * struct bpf_cgroup_storage_key { u64 cgroup_inode_id; u32 attach_type; }
 * (16 bytes) or just the u64 cgroup id (8 bytes: one storage per cgroup,
 * shared by attach types). Entries exist only once a program using the map is
 * attached (attachStorage); user space can read and overwrite them but not
 * create or delete them (update of a missing entry: ENOENT; BPF_NOEXIST:
 * EINVAL; delete: EINVAL). get_next_key: newest attachment first.
 */
import { BpfMapType, Errno } from '@bpfsim/uapi';
import type { ErrnoResult, LocalStorageMap, MapAttr, MapContext } from './map';
import { BPF_ANY, BPF_EXIST, BPF_F_LOCK, MapFlag } from './flags';
import { ACCESS_MASK, LOCAL_STORAGE_MAX_VALUE_SIZE, MapBase, type MapTypeDef, PCPU_MIN_UNIT_SIZE, accessOk, le32, putLe32, roundUp8 } from './base';
import { OwnerSlots } from './owner-slots';

const LOCAL_STORAGE_CREATE_FLAG_MASK = MapFlag.NUMA_NODE | ACCESS_MASK;
/** bpfsim's bound on simultaneous storages of one map. */
const SIM_MAX_STORAGES = 1 << 16;

export class CgroupStorageMap extends MapBase implements LocalStorageMap {
  readonly percpu: boolean;
  private readonly stride: number;
  private readonly slots: OwnerSlots<string>;

  constructor(attr: MapAttr, ctx: MapContext) {
    const percpu = attr.type === BpfMapType.PERCPU_CGROUP_STORAGE;
    const stride = roundUp8(attr.valueSize);
    super(attr, ctx, percpu ? stride * ctx.possibleCpus : attr.valueSize);
    this.percpu = percpu;
    this.stride = stride;
    this.slots = new OwnerSlots(this.mem, percpu ? stride * this.ncpu : stride, SIM_MAX_STORAGES,
      `${this.name || 'cgroup_storage'}.values`, this.progWritable, this);
  }

  private ident(cgroup: bigint, attachType: number): string {
    return this.keySize === 16 ? `${cgroup}:${attachType}` : `${cgroup}`;
  }
  private idOfKey(key: Uint8Array | null): string | undefined {
    if (!key) return undefined;
    const cg = BigInt(le32(key)) | (BigInt(le32(key, 4)) << 32n);
    return this.ident(cg, this.keySize === 16 ? le32(key, 8) : 0);
  }
  private keyOfId(id: string): Uint8Array {
    const [cg, at] = id.split(':');
    const k = new Uint8Array(this.keySize);
    const v = BigInt(cg);
    putLe32(k, Number(v & 0xffffffffn));
    putLe32(k, Number(v >> 32n), 4);
    if (this.keySize === 16) putLe32(k, Number(at), 8);
    return k;
  }

  attachStorage(owner: bigint, attachType: number, cpu: number): bigint {
    const id = this.ident(owner, attachType);
    const slot = this.slots.get(id) ?? this.slots.add(id);
    return slot === undefined ? 0n : this.slots.slab.addr(slot, this.percpu ? cpu * this.stride : 0);
  }

  /** The storage of cgroup `owner` (attach type 0 for 16-byte keys); `create` attaches it. */
  storageGet(owner: bigint, cpu: number, create: boolean): bigint {
    const id = this.ident(owner, 0);
    const slot = this.slots.get(id);
    if (slot === undefined) return create ? this.attachStorage(owner, 0, cpu) : 0n;
    return this.slots.slab.addr(slot, this.percpu ? cpu * this.stride : 0);
  }
  storageDelete(owner: bigint): ErrnoResult {
    return this.slots.remove(this.ident(owner, 0)) ? 0 : -Errno.ENOENT;
  }
  ownerGone(owner: bigint): void {
    for (const id of [...this.slots.order]) if (id === `${owner}` || id.startsWith(`${owner}:`)) this.slots.remove(id);
  }

  protected override sysLookup(key: Uint8Array | null): Uint8Array | ErrnoResult {
    const id = this.idOfKey(key);
    const slot = id === undefined ? undefined : this.slots.get(id);
    if (slot === undefined) return -Errno.ENOENT;
    return this.slots.view(slot, 0, this.userValueSize).slice();
  }

  protected override sysUpdate(key: Uint8Array | null, value: Uint8Array, flags: number): ErrnoResult {
    if (this.percpu ? flags !== BPF_ANY && flags !== BPF_EXIST : flags & ~(BPF_F_LOCK | BPF_EXIST)) return -Errno.EINVAL;
    const id = this.idOfKey(key);
    const slot = id === undefined ? undefined : this.slots.get(id);
    if (slot === undefined) return -Errno.ENOENT;
    this.slots.view(slot, 0, this.userValueSize).set(value.subarray(0, this.percpu ? this.userValueSize : this.valueSize));
    return 0;
  }

  protected override sysDelete(): ErrnoResult {
    return -Errno.EINVAL;
  }

  protected override sysGetNextKey(key: Uint8Array | null): Uint8Array | ErrnoResult {
    const order = this.slots.order;
    if (!key) return order.length ? this.keyOfId(order[0]) : -Errno.ENOENT;
    const i = order.indexOf(this.idOfKey(key)!);
    if (i < 0 || i + 1 >= order.length) return -Errno.ENOENT;
    return this.keyOfId(order[i + 1]);
  }

  override lookupAddr(): bigint {
    return 0n; // programs use bpf_get_local_storage (storageGet), not lookups
  }
  override updateFromProg(): ErrnoResult {
    return -Errno.EINVAL;
  }
  override deleteFromProg(): ErrnoResult {
    return -Errno.EINVAL;
  }

  protected override freeStorage(): void {
    this.slots.slab.free();
  }
}

export const cgroupStorageType: MapTypeDef = {
  check(attr) {
    const percpu = attr.type === BpfMapType.PERCPU_CGROUP_STORAGE;
    const flags = attr.flags ?? 0;
    const maxValue = percpu ? Math.min(LOCAL_STORAGE_MAX_VALUE_SIZE, PCPU_MIN_UNIT_SIZE) : LOCAL_STORAGE_MAX_VALUE_SIZE;
    if (attr.keySize !== 16 && attr.keySize !== 8) return -Errno.EINVAL;
    if (attr.valueSize === 0) return -Errno.EINVAL;
    if (attr.valueSize > maxValue) return -Errno.E2BIG;
    if (flags & ~LOCAL_STORAGE_CREATE_FLAG_MASK || !accessOk(flags)) return -Errno.EINVAL;
    if (attr.maxEntries) return -Errno.EINVAL;
    return 0;
  },
  create: (attr, ctx) => new CgroupStorageMap(attr, ctx),
};
