/**
 * The kernel's world of processes: the task list, pid lookup per namespace,
 * the initial namespaces, the root file system, and the sleeping syscalls that
 * state changes may wake. Booted by boot.ts; deterministic from the seed.
 */
import { Errno } from '@bpfsim/uapi';
import type { AddressSpace } from '@bpfsim/vm';
import type { Clock } from './clock';
import type { Rng } from './rng';
import { BLOCK, type TaskStruct } from './task_struct';
import type { Pid } from './pid';
import { InumAllocator, PROC_INUMS_AT_BOOT } from '../ns/ns_common';
import type { PidNamespace } from '../ns/pid_namespace';
import type { NsProxy } from '../ns/nsproxy';
import type { NetNamespace } from '../ns/net_namespace';
import type { Inode, SuperBlock } from '../fs/inode';
import type { ProcFs } from '../fs/proc';
import type { CgroupHierarchy } from '../cgroup/cgroup';
import { TaskObjects } from '../trace/task-objects';
import { SYSCALL_NR_X86_64 } from '../syscalls/table';
import type { TaskEvents } from '../trace/fire';
import type { RunQueues } from './runqueue';
import type { Writeback } from '../block/writeback';
import type { Kprobes } from '../trace/kprobes';
import type { UserAccess } from '../bpf/sys-bpf';

export interface WorldOptions {
  /** Host name and NIS domain name of the initial UTS namespace (default "bpfsim", "(none)"). */
  hostname?: string;
  domainname?: string;
  /** uname's version field (default "#1 SMP PREEMPT_DYNAMIC"). */
  version?: string;
  /** proc inode numbers taken at boot before the first namespace (default 333, see ns_common.ts). */
  procInumsAtBoot?: number;
}

export interface WorldDeps {
  mem: AddressSpace;
  clock: Clock;
  rng: Rng;
  cpus: number;
  release: string;
  /** The initial net namespace (init_net): the packet path's first namespace. */
  initNet: () => NetNamespace;
}

export class World {
  readonly inums: InumAllocator;
  readonly mem: AddressSpace;
  readonly clock: Clock;
  readonly cpus: number;
  readonly release: string;
  /** Every task not yet released, in the order it was attached. */
  private readonly tasks = new Set<TaskStruct>();
  /** pid lookup per namespace: ns -> number -> task (find_task_by_pid_ns). */
  private readonly byNs = new Map<PidNamespace, Map<number, TaskStruct>>();
  // Set by boot().
  initPidNs!: PidNamespace;
  initNs!: NsProxy;
  sb!: SuperBlock;
  root!: Inode;
  swapper!: TaskStruct;
  init!: TaskStruct;
  kthreadd!: TaskStruct;
  procfs!: ProcFs;
  /** The cgroup v2 hierarchy, mounted at /sys/fs/cgroup (src/cgroup). */
  cgroups!: CgroupHierarchy;
  /** Run a program on a context (set by the kernel): cgroup programs the world's hooks run (bpf/cgroup.ts). */
  runBpf: ((prog: unknown, ctx: Uint8Array, struct: string, hook: string) => bigint) | undefined;
  private readonly rng: Rng;
  /** init_net (the network's first namespace). */
  readonly initNet: () => NetNamespace;
  private waking = false;
  /** Simulated task_struct addresses, handed out in creation order (slab-like, 16 KiB apart). */
  private nextTaskAddr = 0xffff_8880_0200_0000n;

  constructor(deps: WorldDeps, readonly opts: WorldOptions = {}) {
    this.mem = deps.mem;
    this.clock = deps.clock;
    this.rng = deps.rng;
    this.cpus = deps.cpus;
    this.release = deps.release;
    this.initNet = deps.initNet;
    this.inums = new InumAllocator(opts.procInumsAtBoot ?? PROC_INUMS_AT_BOOT);
  }

  /** The address the next task_struct gets (bpf_get_current_task). */
  allocTaskAddr(): bigint {
    const a = this.nextTaskAddr;
    this.nextTaskAddr += 0x4000n;
    return a;
  }

  /** Per-CPU run queues: which task each CPU runs (made at boot). */
  rq: RunQueues | undefined;
  /** The root file system's disk and its dirty data (set by the kernel). */
  writeback: Writeback | undefined;

  /** What the tracing layer hears of tasks (set by the kernel; trace/fire.ts). */
  events: TaskEvents | undefined;
  /** The modelled kernel functions' probes (trace/kprobes.ts): `kprobes.call(fn, args, body)` (set by the kernel). */
  kprobes: Kprobes | undefined;
  /** bpf(2) into the kernel's bpf object model (set by the kernel; bpf/sys-bpf.ts). */
  bpf: ((cmd: number, attr: bigint, size: number, user: UserAccess) => number) | undefined;
  private taskObjs: TaskObjects | undefined;
  /** The tasks mirrored into kernel memory as task_struct objects (made on first use). */
  get taskObjects(): TaskObjects {
    return (this.taskObjs ??= new TaskObjects(this.mem, () => this.root));
  }

