/** What every matcher shares: the result shape and the message for a subject it cannot read. */
import { Kernel, type TraceRecord } from '@bpfsim/kernel';
import { BpfsimKernel } from '../api/kernel';
import { BpfsimMap, BpfsimObject, type RunResult } from '../api/object';

export interface MatchResult {
  pass: boolean;
  message: () => string;
}

export function subjectError(received: unknown, accepts: string): string {
  const what = received === null ? 'null' : Array.isArray(received) ? 'an array'
    : typeof received === 'object' ? `an object (${(received as object).constructor?.name ?? 'Object'})` : typeof received;
  return `received ${what}; this matcher takes ${accepts}`;
}

export const isRunResult = (v: unknown): v is RunResult => !!v && typeof v === 'object' && (v as { kind?: unknown }).kind === 'bpfsim-run';

/** The kernel records a subject stands for: a run's own records, else everything its kernel recorded. */
export function recordsOf(received: unknown): { records: readonly TraceRecord[]; kernel?: BpfsimKernel; map?: BpfsimMap; what: string } | undefined {
  if (isRunResult(received)) return { records: received.records, kernel: received.kernel, what: `the run of ${received.program}` };
  if (received instanceof BpfsimKernel) return { records: received.records, kernel: received, what: 'the kernel' };
  if (received instanceof BpfsimObject) return { records: received.kernel.records, kernel: received.kernel, what: `the kernel of ${received.file}` };
  if (received instanceof BpfsimMap) return { records: received.object.kernel.records, kernel: received.object.kernel, map: received, what: `map ${received.name}` };
  if (received instanceof Kernel) return { records: received.trace.records, what: 'the kernel' };
  return undefined;
}

export const RECORD_SUBJECTS = 'a kernel (bpfsim.kernel()), a loaded object, a run result (obj.run(...)) or, for records, a ring buffer / perf event array map';
