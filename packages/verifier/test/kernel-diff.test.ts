/**
 * @bpfsim/verifier against the running kernel: a seeded few hundred generated programs (every error
 * class in xdp, socket_filter, sched_cls, kprobe and tracepoint programs, plus valid ones) must get
 * the kernel's verdict, errno and final error line. Skipped, with the reason, where bpf() is not available.
 */
import { generate, KINDS } from './gen/verifier-gen';
import { compareCase, oracleAvailable, summarize } from './gen/compare';

const avail = oracleAvailable();
const d = avail.ok ? describe : describe.skip;
if (!avail.ok) console.log(`kernel differential tests skipped: ${avail.reason}`);

// Programs that need a million processed instructions take seconds each in the kernel; the
// opt-in report run (gen-report.test.ts) covers them.
const SLOW = ['too_large', 'unbounded_loop'];

d(`verifier vs the kernel (${avail.ok ? 'bpf() available' : `skipped: ${avail.reason}`})`, () => {
  const cases = generate('npm-test', 300, KINDS.filter((k) => !SLOW.includes(k)));
  const results = avail.ok ? cases.map((c) => compareCase(c)) : [];

  test('verdicts agree on at least 99% of programs', () => {
    const s = summarize(results);
    const wrong = results.filter((r) => !r.verdict).map((r) => `${r.c.id} ${r.c.kind}: kernel ${r.kernel.errno} ${r.kernel.error} / bpfsim ${r.sim.errno} ${r.sim.error}`);
    if (s.verdict < 99) throw new Error(`verdict agreement ${s.verdict}%:\n${wrong.slice(0, 20).join('\n')}`);
  });
  test('errno agrees on at least 97%', () => {
    expect(summarize(results).errno).toBeGreaterThanOrEqual(97);
  });
  test('the final error line is identical on at least 90%', () => {
    expect(summarize(results).line).toBeGreaterThanOrEqual(90);
  });
  test('the statistics line (processed, states) is identical on at least 95%', () => {
    // pruning as 6.18 does it; the rest differ because precision and stack liveness are approximated
    expect(summarize(results).stats).toBeGreaterThanOrEqual(95);
  });
  test('every error class is exercised and valid programs are accepted by both', () => {
    const kinds = new Set(results.map((r) => r.c.kind));
    expect(kinds.size).toBeGreaterThan(30);
    const ok = results.filter((r) => r.c.kind.startsWith('ok_'));
    expect(ok.filter((r) => r.kernel.accepted && r.sim.accepted).length).toBeGreaterThanOrEqual(Math.floor(ok.length * 0.95));
  });
});
