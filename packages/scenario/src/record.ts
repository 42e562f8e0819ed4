/**
 * Recording a run and checking a later run against it: the first divergence
 * is reported with the event, the program, and the field that differs.
 */
import * as path from 'path';
import { decodeCanonical, encodeCanonical } from './canonical';
import { RECORDING_FORMAT, RECORDING_MAGIC, type Recording } from './recording';
import type { ReplayResult, TraceEntry } from './replay';
import { BPFSIM_VERSION } from './version';
import { nestingDepth, samePlain } from './depth';
import { clip } from './quote';

/** Below this depth two values are compared part by part; deeper, as whole encodings (no deep recursion). */
const DIFF_DEPTH_MAX = 100;

/** A recording of `r`, to be written at `outFile` (object paths are made relative to it). */
export function makeRecording(r: ReplayResult, outFile: string): Recording {
  const raw = structuredClone(r.loaded.raw) as Record<string, unknown>;
  const outDir = path.dirname(path.resolve(outFile));
  const objects = Object.create(null) as Record<string, string>;
  const programs = Array.isArray(raw.programs) ? (raw.programs as Record<string, unknown>[]) : [];
  for (const p of programs) {
    if (typeof p.object !== 'string') continue;
    const rel = path.relative(outDir, path.resolve(r.loaded.dir, p.object)).split(path.sep).join('/');
    objects[rel] = r.objects[p.object];
    p.object = rel;
  }
  raw.seed = r.seed;
  return {
    magic: RECORDING_MAGIC, format: RECORDING_FORMAT, bpfsimVersion: BPFSIM_VERSION, seed: r.seed,
    scenario: raw, objects, trace: plainTrace(r.trace),
  };
}

/** The trace as plain data, exactly as it is encoded (what a recording or golden file holds). */
export function plainTrace(trace: readonly TraceEntry[]): unknown[] {
  return decodeCanonical(encodeCanonical(trace)) as unknown[];
}

export interface Divergence {
  /** Event index (-1: loading), or the entry position when the counts differ. */
  ev: number;
  program?: string;
  insns?: { recorded: unknown; now: unknown };
  field: string;
  recorded: unknown;
  now: unknown;
}

/** The first place where two traces differ, or undefined when they are identical. */
export function firstDivergence(recorded: readonly unknown[], now: readonly unknown[]): Divergence | undefined {
  const n = Math.max(recorded.length, now.length);
  for (let i = 0; i < n; i++) {
    // A recording is data from elsewhere: an entry may be anything, not only a mapping.
    const entry = (x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : undefined);
    const a = entry(recorded[i]);
    const b = entry(now[i]);
    if (!a || !b) {
      const ev = (a ?? b)?.ev;
      return { ev: typeof ev === 'number' ? ev : i, field: 'entry', recorded: a ? summary(a) : i < recorded.length ? recorded[i] : '(none)', now: b ? summary(b) : i < now.length ? now[i] : '(none)' };
    }
    // The event's own outcome is the most telling difference; then what it caused.
    let d: ReturnType<typeof firstDiff>;
    for (const k of ['ev', 'outcome', 'effects', 'failures', 't']) if (!d) d = firstDiff(a[k], b[k], k);
    d ??= firstDiff(a, b, '');
    if (d) {
      const outcome = entry(a.outcome) ?? {};
      const nowOutcome = entry(b.outcome) ?? {};
      return {
        ev: typeof a.ev === 'number' ? a.ev : i,
        program: typeof outcome.program === 'string' ? clip(outcome.program) : undefined,
        insns: outcome.insns !== undefined ? { recorded: outcome.insns, now: nowOutcome.insns } : undefined,
        field: d.path, recorded: d.a, now: d.b,
      };
    }
  }
  return undefined;
}

function summary(e: Record<string, unknown>): string {
  const o = e.outcome && typeof e.outcome === 'object' ? (e.outcome as Record<string, unknown>) : {};
  return clip(`${String(o.kind)}${o.program ? ` ${String(o.program)}` : ''}`);
}

function firstDiff(a: unknown, b: unknown, at: string, depth = 0): { path: string; a: unknown; b: unknown } | undefined {
  if (a === b) return undefined;
  if (depth >= DIFF_DEPTH_MAX) {
    return samePlain(a, b) ? undefined : { path: at, a, b };
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array)
    return Buffer.from(a).equals(Buffer.from(b)) ? undefined : { path: at, a, b };
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = firstDiff(a[i], b[i], `${at}[${i}]`, depth + 1);
      if (d) return d;
    }
    return undefined;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const d = firstDiff(Object.hasOwn(a, k) ? (a as Record<string, unknown>)[k] : undefined,
        Object.hasOwn(b, k) ? (b as Record<string, unknown>)[k] : undefined, at ? `${at}.${k}` : k, depth + 1);
      if (d) return d;
    }
    return undefined;
  }
  return { path: at, a, b };
}

export function describeDivergence(d: Divergence): string {
  const where = d.ev < 0 ? 'loading' : `event ${d.ev}`;
  const prog = d.program ? `, program ${d.program}` : '';
  const insns = d.insns && d.insns.recorded !== d.insns.now ? ` (insns ${String(d.insns.recorded)} → ${String(d.insns.now)})` : '';
  return `first divergence at ${where}${prog}${insns}: ${clip(d.field, 200)}: recorded ${show(d.recorded)}, now ${show(d.now)}`;
}

function show(v: unknown): string {
  if (typeof v === 'bigint') return clip(v.toString(), 200);
  if (v instanceof Uint8Array) return clip(Buffer.from(v).toString('hex'), 200);
  if (nestingDepth(v, DIFF_DEPTH_MAX) > DIFF_DEPTH_MAX) return `(data nested deeper than ${DIFF_DEPTH_MAX} levels)`;
  return clip(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v), 200);
}
