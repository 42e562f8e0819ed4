/**
 * Scenarios in jest: `bpfsim.scenario(file)` replays one; `describeScenario(file)`
 * makes a jest test of each expectation, each event's on-the-spot checks, and
 * (when the golden file is there) the trace. The seed is BPFSIM_SEED when set,
 * else the scenario's, so a failing seed reruns with `BPFSIM_SEED=7 npx jest`.
 */
import * as fs from 'fs';
import { describe, expect, test } from '@jest/globals';
import { describeEntry, loadScenarioFile, replayLoaded, type ReplayResult } from '@bpfsim/scenario';
import { BpfsimError } from '@bpfsim/uapi';
import { resolveTestFile } from './api/files';
import { toMatchTrace } from './matchers/trace';
import './matchers/types';

export interface ScenarioOptions {
  /** Seed of the replay (default: BPFSIM_SEED, else the scenario's `seed`). */
  seed?: number;
}

/** The seed BPFSIM_SEED asks for, if any; a value that is not a whole number is a mistake worth an error. */
export function envSeed(): number | undefined {
  const s = process.env.BPFSIM_SEED;
  if (s === undefined || s === '') return undefined;
  if (!/^\d+$/.test(s)) throw new BpfsimError('EINVAL', `BPFSIM_SEED=${JSON.stringify(s)}: expected a whole number`);
  return Number(s);
}

/** Replay a scenario file; the result goes to toMatchTrace, its `world` to the other matchers' inputs. */
export function scenario(file: string, opts: ScenarioOptions = {}): ReplayResult {
  return replayLoaded(loadScenarioFile(resolveTestFile(file)), { seed: opts.seed ?? envSeed() });
}

const goldenOf = (file: string): string => file.replace(/\.ya?ml$/, '') + '.trace.json';

export interface DescribeScenarioOptions extends ScenarioOptions {
  /** Also compare with the golden trace beside the scenario (<name>.trace.json) when it exists (default true). */
  trace?: boolean;
}

/** One jest test: its name and its body (which throws on failure). */
export interface ScenarioCase {
  name: string;
  run: () => void;
}

/**
 * The tests a scenario stands for: each event's on-the-spot checks that failed, each expectation,
 * and (when the golden file is there and the seed is the scenario's own) the trace. A scenario that
 * cannot be replayed at all is one case carrying the error.
 */
export function scenarioCases(file: string, opts: DescribeScenarioOptions = {}): { title: string; cases: ScenarioCase[] } {
  const full = resolveTestFile(file);
  let r: ReplayResult;
  try {
    r = scenario(full, opts);
  } catch (e) {
    if (!(e instanceof BpfsimError)) throw e;
    return { title: `scenario ${file}`, cases: [{ name: 'replays', run: () => { throw e; } }] };
  }
  const rerun = `(seed ${r.seed}; rerun with BPFSIM_SEED=${r.seed})`;
  const cases: ScenarioCase[] = [];
  for (const entry of r.trace) {
    if (!entry.failures.length) continue;
    cases.push({
      name: `event ${entry.ev}: ${describeEntry(entry)}`,
      run: () => { throw new Error(`${r.file}: event ${entry.ev} (${describeEntry(entry)}):\n${entry.failures.map((f) => `  ${f}`).join('\n')}\n${rerun}`); },
    });
  }
  for (const x of r.expectations) {
    cases.push({
      name: x.what,
      run: () => { if (!x.pass) throw new Error(`${r.file}: expectation ${x.index + 1}: ${x.what}\n${(x.diff ?? []).join('\n')}\n${rerun}`); },
    });
  }
  const golden = goldenOf(full);
  // A golden trace is recorded with the scenario's seed: another seed gives another trace.
  if (opts.trace !== false && fs.existsSync(golden) && (opts.seed ?? envSeed()) === undefined) {
    cases.push({
      name: 'trace matches its golden file',
      run: () => {
        expect.extend({ toMatchTrace }); // works without the setup file too
        expect(r).toMatchTrace(golden);
      },
    });
  }
  return { title: `scenario ${r.loaded.scenario.name ?? file} (seed ${r.seed})`, cases };
}

/**
 * `describeScenario('fw.yaml')`: one jest `describe` per scenario, one `test` per case. The replay
 * happens once, while jest collects the tests (it is deterministic and fast).
 */
export function describeScenario(file: string, opts: DescribeScenarioOptions = {}): void {
  const { title, cases } = scenarioCases(file, opts);
  describe(title, () => {
    for (const c of cases) test(c.name, c.run);
  });
}
