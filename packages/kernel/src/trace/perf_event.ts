/**
 * Sampling perf events with BPF programs (kernel/events/core.c: perf_swevent_hrtimer for the software
 * cpu-clock event, bpf_overflow_handler): an event opened on one CPU fires every `period` ns of
 * virtual time (or `freq` times a virtual second); each time, the attached perf_event program runs
 * on the interrupted context — the task the CPU runs then (run queues, kernel/runqueue.ts) with its
 * registers — as struct bpf_perf_event_data { regs, sample_period, addr }. bpf_get_stackid and
 * bpf_get_stack then see the interrupted task's stacks, so a profiler's output is a deterministic
 * function of the scenario.
 *
 * Where a sample falls inside a syscall's modelled cost, the CPU's state at the end of the call is
 * what it sees (the clock advances after the call's effects).
 */
import { Errno } from '@bpfsim/uapi';
import type { Kernel } from '../kernel/kernel';
import type { TaskStruct } from '../kernel/task_struct';
import type { ClockTimer } from '../kernel/clock';
import { ptRegs, PT_REGS_LAYOUT } from '../bpf/ctx/tracing';
import { runProgram } from '../bpf/run';
import type { BpfProg } from '../bpf/prog';

/** perf_event_attr.type / config of the events bpfsim samples with. */
export const PERF_TYPE_SOFTWARE = 1;
export const PERF_COUNT_SW_CPU_CLOCK = 0;
export const PERF_COUNT_SW_TASK_CLOCK = 1;
/** BPF_PROG_TYPE_PERF_EVENT */
const PROG_TYPE_PERF_EVENT = 7;

/** x86-64 segment selectors: the interrupted context's mode (user_mode(regs) reads cs & 3). */
const USER_CS = 0x33n;
const KERNEL_CS = 0x10n;

export interface SamplerAttr {
  cpu: number;
  /** perf_event_attr.sample_freq with attr.freq = 1: samples per virtual second. */
  freq?: number;
  /** perf_event_attr.sample_period: ns of cpu-clock between samples. */
  period?: bigint;
  /** Which software clock (default cpu-clock). */
  config?: number;
}

/** What the sampler needs of the kernel: which task a CPU runs now. */
export interface SamplerHost {
  running(cpu: number): TaskStruct;
}

/** One sampling event (a perf_event fd of the kind `perf_event_open` returns for cpu-clock). */
export class PerfSampler {
  readonly periodNs: bigint;
  private prog: BpfProg | undefined;
  private timer: ClockTimer | undefined;
  /** Samples taken so far (overflows), and program runs. */
  samples = 0;
  closed = false;

  constructor(private readonly k: Kernel, private readonly host: SamplerHost, readonly attr: SamplerAttr) {
    this.periodNs = attr.period ?? BigInt(Math.max(1, Math.round(1e9 / (attr.freq ?? 1))));
  }

  /** PERF_EVENT_IOC_SET_BPF / LINK_CREATE(BPF_PERF_EVENT): EEXIST when a program is already set. */
  setProg(prog: BpfProg): number {
    // perf_event_set_bpf_handler's order: a program already set, then the type
    if (this.prog) return -Errno.EEXIST;
    if (prog.type !== PROG_TYPE_PERF_EVENT) return -Errno.EINVAL;
    this.prog = prog;
    this.arm();
    return 0;
  }

  /** PERF_EVENT_IOC_DISABLE / close. */
  close(): void {
    this.closed = true;
    if (this.timer) this.k.clock.cancelTimer(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.closed) return;
    this.timer = this.k.clock.addTimer(this.k.clock.monotonicNs + this.periodNs, () => this.fire());
  }

  private fire(): void {
    this.timer = undefined;
    this.samples++;
    const prog = this.prog;
    if (prog && !this.closed) {
      const t = this.host.running(this.attr.cpu);
      const user = !!t.mm && !t.kthread && t.pid !== 0;
      const ip = user ? t.userStack[0] ?? 0n : t.kernelStack[0] ?? 0n;
      const regs = ptRegs({ ip, cs: user ? USER_CS : KERNEL_CS, sp: user ? 0x7ffd_0000_0000n : 0xffff_c900_0000_0000n, flags: 0x246n });
      const bytes = new Uint8Array(PT_REGS_LAYOUT.size + 16);
      bytes.set(regs);
      const dv = new DataView(bytes.buffer);
      dv.setBigUint64(PT_REGS_LAYOUT.size, this.periodNs, true);
      const prev = this.k.current;
      this.k.current = t;
      try {
        runProgram(this.k, prog, { ctx: { bytes, writable: false, struct: 'bpf_perf_event_data' }, cpu: this.attr.cpu }, `perf_event:cpu${this.attr.cpu}`);
      } finally {
        this.k.current = prev;
      }
    }
    this.arm();
  }
}

/** perf_event_open's checks for a sampling software event. A sampler, or -errno. */
export function openSampler(k: Kernel, host: SamplerHost, attr: SamplerAttr): PerfSampler | number {
  if (!Number.isInteger(attr.cpu) || attr.cpu < 0 || attr.cpu >= k.sched.cpus) return -Errno.EINVAL;
  const config = attr.config ?? PERF_COUNT_SW_CPU_CLOCK;
  if (config !== PERF_COUNT_SW_CPU_CLOCK && config !== PERF_COUNT_SW_TASK_CLOCK) return -Errno.ENOENT;
  if ((attr.freq === undefined) === (attr.period === undefined)) return -Errno.EINVAL;
  // perf_event_max_sample_rate (default 100000 on a quiet machine): a higher freq is EINVAL
  if (attr.freq !== undefined && (!Number.isInteger(attr.freq) || attr.freq <= 0 || attr.freq > 100_000)) return -Errno.EINVAL;
  if (attr.period !== undefined && attr.period <= 0n) return -Errno.EINVAL;
  return new PerfSampler(k, host, attr);
}
