import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ScenarioError, parseScenarioText, loadScenarioFile, type ReadPolicy, type LoadedScenario } from '@bpfsim/scenario';

export const tmpDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-shard-'));

/** An assembly XDP program: scenarios that need no object file. */
export const HEAD = 'bpfsim: 1\nprograms:\n  - name: p\n    type: xdp\n    asm: |\n      r0 = 2\n      exit\n';

/** Write `text` as a scenario and load it. */
export function load(text: string, policy?: ReadPolicy, dir = tmpDir(), name = 's.yaml'): LoadedScenario {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return loadScenarioFile(f, policy);
}

/** The ScenarioError loading `text` gives (anything else — a TypeError, a RangeError — fails the test). */
export function loadError(text: string, policy?: ReadPolicy, dir?: string): ScenarioError {
  try {
    load(text, policy, dir);
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw new Error(`expected a ScenarioError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
  }
  throw new Error('expected the scenario to be refused');
}

export { parseScenarioText };
