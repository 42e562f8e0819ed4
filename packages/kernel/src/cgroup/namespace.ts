/**
 * The cgroup namespace (kernel/cgroup/namespace.c): its root is the cgroup of
 * the task that made it (copy_cgroup_ns takes current's css_set), and paths in
 * /proc/PID/cgroup are printed relative to the reader's namespace root. The
 * namespace object (its identity and inode number) lives in src/ns; this file
 * binds each one to its root cgroup. The initial namespace's root is the
 * hierarchy's root.
 */
import type { NsCommon } from '../ns/ns_common';
import type { TaskStruct } from '../kernel/task_struct';
import type { Cgroup } from './cgroup';

const roots = new WeakMap<NsCommon, Cgroup>();

/** copy_cgroup_ns: a new namespace rooted at `creator`'s cgroup. */
export function bindCgroupNs(ns: NsCommon, creator: TaskStruct): void {
  if (!roots.has(ns) && creator.cgroup) roots.set(ns, creator.cgroup);
}

/** The root of `t`'s cgroup namespace. */
export function cgroupNsRoot(t: TaskStruct): Cgroup {
  const r = roots.get(t.nsproxy.cgroup);
  if (r) return r;
  let cg = t.cgroup!;
  while (cg.parent) cg = cg.parent;
  return cg;
}

/**
 * /proc/PID/cgroup as `viewer` reads it (proc_cgroup_show: "0::" and the path from the viewer's
 * namespace root; a zombie's removed cgroup is marked " (deleted)").
 */
export function procCgroupLine(t: TaskStruct, viewer: TaskStruct): string {
  if (!t.cgroup) return '';
  return `0::${t.cgroup.pathFrom(cgroupNsRoot(viewer))}${t.cgroup.dead ? ' (deleted)' : ''}\n`;
}
