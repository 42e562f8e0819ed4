/** The readable timeline and expectation report `bpfsim replay` prints. */
import type { ReplayResult, TraceEntry } from './replay';
import { clip } from './quote';

const fmtTime = (ns: string): string => {
  const n = BigInt(ns);
  const us = n / 1000n;
  return `${us / 1000n}.${(us % 1000n).toString().padStart(3, '0')}ms`;
};

function describeEffect(r: Record<string, unknown>): string | undefined {
  switch (r.kind) {
    case 'trace_pipe': return `trace_pipe: ${String(r.text)}`;
    case 'ringbuf': return `ringbuf ${String(r.map)}: ${String(r.data)}`;
    case 'perf_event': return `perf_event ${String(r.map)}[${String(r.index)}]: ${String(r.data)}`;
    case 'map_update': return `${String(r.op)} ${String(r.map)}[${String(r.key)}]${r.op === 'update' ? ` = ${String(r.value)}` : ''} → ${String(r.result)}`;
    case 'redirect': return `redirect via ${String(r.helper)} to ${String(r.target)}`;
    case 'helper_fault': return `${String(r.helper)} overridden → ${String(r.result)}`;
    default: return undefined; // prog_run is the event line itself
  }
}

export function describeEntry(e: TraceEntry): string {
  const o = e.outcome;
  switch (o.kind) {
    case 'load': return `load ${String(o.program)}: ${o.accepted ? 'accepted' : `rejected (${String(o.errno)}: ${String(o.error)})`}`;
    case 'run': if (o.result !== undefined) return `run ${String(o.program)}: refused by the kernel: ${String(o.result)}`;
      return `run ${String(o.program)} on cpu ${String(o.cpu)}: retval ${String(o.retval)} (${String(o.insns)} insns)`;
    case 'map_update': return `map_update ${String(o.map)}[${String(o.key)}] = ${String(o.value)}: ${String(o.result)}`;
    case 'map_delete': return `map_delete ${String(o.map)}[${String(o.key)}]: ${String(o.result)}`;
    case 'map_lookup': return `map_lookup ${String(o.map)}[${String(o.key)}]: ${o.value === null ? String(o.result) : String(o.value)}`;
    case 'advance': return `advance to ${fmtTime(String(o.now))}`;
    case 'fire': return `fire ${String(o.hook)}: ${String(o.programs)} program${o.programs === 1 ? '' : 's'} ran${o.programs ? `, retval ${String(o.retvals)}` : ''}`;
    case 'perf_buffer': return `perf_buffer ${String(o.map)}: opened on ${String(o.cpus)} CPUs`;
    case 'override': return `override ${String(o.helper)}`;
    default: return JSON.stringify(o);
  }
}

/** The whole report as lines: timeline, then each expectation, then the verdict. */
export function formatReport(r: ReplayResult, opts: { notes?: boolean } = {}): string[] {
  const out: string[] = [`${r.file} (seed ${r.seed})`];
  const events = r.loaded.scenario.events ?? [];
  for (const e of r.trace) {
    const note = e.ev >= 0 && opts.notes !== false ? events[e.ev]?.note : undefined;
    const idx = e.ev < 0 ? '   -' : String(e.ev).padStart(4);
    // A note is the scenario author's text: printed escaped and bounded, never as raw terminal bytes.
    out.push(`${idx} ${fmtTime(e.t).padStart(10)}  ${describeEntry(e)}${note ? `  # ${clip(note, 200)}` : ''}`);
    for (const eff of e.effects) {
      const d = describeEffect(eff as Record<string, unknown>);
      if (d) out.push(`${' '.repeat(17)}  ${d}`);
    }
    for (const f of e.failures) out.push(`${' '.repeat(17)}  FAIL ${f}`);
  }
  out.push('');
  for (const x of r.expectations) {
    out.push(`${x.pass ? 'PASS' : 'FAIL'} ${x.what}`);
    for (const d of x.diff ?? []) out.push(`     ${d}`);
  }
  const failedX = r.expectations.filter((x) => !x.pass).length;
  const failedChecks = r.trace.reduce((a, e) => a + e.failures.length, 0);
  out.push('');
  out.push(r.passed
    ? `passed: ${r.expectations.length} expectation${r.expectations.length === 1 ? '' : 's'}`
    : `failed: ${failedX} expectation${failedX === 1 ? '' : 's'} and ${failedChecks} event check${failedChecks === 1 ? '' : 's'}`);
  return out;
}
