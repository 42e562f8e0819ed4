/**
 * The tracepoints the world fires, and the contexts each program type gets:
 * - `tracepoint/<sys>/<event>` (also `tp/...`): the perf record of the event's format
 *   (struct trace_entry, then the fields at the format's offsets);
 * - `raw_tracepoint/<event>` (also `raw_tp/...`) and `tp_btf/<event>`: the tracepoint's
 *   arguments as u64s (TP_PROTO), pointers to the kernel objects of TaskObjects.
 * syscalls:sys_enter_<name>/sys_exit_<name> are ftrace syscall events: they have a record
 * but no raw tracepoint of their own; raw_syscalls:sys_enter/sys_exit carry (regs, id) and
 * (regs, ret). Nothing is built for a hook nobody is attached to.
 */
import type { Kernel } from '../kernel/kernel';
import { TaskStruct } from '../kernel/task_struct';
import { commBytes } from '../kernel/task';
import { tracepointFormat } from './formats';
import { tracepointRecord, type TracepointFormat } from '../bpf/ctx/tracepoint';
import { rawTracepointArgs } from '../bpf/ctx/tracing';
import type { TaskObjects } from './task-objects';
import type { BlkRequest, VirtioIrq } from '../block/blk-mq';

/** What the process model reports as it happens (src/kernel, src/syscalls call these). */
export interface TaskEvents {
  /** The task's task_struct address (bpf_get_current_task). */
  taskAddr(t: TaskStruct): bigint;
  /** The task's task_struct, rewritten from the model first. */
  syncedTaskAddr(t: TaskStruct): bigint;
  sysEnter(t: TaskStruct, nr: number, name: string, args: readonly number[]): void;
  sysExit(t: TaskStruct, nr: number, name: string, ret: number): void;
  /** End of copy_process (task_newtask), then kernel_clone's sched_process_fork; the parent is current. */
  newTask(parent: TaskStruct, child: TaskStruct, cloneFlags: number): void;
  /** __set_task_comm, before the name changes (exec and prctl PR_SET_NAME). */
  rename(t: TaskStruct, comm: string): void;
  /** exec_binprm after the new image is in place. */
  exec(t: TaskStruct, oldPid: number, filename: string): void;
  /** do_exit after exit_code is set, before exit_mm. */
  exit(t: TaskStruct, groupDead: boolean): void;
  /** The task_struct is freed (release_task; Linux does it an RCU grace period later). */
  free(t: TaskStruct): void;
  /** cgroup:cgroup_mkdir / cgroup_rmdir / cgroup_attach_task and oom:mark_victim (src/cgroup). */
  cgroupEvent?(e: CgroupTraceEvent): void;
  /** __send_signal_locked's trace_signal_generate (result: TRACE_SIGNAL_*), in the sender's context. */
  signalGenerate?(sig: number, target: TaskStruct, group: boolean, result: number, from?: TaskStruct): void;
  /** get_signal's trace_signal_deliver, in the target's context. */
  signalDeliver?(sig: number, target: TaskStruct, handler: bigint, flags: bigint): void;
}

/** A cgroup event in the terms its tracepoint records (cgroup paths are absolute in the hierarchy). */
export type CgroupTraceEvent =
  | { kind: 'mkdir' | 'rmdir'; by: TaskStruct; level: number; id: bigint; path: string }
  | { kind: 'attach'; by: TaskStruct; level: number; id: bigint; path: string; task: TaskStruct }
  | { kind: 'mark_victim'; by: TaskStruct; task: TaskStruct; rssPages: number };

type Values = Record<string, bigint | number | Uint8Array>;

/** struct task_struct's prio for a SCHED_NORMAL task of nice 0 (MAX_RT_PRIO + 20). */
const DEFAULT_PRIO = 120;

const cstr = (s: string): Uint8Array => {
  const b = Buffer.from(s, 'utf8');
  const o = new Uint8Array(b.length + 1);
  o.set(b);
  return o;
};

interface EventHooks {
  key: string;
  tp: string[];
  raw: string[];
  /** Loaded when first fired (the formats data is only read when a program is attached). */
  format?: TracepointFormat;
}

