/**
 * CGROUP_ARRAY (kernel/bpf/arraymap.c cgroup_array_map_ops): slot i holds a
 * cgroup v2 directory, stored by user space as the fd of that directory
 * (cgroup_fd_array_get_ptr -> cgroup_get_from_fd). Programs only ask whether
 * the current task or an skb is under slot i's cgroup
 * (bpf_current_task_under_cgroup, bpf_skb_under_cgroup: the verifier allows no
 * other helper on this map). Creation is fd_array_map_alloc_check's; user-space
 * lookups are ENOTSUPP (no map_fd_sys_lookup_elem); delete and get_next_key are
 * the fd array's.
 *
 * A cgroup fd is a bpf fd opened on a cgroup2 directory (BpfSubsystem.cgroupOpen);
 * any other fd is refused with EBADF, as the kernel refuses an fd that is not
 * one (css_tryget_online_from_dir on a file outside cgroupfs).
 */
import { Errno } from '@bpfsim/uapi';
import type { CgroupArrayMap, ErrnoResult, FdKind, KernelObjectRef } from './map';
import type { MapTypeDef } from './base';
import { FdArrayBase, checkFdArrayAttr } from './fd-array';

export class CgroupArrayMapImpl extends FdArrayBase<KernelObjectRef> implements CgroupArrayMap {
  protected readonly fdKind: FdKind = 'cgroup';
  protected override readonly sysLookupGivesId = false;

  protected override sysUpdate(key: Uint8Array | null, value: Uint8Array, flags: number): ErrnoResult {
    const r = super.sysUpdate(key, value, flags);
    // cgroup_get_from_fd: an open fd that is not a cgroup v2 directory is EBADF, not EINVAL.
    return r === -Errno.EINVAL && flags === 0 ? -Errno.EBADF : r;
  }

  /** cgroup_get_from_fd: an fd to something that is not a cgroup2 directory is EBADF. */
  protected override accept(obj: KernelObjectRef): ErrnoResult {
    return (obj as { cgroup?: unknown }).cgroup ? 0 : -Errno.EBADF;
  }

  cgroupAt(index: number): KernelObjectRef | undefined {
    return this.entry(index);
  }
}

export const cgroupArrayType: MapTypeDef = {
  check: checkFdArrayAttr,
  create: (attr, ctx) => new CgroupArrayMapImpl(attr, ctx),
};
