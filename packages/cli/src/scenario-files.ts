/** Finding scenarios in a directory and running one in a separate process. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { clip, quote } from '@bpfsim/scenario';
import { InputError } from './program-file';
import { policyArgs } from './scenario-options';

export interface FoundScenarios {
  files: string[];
  /** Entries that could not be used (dangling or looping links, unreadable directories), each one line. */
  problems: { file: string; message: string }[];
  /** Links to directories, not followed. */
  skipped: string[];
}

/**
 * Every *.yaml / *.yml below `dir` (recursively, sorted so the order is the
 * same everywhere). Symbolic links are not followed into directories (a loop
 * cannot recur, a suite cannot reach outside itself); a link to a scenario
 * file is used when it resolves to a regular file, and reported otherwise.
 */
export function findScenarios(dir: string): FoundScenarios {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ELOOP' ? `${clip(dir, 200)}: too many levels of symbolic links` : `${clip(dir, 200)}: no such file or directory`);
  }
  if (!st.isDirectory()) return { files: [dir], problems: [], skipped: [] };
  const files: string[] = [];
  const problems: FoundScenarios['problems'] = [];
  const skipped: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = fs.readdirSync(d).sort();
    } catch (e) {
      problems.push({ file: d, message: `cannot list the directory (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
      return;
    }
    for (const name of names) {
      const p = path.join(d, name);
      const l = fs.lstatSync(p, { throwIfNoEntry: false });
      if (!l) continue; // removed while listing
      if (l.isDirectory()) walk(p);
      else if (l.isSymbolicLink() && linksToDirectory(p)) skipped.push(p);
      else if (!/\.ya?ml$/.test(name)) continue;
      else if (l.isFile()) files.push(p);
      else if (l.isSymbolicLink()) {
        try {
          if (fs.statSync(p).isFile()) files.push(p);
          else problems.push({ file: p, message: `${quote(name)} is a link to something that is not a regular file` });
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          problems.push({ file: p, message: code === 'ELOOP' ? 'a symbolic link loop' : code === 'ENOENT' ? 'a dangling symbolic link' : `cannot read (${code})` });
        }
      } else problems.push({ file: p, message: 'not a regular file' });
    }
  };
  walk(dir);
  return { files, problems, skipped };
}

function linksToDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false; // dangling or looping: reported below when it is named like a scenario
  }
}

/** The golden trace beside a scenario: x.yaml → x.trace.json */
export const goldenPath = (scenario: string): string => scenario.replace(/\.ya?ml$/, '') + '.trace.json';

/** The `bpfsim` executable (child processes run the built CLI). */
export const CLI_BIN = path.resolve(__dirname, '../bin/bpfsim.js');

/** Replay in a fresh Node process and return the canonical trace bytes it wrote. */
export function traceInChildProcess(scenario: string, seed?: number, options: Record<string, unknown> = {}): Uint8Array {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-det-'));
  try {
    const out = path.join(dir, 'trace.msgpack');
    const args = [CLI_BIN, 'replay', scenario, '--trace', out, ...(seed !== undefined ? ['--seed', String(seed)] : []), ...policyArgs(options)];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    if (!fs.existsSync(out)) throw new InputError(`${scenario}: the replay process wrote no trace: ${clip((r.stderr || r.stdout).trim().split('\n').pop() ?? '', 400)}`);
    return new Uint8Array(fs.readFileSync(out));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