export class KernelTracepoints implements TaskEvents {
  private readonly events = new Map<string, EventHooks>();
  /** syscalls:sys_<dir>_<name> and sys_<dir>_new<name> by "<dir>:<name>". */
  private readonly syscallCands = new Map<string, EventHooks[]>();

  constructor(private readonly kernel: Kernel, private readonly objects: () => TaskObjects) {}

  taskAddr(t: TaskStruct): bigint {
    return this.objects().of(t).addr;
  }

  syncedTaskAddr(t: TaskStruct): bigint {
    return this.objects().sync(t).addr;
  }

  private hooksOf(sys: string, event: string, raw: boolean): EventHooks {
    const key = `${sys}:${event}`;
    let h = this.events.get(key);
    if (!h) {
      h = {
        key,
        tp: [`tracepoint/${sys}/${event}`, `tp/${sys}/${event}`],
        raw: raw ? [`raw_tracepoint/${event}`, `raw_tp/${event}`, `tp_btf/${event}`] : [],
      };
      this.events.set(key, h);
    }
    return h;
  }

  private attached(h: EventHooks): boolean {
    for (const n of h.tp) if (this.kernel.hooks.links(n).length) return true;
    for (const n of h.raw) if (this.kernel.hooks.links(n).length) return true;
    return false;
  }

  /**
   * Run the programs of one event with `current` as the running task: tracepoint programs on the
   * record, then raw_tracepoint and tp_btf programs on the arguments (each in attach order).
   */
  private fire(current: TaskStruct, h: EventHooks, record: () => Values, args: () => bigint[], sync: readonly TaskStruct[] = [], cpu_?: number): void {
    if (!this.attached(h)) return;
    const objs = this.objects();
    objs.sync(current);
    for (const t of sync) objs.sync(t);
    const k = this.kernel;
    const prev = k.current;
    k.current = current;
    // Programs run on the CPU the event happens on: the running task's (run queues).
    const cpu = cpu_ ?? k.world.rq?.taskCpu(current);
    try {
      let rec: Uint8Array | undefined;
      for (const n of h.tp) {
        if (!k.hooks.links(n).length) continue;
        h.format ??= tracepointFormat(h.key).format;
        rec ??= tracepointRecord(h.format, { common_pid: current.pid, ...record() });
        // Read-only to the program: every link can share the one record.
        const bytes = rec;
        k.hooks.fire(n, () => ({ ctx: { bytes, writable: false, struct: 'trace_entry' }, cpu }));
      }
      let a: Uint8Array | undefined;
      for (const n of h.raw) {
        if (!k.hooks.links(n).length) continue;
        a ??= rawTracepointArgs(args());
        const bytes = a;
        k.hooks.fire(n, () => ({ ctx: { bytes, writable: false, struct: 'bpf_raw_tracepoint_args' }, cpu }));
      }
    } finally {
      k.current = prev;
    }
  }

  /**
   * The syscalls:sys_<dir>_* event of a syscall, when a program is attached to it (the formats are
   * read only then). Some events are named after SYSCALL_DEFINE rather than the table: stat → newstat.
   */
  private syscallHooks(name: string, dir: 'enter' | 'exit'): EventHooks | undefined {
    // The candidates of a syscall are resolved once: this runs on every syscall.
    const key = `${dir}:${name}`;
    let cands = this.syscallCands.get(key);
    if (!cands) {
      cands = [name, `new${name}`].map((cand) => this.hooksOf('syscalls', `sys_${dir}_${cand}`, false));
      this.syscallCands.set(key, cands);
    }
    for (const h of cands) {
      if (!this.attached(h)) continue;
      h.format ??= tracepointFormat(h.key).format;
      return h;
    }
    return undefined;
  }

  /**
   * A tracepoint of the network stack (net/sock_trace.ts: sock:inet_sock_set_state,
   * tcp:tcp_destroy_sock), with `current` as the running task (softirq work runs in the
   * context of the task whose send caused it).
   */
  netEvent(current: TaskStruct, sys: string, event: string, record: () => Values, args: () => bigint[]): void {
    this.fire(current, this.hooksOf(sys, event, true), record, args);
  }

  // ---- the scheduler's events (kernel/runqueue.ts reports them; include/trace/events/sched.h) ----

