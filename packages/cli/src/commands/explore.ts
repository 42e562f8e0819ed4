import * as os from 'os';
import { spawn } from 'child_process';
import type { Command } from '../command';
import { CliExit } from '../io';
import { loadScenarioFile, replayLoaded, ScenarioError } from '@bpfsim/scenario';
import { CLI_BIN } from '../scenario-files';

export function parseSeedRange(s: string): [number, number] {
  const m = /^(\d+)(?:\.\.(\d+))?$/.exec(s.trim());
  if (!m) throw new CliExit(2, `--seeds takes N or A..B (e.g. 1..1000), not '${s}'`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (b < a) throw new CliExit(2, `--seeds ${s}: the range is empty`);
  if (b - a >= 1_000_000) throw new CliExit(2, `--seeds ${s}: at most 1,000,000 seeds`);
  return [a, b];
}

interface SeedResult { seed: number; passed: boolean; failures: string[] }

/** Replays one range of seeds in this process, a JSON line per seed (what explore's workers run). */
export const exploreWorkerCommand: Command = {
  command: 'explore-worker <scenario> <seeds>',
  describe: false as unknown as string,
  builder: (y) => y.positional('scenario', { type: 'string' }).positional('seeds', { type: 'string' }),
  async run(args, io) {
    const [a, b] = parseSeedRange(String(args.seeds));
    const loaded = loadScenarioFile(String(args.scenario));
    for (let seed = a; seed <= b; seed++) {
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

function runWorker(scenario: string, a: number, b: number): Promise<SeedResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, 'explore-worker', scenario, `${a}..${b}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      if (code !== 0) return reject(new CliExit(2, err.trim().split('\n').pop() || `worker for seeds ${a}..${b} exited with ${code}`));
      resolve(out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as SeedResult));
    });
  });
}

export const exploreCommand: Command = {
  command: 'explore <scenario>',
  describe: 'Replay a scenario under many seeds in worker processes; report the seeds whose expectations fail',
  builder: (y) =>
    y
      .positional('scenario', { type: 'string' })
      .option('seeds', { type: 'string', default: '1..100', describe: 'seed range A..B' })
      .option('jobs', { alias: 'j', type: 'number', default: Math.max(1, os.cpus().length), describe: 'worker processes' }),
  async run(args, io) {
    const scenario = String(args.scenario);
    loadScenarioFile(scenario); // refuse a malformed file once, before starting workers
    const [a, b] = parseSeedRange(String(args.seeds));
    const jobs = Math.max(1, Math.min(Number(args.jobs) || 1, b - a + 1));
    const per = Math.ceil((b - a + 1) / jobs);
    const ranges: [number, number][] = [];
    for (let s = a; s <= b; s += per) ranges.push([s, Math.min(b, s + per - 1)]);
    const results = (await Promise.all(ranges.map(([x, y]) => runWorker(scenario, x, y)))).flat().sort((p, q) => p.seed - q.seed);
    const failing = results.filter((r) => !r.passed);
    for (const f of failing) {
      io.out(`FAIL seed ${f.seed}: ${f.failures[0] ?? 'failed'}${f.failures.length > 1 ? ` (+${f.failures.length - 1} more)` : ''}`);
      io.out(`     reproduce: bpfsim replay ${scenario} --seed ${f.seed}`);
    }
    io.out(`${results.length - failing.length} passed, ${failing.length} failed`);
    return failing.length ? 1 : 0;
  },
};
