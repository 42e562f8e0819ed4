/**
 * The kernel trace: every observable effect, in the order it happened, as
 * plain data (strings, numbers, booleans, arrays, plain objects; bytes as
 * lowercase hex, 64-bit values as decimal strings). The scenario layer encodes
 * it canonically (msgpack) and compares bytes, so a record must never hold a
 * bigint, a typed array, undefined, or anything whose key order varies.
 */
export type TraceRecord =
  | { kind: 'prog_run'; t: string; cpu: number; prog: string; progId: number; hook: string; retval: string; insns: number; runs: number }
  | { kind: 'trace_pipe'; t: string; cpu: number; pid: number; comm: string; text: string }
  | { kind: 'ringbuf'; t: string; cpu: number; map: string; data: string }
  | { kind: 'perf_event'; t: string; cpu: number; map: string; index: number; data: string }
  | { kind: 'map_update'; t: string; cpu: number; map: string; op: 'update' | 'delete'; key: string; value: string; result: number }
  | { kind: 'redirect'; t: string; cpu: number; prog: string; helper: string; target: string; flags: string }
  | { kind: 'attach'; t: string; prog: string; hook: string; linkId: number }
  | { kind: 'detach'; t: string; prog: string; hook: string; linkId: number }
  | { kind: 'helper_fault'; t: string; cpu: number; prog: string; helper: string; result: string };

export type TraceKind = TraceRecord['kind'];

/** Which kinds are recorded (map updates from programs are on, everything is cheap here). */
export interface TraceOptions {
  exclude?: readonly TraceKind[];
}

export class KernelTrace {
  readonly records: TraceRecord[] = [];
  private readonly excluded: ReadonlySet<TraceKind>;
  constructor(opts: TraceOptions = {}) {
    this.excluded = new Set(opts.exclude ?? []);
  }
  emit(rec: TraceRecord): void {
    if (!this.excluded.has(rec.kind)) this.records.push(rec);
  }
  /** Records of one kind. */
  of<K extends TraceKind>(kind: K): Extract<TraceRecord, { kind: K }>[] {
    return this.records.filter((r) => r.kind === kind) as Extract<TraceRecord, { kind: K }>[];
  }
  clear(): void {
    this.records.length = 0;
  }
}

/** Lowercase hex of bytes (trace encoding of binary data). */
export function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}