  /** sched_switch, in prev's context on `cpu`: TP_PROTO(preempt, prev, next, prev_state). */
  switched(cpu: number, prev: TaskStruct, next: TaskStruct, prevState: number, preempt: boolean): void {
    const objs = () => this.objects();
    this.fire(prev, this.hooksOf('sched', 'sched_switch', true), () => ({
      prev_comm: commBytes(prev.comm), prev_pid: prev.pid, prev_prio: DEFAULT_PRIO,
      prev_state: BigInt(switchStateReport(preempt, prevState, prev)),
      next_comm: commBytes(next.comm), next_pid: next.pid, next_prio: DEFAULT_PRIO,
    }), () => [preempt ? 1n : 0n, objs().of(prev).addr, objs().of(next).addr, BigInt(prevState)], [prev, next], cpu);
  }

  /** try_to_wake_up: sched_waking in the waker's context, then sched_wakeup once `t` is placed on `cpu`. */
  wakeup(t: TaskStruct, cpu: number): void {
    const waker = this.waker(t);
    const rec = () => ({ comm: commBytes(t.comm), pid: t.pid, prio: DEFAULT_PRIO, target_cpu: cpu });
    const args = () => [this.objects().of(t).addr];
    this.fire(waker, this.hooksOf('sched', 'sched_waking', true), rec, args, [t]);
    this.fire(waker, this.hooksOf('sched', 'sched_wakeup', true), rec, args, [t]);
  }

  /** wake_up_new_task: sched_wakeup_new in the parent's context. */
  wakeupNew(t: TaskStruct, cpu: number): void {
    this.fire(this.waker(t), this.hooksOf('sched', 'sched_wakeup_new', true), () => ({
      comm: commBytes(t.comm), pid: t.pid, prio: DEFAULT_PRIO, target_cpu: cpu,
    }), () => [this.objects().of(t).addr], [t]);
  }

  // ---- the block layer's requests (block/blk-mq.ts; include/trace/events/block.h) ----

  /** block_io_start/rq_insert/rq_issue/rq_complete/io_done of `rq`, in `current`'s context on `cpu`. */
  request(event: 'block_io_start' | 'block_rq_insert' | 'block_rq_issue' | 'block_rq_complete' | 'block_io_done', current: TaskStruct, cpu: number, rq: BlkRequest): void {
    const h = this.hooksOf('block', event, true);
    if (!this.attached(h)) return;
    const complete = event === 'block_rq_complete';
    const common = { dev: rq.disk.devt, sector: rq.sector, nr_sector: Math.ceil(rq.bytes / 512), ioprio: 0, rwbs: cstr(rq.rwbs), cmd: new Uint8Array([0]) };
    this.fire(current, h, () => (complete ? { ...common, error: 0 } : { ...common, bytes: rq.bytes, comm: commBytes(current.comm) }), () => {
      const addr = rq.object(this.objects().objs).addr;
      return complete ? [addr, 0n, BigInt(rq.bytes)] : [addr];
    }, [], cpu);
  }

  /** irq:irq_handler_entry/exit and irq:softirq_raise/entry/exit of a device interrupt, on `cpu`. */
  interrupt(phase: 'irq_entry' | 'softirq_raise' | 'irq_exit' | 'softirq_entry' | 'softirq_exit', current: TaskStruct, cpu: number, irq: VirtioIrq): void {
    const event = phase === 'irq_entry' ? 'irq_handler_entry' : phase === 'irq_exit' ? 'irq_handler_exit' : phase;
    const h = this.hooksOf('irq', event, true);
    if (!this.attached(h)) return;
    const action = () => {
      // struct irqaction as the handler tools read it: irq and name
      const a = this.objects().objs.alloc('irqaction');
      a.set('irq', BigInt(irq.irq));
      a.set('name', this.objects().objs.allocString(irq.name));
      return a.addr;
    };
    if (phase === 'irq_entry') this.fire(current, h, () => ({ irq: irq.irq, name: cstr(irq.name) }), () => [BigInt(irq.irq), action()], [], cpu);
    else if (phase === 'irq_exit') this.fire(current, h, () => ({ irq: irq.irq, ret: 1 }), () => [BigInt(irq.irq), action(), 1n], [], cpu);
    else this.fire(current, h, () => ({ vec: irq.vec }), () => [BigInt(irq.vec)], [], cpu);
  }

