/**
 * Who may move a task where (kernel/cgroup/cgroup.c cgroup_attach_permissions,
 * cgroup_procs_write_permission, cgroup_migrate_vet_dst): shared by writes to
 * cgroup.procs / cgroup.threads and by clone3's CLONE_INTO_CGROUP.
 */
import { Errno } from '@bpfsim/uapi';
import type { TaskStruct } from '../kernel/task_struct';
import { permission, MAY_WRITE } from '../fs/permission';
import type { Cgroup } from './cgroup';
import { THREADED } from './controllers';
import { cgroupNsRoot } from './namespace';

/**
 * cgroup_procs_write_permission: write access to cgroup.procs of the common
 * ancestor of source and destination, and both inside the writer's cgroup
 * namespace (ENOENT otherwise).
 */
function attachPermission(src: Cgroup, dst: Cgroup, writer: TaskStruct): number {
  let com = dst;
  while (!com.isAncestorOf(src)) com = com.parent!;
  const procs = com.dir.entries!.get('cgroup.procs');
  if (procs) {
    const e = permission(writer.cred, procs, MAY_WRITE);
    if (e) return e;
  }
  const nsRoot = cgroupNsRoot(writer);
  if (!nsRoot.isAncestorOf(src) || !nsRoot.isAncestorOf(dst)) return -Errno.ENOENT;
  return 0;
}

/** cgroup_attach_permissions: the write permission, the destination's vetting, and a thread's domain. */
export function attachPermissions(src: Cgroup, dst: Cgroup, writer: TaskStruct, threadgroup: boolean): number {
  const e = attachPermission(src, dst, writer);
  if (e) return e;
  const v = vetDst(dst);
  if (v) return v;
  // A thread may only move within its domain: between domain cgroups, EOPNOTSUPP.
  if (!threadgroup && src !== dst) return -Errno.EOPNOTSUPP;
  return 0;
}

/** cgroup_migrate_vet_dst: a destination that may take processes (the "no internal processes" rule). */
export function vetDst(dst: Cgroup): number {
  if (dst.isRoot) return 0; // mixable
  // cgroup_can_be_thread_root: only threaded controllers enabled below, and no populated domain children.
  const domainControl = [...dst.subtreeControl].some((c) => !THREADED.has(c));
  const populatedChildren = [...dst.children.values()].some((c) => c.populated());
  if (!domainControl && !populatedChildren) return 0;
  return dst.subtreeControl.size ? -Errno.EBUSY : 0;
}
