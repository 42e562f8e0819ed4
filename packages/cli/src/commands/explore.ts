import * as os from 'os';
import { spawn, type ChildProcess } from 'child_process';
import type { Command } from '../command';
import { CliExit, EXIT } from '../io';
import { loadScenarioFile, replayLoaded, ScenarioError, clip } from '@bpfsim/scenario';
import { CLI_BIN } from '../scenario-files';
import { intOption } from '../args';
import { policyArgs, readPolicy, withScenarioOptions } from '../scenario-options';
import { makeReport, parseShard, shardSeeds, shellWord, writeReport } from '../shard';
import { writeFileOrFail } from './replay';

/** Cores this process may use: explore's default and upper bound for --jobs. */
export const cores = (): number => Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);

export function parseSeedRange(s: string): [number, number] {
  const m = /^(\d+)(?:\.\.(\d+))?$/.exec(s.trim());
  if (!m) throw new CliExit(EXIT.usage, `--seeds takes N or A..B (e.g. 1..1000), not '${clip(s, 40)}'`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || b > 2 ** 32 - 1)
    throw new CliExit(EXIT.usage, `--seeds ${clip(s, 40)}: seeds are whole numbers from 0 to 4294967295`);
  if (b < a) throw new CliExit(2, `--seeds ${s}: the range is empty`);
  if (b - a >= 1_000_000) throw new CliExit(2, `--seeds ${s}: at most 1,000,000 seeds`);
  return [a, b];
}

interface SeedResult { seed: number; passed: boolean; failures: string[] }

/** Replays one range of seeds in this process, a JSON line per seed (what explore's workers run). */
export const exploreWorkerCommand: Command = {
  command: 'explore-worker <scenario> <seeds>',
  describe: false as unknown as string,
  builder: (y) => withScenarioOptions(y).positional('scenario', { type: 'string' }).positional('seeds', { type: 'string' }),
  async run(args, io) {
    const [a, b] = parseSeedRange(String(args.seeds));
    const loaded = loadScenarioFile(String(args.scenario), readPolicy(args));
    for (let seed = a; seed <= b; seed++) {
      // Yield between seeds: a parent that died closes our stdout, and the EPIPE that follows ends this worker.
      if (seed > a) await new Promise((r) => setImmediate(r));
      let res: SeedResult;
      try {
        const r = replayLoaded(loaded, { seed });
        res = {
          seed, passed: r.passed,
          failures: [...r.trace.flatMap((e) => e.failures), ...r.expectations.filter((x) => !x.pass).map((x) => x.what)],
        };
      } catch (e) {
        if (!(e instanceof ScenarioError)) throw e;
        res = { seed, passed: false, failures: [e.message] };
      }
      io.out(JSON.stringify(res));
    }
    return 0;
  },
};

/** Live workers: killed when explore is, so none outlives it. */
const workers = new Set<ChildProcess>();

function killWorkersOn(signal: NodeJS.Signals): () => void {
  const handler = () => {
    for (const w of workers) w.kill('SIGTERM');
    process.exit(128 + (os.constants.signals[signal] ?? 15));
  };
  process.once(signal, handler);
  return () => process.removeListener(signal, handler);
}

function runWorker(scenario: string, a: number, b: number, extra: string[]): Promise<SeedResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, 'explore-worker', scenario, `${a}..${b}`, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    workers.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      workers.delete(child);
      if (code !== 0) return reject(new CliExit(EXIT.input, err.trim().split('\n').pop() || `worker for seeds ${a}..${b} exited with ${code}`));
      resolve(out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as SeedResult));
    });
  });
}

export const exploreCommand: Command = {
  command: 'explore <scenario>',
  describe: 'Replay a scenario under many seeds in worker processes; report the seeds whose expectations fail',
  builder: (y) =>
    withScenarioOptions(y)
      .positional('scenario', { type: 'string' })
      .option('seeds', { type: 'string', default: '1..100', describe: 'seed range A..B' })
      .option('jobs', { alias: 'j', type: 'string', describe: `worker processes (default and at most: the cores, here ${cores()})` })
      .option('shard', { type: 'string', describe: 'replay part i of n (i/n): the i-th of n contiguous blocks of the seed range' })
      .option('json', { type: 'string', describe: 'also write a JSON report (one row per seed) to this file' }),
  async run(args, io) {
    const scenario = String(args.scenario);
    const shard = parseShard(args.shard);
    loadScenarioFile(scenario, readPolicy(args)); // refuse a malformed file once, before starting workers
    const [a0, b0] = parseSeedRange(String(args.seeds));
    const block = shardSeeds(a0, b0, shard);
    const report = (results: SeedResult[]) => {
      if (!args.json) return;
      const rows = results.map((r) => ({
        id: scenario, seed: r.seed, passed: r.passed, problems: r.failures,
        reproduce: `bpfsim replay ${shellWord(scenario)} --seed ${r.seed}`,
      }));
      writeReport(String(args.json), makeReport('explore', shard, rows), writeFileOrFail);
    };
    if (!block) {
      // More shards than seeds: this one has nothing to replay (and says so in its report).
      io.out(`0 passed, 0 failed (shard ${shard!.index}/${shard!.count}: no seeds)`);
      report([]);
      return 0;
    }
    const [a, b] = block;
    // More workers than cores only slows every one down: --jobs is capped at the core count.
    const jobs = Math.min(intOption(args, 'jobs', 1, 1_000_000) ?? cores(), cores(), b - a + 1);
    const per = Math.ceil((b - a + 1) / jobs);
    const ranges: [number, number][] = [];
    for (let s = a; s <= b; s += per) ranges.push([s, Math.min(b, s + per - 1)]);
    const release = (['SIGTERM', 'SIGINT', 'SIGHUP'] as const).map(killWorkersOn);
    let results: SeedResult[];
    try {
      const extra = policyArgs(args);
      results = (await Promise.all(ranges.map(([x, y]) => runWorker(scenario, x, y, extra)))).flat().sort((p, q) => p.seed - q.seed);
    } finally {
      for (const w of workers) w.kill('SIGTERM'); // one worker failed: the others stop too
      for (const r of release) r();
    }
    const failing = results.filter((r) => !r.passed);
    for (const f of failing) {
      io.out(`FAIL seed ${f.seed}: ${f.failures[0] ?? 'failed'}${f.failures.length > 1 ? ` (+${f.failures.length - 1} more)` : ''}`);
      io.out(`     reproduce: bpfsim replay ${scenario} --seed ${f.seed}`);
    }
    io.out(`${results.length - failing.length} passed, ${failing.length} failed${shard ? ` (shard ${shard.index}/${shard.count}: seeds ${a}..${b})` : ''}`);
    report(results);
    return failing.length ? 1 : 0;
  },
};
