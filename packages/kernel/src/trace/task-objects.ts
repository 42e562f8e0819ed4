/**
 * The world's tasks mirrored into simulated kernel memory: each TaskStruct gets a
 * `task_struct` laid out by the profile BTF (KernelObjects), with its cred, nsproxy and
 * namespaces, mm_struct, struct pid and a pt_regs for its syscalls. The model (src/kernel)
 * stays the source of truth; `sync(t)` rewrites every mirrored field from it, and is called
 * before anything can read the objects (a program run from a hook, bpf_get_current_task),
 * so the bytes are coherent with fork, exec, exit, prctl(PR_SET_NAME) and setuid at every
 * read without each of those paths writing them.
 */
import type { AddressSpace } from '@bpfsim/vm';
import { KernelObjects, declareModelledFields, type KObj } from '../mm/kobj';
import type { TaskStruct } from '../kernel/task_struct';
import type { Cred } from '../kernel/cred';
import type { MmStruct } from '../mm/mm_struct';
import type { NsProxy } from '../ns/nsproxy';
import type { Pid } from '../kernel/pid';
import type { PidNamespace } from '../ns/pid_namespace';
import type { Inode } from '../fs/inode';
import { FileObjects } from './file-objects';
import { CgroupObjects } from './cgroup-objects';

// include/linux/sched.h
const TASK_RUNNING = 0;
const TASK_INTERRUPTIBLE = 1;
const TASK_STOPPED = 4; // __TASK_STOPPED
const TASK_DEAD = 0x80;
const EXIT_DEAD = 0x10;
const EXIT_ZOMBIE = 0x20;
const PF_EXITING = 0x4;
const PF_FORKNOEXEC = 0x40;
const PF_KTHREAD = 0x200000;

const BY = 'trace/task-objects.ts';
declareModelledFields('task_struct', [
  'pid', 'tgid', 'comm', 'real_parent', 'parent', 'group_leader', '__state', 'exit_state', 'flags', 'exit_code', 'exit_signal',
  'pdeath_signal', 'start_time', 'start_boottime', 'cred', 'real_cred', 'nsproxy', 'mm', 'active_mm', 'thread_pid', 'files', 'cgroups',
], BY);
declareModelledFields('cred', ['uid', 'gid', 'suid', 'sgid', 'euid', 'egid', 'fsuid', 'fsgid', 'cap_inheritable', 'cap_permitted', 'cap_effective', 'cap_bset', 'cap_ambient'], BY);
declareModelledFields('mm_struct', ['arg_start', 'arg_end', 'env_start', 'env_end', 'start_stack', 'start_brk', 'brk'], BY);
declareModelledFields('nsproxy', ['uts_ns', 'mnt_ns', 'pid_ns_for_children', 'net_ns', 'ipc_ns', 'time_ns', 'cgroup_ns'], BY);
declareModelledFields('pid_namespace', ['level', 'ns.inum', 'parent'], BY);
declareModelledFields('pid', ['level', 'numbers'], BY);
declareModelledFields('pt_regs', ['di', 'si', 'dx', 'r10', 'r8', 'r9', 'orig_ax', 'ax'], BY);

/** x86-64 syscall argument registers, in order. */
const SYSCALL_ARG_REGS = ['di', 'si', 'dx', 'r10', 'r8', 'r9'] as const;

export class TaskObjects {
  readonly objs: KernelObjects;
  private readonly tasks = new Map<TaskStruct, KObj>();
  private readonly regs = new Map<TaskStruct, KObj>();
  // Model objects are replaced rather than changed (creds) or shared (mm, nsproxy): one kernel object per instance.
  private readonly creds = new Map<Cred, KObj>();
  private readonly mms = new Map<MmStruct, KObj>();
  private readonly nsproxies = new Map<NsProxy, KObj>();
  private readonly pidNss = new Map<PidNamespace, KObj>();
  private readonly nsCommons = new Map<object, KObj>();
  private readonly pids = new Map<Pid, KObj>();
  /** What each task's object was last written from: a write is skipped when nothing changed. */
  private readonly written = new Map<TaskStruct, unknown[]>();
  private regsAt: { offsets: number[]; size: number } | undefined;
  /** struct file, dentry, inode, files_struct (file-objects.ts). */
  readonly files: FileObjects;
  /** The descriptors each task's files_struct was last written with. */
  private readonly fdsWritten = new Map<TaskStruct, unknown[]>();

