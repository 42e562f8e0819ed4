/**
 * struct task_struct: one thread. Threads of a process share a SignalStruct
 * (thread group); fs, files, sighand, mm and nsproxy are shared or copied as
 * clone flags say. A TaskStruct is also a `Task` (task.ts), the view the BPF
 * helpers read as `kernel.current`.
 */
import { utf8Decode, utf8Encode } from './utf8';
import type { PidNsRecord, Task } from './task';
import type { Cred } from './cred';
import type { Pid } from './pid';
import type { SigHand, SignalStruct } from './signal_struct';
import type { NsProxy } from '../ns/nsproxy';
import type { PidNamespace } from '../ns/pid_namespace';
import type { FsStruct } from '../fs/fs_struct';
import type { FilesStruct } from '../fs/fdtable';
import type { MmStruct } from '../mm/mm_struct';
import { NSFS_DEV } from '../ns/ns_common';
import type { TaskEvents } from '../trace/fire';
import type { Cgroup } from '../cgroup/cgroup';

/** Scheduler-visible state (TASK_RUNNING, TASK_INTERRUPTIBLE, __TASK_STOPPED, EXIT_ZOMBIE, EXIT_DEAD). */
export type TaskState = 'running' | 'sleeping' | 'stopped' | 'zombie' | 'dead';

/** TASK_COMM_LEN: 16 bytes including the NUL. */
export const TASK_COMM_LEN = 16;

/** A syscall the task is blocked in: retried whenever the world's state may have changed. */
export interface BlockedCall {
  readonly name: string;
  readonly retry: () => number | typeof BLOCK;
  /** A handled signal woke the sleeper: unless its condition now holds, the call ends with -EINTR. */
  interrupted?: boolean;
}
/** What a syscall handler returns to block (wait4 with no zombie, read of an empty pipe, vfork). */
export const BLOCK: unique symbol = Symbol('block');

/** Cut a name to what the kernel stores: at most 15 bytes (never splitting a UTF-8 sequence is not guaranteed by Linux either). */
export function truncComm(name: string): string {
  const b = utf8Encode(name);
  if (b.length <= TASK_COMM_LEN - 1) return name;
  return utf8Decode(b.subarray(0, TASK_COMM_LEN - 1));
}

export class TaskStruct implements Task {
  state: TaskState = 'running';
  /** PF_KTHREAD. */
  kthread: boolean;
  /** PF_FORKNOEXEC: forked and not yet exec'ed (setpgid's EACCES rule). */
  forkNoExec = true;
  /** PF_EXITING. */
  exiting = false;
  /** task->exit_code: a wait status word once exited. */
  exitCode = 0;
  /** Signal sent to the parent at exit (SIGCHLD for processes, -1 for threads). */
  exitSignal: number;
  /** PR_SET_PDEATHSIG. */
  pdeathSignal = 0;
  groupLeader: TaskStruct;
  realParent: TaskStruct;
  /** Children in the order they were created (or reparented). */
  readonly children: TaskStruct[] = [];
  /** Pending signals sent to this thread only. */
  readonly pending: number[] = [];
  blockedSigs = 0n;
  /** The syscall this task sleeps in, if any, and results of calls that completed while it slept. */
  blocked: BlockedCall | undefined;
  readonly completed: { name: string; ret: number }[] = [];
  /** CLONE_CHILD_CLEARTID address, CLONE_VFORK parent to wake. */
  clearChildTid = 0n;
  /** arch_prctl FS/GS bases, set_robust_list head and rseq area: registered, never used (no code runs). */
  /** rax after the thread's last syscall returned: what a signal frame saves and rt_sigreturn restores. */
  lastRet = 0;
  fsBase = 0;
  gsBase = 0;
  robustList = 0;
  rseq = 0;
  vforkParent: TaskStruct | undefined;
  /** Per-thread comm (prctl PR_SET_NAME changes one thread). */
  private commName: string;

  // Task (helper view) fields not derived from the model.
  cgroupId = 1n;
  cgroupAncestors: bigint[] = [1n];
  /** The task's cgroup (its css_set's cgroup on the v2 hierarchy; src/cgroup). */
  cgroup: Cgroup | undefined;
  /** Where the task's task_struct would be before the world mirrors it (trace/task-objects.ts). */
  private readonly fixedTaskAddr: bigint;
  /** The world's tracing (set when the task joins the world): its task_struct object, tracepoints. */
  events: TaskEvents | undefined;
  /** task->start_time (CLOCK_MONOTONIC ns at fork). */
  startTime = 0n;
  kernelStack: bigint[] = [0xffff_ffff_8100_1000n, 0xffff_ffff_8100_2000n, 0xffff_ffff_8100_3000n];
  userStack: bigint[] = [0x0000_5555_5555_1000n, 0x0000_5555_5555_2000n];

  constructor(
    public pidStruct: Pid,
    comm: string,
    public cred: Cred,
    public signal: SignalStruct,
    public sighand: SigHand,
    public nsproxy: NsProxy,
    public fs: FsStruct,
    public files: FilesStruct,
    public mm: MmStruct | undefined,
    opts: { kthread?: boolean; leader?: TaskStruct; parent?: TaskStruct; exitSignal: number; taskAddr: bigint },
  ) {
    this.commName = truncComm(comm);
    this.kthread = opts.kthread ?? false;
    this.groupLeader = opts.leader ?? this;
    this.realParent = opts.parent ?? this;
    this.exitSignal = opts.exitSignal;
    this.fixedTaskAddr = opts.taskAddr;
  }

  get comm(): string {
    return this.commName;
  }
  set comm(name: string) {
    // __set_task_comm: trace_task_rename fires before the name changes.
    this.events?.rename(this, truncComm(name));
    this.commName = truncComm(name);
  }

  /** The task_struct object's address in kernel memory (bpf_get_current_task). */
  get taskAddr(): bigint {
    return this.events ? this.events.taskAddr(this) : this.fixedTaskAddr;
  }
  /** The same, with the object rewritten from the model first (what a helper hands a program). */
  syncedTaskAddr(): bigint {
    return this.events ? this.events.syncedTaskAddr(this) : this.fixedTaskAddr;
  }

  /** Thread id in the initial namespace. */
  get pid(): number {
    return this.pidStruct.nr;
  }
  /** Process id (the leader's thread id) in the initial namespace. */
  get tgid(): number {
    return this.groupLeader.pidStruct.nr;
  }
  get uid(): number {
    return this.cred.uid;
  }
  get gid(): number {
    return this.cred.gid;
  }
  /** task_active_pid_ns. */
  get pidNamespace(): PidNamespace {
    return this.pidStruct.ns;
  }
  /** Thread id as `ns` sees it (0 when invisible there). */
  pidIn(ns: PidNamespace): number {
    return this.pidStruct.nrIn(ns);
  }
  tgidIn(ns: PidNamespace): number {
    return this.groupLeader.pidStruct.nrIn(ns);
  }
  get isGroupLeader(): boolean {
    return this.groupLeader === this;
  }
  get alive(): boolean {
    return this.state !== 'zombie' && this.state !== 'dead';
  }

  /** The pid namespaces the task is seen in, outermost first (Task.pidNs). */
  get pidNs(): PidNsRecord[] {
    return this.pidStruct.numbers.map((u) => ({
      dev: BigInt(NSFS_DEV),
      ino: BigInt(u.ns.inum),
      pid: u.nr,
      tgid: this.groupLeader.pidStruct.nrIn(u.ns),
    }));
  }

  /** A one-line description for error messages. */
  describe(): string {
    return `task ${this.pid} (${this.comm})`;
  }
}
