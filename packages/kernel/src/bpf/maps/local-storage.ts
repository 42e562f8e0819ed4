/**
 * The bpf_local_storage maps (kernel/bpf/bpf_local_storage.c):
 * TASK_STORAGE, CGRP_STORAGE, SK_STORAGE, INODE_STORAGE. One value per owner
 * object, keyed by the object's simulated id. User space names the owner by
 * an fd (4-byte key: a pidfd, cgroup fd, socket fd or file fd, resolved with
 * ctx.resolveFd); programs by the object (storageGet with
 * BPF_LOCAL_STORAGE_GET_F_CREATE creates from `init` or zeroes). Creation
 * requires BPF_F_NO_PREALLOC, max_entries 0 and BTF for key and value, as in
 * the kernel. No iteration (get_next_key: ENOTSUPP).
 */
import { BpfMapType, Errno } from '@bpfsim/uapi';
import type { ErrnoResult, FdKind, LocalStorageMap, MapAttr, MapContext } from './map';
import { BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, MapFlag } from './flags';
import { LOCAL_STORAGE_MAX_VALUE_SIZE, MapBase, type MapTypeDef, le32, roundUp8 } from './base';
import { OwnerSlots } from './owner-slots';

const CREATE_FLAG_MASK = MapFlag.NO_PREALLOC | MapFlag.CLONE;
const SIM_MAX_STORAGES = 1 << 20;
const OWNER_KIND: Record<number, FdKind> = {
  [BpfMapType.TASK_STORAGE]: 'task',
  [BpfMapType.CGRP_STORAGE]: 'cgroup',
  [BpfMapType.SK_STORAGE]: 'socket',
  [BpfMapType.INODE_STORAGE]: 'inode',
};

export class LocalStorage extends MapBase implements LocalStorageMap {
  private readonly slots: OwnerSlots<bigint>;
  private readonly resolve: MapContext['resolveFd'];
  /** What kind of object the user-space key's fd names. */
  readonly ownerKind: FdKind;

  constructor(attr: MapAttr, ctx: MapContext) {
    super(attr, ctx);
    this.resolve = ctx.resolveFd;
    this.ownerKind = OWNER_KIND[attr.type] ?? 'task';
    this.slots = new OwnerSlots(this.mem, roundUp8(attr.valueSize), SIM_MAX_STORAGES,
      `${this.name || 'task_storage'}.values`, this.progWritable, this);
  }

  private owner(key: Uint8Array | null): bigint | ErrnoResult {
    if (!key || !this.resolve) return -Errno.EBADF;
    const t = this.resolve(le32(key) | 0, this.ownerKind);
    return typeof t === 'number' ? t : BigInt(t.id);
  }

  storageGet(owner: bigint, _cpu: number, create: boolean, init?: Uint8Array): bigint {
    let slot = this.slots.get(owner);
    if (slot === undefined) {
      if (!create) return 0n;
      slot = this.slots.add(owner);
      if (slot === undefined) return 0n;
      if (init) this.slots.view(slot, 0, this.valueSize).set(init.subarray(0, this.valueSize));
    }
    return this.slots.slab.addr(slot);
  }
  storageDelete(owner: bigint): ErrnoResult {
    return this.slots.remove(owner) ? 0 : -Errno.ENOENT;
  }
  ownerGone(owner: bigint): void {
    this.slots.remove(owner);
  }

  protected override sysLookup(key: Uint8Array | null): Uint8Array | ErrnoResult {
    const o = this.owner(key);
    if (typeof o === 'number') return o;
    const slot = this.slots.get(o);
    return slot === undefined ? -Errno.ENOENT : this.slots.view(slot, 0, this.valueSize).slice();
  }

  private doUpdate(owner: bigint, value: Uint8Array, flags: number): ErrnoResult {
    if ((flags & ~BPF_F_LOCK) > BPF_EXIST || (flags & BPF_F_LOCK && this.spinLockOff === undefined)) return -Errno.EINVAL;
    const op = flags & ~BPF_F_LOCK;
    let slot = this.slots.get(owner);
    if (slot !== undefined && op === BPF_NOEXIST) return -Errno.EEXIST;
    if (slot === undefined && op === BPF_EXIST) return -Errno.ENOENT;
    slot ??= this.slots.add(owner);
    if (slot === undefined) return -Errno.ENOMEM;
    this.slots.view(slot, 0, this.valueSize).set(value.subarray(0, this.valueSize));
    return 0;
  }

  protected override sysUpdate(key: Uint8Array | null, value: Uint8Array, flags: number): ErrnoResult {
    const o = this.owner(key);
    return typeof o === 'number' ? o : this.doUpdate(o, value, flags);
  }
  protected override sysDelete(key: Uint8Array | null): ErrnoResult {
    const o = this.owner(key);
    return typeof o === 'number' ? o : this.storageDelete(o);
  }
  override updateFromProg(): ErrnoResult {
    return -Errno.EINVAL; // programs use bpf_task_storage_get
  }
  override deleteFromProg(): ErrnoResult {
    return -Errno.EINVAL;
  }

  protected override freeStorage(): void {
    this.slots.slab.free();
  }
}

export const localStorageType: MapTypeDef = {
  check(attr) {
    const flags = attr.flags ?? 0;
    if (flags & ~CREATE_FLAG_MASK || !(flags & MapFlag.NO_PREALLOC) || attr.maxEntries || attr.keySize !== 4 ||
      !attr.valueSize || !attr.btfKeyTypeId || !attr.btfValueTypeId) return -Errno.EINVAL;
    if (attr.valueSize > LOCAL_STORAGE_MAX_VALUE_SIZE) return -Errno.E2BIG;
    return 0;
  },
  create: (attr, ctx) => new LocalStorage(attr, ctx),
};