  /** `root` is the root directory (the root dentry's inode). */
  constructor(mem: AddressSpace, root: () => Inode | undefined = () => undefined) {
    this.objs = new KernelObjects(mem);
    this.files = new FileObjects(this.objs, () => root() as Inode);
  }

  /** The task's task_struct (allocated on first use; its address is the task's for good). */
  of(t: TaskStruct): KObj {
    let o = this.tasks.get(t);
    if (!o) this.tasks.set(t, (o = this.objs.alloc('task_struct')));
    return o;
  }

  /** The task's struct pt_regs (the user registers saved at syscall entry). */
  ptRegs(t: TaskStruct): KObj {
    let o = this.regs.get(t);
    if (!o) this.regs.set(t, (o = this.objs.alloc('pt_regs')));
    return o;
  }

  /** Registers as do_syscall_64 leaves them at entry: arguments, orig_ax = nr, ax = -ENOSYS. */
  syscallEntry(t: TaskStruct, nr: number, args: readonly number[]): KObj {
    const r = this.ptRegs(t);
    // One write of the whole struct (this runs on every syscall while a raw_syscalls program is attached).
    this.regsAt ??= { offsets: [...SYSCALL_ARG_REGS, 'orig_ax', 'ax'].map((n) => this.objs.field('pt_regs', n).offset), size: r.size };
    const bytes = new Uint8Array(this.regsAt.size);
    const dv = new DataView(bytes.buffer);
    const at = this.regsAt.offsets;
    for (let i = 0; i < 6; i++) dv.setBigUint64(at[i], BigInt.asUintN(64, BigInt(args[i] ?? 0)), true);
    dv.setBigUint64(at[6], BigInt(nr), true);
    dv.setBigUint64(at[7], BigInt.asUintN(64, -38n), true);
    this.objs.mem.write(r.addr, bytes);
    return r;
  }

  /** Registers at syscall exit: ax holds the return value. */
  syscallExit(t: TaskStruct, ret: number): KObj {
    const r = this.ptRegs(t);
    r.set('ax', BigInt.asUintN(64, BigInt(ret)));
    return r;
  }

  /** Rewrite `t`'s objects from the model, with its ancestors and group leader (what a CO-RE chain reaches). */
  sync(t: TaskStruct): KObj {
    const o = this.write(t);
    this.writeFiles(t, o);
    this.write(t.groupLeader);
    for (let p = t.realParent, n = 0; n < 64; p = p.realParent, n++) {
      this.write(p);
      if (p.realParent === p) break;
    }
    return o;
  }

  /** task->files → files_struct → fdtable → fd[]: rewritten when the descriptors changed. */
  private writeFiles(t: TaskStruct, o: KObj): void {
    const fs = t.files;
    if (!fs || !t.alive) return;
    const open = fs.openFds();
    const now: unknown[] = open.flatMap((fd) => [fd, fs.get(fd)]);
    const before = this.fdsWritten.get(t);
    if (before && before.length === now.length && before.every((f, i) => f === now[i]) && o.get('files') !== 0n) return;
    this.fdsWritten.set(t, now);
    o.set('files', this.files.filesStruct(fs));
  }

  private write(t: TaskStruct): KObj {
    const o = this.of(t);
    const m = t.mm;
    const now: unknown[] = [t.pid, t.tgid, t.comm, t.realParent, t.groupLeader, t.state, t.exiting, t.forkNoExec, t.exitCode, t.exitSignal,
      t.pdeathSignal, t.startTime, t.cred, t.nsproxy, m, m?.argStart, m?.argEnd, m?.envStart, m?.envEnd, m?.startStack, m?.startBrk, m?.brk, t.pidStruct, t.cgroup];
    const before = this.written.get(t);
    if (before && before.every((v, i) => v === now[i])) return o;
    this.written.set(t, now);
    o.set('pid', t.pid);
    o.set('tgid', t.tgid);
    o.set('comm', t.comm);
    o.set('real_parent', this.of(t.realParent));
    o.set('parent', this.of(t.realParent));
    o.set('group_leader', this.of(t.groupLeader));
    const st = t.state;
    o.set('__state', st === 'running' ? TASK_RUNNING : st === 'sleeping' ? TASK_INTERRUPTIBLE : st === 'stopped' ? TASK_STOPPED : TASK_DEAD);
    o.set('exit_state', st === 'zombie' ? EXIT_ZOMBIE : st === 'dead' ? EXIT_DEAD : 0);
    o.set('flags', (t.exiting ? PF_EXITING : 0) | (t.forkNoExec ? PF_FORKNOEXEC : 0) | (t.kthread ? PF_KTHREAD : 0));
    o.set('exit_code', t.exitCode);
    o.set('exit_signal', t.exitSignal);
    o.set('pdeath_signal', t.pdeathSignal);
    o.set('start_time', t.startTime);
    o.set('start_boottime', t.startTime);
    const cred = this.cred(t.cred);
    o.set('cred', cred);
    o.set('real_cred', cred);
    o.set('nsproxy', this.nsproxy(t.nsproxy));
    const mm = t.mm ? this.mm(t.mm) : null;
    o.set('mm', mm);
    o.set('active_mm', mm);
    o.set('thread_pid', this.pid(t.pidStruct));
    // task->cgroups → css_set → dfl_cgrp (trace/cgroup-objects.ts).
    if (t.cgroup) o.set('cgroups', (this.cgroupObjs ??= new CgroupObjects(this.objs)).cssSet(t.cgroup));
    return o;
  }
  private cgroupObjs: CgroupObjects | undefined;

