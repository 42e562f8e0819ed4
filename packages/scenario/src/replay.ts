/**
 * Replaying a scenario: build the world, carry out the events in order,
 * record every observable effect, then check the expectations.
 */
import { BpfsimError } from '@bpfsim/uapi';
import type { KernelOptions } from '@bpfsim/kernel';
import { encodeCanonical } from './canonical';
import { ScenarioError } from './errors';
import { runEvent, type Outcome } from './events';
import { checkExpectation, type ExpectationResult } from './expectations';
import { loadScenarioFile, type LoadedScenario } from './load';
import { buildWorld, type World } from './world';

/** One entry of a scenario trace: a load verdict or an event, with the kernel records it caused. */
export interface TraceEntry {
  /** Event index, or -1 for loading. */
  ev: number;
  /** Virtual time (ns) when the event started. */
  t: string;
  outcome: Outcome;
  /** Kernel trace records (program runs, trace_pipe lines, ring buffer records, ...) caused by it. */
  effects: unknown[];
  /** On-the-spot checks that failed. */
  failures: string[];
}

export interface ReplayOptions {
  seed?: number;
  /** Called after each event (for progress bars). */
  onProgress?: (done: number, total: number) => void;
  /** VM engine of the world's kernel (default: the kernel's, compiled); results are the same. */
  vmEngine?: KernelOptions['vmEngine'];
}

export interface ReplayResult {
  file: string;
  seed: number;
  trace: TraceEntry[];
  expectations: ExpectationResult[];
  /** Every expectation and every on-the-spot check passed. */
  passed: boolean;
  /** The canonical msgpack bytes of the trace: the unit of comparison. */
  traceBytes: Uint8Array;
  objects: Record<string, string>;
  world: World;
  loaded: LoadedScenario;
}

export function replayLoaded(loaded: LoadedScenario, opts: ReplayOptions = {}): ReplayResult {
  const seed = opts.seed ?? loaded.scenario.seed ?? 1;
  const world = buildWorld(loaded, seed, opts.vmEngine);
  const k = world.kernel;
  const trace: TraceEntry[] = [];
  let seen = 0;
  const take = (): unknown[] => {
    const recs = k.trace.records.slice(seen);
    seen = k.trace.records.length;
    return recs;
  };
  for (const [name, v] of world.verdicts) {
    trace.push({
      ev: -1, t: String(k.clock.monotonicNs), failures: [],
      outcome: { kind: 'load', program: name, accepted: v.accepted, errno: v.errno, error: v.error },
      effects: [],
    });
  }
  take();
  const events = loaded.scenario.events ?? [];
  events.forEach((e, index) => {
    if (e.at !== undefined && e.at > k.clock.monotonicNs) k.clock.advanceTo(e.at);
    const t = String(k.clock.monotonicNs); // an entry is stamped with the time its event starts
    let res;
    try {
      res = runEvent(e, { world, file: loaded.file, index });
    } catch (err) {
      if (err instanceof ScenarioError) throw err;
      if (err instanceof BpfsimError) throw new ScenarioError({ file: loaded.file, path: ['events', index, e.kind] }, err.message);
      throw err;
    }
    trace.push({ ev: index, t, outcome: res.outcome, effects: take(), failures: res.failures });
    opts.onProgress?.(index + 1, events.length);
  });
  const expectations = (loaded.scenario.expect ?? []).map((x, i) => checkExpectation(x, i, world));
  // A rejected program that no verdict expectation anticipates fails the scenario.
  for (const [name, v] of world.verdicts) {
    const anticipated = (loaded.scenario.expect ?? []).some((x) => x.kind === 'verdict' && x.verdict.program === name);
    if (!v.accepted && !anticipated)
      expectations.push({
        index: expectations.length, what: `program ${name} loads`, pass: false,
        diff: [`- expected: accepted`, `+ actual:   rejected (${v.errno}: ${v.error})`, ...v.log.trimEnd().split('\n').slice(-12).map((l) => `  | ${l}`)],
      });
  }
  const passed = expectations.every((x) => x.pass) && trace.every((t) => t.failures.length === 0);
  return {
    file: loaded.file, seed, trace, expectations, passed, objects: world.objects, world, loaded,
    traceBytes: encodeCanonical({ seed, trace }),
  };
}

/** Library entry: `await replay('fw.yaml', { seed })`. */
export async function replay(file: string | LoadedScenario, opts: ReplayOptions = {}): Promise<ReplayResult> {
  return replayLoaded(typeof file === 'string' ? loadScenarioFile(file) : file, opts);
}
