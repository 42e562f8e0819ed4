/**
 * What programs told user space: trace_pipe lines (toHavePrintedLine) and ring
 * buffer / perf event records (toHaveEmitted), the latter decoded through the
 * BTF of the object the map came from.
 */
import type { MatcherContext } from 'expect';
import type { TraceRecord } from '@bpfsim/kernel';
import { decodeBtfValue, findBtfType, type Btf } from '@bpfsim/loader';
import { show } from '../values';
import { recordsOf, subjectError, RECORD_SUBJECTS, type MatchResult } from './common';

type Pipe = Extract<TraceRecord, { kind: 'trace_pipe' }>;
type Output = Extract<TraceRecord, { kind: 'ringbuf' | 'perf_event' }>;

const pipeLine = (r: Pipe): string => `${r.comm}-${r.pid} [${String(r.cpu).padStart(3, '0')}] bpf_trace_printk: ${r.text}`;

/** A string matches a line that contains it; a RegExp one it finds a match in. */
export function toHavePrintedLine(this: MatcherContext, received: unknown, expected: string | RegExp): MatchResult {
  const head = () => this.utils.matcherHint('toHavePrintedLine', undefined, this.utils.printExpected(expected), { isNot: this.isNot });
  const src = recordsOf(received);
  if (!src) return { pass: false, message: () => `${head()}\n\n${subjectError(received, RECORD_SUBJECTS)}` };
  if (typeof expected !== 'string' && !(expected instanceof RegExp))
    return { pass: false, message: () => `${head()}\n\nexpected a text or a regular expression, got ${this.utils.printExpected(expected)}` };
  const lines = src.records.filter((r): r is Pipe => r.kind === 'trace_pipe');
  const hit = lines.find((l) => (typeof expected === 'string' ? l.text.includes(expected) : expected.test(l.text)));
  return {
    pass: !!hit,
    message: () => {
      if (hit) return `${head()}\n\n${src.what} printed ${this.utils.printReceived(hit.text)}`;
      if (!lines.length) return `${head()}\n\n${src.what} printed nothing to trace_pipe`;
      const shown = lines.slice(-20).map((l) => `  ${pipeLine(l)}`);
      return `${head()}\n\nno trace_pipe line of ${src.what} matches ${this.utils.printExpected(expected)}; ${lines.length} line${lines.length === 1 ? '' : 's'}${lines.length > 20 ? ' (last 20)' : ''}:\n${shown.join('\n')}`;
    },
  };
}

export interface EmittedOptions {
  /** Only records of this map (its name in the object). */
  map?: string;
  /** The records' C type ("struct event"); default: the object's only struct of the record's size. */
  type?: string;
}

const bytesOf = (r: Output): Uint8Array => Uint8Array.from(Buffer.from(r.data, 'hex'));

/** Struct types of `btf` `size` bytes long: the candidates a record of that size decodes as. */
function structsOfSize(btf: Btf, size: number): number[] {
  const out: number[] = [];
  btf.types.forEach((t, id) => {
    if (t.kind === 4 && t.size === size && t.name) out.push(id);
  });
  return out;
}

/** The record decoded through BTF (one value per candidate type), or its raw bytes. */
function decodings(r: Output, btf: Btf | undefined, type: string | undefined): unknown[] {
  const bytes = bytesOf(r);
  if (!btf) return [];
  const ids = type !== undefined ? [findBtfType(btf, type)].filter((x): x is number => x !== undefined) : structsOfSize(btf, bytes.length);
  const out: unknown[] = [];
  for (const id of ids) {
    try {
      out.push(decodeBtfValue(btf, id, bytes));
    } catch {
      // too short for that type: not a candidate
    }
  }
  return out;
}

export function toHaveEmitted(this: MatcherContext, received: unknown, expected: unknown, opts: EmittedOptions = {}): MatchResult {
  const head = () => this.utils.matcherHint('toHaveEmitted', undefined, 'record', { isNot: this.isNot });
  const src = recordsOf(received);
  if (!src) return { pass: false, message: () => `${head()}\n\n${subjectError(received, RECORD_SUBJECTS)}` };
  const mapName = opts.map ?? src.map?.name;
  let kernelName: string | undefined;
  if (mapName !== undefined) {
    const owner = src.map ?? src.kernel?.objects.flatMap((o) => (o.mapNames.includes(mapName) ? [o.map(mapName)] : []))[0];
    if (!owner && src.kernel) {
      const names = src.kernel.objects.flatMap((o) => o.mapNames);
      return { pass: false, message: () => `${head()}\n\nno map named ${JSON.stringify(mapName)} (maps: ${names.join(', ') || 'none'})` };
    }
    kernelName = owner?.kernelName ?? mapName;
  }
  const recs = src.records.filter((r): r is Output => (r.kind === 'ringbuf' || r.kind === 'perf_event') && (kernelName === undefined || r.map === kernelName));
  const raw = expected instanceof Uint8Array || typeof expected === 'string';
  const wantBytes = raw ? (typeof expected === 'string' ? Buffer.from(expected.replace(/\s+/g, ''), 'hex') : Buffer.from(expected as Uint8Array)) : undefined;
  const btfFor = (r: Output) => (src.map && src.map.kernelName === r.map ? src.map.btf : src.kernel?.btfOfMap(r.map));
  const views = recs.map((r) => ({ r, decoded: raw ? [] : decodings(r, btfFor(r), opts.type) }));
  const hit = views.find((v) => (wantBytes ? wantBytes.equals(Buffer.from(bytesOf(v.r))) : v.decoded.some((d) => this.equals(d, expected))));
  const where = `${src.what}${mapName !== undefined ? ` (map ${mapName})` : ''}`;
  return {
    pass: !!hit,
    message: () => {
      if (hit) return `${head()}\n\n${where} emitted ${show(hit.decoded[0] ?? hit.r.data)}`;
      if (!recs.length) return `${head()}\n\n${where} emitted no ring buffer or perf event records`;
      const lines = [head(), '', `no record of ${where} matches ${this.utils.printExpected(expected)}; ${recs.length} record${recs.length === 1 ? '' : 's'}${recs.length > 10 ? ' (first 10)' : ''}:`];
      for (const v of views.slice(0, 10)) lines.push(`  ${v.r.kind} ${v.r.map} cpu ${v.r.cpu}: ${v.decoded.length ? show(v.decoded[0]) : v.r.data}`);
      if (!raw && views.every((v) => !v.decoded.length))
        lines.push(opts.type ? `(no BTF type ${opts.type} to decode them with)` : "(no struct of their size in the object's BTF to decode them with: name the type, toHaveEmitted(record, { type: 'struct event' }), or match the raw bytes)");
      // The difference to the nearest record: the one sharing most fields with the expectation.
      const best = nearest(views.flatMap((v) => v.decoded), expected, this);
      if (best !== undefined) lines.push('', 'difference to the nearest record:', this.utils.printDiffOrStringify(expected, best, 'Expected', 'Received', true));
      return lines.join('\n');
    },
  };
}

function nearest(candidates: unknown[], expected: unknown, ctx: MatcherContext): unknown {
  if (!expected || typeof expected !== 'object' || !candidates.length) return candidates[0];
  const keys = Object.keys(expected as object);
  let best = candidates[0];
  let score = -1;
  for (const c of candidates) {
    if (!c || typeof c !== 'object') continue;
    const s = keys.filter((k) => ctx.equals((c as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k])).length;
    if (s > score) {
      score = s;
      best = c;
    }
  }
  return best;
}
