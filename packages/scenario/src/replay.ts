/**
 * Replaying a scenario: build the world, carry out the events in order,
 * record every observable effect, then check the expectations.
 */
import { BpfsimError } from '@bpfsim/uapi';
import type { KernelOptions } from '@bpfsim/kernel';
import { encodeCanonical } from './canonical';
import { ScenarioError, located } from './errors';
import { runEvent, type Outcome } from './events';
import { checkExpectation, type ExpectationResult } from './expectations';
import { loadScenarioFile, type LoadedScenario } from './load';
import { buildWorld, type World } from './world';
import { syscallLine } from './proc-world';

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
  /** Called once the world is built, before the first event (a tracer loads and attaches its object here). */
  onWorld?: (world: World) => void;
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
  let world: World;
  try {
    world = buildWorld(loaded, seed, opts.vmEngine);
  } catch (err) {
    throw err instanceof ScenarioError ? located(err, loaded.locate) : err;
  }
  const k = world.kernel;
  opts.onWorld?.(world);
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
  // The set-up's syscalls (files made by init, processes forked from their parents), as one entry.
  if (world.procs.log.length) {
    const s = loaded.scenario;
    trace.push({
      ev: -1, t: String(k.clock.monotonicNs), failures: [], effects: take(),
      outcome: { kind: 'setup', files: (s.files ?? []).length, processes: (s.processes ?? []).length, calls: world.procs.log.map(syscallLine).join('\n') },
    });
  }
  const events = loaded.scenario.events ?? [];
  events.forEach((e, index) => {
    if (e.at !== undefined && e.at > k.clock.monotonicNs) k.clock.advanceTo(e.at);
    const t = String(k.clock.monotonicNs); // an entry is stamped with the time its event starts
    let res;
    const mark = world.procs.log.length;
    try {
      res = runEvent(e, { world, file: loaded.file, index });
      // Calls that slept and completed because of this event: logged with it, their checks run.
      res.failures.push(...world.procs.collectCompleted(index));
    } catch (err) {
      if (err instanceof ScenarioError) throw located(err, loaded.locate);
      if (err instanceof BpfsimError) throw located(new ScenarioError({ file: loaded.file, path: ['events', index, e.kind] }, err.message), loaded.locate);
      throw err;
    }
    // The syscalls the event made, strace-like, in the trace itself (goldens show them).
    const calls = world.procs.log.slice(mark).map(syscallLine);
    if (calls.length) res.outcome.calls = calls.join('\n');
    trace.push({ ev: index, t, outcome: res.outcome, effects: take(), failures: res.failures });
    opts.onProgress?.(index + 1, events.length);
  });
  const expectations = (loaded.scenario.expect ?? []).map((x, i) => checkExpectation(x, i, world));
  for (const u of world.procs.unfinished())
    expectations.push({
      index: expectations.length, what: `the checked calls of pid ${u.pid} return`, pass: false,
      diff: [`- expected: ${u.count} checked call${u.count === 1 ? '' : 's'} to return`, `+ actual:   ${u.alive ? 'still sleeping at the end of the scenario' : 'the process exited while it slept'}`],
    });
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