  // ---- signals (include/trace/events/signal.h) ----

  signalGenerate(sig: number, target: TaskStruct, group: boolean, result: number, from?: TaskStruct): void {
    const h = this.hooksOf('signal', 'signal_generate', true);
    if (!this.attached(h)) return;
    // kill(2) fills siginfo with SI_USER (code 0); the model does not keep the signal's origin further
    this.fire(from ?? this.waker(target), h, () => ({
      sig, errno: 0, code: 0, comm: commBytes(target.comm), pid: target.pid, group: group ? 1 : 0, result,
    }), () => {
      const info = this.objects().objs.alloc('kernel_siginfo');
      info.set('si_signo', BigInt(sig));
      return [BigInt(sig), info.addr, this.objects().of(target).addr, group ? 1n : 0n, BigInt(result)];
    }, [target]);
  }

  signalDeliver(sig: number, target: TaskStruct, handler: bigint, flags: bigint): void {
    const h = this.hooksOf('signal', 'signal_deliver', true);
    if (!this.attached(h)) return;
    this.fire(target, h, () => ({ sig, errno: 0, code: 0, sa_handler: handler, sa_flags: flags }), () => {
      const objs = this.objects().objs;
      const info = objs.alloc('kernel_siginfo');
      info.set('si_signo', BigInt(sig));
      const ka = objs.alloc('k_sigaction');
      ka.set('sa.sa_handler', handler);
      ka.set('sa.sa_flags', flags);
      return [BigInt(sig), info.addr, ka.addr];
    });
  }

  /** The task running now: current when it is a world task (not a bare kernel's default task), else `t`. */
  private waker(t: TaskStruct): TaskStruct {
    const cur = this.kernel.current;
    return cur instanceof TaskStruct ? cur : t;
  }

  sysEnter(t: TaskStruct, nr: number, name: string, args: readonly number[]): void {
    const raw = this.hooksOf('raw_syscalls', 'sys_enter', true);
    const sys = this.syscallHooks(name, 'enter');
    if (!sys && !this.attached(raw)) return;
    const regs = this.objects().syscallEntry(t, nr, args);
    // trace_sys_enter (raw_syscalls) runs first, then the per-syscall event (ftrace_syscall_enter).
    this.fire(t, raw, () => {
      const a = new Uint8Array(48);
      const dv = new DataView(a.buffer);
      for (let i = 0; i < 6; i++) dv.setBigUint64(i * 8, BigInt.asUintN(64, BigInt(args[i] ?? 0)), true);
      return { id: nr, args: a };
    }, () => [regs.addr, BigInt(nr)]);
    if (sys) {
      this.fire(t, sys, () => {
        const v: Values = { __syscall_nr: nr };
        sys.format!.fields.filter((f) => !f.common && f.name !== '__syscall_nr').forEach((f, i) => (v[f.name] = BigInt.asUintN(64, BigInt(args[i] ?? 0))));
        return v;
      }, () => []);
    }
  }

  sysExit(t: TaskStruct, nr: number, name: string, ret: number): void {
    const raw = this.hooksOf('raw_syscalls', 'sys_exit', true);
    const sys = this.syscallHooks(name, 'exit');
    if (!sys && !this.attached(raw)) return;
    const regs = this.objects().syscallExit(t, ret);
    // syscall_exit_work: trace_sys_exit (raw_syscalls) fires before the per-syscall event.
    this.fire(t, raw, () => ({ id: nr, ret: BigInt(ret) }), () => [regs.addr, BigInt(ret)]);
    if (sys) this.fire(t, sys, () => ({ __syscall_nr: nr, ret: BigInt(ret) }), () => []);
  }

