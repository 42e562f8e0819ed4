/** The readable timeline and expectation report `bpfsim replay` prints. */
import { errnoName, retCodeName } from '@bpfsim/uapi';
import { decodeBtfValue, findBtfType, type Btf, type BtfValue } from '@bpfsim/loader';
import { parsePacket, summarize } from '@bpfsim/packet';
import type { ReplayResult, TraceEntry } from './replay';
import { clip } from './quote';
import { describeNetOutcome } from './net-events';

/**
 * What the timeline needs to name things: each program's type (return codes
 * by name), and for a ring buffer or perf map the C type its records are
 * decoded as (the type an expectation names) with the object's BTF.
 */
export interface TimelineNames {
  progTypes: ReadonlyMap<string, number>;
  recordTypes: ReadonlyMap<string, { btf: Btf; id: number; type: string }>;
}

/** The names a replay gives: program types from the world, record types from the scenario's expectations. */
export function timelineNames(r: ReplayResult): TimelineNames {
  const progTypes = new Map<string, number>();
  for (const [name, h] of r.world.programs) progTypes.set(name, h.prog.type);
  const recordTypes = new Map<string, { btf: Btf; id: number; type: string }>();
  for (const x of r.loaded.scenario.expect ?? []) {
    const rec = x.kind === 'ringbuf' ? x.ringbuf : x.kind === 'perf_event' ? x.perf_event : undefined;
    if (!rec?.type || recordTypes.has(rec.map)) continue;
    const btf = r.world.btfByMap.get(rec.map);
    const id = btf && findBtfType(btf, rec.type);
    if (btf && id !== undefined) recordTypes.set(rec.map, { btf, id, type: rec.type });
  }
  return { progTypes, recordTypes };
}

/** A decoded value as one line: {pid: 100, comm: "bash"}. */
function showValue(v: BtfValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return `[${v.map(showValue).join(', ')}]`;
  return `{${Object.entries(v).map(([k, x]) => `${k}: ${showValue(x)}`).join(', ')}}`;
}

/** A record decoded through BTF when its type is known, else its bytes in hex. */
function showRecord(names: TimelineNames | undefined, map: string, data: string): string {
  const t = names?.recordTypes.get(map);
  if (!t) return data;
  try {
    return clip(showValue(decodeBtfValue(t.btf, t.id, Uint8Array.from(Buffer.from(data, 'hex')))), 400);
  } catch {
    return data; // a record of another size: shown as it is
  }
}

/** A program's return value by its program type's name (XDP_DROP), else the number. */
function showRetval(names: TimelineNames | undefined, program: string, retval: unknown): string {
  const type = names?.progTypes.get(program);
  const n = Number(retval);
  const name = type === undefined || !Number.isInteger(n) ? undefined : retCodeName(type, n);
  return name ?? String(retval);
}

/** A helper's result: a negative errno by name (-ENOENT), else the number. */
function showResult(result: unknown): string {
  const n = Number(result);
  const name = Number.isInteger(n) && n < 0 ? errnoName(-n) : undefined;
  return name ? `-${name}` : String(result);
}

/** One line for a packet (IPv4 10.0.0.1 → 10.0.0.2 ICMP ...), or nothing when it does not parse. */
function showPacket(hexBytes: unknown): string | undefined {
  if (typeof hexBytes !== 'string' || hexBytes === '') return undefined;
  try {
    return clip(summarize(parsePacket(Uint8Array.from(Buffer.from(hexBytes, 'hex')))), 200);
  } catch {
    return undefined;
  }
}

const fmtTime = (ns: string): string => {
  const n = BigInt(ns);
  const us = n / 1000n;
  return `${us / 1000n}.${(us % 1000n).toString().padStart(3, '0')}ms`;
};

function describeEffect(r: Record<string, unknown>, names?: TimelineNames): string | undefined {
  switch (r.kind) {
    case 'trace_pipe': return `trace_pipe: ${String(r.text)}`;
    case 'ringbuf': return `ringbuf ${String(r.map)}: ${showRecord(names, String(r.map), String(r.data))}`;
    case 'perf_event': return `perf_event ${String(r.map)}[${String(r.index)}]: ${showRecord(names, String(r.map), String(r.data))}`;
    case 'map_update': return `${String(r.op)} ${String(r.map)}[${String(r.key)}]${r.op === 'update' ? ` = ${String(r.value)}` : ''} → ${names ? showResult(r.result) : String(r.result)}`;
    case 'redirect': return `redirect via ${String(r.helper)} to ${String(r.target)}`;
    case 'helper_fault': return `${String(r.helper)} overridden → ${names ? showResult(r.result) : String(r.result)}`;
    default: return undefined; // prog_run is the event line itself
  }
}

