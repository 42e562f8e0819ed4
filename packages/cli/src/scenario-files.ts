/** Finding scenarios in a directory and running one in a separate process. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { InputError } from './program-file';

/** Every *.yaml / *.yml below `dir` (recursively, sorted so the order is the same everywhere). */
export function findScenarios(dir: string): string[] {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new InputError(`${dir}: no such file or directory`);
  }
  if (!st.isDirectory()) return [dir];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (fs.statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** The golden trace beside a scenario: x.yaml → x.trace.json */
export const goldenPath = (scenario: string): string => scenario.replace(/\.ya?ml$/, '') + '.trace.json';

/** The `bpfsim` executable (child processes run the built CLI). */
export const CLI_BIN = path.resolve(__dirname, '../bin/bpfsim.js');

/** Replay in a fresh Node process and return the canonical trace bytes it wrote. */
export function traceInChildProcess(scenario: string, seed?: number): Uint8Array {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-det-'));
  const out = path.join(dir, 'trace.msgpack');
  const args = [CLI_BIN, 'replay', scenario, '--trace', out, ...(seed !== undefined ? ['--seed', String(seed)] : [])];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (!fs.existsSync(out)) throw new InputError(`${scenario}: the replay process wrote no trace: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  const bytes = new Uint8Array(fs.readFileSync(out));
  fs.rmSync(dir, { recursive: true, force: true });
  return bytes;
}
