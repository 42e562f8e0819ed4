/**
 * Per-CPU run queues and context switches (kernel/sched/core.c, as far as tracing observes them).
 *
 * Simulated processes do not compute between the events that drive them: a task *runs* when it
 * makes a syscall (or is otherwise made to run) and stops running when it sleeps or exits. The
 * model places it on a CPU at that moment and reports what the kernel would: `sched_switch` when a
 * CPU changes task, `sched_waking`/`sched_wakeup` when a sleeper becomes runnable,
 * `sched_wakeup_new` for a new task. The placement rule (select_task_rq, simplified and
 * deterministic): the task's previous CPU if it is idle, else the lowest-numbered idle CPU, else its
 * previous CPU, whose running task is preempted (it stays runnable, queued first-in first-out, and
 * runs again when that CPU next frees up). A new task's first CPU is the lowest idle one, else its
 * parent's. Each CPU runs its idle task (swapper/N, pid 0) when nothing else is runnable.
 */
import type { TaskStruct } from './task_struct';

/** task->__state values a switch reports for the task leaving the CPU (include/linux/sched.h). */
export const TASK_RUNNING = 0;
export const TASK_INTERRUPTIBLE = 1;
export const TASK_UNINTERRUPTIBLE = 2;
export const TASK_DEAD = 0x80;

/** What the scheduler reports (the tracing layer turns these into sched:* tracepoints). */
export interface SchedEvents {
  /** __schedule → trace_sched_switch(preempt, prev, next, prev_state), on `cpu`. */
  switched(cpu: number, prev: TaskStruct, next: TaskStruct, prevState: number, preempt: boolean): void;
  /** try_to_wake_up: sched_waking (on the waker's CPU) then sched_wakeup once placed on `cpu`. */
  wakeup(t: TaskStruct, cpu: number): void;
  /** wake_up_new_task: sched_wakeup_new. */
  wakeupNew(t: TaskStruct, cpu: number): void;
}

export class RunQueues {
  /** rq->curr per CPU. */
  private readonly curr: TaskStruct[];
  /** Runnable tasks waiting for each CPU (preempted ones), first in first out. */
  private readonly queued: TaskStruct[][];
  /** The CPU each task last ran on (task_cpu). */
  private readonly lastCpu = new WeakMap<TaskStruct, number>();
  /** Context switches per CPU (nr_switches). */
  readonly switches: number[];
  events: SchedEvents | undefined;

  constructor(readonly idle: readonly TaskStruct[]) {
    if (idle.length < 1) throw new RangeError('runqueue: at least one CPU');
    this.curr = [...idle];
    this.queued = idle.map(() => []);
    this.switches = idle.map(() => 0);
  }

  get cpus(): number {
    return this.idle.length;
  }

  /** The task running on `cpu` (its idle task when none). */
  current(cpu: number): TaskStruct {
    return this.curr[cpu];
  }

  /** The CPU `t` is running on, or undefined when it is not running. */
  cpuOf(t: TaskStruct): number | undefined {
    const i = this.curr.indexOf(t);
    return i < 0 ? undefined : i;
  }

  /** task_cpu(t): where it runs or last ran (0 for a task that never ran). */
  taskCpu(t: TaskStruct): number {
    return this.cpuOf(t) ?? this.lastCpu.get(t) ?? 0;
  }

  private isIdle(cpu: number): boolean {
    return this.curr[cpu] === this.idle[cpu];
  }

  private switchTo(cpu: number, next: TaskStruct, prevState: number, preempt: boolean): void {
    const prev = this.curr[cpu];
    if (prev === next) return;
    this.curr[cpu] = next;
    this.lastCpu.set(next, cpu);
    this.switches[cpu]++;
    this.events?.switched(cpu, prev, next, prevState, preempt);
  }

  /** Remove `t` from every wait queue (it runs, sleeps or died). */
  private dequeue(t: TaskStruct): void {
    for (const q of this.queued) {
      const i = q.indexOf(t);
      if (i >= 0) q.splice(i, 1);
    }
  }

  /** The CPU a waking or running task is placed on. */
  private select(t: TaskStruct, fallback?: number): number {
    const prev = this.lastCpu.get(t) ?? fallback;
    if (prev !== undefined && this.isIdle(prev)) return prev;
    for (let c = 0; c < this.curr.length; c++) if (this.isIdle(c)) return c;
    return prev ?? 0;
  }

  /**
   * `t` runs now (it makes a syscall, returns from one, or handles a signal): it is put on a CPU if it
   * is not on one, preempting that CPU's task when no CPU is idle. Returns the CPU.
   */
  run(t: TaskStruct): number {
    const on = this.cpuOf(t);
    if (on !== undefined) return on;
    this.dequeue(t);
    const cpu = this.select(t);
    const prev = this.curr[cpu];
    if (prev !== this.idle[cpu]) this.queued[cpu].push(prev);
    this.switchTo(cpu, t, TASK_RUNNING, prev !== this.idle[cpu]);
    return cpu;
  }

  /** The CPU of `t` gives way (t sleeps, stops or dies): its next queued task runs, else idle. */
  private leave(t: TaskStruct, state: number): void {
    this.dequeue(t);
    const cpu = this.cpuOf(t);
    if (cpu === undefined) return;
    const next = this.queued[cpu].shift() ?? this.idle[cpu];
    this.switchTo(cpu, next, state, false);
  }

  /** `t` sleeps in a syscall (interruptible, as the model's sleeps are). */
  sleep(t: TaskStruct, state = TASK_INTERRUPTIBLE): void {
    this.leave(t, state);
  }

  /** `t` exited (do_task_dead): it never runs again. */
  dead(t: TaskStruct): void {
    this.leave(t, TASK_DEAD);
    this.lastCpu.delete(t);
  }

  /** A sleeper became runnable (try_to_wake_up): reported, then it runs on the CPU chosen for it. */
  wake(t: TaskStruct): number {
    const cpu = this.select(t);
    this.events?.wakeup(t, cpu);
    return this.run(t);
  }

  /** A new task (wake_up_new_task): placed, reported; it runs when it first does something. */
  newTask(t: TaskStruct, parent: TaskStruct): number {
    const cpu = this.select(t, this.taskCpu(parent));
    this.lastCpu.set(t, cpu);
    this.events?.wakeupNew(t, cpu);
    return cpu;
  }
}
