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
import type { TaskStruct } from '../kernel/task_struct';
import { commBytes } from '../kernel/task';
import { tracepointFormat } from './formats';
import { tracepointRecord, type TracepointFormat } from '../bpf/ctx/tracepoint';
import { rawTracepointArgs } from '../bpf/ctx/tracing';
import type { TaskObjects } from './task-objects';

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
}

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
  private fire(current: TaskStruct, h: EventHooks, record: () => Values, args: () => bigint[], sync: readonly TaskStruct[] = []): void {
    if (!this.attached(h)) return;
    const objs = this.objects();
    objs.sync(current);
    for (const t of sync) objs.sync(t);
    const k = this.kernel;
    const prev = k.current;
    k.current = current;
    try {
      let rec: Uint8Array | undefined;
      for (const n of h.tp) {
        if (!k.hooks.links(n).length) continue;
        h.format ??= tracepointFormat(h.key).format;
        rec ??= tracepointRecord(h.format, { common_pid: current.pid, ...record() });
        // Read-only to the program: every link can share the one record.
        const bytes = rec;
        k.hooks.fire(n, () => ({ ctx: { bytes, writable: false, struct: 'trace_entry' } }));
      }
      let a: Uint8Array | undefined;
      for (const n of h.raw) {
        if (!k.hooks.links(n).length) continue;
        a ??= rawTracepointArgs(args());
        const bytes = a;
        k.hooks.fire(n, () => ({ ctx: { bytes, writable: false, struct: 'bpf_raw_tracepoint_args' } }));
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
    const cur = this.kernel.current as TaskStruct;
    const running = typeof (cur as Partial<TaskStruct>).realParent === 'object' ? cur : t;
    this.fire(running, this.hooksOf('sched', 'sched_process_free', true), () => ({
      comm: cstr(t.comm), pid: t.pid, prio: DEFAULT_PRIO,
    }), () => [this.objects().of(t).addr], [t]);
  }
}