  private cred(c: Cred): KObj {
    let o = this.creds.get(c);
    if (o) return o;
    this.creds.set(c, (o = this.objs.alloc('cred')));
    for (const f of ['uid', 'gid', 'suid', 'sgid', 'euid', 'egid', 'fsuid', 'fsgid'] as const) o.set(`${f}.val`, c[f]);
    o.set('cap_inheritable.val', c.capInheritable);
    o.set('cap_permitted.val', c.capPermitted);
    o.set('cap_effective.val', c.capEffective);
    o.set('cap_bset.val', c.capBset);
    o.set('cap_ambient.val', c.capAmbient);
    return o;
  }

  private mm(m: MmStruct): KObj {
    let o = this.mms.get(m);
    if (!o) this.mms.set(m, (o = this.objs.alloc('mm_struct')));
    // exec rewrites a fresh mm; brk moves: written each time.
    o.set('arg_start', m.argStart);
    o.set('arg_end', m.argEnd);
    o.set('env_start', m.envStart);
    o.set('env_end', m.envEnd);
    o.set('start_stack', m.startStack);
    o.set('start_brk', m.startBrk);
    o.set('brk', m.brk);
    return o;
  }

  private nsproxy(n: NsProxy): KObj {
    let o = this.nsproxies.get(n);
    if (o) return o;
    this.nsproxies.set(n, (o = this.objs.alloc('nsproxy')));
    o.set('pid_ns_for_children', this.pidNs(n.pidForChildren));
    const rec = n as unknown as Record<string, { inum?: number } | undefined>;
    // The other namespaces as far as the model has them: ns.inum is what tools read.
    for (const [field, struct, key] of [['uts_ns', 'uts_namespace', 'uts'], ['mnt_ns', 'mnt_namespace', 'mnt'], ['net_ns', 'net', 'net'], ['ipc_ns', 'ipc_namespace', 'ipc'], ['time_ns', 'time_namespace', 'time'], ['cgroup_ns', 'cgroup_namespace', 'cgroup']] as const) {
      const ns = rec[key];
      if (ns && typeof ns.inum === 'number') o.set(field, this.nsCommon(ns, struct, ns.inum));
    }
    return o;
  }

  private nsCommon(ns: object, struct: string, inum: number): KObj {
    let o = this.nsCommons.get(ns);
    if (!o) {
      this.nsCommons.set(ns, (o = this.objs.alloc(struct)));
      o.set('ns.inum', inum);
    }
    return o;
  }

  private pidNs(ns: PidNamespace): KObj {
    let o = this.pidNss.get(ns);
    if (o) return o;
    this.pidNss.set(ns, (o = this.objs.alloc('pid_namespace')));
    o.set('level', ns.level);
    o.set('ns.inum', ns.inum);
    if (ns.parent) o.set('parent', this.pidNs(ns.parent));
    return o;
  }

  /** struct pid with its upid numbers[], one per level. */
  private pid(p: Pid): KObj {
    let o = this.pids.get(p);
    if (o) return o;
    // A struct pid is followed by its level+1 upids (numbers[] is a flexible array).
    o = this.objs.alloc('pid', this.objs.field('pid', 'numbers').offset + (p.level + 1) * this.objs.sizeOf('upid'));
    this.pids.set(p, o);
    o.set('level', p.level);
    p.numbers.forEach((u, i) => {
      o!.set(`numbers[${i}].nr`, u.nr);
      o!.set(`numbers[${i}].ns`, this.pidNs(u.ns));
    });
    return o;
  }
}
