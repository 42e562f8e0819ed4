/**
 * struct nsproxy (kernel/nsproxy.c): the namespaces a task uses, shared between
 * tasks until one of them clones with CLONE_NEW* or unshares. pid_ns_for_children
 * is where the task's future children get their pids; the task's own pid
 * namespace is the one its struct pid was allocated in.
 */
import { Errno } from '@bpfsim/uapi';
import { CLONE } from '../kernel/clone_flags';
import type { InumAllocator } from './ns_common';
import type { MntNamespace } from './mnt_namespace';
import type { NetNamespace } from './net_namespace';
import type { PidNamespace } from './pid_namespace';
import { SimpleNamespace } from './simple_namespace';
import type { UtsNamespace } from './uts_namespace';

export interface NsSet {
  mnt: MntNamespace;
  uts: UtsNamespace;
  ipc: SimpleNamespace;
  net: NetNamespace;
  cgroup: SimpleNamespace;
  time: SimpleNamespace;
  timeForChildren: SimpleNamespace;
  pidForChildren: PidNamespace;
}

export class NsProxy implements NsSet {
  mnt!: MntNamespace;
  uts!: UtsNamespace;
  ipc!: SimpleNamespace;
  net!: NetNamespace;
  cgroup!: SimpleNamespace;
  time!: SimpleNamespace;
  timeForChildren!: SimpleNamespace;
  pidForChildren!: PidNamespace;
  private users = 0;

  constructor(set: NsSet) {
    for (const k of NS_KEYS) (this as unknown as Record<string, { get(): unknown }>)[k] = (set as unknown as Record<string, { get(): unknown }>)[k].get() as never;
  }

  get(): this {
    this.users++;
    return this;
  }
  put(): void {
    if (--this.users === 0) for (const k of NS_KEYS) (this as unknown as Record<string, { put(): void }>)[k].put();
  }
}

const NS_KEYS = ['mnt', 'uts', 'ipc', 'net', 'cgroup', 'time', 'timeForChildren', 'pidForChildren'] as const;

/** The CLONE_NEW* flags create_new_namespaces acts on (user namespaces are not modelled yet). */
export const CLONE_NEW_NS_FLAGS = CLONE.NEWNS | CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWNET | CLONE.NEWPID | CLONE.NEWCGROUP | CLONE.NEWTIME;

/**
 * create_new_namespaces: a new nsproxy with fresh namespaces for the CLONE_NEW*
 * flags given, the rest shared. `activePidNs` is the task's own pid namespace:
 * copy_pid_ns refuses (EINVAL) a new one while pid_ns_for_children already differs.
 */
export function createNewNamespaces(flags: number, old: NsProxy, activePidNs: PidNamespace, inums: InumAllocator, forChild: boolean): NsProxy | number {
  let pidForChildren = old.pidForChildren;
  if (flags & CLONE.NEWPID) {
    if (old.pidForChildren !== activePidNs) return -Errno.EINVAL;
    const p = old.pidForChildren.createChild(inums);
    if (typeof p === 'number') return p;
    pidForChildren = p;
  }
  const timeForChildren = flags & CLONE.NEWTIME ? new SimpleNamespace('time', inums) : old.timeForChildren;
  // timens_on_fork: a child lives in its parent's time_ns_for_children.
  const time = forChild ? timeForChildren : old.time;
  return new NsProxy({
    mnt: flags & CLONE.NEWNS ? old.mnt.clone(inums) : old.mnt,
    uts: flags & CLONE.NEWUTS ? old.uts.clone(inums) : old.uts,
    ipc: flags & CLONE.NEWIPC ? new SimpleNamespace('ipc', inums) : old.ipc,
    net: flags & CLONE.NEWNET ? old.net.createChild(inums) : old.net,
    cgroup: flags & CLONE.NEWCGROUP ? new SimpleNamespace('cgroup', inums) : old.cgroup,
    time,
    timeForChildren,
    pidForChildren,
  });
}
