import * as fs from 'fs';
import * as path from 'path';
import type { Command } from '../command';
import { CliExit } from '../io';
import { runConformanceText, type ConformanceResult } from '../conformance/runner';
import { parseCpuVersion } from '../conformance/cpu-version';
import { InputError } from '../program-file';

/** Every `.data` file named, directories expanded (sorted, so the order is the same everywhere). */
export function collectDataFiles(inputs: readonly string[]): string[] {
  const out: string[] = [];
  for (const input of inputs) {
    let st: fs.Stats;
    try {
      st = fs.statSync(input);
    } catch {
      throw new InputError(`${input}: no such file or directory`);
    }
    if (st.isDirectory()) {
      const names = fs.readdirSync(input).filter((n) => n.endsWith('.data')).sort();
      if (names.length === 0) throw new InputError(`${input}: no .data files in this directory`);
      out.push(...names.map((n) => path.join(input, n)));
    } else out.push(input);
  }
  return out;
}

export function summaryLine(results: readonly ConformanceResult[]): string {
  const n = (o: string) => results.filter((r) => r.outcome === o).length;
  const skipped = n('skip');
  return `${n('pass')} passed, ${n('fail')} failed` + (skipped ? `, ${skipped} skipped` : '');
}

export const conformanceCommand: Command = {
  command: 'conformance <files..>',
  describe: 'Run bpf_conformance .data files (directories are expanded) on the interpreter',
  builder: (y) =>
    y
      .positional('files', { type: 'string', array: true, describe: '.data files or directories of them' })
      .option('cpu', { type: 'string', default: 'v4', describe: 'instruction set version: tests needing more are skipped (v1..v4)' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON object per file, then a summary object' })
      .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'also list passing and skipped files' }),
  async run(args, io) {
    let cpu;
    try {
      cpu = parseCpuVersion(String(args.cpu));
    } catch (e) {
      throw new CliExit(2, (e as Error).message);
    }
    const files = collectDataFiles(args.files as string[]);
    const results: ConformanceResult[] = [];
    for (const file of files) {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (e) {
        results.push({ file, outcome: 'fail', actual: `error: cannot read: ${(e as Error).message}` });
        continue;
      }
      const r = runConformanceText(text, file, { cpu });
      results.push(r);
      if (args.json) io.out(JSON.stringify(r));
      else if (r.outcome === 'fail') io.out(`FAIL ${file}: expected ${r.expected ?? '(unreadable file)'}, got ${r.actual}`);
      else if (args.verbose) io.out(`${r.outcome === 'pass' ? 'PASS' : 'SKIP'} ${file}${r.reason ? ` (${r.reason})` : ''}`);
    }
    const line = summaryLine(results);
    if (args.json) {
      const count = (o: string) => results.filter((r) => r.outcome === o).length;
      io.out(JSON.stringify({ passed: count('pass'), failed: count('fail'), skipped: count('skip') }));
    }
    io.out(line);
    return results.some((r) => r.outcome === 'fail') ? 1 : 0;
  },
};