/** One timeline line for an entry; with `names`, return codes and errnos are named. */
export function describeEntry(e: TraceEntry, names?: TimelineNames): string {
  const o = e.outcome;
  switch (o.kind) {
    case 'load': return `load ${String(o.program)}: ${o.accepted ? 'accepted' : `rejected (${String(o.errno)}: ${String(o.error)})`}`;
    case 'run': if (o.result !== undefined) return `run ${String(o.program)}: refused by the kernel: ${String(o.result)}`;
      return `run ${String(o.program)} on cpu ${String(o.cpu)}: retval ${showRetval(names, String(o.program), o.retval)} (${String(o.insns)} insns)`;
    case 'map_update': return `map_update ${String(o.map)}[${String(o.key)}] = ${String(o.value)}: ${String(o.result)}`;
    case 'map_delete': return `map_delete ${String(o.map)}[${String(o.key)}]: ${String(o.result)}`;
    case 'map_lookup': return `map_lookup ${String(o.map)}[${String(o.key)}]: ${o.value === null ? String(o.result) : String(o.value)}`;
    case 'advance': return `advance to ${fmtTime(String(o.now))}`;
    case 'fire': return `fire ${String(o.hook)}: ${String(o.programs)} program${o.programs === 1 ? '' : 's'} ran${o.programs ? `, retval ${String(o.retvals)}` : ''}`;
    case 'perf_buffer': return `perf_buffer ${String(o.map)}: opened on ${String(o.cpus)} CPUs`;
    case 'override': return `override ${String(o.helper)}`;
    case 'setup': return `set-up: ${String(o.files)} file${o.files === 1 ? '' : 's'}, ${String(o.processes)} process${o.processes === 1 ? '' : 'es'}`;
    case 'exec': return `exec: ${String(o.comm)}[${String(o.pid)}]`;
    case 'fork': return `fork: ${String(o.pid)} → ${String(o.child)}`;
    case 'syscall': return `syscall ${String(o.call)} by ${String(o.pid)}`;
    case 'exit': return `exit: ${String(o.pid)} with ${String(o.code)}`;
    case 'kill': return `kill: ${String(o.pid)} sends ${String(o.signal)} to ${String(o.target)}`;
    case 'wait': return `wait: ${String(o.pid)}`;
    case 'unshare': return `unshare: ${String(o.pid)} ${String(o.flags)}`;
    case 'setns': return `setns: ${String(o.pid)} joins ${String(o.target)}'s ${String(o.ns)}`;
    case 'write_file': return `write_file ${String(o.path)} by ${String(o.pid)}: ${String(o.bytes)} bytes`;
    case 'read_file': return `read_file ${String(o.path)} by ${String(o.pid)}: ${String(o.bytes)} bytes`;
    case 'call': return `call ${String(o.binary)}:${String(o.function)} by ${String(o.pid)}: ${String(o.probes)} probe run(s)`;
    case 'compute': return `compute by ${String(o.pid)}: ${(Number(o.ns) / 1e6).toFixed(3)} ms of work took ${(Number(o.took) / 1e6).toFixed(3)} ms`;
    case 'packet': case 'flow': return describeNetOutcome(o);
    default: return JSON.stringify(o);
  }
}

/** The whole report as lines: timeline, then each expectation, then the verdict. */
export function formatReport(r: ReplayResult, opts: { notes?: boolean } = {}): string[] {
  const out: string[] = [`${r.file} (seed ${r.seed})`];
  const events = r.loaded.scenario.events ?? [];
  const names = timelineNames(r);
  const pad = ' '.repeat(17);
  for (const e of r.trace) {
    const note = e.ev >= 0 && opts.notes !== false ? events[e.ev]?.note : undefined;
    const idx = e.ev < 0 ? '   -' : String(e.ev).padStart(4);
    // A note is the scenario author's text: printed escaped and bounded, never as raw terminal bytes.
    out.push(`${idx} ${fmtTime(e.t).padStart(10)}  ${describeEntry(e, names)}${note ? `  # ${clip(note, 200)}` : ''}`);
    const o = e.outcome as Record<string, unknown>;
    // The syscalls the event made, one strace-like line each.
    if (typeof o.calls === 'string') for (const line of o.calls.split('\n')) out.push(`${pad}  ${clip(line, 300)}`);
    if (o.kind === 'run') {
      const pin = showPacket(o.data_in);
      if (pin) out.push(`${pad}  packet: ${pin}`);
      if (o.data_out !== undefined && o.data_out !== o.data_in) {
        const pout = showPacket(o.data_out);
        out.push(`${pad}  packet out: ${pout ?? `${String(o.data_out).length / 2} bytes`}`);
      }
    }
    for (const eff of e.effects) {
      const d = describeEffect(eff as Record<string, unknown>, names);
      if (d) out.push(`${pad}  ${d}`);
    }
    // A failed check names the event's line in the file (the trace itself holds no file paths).
    const pos = e.failures.length && e.ev >= 0 ? r.loaded.locate?.(['events', e.ev]) : undefined;
    for (const f of e.failures) out.push(`${' '.repeat(17)}  FAIL ${pos ? `${r.file}:${pos.line}:${pos.col}: ` : ''}${f}`);
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
