/**
 * How trace_pipe prints an event's context (kernel/trace/trace_output.c, trace_print_context with
 * the default trace options: irq-info on, record-tgid off, a nanosecond clock):
 *   "%16s-%-7d " comm, pid  ·  "[%03d] " cpu  ·  trace_print_lat_fmt's 5 characters  ·
 *   " %5lu.%06lu" the timestamp in µs (ns2usecs rounds to the nearest µs)  ·  ": "
 * then the event's own text: "bpf_trace_printk: <msg>" for bpf_trace_printk.
 */

/** The irq/preempt state a trace entry records (tracing_gen_ctx: trace_entry.flags and preempt_count). */
export interface TraceEntryState {
  irqsOff?: boolean;
  /** Softirqs disabled (TRACE_FLAG_BH_OFF). */
  bhOff?: boolean;
  needResched?: boolean;
  /** TRACE_FLAG_NEED_RESCHED_LAZY */
  needReschedLazy?: boolean;
  /** TRACE_FLAG_PREEMPT_RESCHED */
  preemptResched?: boolean;
  hardirq?: boolean;
  softirq?: boolean;
  nmi?: boolean;
  /** Preemption depth (preempt_count & 0xff, capped at 15 as tracing_gen_ctx does). */
  preempt?: number;
  /** current->migration_disabled (capped at 15). */
  migrate?: number;
}

/** trace_print_lat_fmt: irqs-off, need-resched, hardirq/softirq, preempt depth, migrate-disable depth. */
export function latencyFlags(s: TraceEntryState): string {
  const irqsOff = s.irqsOff && s.bhOff ? 'D' : s.irqsOff ? 'd' : s.bhOff ? 'b' : '.';
  const nr = !!s.needResched, lazy = !!s.needReschedLazy, pr = !!s.preemptResched;
  let needResched = '.';
  if (nr && lazy && pr) needResched = 'B';
  else if (nr && pr) needResched = 'N';
  else if (lazy && pr) needResched = 'L';
  else if (nr && lazy) needResched = 'b';
  else if (nr) needResched = 'n';
  else if (lazy) needResched = 'l';
  else if (pr) needResched = 'p';
  const hardsoft = s.nmi && s.hardirq ? 'Z' : s.nmi ? 'z' : s.hardirq && s.softirq ? 'H' : s.hardirq ? 'h' : s.softirq ? 's' : '.';
  // tracing_gen_ctx packs each depth, capped at 15, into a nibble of preempt_count.
  const pc = Math.min(s.preempt ?? 0, 15), mg = Math.min(s.migrate ?? 0, 15);
  return `${irqsOff}${needResched}${hardsoft}${pc ? pc.toString(16) : '.'}${mg ? mg.toString(16) : '.'}`;
}

/** ns2usecs then " %5lu.%06lu". */
export function traceTimestamp(ns: bigint): string {
  const us = (ns + 500n) / 1000n;
  return ` ${(us / 1_000_000n).toString().padStart(5)}.${(us % 1_000_000n).toString().padStart(6, '0')}`;
}

export interface TraceContext extends TraceEntryState {
  comm: string;
  pid: number;
  cpu: number;
  tsNs: bigint;
}

/** The context prefix of a trace_pipe line, up to and including ": ". */
export function traceContextPrefix(c: TraceContext): string {
  // trace_find_cmdline: pid 0 is the idle task.
  const comm = c.pid === 0 ? '<idle>' : c.comm;
  return `${comm.padStart(16)}-${String(c.pid).padEnd(7)} [${String(c.cpu).padStart(3, '0')}] ${latencyFlags(c)}${traceTimestamp(c.tsNs)}: `;
}

/** Program types whose BPF_PROG_TEST_RUN goes through bpf_test_run (net/bpf/test_run.c). */
const BPF_TEST_RUN_TYPES = new Set([1 /* socket_filter */, 3 /* sched_cls */, 4 /* sched_act */, 6 /* xdp */, 8 /* cgroup_skb */,
  10 /* lwt_in */, 11 /* lwt_out */, 12 /* lwt_xmit */, 19 /* lwt_seg6local */]);

/**
 * The state bpf_trace_printk's event records, by the hook the program runs from. The helper's
 * bpf_bprintf_prepare disables preemption (+1); the printk event's own tracepoint is not counted
 * (tracing_gen_ctx_dec). A tracepoint program runs from perf's trace-event handler with
 * preemption off and, in bpf_prog_run_array, migration disabled; raw_tp and tp_btf programs run
 * from __bpf_trace_run under the tracepoint's preempt-disable only; fentry/fexit trampolines
 * (__bpf_prog_enter) disable migration only. bpf_test_run (skb and XDP test runs) disables
 * migration and bottom halves around each run: `b..11`, as the running kernel prints it.
 * Other runs bpfsim starts itself and return probes keep the plain state (not derived yet).
 */
export function printkState(hook: string, progType?: number): TraceEntryState {
  if (hook === 'test_run') return progType !== undefined && BPF_TEST_RUN_TYPES.has(progType) ? { bhOff: true, preempt: 1, migrate: 1 } : {};
  const prefix = hook.slice(0, hook.indexOf('/') + 1);
  switch (prefix) {
    case 'tracepoint/':
    case 'tp/':
    // kprobes on function entries go through ftrace (kprobe_ftrace_handler takes the recursion
    // lock with preemption off) and then trace_call_bpf's bpf_prog_run_array, like tracepoints.
    case 'kprobe/':
    case 'ksyscall/':
    case 'kprobe.multi/':
      return { preempt: 2, migrate: 1 };
    case 'raw_tracepoint/':
    case 'raw_tp/':
    case 'tp_btf/':
      return { preempt: 2 };
    case 'fentry/':
    case 'fexit/':
    case 'fmod_ret/':
      return { preempt: 1, migrate: 1 };
    default:
      return {};
  }
}
