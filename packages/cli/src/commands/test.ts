import * as fs from 'fs';
import type { Command } from '../command';
import {
  loadScenarioFile, replayLoaded, plainTrace, firstDivergence, describeDivergence, encodeCanonical, ScenarioError,
} from '@bpfsim/scenario';
import { findScenarios, goldenPath, traceInChildProcess } from '../scenario-files';
import { writeFileOrFail } from './replay';
import { isBpfsimError } from '@bpfsim/uapi';

const toJson = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? { $bigint: x.toString() } : x), 1) + '\n';
const fromJson = (s: string) => JSON.parse(s, (_k, x) => (x && typeof x === 'object' && typeof x.$bigint === 'string' ? BigInt(x.$bigint) : x));

export const testCommand: Command = {
  command: 'test [dir]',
  describe: 'Replay every scenario in a directory against its expected trace (<name>.trace.json)',
  builder: (y) =>
    y
      .positional('dir', { type: 'string', default: 'scenarios' })
      .option('update', { type: 'boolean', default: false, describe: 'rewrite the expected traces from this run' })
      .option('check-determinism', { type: 'boolean', default: false, describe: 'also replay each twice in separate processes and compare the trace bytes' }),
  async run(args, io) {
    const files = findScenarios(String(args.dir));
    let passed = 0;
    let failed = 0;
    for (const file of files) {
      const problems: string[] = [];
      try {
        const loaded = loadScenarioFile(file);
        const result = replayLoaded(loaded);
        if (!result.passed) {
          const bad = result.expectations.filter((x) => !x.pass).map((x) => `${x.what} (${(x.diff ?? []).slice(0, 2).join('; ')})`);
          const checks = result.trace.flatMap((e) => e.failures);
          problems.push(...checks, ...bad);
        }
        const golden = goldenPath(file);
        const now = plainTrace(result.trace);
        if (args.update) writeFileOrFail(golden, toJson({ seed: result.seed, trace: now }));
        else if (!fs.existsSync(golden)) problems.push(`no expected trace ${golden} (run with --update to write it)`);
        else {
          const want = fromJson(fs.readFileSync(golden, 'utf8')) as { trace: unknown[] };
          if (!Buffer.from(encodeCanonical(want.trace)).equals(Buffer.from(encodeCanonical(now)))) {
            const d = firstDivergence(want.trace, now);
            problems.push(`trace differs from ${golden}: ${d ? describeDivergence(d) : 'encodings differ'}`);
          }
        }
        if (args['check-determinism']) {
          const a = traceInChildProcess(file);
          const b = traceInChildProcess(file);
          if (!Buffer.from(a).equals(Buffer.from(b))) problems.push('two replays in separate processes gave different trace bytes');
          else if (!Buffer.from(a).equals(Buffer.from(result.traceBytes))) problems.push('a replay in a separate process differs from this one');
        }
      } catch (e) {
        if (!(e instanceof ScenarioError) && !isBpfsimError(e)) throw e;
        problems.push((e as Error).message);
      }
      if (problems.length) {
        failed++;
        io.out(`FAIL ${file}`);
        for (const p of problems) io.out(`     ${p}`);
      } else {
        passed++;
        io.out(`PASS ${file}${args.update ? ' (expected trace written)' : ''}`);
      }
    }
    io.out(`${passed} passed, ${failed} failed`);
    return failed ? 1 : 0;
  },
};
