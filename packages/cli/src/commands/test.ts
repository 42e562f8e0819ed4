import * as path from 'path';
import type { Command } from '../command';
import {
  loadScenarioFile, replayLoaded, plainTrace, firstDivergence, describeDivergence, encodeCanonical, ScenarioError,
  DEFAULT_LIMITS, FileRefused, readRegularFile, clip, nestingDepth,
} from '@bpfsim/scenario';
import { findScenarios, goldenPath, traceInChildProcess } from '../scenario-files';
import { writeFileOrFail } from './replay';
import { isBpfsimError } from '@bpfsim/uapi';
import { CliExit, EXIT } from '../io';
import { readPolicy, withScenarioOptions } from '../scenario-options';
import { SuiteTally } from '../suite-summary';
import {
  makeReport, mergeReports, parseShard, printMerged, shardFiles, shellWord, suiteRelative, writeReport, type ReportRow,
} from '../shard';

const toJson = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? { $bigint: x.toString() } : x), 1) + '\n';
const fromJson = (s: string) => JSON.parse(s, (_k, x) => (x && typeof x === 'object' && typeof x.$bigint === 'string' ? BigInt(x.$bigint) : x));

/** A golden trace file, read and checked for shape: a problem line instead of a stack trace. */
function readGolden(golden: string): { trace: unknown[] } | string {
  let text: string;
  try {
    text = Buffer.from(readRegularFile(golden, DEFAULT_LIMITS.maxScenarioBytes)).toString('utf8');
  } catch (e) {
    if (e instanceof FileRefused) return `expected trace ${golden}: ${e.message}`;
    throw e;
  }
  let v: unknown;
  try {
    v = fromJson(text);
  } catch (e) {
    if (e instanceof RangeError) return `expected trace ${golden} has the wrong shape (nested deeper than ${DEFAULT_LIMITS.maxDepth} levels); rewrite it with --update`;
    return `expected trace ${golden} is not valid JSON (${clip((e as Error).message)}); rewrite it with --update`;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v) || !Array.isArray((v as { trace?: unknown }).trace)
    || nestingDepth(v, DEFAULT_LIMITS.maxDepth) > DEFAULT_LIMITS.maxDepth)
    return `expected trace ${golden} has the wrong shape (expected {"seed": N, "trace": [...]}); rewrite it with --update`;
  return v as { trace: unknown[] };
}

export const testCommand: Command = {
  command: 'test [dir]',
  describe: 'Replay every scenario in a directory against its expected trace (<name>.trace.json)',
  builder: (y) =>
    withScenarioOptions(y)
      .positional('dir', { type: 'string', default: 'scenarios' })
      .option('update', { type: 'boolean', default: false, describe: 'rewrite the expected traces from this run' })
      .option('check-determinism', { type: 'boolean', default: false, describe: 'also replay each twice in separate processes and compare the trace bytes' })
      .option('shard', { type: 'string', describe: 'run part i of n (i/n): round-robin over the scenarios sorted by path within the suite' })
      .option('json', { type: 'string', describe: 'also write a JSON report (one row per scenario) to this file' })
      .option('merge', { type: 'array', string: true, describe: 'merge JSON reports (of test or explore shards) instead of running: every failure with its reproducer' }),
  async run(args, io) {
    if (args.merge !== undefined) {
      const files = (args.merge as unknown[]).map(String);
      if (!files.length) throw new CliExit(EXIT.usage, '--merge takes one or more report files');
      const merged = mergeReports(files);
      if (args.json) writeReport(String(args.json), merged.report, writeFileOrFail);
      return printMerged(io, merged, files.length);
    }
    const shard = parseShard(args.shard);
    const root = String(args.dir);
    const policy = readPolicy(args);
    const { files: all, problems: found, skipped } = findScenarios(root);
    let passed = 0;
    let failed = 0;
    const rows: ReportRow[] = [];
    // Golden files are written only inside the suite (after resolving links): --update never writes elsewhere.
    const suite = all.length === 1 && all[0] === root ? path.dirname(root) : root;
    const files = shardFiles(all, (f) => suiteRelative(suite, f), shard);
    // Entries that cannot be run belong to the first shard: reported once across a split.
    const first = !shard || shard.index === 1;
    if (first) for (const p of skipped) io.out(`SKIP ${p} (a symbolic link to a directory: not followed)`);
    for (const p of first ? found : []) {
      failed++;
      io.out(`FAIL ${p.file}`);
      io.out(`     ${p.message}`);
      rows.push({ id: suiteRelative(suite, p.file), passed: false, problems: [p.message], reproduce: `bpfsim test ${shellWord(p.file)}` });
    }
    const tally = new SuiteTally(); // what was compared: printed before the closing count
    for (const file of files) {
      const problems: string[] = [];
      try {
        const loaded = loadScenarioFile(file, policy);
        const result = replayLoaded(loaded);
        tally.add(result);
        if (!result.passed) {
          const bad = result.expectations.filter((x) => !x.pass).map((x) => `${x.what} (${(x.diff ?? []).slice(0, 2).join('; ')})`);
          const checks = result.trace.flatMap((e) => e.failures);
          problems.push(...checks, ...bad);
        }
        const golden = goldenPath(file);
        const now = plainTrace(result.trace);
        if (args.update) writeFileOrFail(golden, toJson({ seed: result.seed, trace: now }), { within: suite });
        else {
          const want = readGolden(golden);
          if (typeof want === 'string') {
            problems.push(/: no such file/.test(want) ? `no expected trace ${golden} (run with --update to write it)` : want);
          } else if (!Buffer.from(encodeCanonical(want.trace)).equals(Buffer.from(encodeCanonical(now)))) {
            const d = firstDivergence(want.trace, now);
            problems.push(`trace differs from ${golden}: ${d ? describeDivergence(d) : 'encodings differ'}`);
          }
        }
        if (args['check-determinism']) {
          const a = traceInChildProcess(file, undefined, args);
          const b = traceInChildProcess(file, undefined, args);
          if (!Buffer.from(a).equals(Buffer.from(b))) problems.push('two replays in separate processes gave different trace bytes');
          else if (!Buffer.from(a).equals(Buffer.from(result.traceBytes))) problems.push('a replay in a separate process differs from this one');
        }
      } catch (e) {
        if (!(e instanceof ScenarioError) && !isBpfsimError(e)) throw e;
        problems.push((e as Error).message);
      }
      rows.push({ id: suiteRelative(suite, file), passed: !problems.length, problems, reproduce: `bpfsim test ${shellWord(file)}` });
      if (problems.length) {
        failed++;
        io.out(`FAIL ${file}`);
        for (const p of problems) io.out(`     ${p}`);
      } else {
        passed++;
        io.out(`PASS ${file}${args.update ? ' (expected trace written)' : ''}`);
      }
    }
    for (const line of tally.lines(!args.update)) io.out(line);
    io.out(`${passed} passed, ${failed} failed${shard ? ` (shard ${shard.index}/${shard.count})` : ''}`);
    if (args.json) writeReport(String(args.json), makeReport('test', shard, rows), writeFileOrFail);
    return failed ? 1 : 0;
  },
};