  /** The cgroup and oom tracepoints, for tracepoint programs (raw_tp/tp_btf would need struct cgroup objects); hierarchy_id 0 is v2's. */
  cgroupEvent(e: CgroupTraceEvent): void {
    if (e.kind === 'mark_victim') {
      const t = e.task;
      // total_vm and anon_rss: the pages the memory controller charged (kB for the rss fields, as 6.18 prints).
      this.fire(e.by, this.hooksOf('oom', 'mark_victim', false), () => ({
        pid: t.pid, comm: cstr(t.comm), total_vm: e.rssPages, anon_rss: e.rssPages * 4, file_rss: 0, shmem_rss: 0, uid: t.cred.uid, pgtables: 0, oom_score_adj: 0,
      }), () => []);
      return;
    }
    if (e.kind === 'attach') {
      const t = e.task;
      this.fire(e.by, this.hooksOf('cgroup', 'cgroup_attach_task', false), () => ({
        dst_root: 0, dst_level: e.level, dst_id: e.id, pid: t.pid, dst_path: cstr(e.path), comm: cstr(t.comm),
      }), () => []);
      return;
    }
    this.fire(e.by, this.hooksOf('cgroup', `cgroup_${e.kind}`, false), () => ({ root: 0, level: e.level, id: e.id, path: cstr(e.path) }), () => []);
  }

  newTask(parent: TaskStruct, child: TaskStruct, cloneFlags: number): void {
    const objs = () => this.objects();
    this.fire(parent, this.hooksOf('task', 'task_newtask', true), () => ({
      pid: child.pid, comm: commBytes(child.comm), clone_flags: BigInt(cloneFlags), oom_score_adj: 0,
    }), () => [objs().of(child).addr, BigInt(cloneFlags)], [child]);
    this.fire(parent, this.hooksOf('sched', 'sched_process_fork', true), () => ({
      parent_comm: cstr(parent.comm), parent_pid: parent.pid, child_comm: cstr(child.comm), child_pid: child.pid,
    }), () => [objs().of(parent).addr, objs().of(child).addr], [child]);
  }

  rename(t: TaskStruct, comm: string): void {
    this.fire(t, this.hooksOf('task', 'task_rename', true), () => ({
      pid: t.pid, oldcomm: commBytes(t.comm), newcomm: commBytes(comm), oom_score_adj: 0,
    }), () => [this.objects().of(t).addr, this.objects().objs.allocString(comm)]);
  }

  exec(t: TaskStruct, oldPid: number, filename: string): void {
    this.fire(t, this.hooksOf('sched', 'sched_process_exec', true), () => ({
      filename: cstr(filename), pid: t.pid, old_pid: oldPid,
    }), () => {
      // struct linux_binprm as far as tools read it: the file name and the interpreter.
      const bprm = this.objects().objs.alloc('linux_binprm');
      bprm.set('filename', filename);
      bprm.set('interp', filename);
      return [this.objects().of(t).addr, BigInt(oldPid), bprm.addr];
    });
  }

  exit(t: TaskStruct, groupDead: boolean): void {
    this.fire(t, this.hooksOf('sched', 'sched_process_exit', true), () => ({
      comm: commBytes(t.comm), pid: t.pid, prio: DEFAULT_PRIO, group_dead: groupDead ? 1 : 0,
    }), () => [this.objects().of(t).addr, groupDead ? 1n : 0n]);
  }

  free(t: TaskStruct): void {
    this.fire(this.waker(t), this.hooksOf('sched', 'sched_process_free', true), () => ({
      comm: cstr(t.comm), pid: t.pid, prio: DEFAULT_PRIO,
    }), () => [this.objects().of(t).addr], [t]);
  }
}

/** TASK_REPORT_MAX: what sched_switch's record says for a preempted task. */
const TASK_REPORT_MAX = 0x100;
/** EXIT_DEAD, EXIT_ZOMBIE and the TASK_REPORT mask (include/linux/sched.h). */
const EXIT_DEAD = 0x10, EXIT_ZOMBIE = 0x20, TASK_REPORT = 0x7f;

/**
 * __trace_sched_switch_state: a preempted task reports TASK_REPORT_MAX; otherwise the state's
 * report index as a bit (a dying task: its exit_state, zombie or dead).
 */
export function switchStateReport(preempt: boolean, prevState: number, prev: TaskStruct): number {
  if (preempt) return TASK_REPORT_MAX;
  const exitState = prev.state === 'zombie' ? EXIT_ZOMBIE : prev.state === 'dead' ? EXIT_DEAD : 0;
  const state = (prevState | exitState) & TASK_REPORT;
  if (!state) return 0;
  const index = 32 - Math.clz32(state); // fls()
  return 1 << (index - 1);
}
