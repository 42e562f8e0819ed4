/**
 * A small procfs (fs/proc/): /proc/self, and per process /proc/PID/{comm,
 * cmdline,status} and /proc/PID/ns/* — the namespace links whose targets read
 * "pid:[4026531836]" and which open to nsfs files setns(2) takes. Entries are
 * generated at lookup from the task's state, numbered as the pid namespace the
 * proc instance belongs to sees them (the initial one: bpfsim has no mount(2)
 * yet, so there is no --mount-proc).
 */
import { Inode, SuperBlock, S_IFDIR, S_IFLNK, S_IFREG, type ProcDir } from './inode';
import type { TaskStruct } from '../kernel/task_struct';
import type { World } from '../kernel/world';
import type { PidNamespace } from '../ns/pid_namespace';
import type { NsCommon } from '../ns/ns_common';
import { NS_INIT_INO, NSFS_DEV } from '../ns/ns_common';
import { utf8Encode } from '../kernel/utf8';
import { procCgroupLine } from '../cgroup/namespace';

/** st_dev of proc (0:22 here) and of nsfs. */
export const PROC_DEV = 22;

/** /proc/PID/ns entries in the order Linux lists them. */
export const NS_LINKS = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'pid_for_children', 'time', 'time_for_children', 'user', 'uts'] as const;
export type NsLink = (typeof NS_LINKS)[number];

/** The namespace object and its inode number for one /proc/PID/ns entry. */
export function nsOf(t: TaskStruct, which: NsLink): { type: string; inum: number; ns: NsCommon | undefined } {
  const n = t.nsproxy;
  switch (which) {
    case 'pid': return { type: 'pid', inum: t.pidNamespace.inum, ns: t.pidNamespace };
    case 'pid_for_children': return { type: 'pid', inum: n.pidForChildren.inum, ns: n.pidForChildren };
    case 'time_for_children': return { type: 'time', inum: n.timeForChildren.inum, ns: n.timeForChildren };
    // User namespaces are not modelled: everyone is in the initial one.
    case 'user': return { type: 'user', inum: NS_INIT_INO.user, ns: undefined };
    default: {
      const ns = n[which];
      return { type: which, inum: ns.inum, ns };
    }
  }
}

const STATE: Record<string, string> = { running: 'R (running)', sleeping: 'S (sleeping)', stopped: 'T (stopped)', zombie: 'Z (zombie)', dead: 'X (dead)' };

function status(t: TaskStruct, ns: PidNamespace): string {
  // NS*: the numbers from the proc instance's namespace down to the task's own.
  const numbers = (f: (x: PidNamespace) => number) => t.pidStruct.numbers.filter((u) => ns.isAncestorOf(u.ns)).map((u) => f(u.ns)).join('\t');
  const c = t.cred;
  const ppid = t.alive ? t.groupLeader.realParent.tgidIn(ns) : 0;
  return [
    `Name:\t${t.comm}`,
    `Umask:\t${t.fs.umask.toString(8).padStart(4, '0')}`,
    `State:\t${STATE[t.state]}`,
    `Tgid:\t${t.tgidIn(ns)}`,
    `Pid:\t${t.pidIn(ns)}`,
    `PPid:\t${ppid}`,
    'TracerPid:\t0',
    `Uid:\t${c.uid}\t${c.euid}\t${c.suid}\t${c.fsuid}`,
    `Gid:\t${c.gid}\t${c.egid}\t${c.sgid}\t${c.fsgid}`,
    `Groups:\t${c.groups.join(' ')}${c.groups.length ? ' ' : ''}`,
    `NStgid:\t${numbers((x) => t.tgidIn(x))}`,
    `NSpid:\t${numbers((x) => t.pidIn(x))}`,
    `NSpgid:\t${numbers((x) => t.signal.pgrp?.nrIn(x) ?? 0)}`,
    `NSsid:\t${numbers((x) => t.signal.session?.nrIn(x) ?? 0)}`,
    `Threads:\t${t.signal.threads.filter((x) => x.alive).length}`,
    `CapInh:\t${c.capInheritable.toString(16).padStart(16, '0')}`,
    `CapPrm:\t${c.capPermitted.toString(16).padStart(16, '0')}`,
    `CapEff:\t${c.capEffective.toString(16).padStart(16, '0')}`,
    `CapBnd:\t${c.capBset.toString(16).padStart(16, '0')}`,
    `CapAmb:\t${c.capAmbient.toString(16).padStart(16, '0')}`,
    '',
  ].join('\n');
}

