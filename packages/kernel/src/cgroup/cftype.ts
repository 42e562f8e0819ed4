/**
 * struct cftype: one interface file of a cgroup directory. The table of all of
 * them (base files, then each controller's) is data, in the order the kernel
 * creates them — which decides the kernfs ids, and so the ids of the cgroups
 * made after them. A file with neither show nor write is one the kernel makes
 * and bpfsim does not model: its id is taken, the file is absent.
 */
import type { TaskStruct } from '../kernel/task_struct';
import type { Cgroup, Controller } from './cgroup';
import { BASE_FILES } from './cgroup_files';
import { CPU_FILES } from './cpu';
import { MEMORY_FILES } from './memcontrol';
import { PIDS_FILES } from './pids';

export interface CfType {
  /** The name after the controller prefix ("max" of "pids.max"); base files carry their full name. */
  name: string;
  /** Owning controller; undefined for the base (cgroup core) files. */
  ss?: Controller;
  mode: number;
  /** CFTYPE_NOT_ON_ROOT / CFTYPE_ONLY_ON_ROOT. */
  notOnRoot?: boolean;
  onlyOnRoot?: boolean;
  show?: (cg: Cgroup, viewer: TaskStruct) => string;
  /** The whole write (a string); answers 0 (or the byte count) or -errno. */
  write?: (cg: Cgroup, data: string, writer: TaskStruct) => number;
}

/** Every file in creation order: base files (the 6.18 machine's order), then controllers in subsystem order. */
export function allCftypes(): CfType[] {
  return [...BASE_FILES, ...CPU_FILES, ...MEMORY_FILES, ...PIDS_FILES];
}
