/**
 * Large differential run (opt-in: BPFSIM_VERIFIER_GEN_N=3000 npx jest packages/verifier/test/gen-report).
 * Writes the disagreements to $BPFSIM_VERIFIER_GEN_OUT (default /tmp/verifier-gen-report.json).
 */
import * as fs from 'fs';
import { generate, KINDS } from './gen/verifier-gen';
import { compareCase, oracleAvailable, summarize, type Comparison } from './gen/compare';

const N = Number(process.env.BPFSIM_VERIFIER_GEN_N ?? 0);
const avail = oracleAvailable();
const run = N > 0 && avail.ok ? test : test.skip;

run(`generated programs vs the kernel (${N})`, () => {
  const skip = (process.env.BPFSIM_VERIFIER_GEN_SKIP ?? '').split(',');
  const only = process.env.BPFSIM_VERIFIER_GEN_ONLY ? process.env.BPFSIM_VERIFIER_GEN_ONLY.split(',') : KINDS;
  const cases = generate(process.env.BPFSIM_VERIFIER_GEN_SEED ?? 'report', N, only.filter((k) => !skip.includes(k)));
  const rs: Comparison[] = [];
  for (const c of cases) rs.push(compareCase(c));
  const sum = summarize(rs);
  const byKind: Record<string, { n: number; verdict: number; errno: number; line: number; stats: number }> = {};
  for (const r of rs) {
    const k = (byKind[r.c.kind] ??= { n: 0, verdict: 0, errno: 0, line: 0, stats: 0 });
    k.n++; if (r.verdict) k.verdict++; if (r.errno) k.errno++; if (r.line) k.line++; if (r.stats) k.stats++;
  }
  const bad = rs.filter((r) => !r.verdict || !r.errno || !r.line || !r.stats).map((r) => ({
    id: r.c.id, kind: r.c.kind, type: r.c.progType, kernel: { ...r.kernel, log: r.kernel.log?.slice(-1500) }, sim: { ...r.sim, log: r.sim.log?.slice(-1500) },
    insns: r.c.insns.map((i) => [i.code, i.dst, i.src, i.off, i.imm]),
  }));
  fs.writeFileSync(process.env.BPFSIM_VERIFIER_GEN_OUT ?? '/tmp/verifier-gen-report.json', JSON.stringify({ sum, byKind, bad }, null, 1));
  console.log(JSON.stringify({ sum, byKind }, null, 0));
  expect(rs.length).toBe(N);
});