export class ProcFs {
  readonly sb = new SuperBlock(PROC_DEV, 2);
  readonly nsfs = new SuperBlock(NSFS_DEV);
  private readonly nsInodes = new Map<number, Inode>();

  constructor(private readonly w: World, private readonly ns: PidNamespace) {
    this.sb.readonly = true;
    this.nsfs.readonly = true;
  }

  private now(): bigint {
    return this.w.clock.monotonicNs;
  }

  private dir(proc: ProcDir, mode = 0o555, owner?: TaskStruct): Inode {
    const d = new Inode(this.sb, S_IFDIR | mode, owner?.cred.euid ?? 0, owner?.cred.egid ?? 0, this.now());
    d.proc = proc;
    return d;
  }
  private file(data: Uint8Array, owner: TaskStruct, mode = 0o444): Inode {
    const f = new Inode(this.sb, S_IFREG | mode, owner.cred.euid, owner.cred.egid, this.now());
    f.setData(data);
    return f;
  }
  private link(target: string, owner?: TaskStruct, follow?: () => Inode): Inode {
    const l = new Inode(this.sb, S_IFLNK | 0o777, owner?.cred.euid ?? 0, owner?.cred.egid ?? 0, this.now());
    l.target = target;
    l.follow = follow;
    return l;
  }

  /** The nsfs inode of a namespace: one per namespace, its number the namespace's. */
  nsInode(inum: number, ns: NsCommon | undefined): Inode {
    let i = this.nsInodes.get(inum);
    if (!i) {
      i = new Inode(this.nsfs, S_IFREG | 0o444, 0, 0, this.now(), inum);
      i.ns = ns;
      this.nsInodes.set(inum, i);
    }
    return i;
  }

  /** The root directory, to hang on the rootfs /proc. */
  root(): ProcDir {
    return {
      lookup: (name, viewer) => {
        if (name === 'self') {
          const v = viewer as TaskStruct | undefined;
          return v ? this.link(String(v.tgidIn(this.ns))) : undefined;
        }
        if (!/^[1-9][0-9]*$/.test(name)) return undefined;
        const t = this.w.findTask(Number(name), this.ns);
        return t && t.pid !== 0 ? this.pidDir(t, viewer as TaskStruct | undefined) : undefined;
      },
      list: (viewer) => {
        const out: [string, Inode][] = [];
        const self = this.root().lookup('self', viewer);
        if (self) out.push(['self', self]);
        for (const t of this.w.tasksIn(this.ns)) if (t.isGroupLeader && t.pid !== 0) out.push([String(t.tgidIn(this.ns)), this.pidDir(t, viewer as TaskStruct | undefined)]);
        return out;
      },
    };
  }

  private pidDir(t: TaskStruct, viewer: TaskStruct | undefined): Inode {
    const entries = (): [string, Inode][] => [
      // cgroup paths are relative to the reader's cgroup namespace (proc_cgroup_show).
      ['cgroup', this.file(utf8Encode(procCgroupLine(t, viewer ?? t)), t)],
      ['comm', this.file(utf8Encode(`${t.comm}\n`), t, 0o644)],
      ['cmdline', this.file(this.cmdline(t), t)],
      ['status', this.file(utf8Encode(status(t, this.ns)), t)],
      ['ns', this.nsDir(t)],
    ];
    return this.dir({ lookup: (n) => entries().find(([k]) => k === n)?.[1], list: () => entries() }, 0o555, t);
  }

  private nsDir(t: TaskStruct): Inode {
    const entries = (): [string, Inode][] =>
      NS_LINKS.map((n) => {
        const o = nsOf(t, n);
        return [n, this.link(`${o.type}:[${o.inum}]`, t, () => this.nsInode(o.inum, o.ns))];
      });
    return this.dir({ lookup: (n) => entries().find(([k]) => k === n)?.[1], list: () => entries() }, 0o511, t);
  }

  /** The argument area of the process's memory (empty for kernel threads and zombies). */
  private cmdline(t: TaskStruct): Uint8Array {
    const mm = t.mm;
    if (!mm || mm.argEnd <= mm.argStart) return new Uint8Array(0);
    return mm.copyFromUser(mm.argStart, Number(mm.argEnd - mm.argStart)) ?? new Uint8Array(0);
  }
}
