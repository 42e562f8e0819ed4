/**
 * One in-process campaign over a target of targets.ts: case i of seed S is seeded "S:i" and
 * replays alone (`--seed S --start i --count 1`). Counts accepted inputs and typed errors by
 * code; a finding or a case slower than hangMs is kept with a ready-to-paste jest test.
 */
import { Rng } from './rng';
import { classify, type Target } from './targets';

export interface Finding {
  seed: string;
  kind: 'finding' | 'hang';
  problem: string;
  test: string;
}

export interface CampaignResult {
  target: string;
  total: number;
  ok: number;
  typed: Record<string, number>;
  /** Accepted inputs by kind, for targets that report one (verifier verdicts, engine faults). */
  tags: Record<string, number>;
  findings: Finding[];
  slowest: { seed: string; ms: number } | null;
}

export interface CampaignOptions {
  seed: string;
  start?: number;
  count: number;
  hangMs?: number;
  /** Stop collecting after this many findings (the count goes on). */
  keep?: number;
  progress?: (done: number) => void;
}

export function regressionTest(t: Target, seed: string, input: unknown, problem: string): string {
  const first = problem.split('\n')[0].slice(0, 160).replace(/\*\//g, '* /');
  return [
    `// tools/fuzz ${t.name} case "${seed}": ${first}`,
    t.imports,
    "import { BpfsimError } from '@bpfsim/uapi';",
    `test('fuzz ${t.name} ${seed}: a typed error or a result, never a host exception', () => {`,
    `  const input = ${t.literal(input)};`,
    '  let thrown: unknown;',
    '  try {',
    `    ${t.call};`,
    '  } catch (e) {',
    '    thrown = e;',
    '  }',
    '  if (thrown !== undefined) expect(thrown).toBeInstanceOf(BpfsimError);',
    '});',
  ].join('\n');
}

export function runCampaign(t: Target, o: CampaignOptions): CampaignResult {
  const res: CampaignResult = { target: t.name, total: 0, ok: 0, typed: {}, tags: {}, findings: [], slowest: null };
  const start = o.start ?? 0;
  const hangMs = o.hangMs ?? t.hangMs ?? 2000;
  for (let i = start; i < start + o.count; i++) {
    const seed = `${o.seed}:${i}`;
    const input = t.input(new Rng(seed));
    const t0 = process.hrtime.bigint();
    const out = classify(t, input, `fuzz-${seed}`);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    res.total++;
    if (!res.slowest || ms > res.slowest.ms) res.slowest = { seed, ms };
    if (out.kind === 'ok') {
      res.ok++;
      if (out.tag) res.tags[out.tag] = (res.tags[out.tag] ?? 0) + 1;
    }
    else if (out.kind === 'typed') res.typed[out.code] = (res.typed[out.code] ?? 0) + 1;
    const keep = res.findings.length < (o.keep ?? 20);
    if (out.kind === 'finding' && keep) res.findings.push({ seed, kind: 'finding', problem: out.problem, test: regressionTest(t, seed, input, out.problem) });
    if (ms > hangMs && keep) res.findings.push({ seed, kind: 'hang', problem: `${ms.toFixed(0)} ms`, test: regressionTest(t, seed, input, `took ${ms.toFixed(0)} ms`) });
    o.progress?.(i - start + 1);
  }
  return res;
}

/** A target whose reader is asynchronous (cli-args: the CLI's main), with its own regression test text. */
export interface AsyncTarget<I = unknown> {
  name: string;
  about: string;
  hangMs?: number;
  input(r: Rng): I;
  exec(input: I, file: string): Promise<string | { tag: string } | void>;
  literal(input: I): string;
  test(seed: string, input: I, problem: string): string;
}

/** runCampaign for an AsyncTarget: the same counting, one case at a time. */
export async function runCampaignAsync<I>(t: AsyncTarget<I>, o: CampaignOptions): Promise<CampaignResult> {
  const res: CampaignResult = { target: t.name, total: 0, ok: 0, typed: {}, tags: {}, findings: [], slowest: null };
  const start = o.start ?? 0;
  const hangMs = o.hangMs ?? t.hangMs ?? 2000;
  for (let i = start; i < start + o.count; i++) {
    const seed = `${o.seed}:${i}`;
    const input = t.input(new Rng(seed));
    const t0 = process.hrtime.bigint();
    let problem: string | undefined;
    try {
      const r = await t.exec(input, `fuzz-${seed}`);
      if (typeof r === 'string') problem = r;
      else {
        res.ok++;
        if (r?.tag) res.tags[r.tag] = (res.tags[r.tag] ?? 0) + 1;
      }
    } catch (e) {
      problem = e instanceof Error ? (e.stack ?? String(e)) : String(e);
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    res.total++;
    if (!res.slowest || ms > res.slowest.ms) res.slowest = { seed, ms };
    const keep = res.findings.length < (o.keep ?? 20);
    if (problem !== undefined && keep) res.findings.push({ seed, kind: 'finding', problem, test: t.test(seed, input, problem) });
    if (ms > hangMs && keep) res.findings.push({ seed, kind: 'hang', problem: `${ms.toFixed(0)} ms`, test: t.test(seed, input, `took ${ms.toFixed(0)} ms`) });
    o.progress?.(i - start + 1);
  }
  return res;
}