  /** Register a new task under each of its pid numbers. */
  attach(t: TaskStruct): void {
    t.events = this.events;
    this.tasks.add(t);
    this.hash(t);
  }
  private hash(t: TaskStruct): void {
    for (const u of t.pidStruct.numbers) {
      let m = this.byNs.get(u.ns);
      if (!m) this.byNs.set(u.ns, (m = new Map()));
      m.set(u.nr, t);
    }
  }
  /** After de_thread swapped pids. */
  rehash(t: TaskStruct): void {
    this.hash(t);
  }
  /** Unregister a released task and free its pid. */
  detach(t: TaskStruct): void {
    if (!this.tasks.delete(t)) return;
    for (const u of t.pidStruct.numbers) {
      const m = this.byNs.get(u.ns);
      if (m?.get(u.nr) === t) m.delete(u.nr);
    }
    if (t.pid !== 0) t.pidStruct.free();
  }

  /** find_task_by_pid_ns. */
  findTask(nr: number, ns: PidNamespace = this.initPidNs): TaskStruct | undefined {
    return this.byNs.get(ns)?.get(nr);
  }

  /** The process group `nr` names in `ns` (find_vpid + PIDTYPE_PGID): it exists while a member, zombies included, is not released. */
  findPgrp(nr: number, ns: PidNamespace): Pid | undefined {
    for (const t of this.tasks) {
      const g = t.signal.pgrp;
      if (g && t.pid !== 0 && g.nrIn(ns) === nr) return g;
    }
    return undefined;
  }

  /** Every task whose pid is visible in `ns`, in attach order. */
  tasksIn(ns: PidNamespace): TaskStruct[] {
    return [...this.tasks].filter((t) => t.pidStruct.nrIn(ns) !== 0);
  }

  /** All tasks (live and zombie), in attach order. */
  allTasks(): TaskStruct[] {
    return [...this.tasks];
  }

  /** Bytes from the seeded "exec_random" stream (AT_RANDOM). */
  randomBytes(n: number): Uint8Array {
    const s = this.rng.stream('exec_random');
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = s.below(256);
    return out;
  }

  /** Pinned entropy (strace replay): getrandom returns these bytes first, in order. */
  readonly pinnedEntropy: number[] = [];

  /** `n` bytes for getrandom: pinned ones first, then the seeded "getrandom" stream. */
  entropy(n: number): Uint8Array {
    const out = new Uint8Array(n);
    const s = this.rng.stream('getrandom');
    for (let i = 0; i < n; i++) out[i] = this.pinnedEntropy.length ? this.pinnedEntropy.shift()! : s.below(256);
    return out;
  }

  /** A syscall that slept has its result: it goes on the task's completed list. */
  completeBlocked(t: TaskStruct, ret: number): void {
    const b = t.blocked;
    if (!b) return;
    t.blocked = undefined;
    if (t.state === 'sleeping') t.state = 'running';
    t.completed.push({ name: b.name, ret });
    t.lastRet = ret;
    // try_to_wake_up: the sleeper runs again (and returns from its syscall) on a CPU.
    this.rq?.wake(t);
    // The sleeping syscall returns now: its sys_exit tracepoints fire.
    const nr = SYSCALL_NR_X86_64[b.name];
    if (nr !== undefined && t.alive && !t.exiting) this.events?.sysExit(t, nr, b.name, ret);
  }

  /** A signal interrupted a sleeper (signal_send.ts): the next wake() settles it. */
  interruptPending = false;

  /** Retry every sleeping syscall, in task order, until none makes progress. */
  wake(): void {
    if (this.waking) return;
    this.waking = true;
    try {
      for (let progress = true; progress; ) {
        progress = false;
        for (const t of this.tasks) {
          if (!t.blocked || !t.alive || t.state === 'stopped') continue;
          const r = t.blocked.retry();
          if (r !== BLOCK) {
            this.completeBlocked(t, r);
            progress = true;
          }
        }
      }
    } finally {
      this.waking = false;
    }
  }

  /**
   * At the end of the syscall that sent signals: sleepers whose condition now holds complete,
   * the other interrupted ones end with -EINTR.
   */
  settleInterrupts(): void {
    this.interruptPending = false;
    this.wake();
    for (const t of this.tasks) if (t.blocked?.interrupted && t.alive) this.completeBlocked(t, -Errno.EINTR);
  }

  /** mm_release's vfork completion: the parent of a vfork child continues. */
  releaseVfork(t: TaskStruct): void {
    const p = t.vforkParent;
    if (!p) return;
    t.vforkParent = undefined;
    if (p.blocked?.name === 'vfork') this.completeBlocked(p, t.pidIn(p.pidNamespace));
  }

  taskExited(_t: TaskStruct): void {
    this.wake();
  }
}
