/**
 * A seeded sample of every in-process fuzz target (`npm run fuzz -- --target NAME` runs the
 * full campaigns): no input may end in a host exception, a hang or an engine disagreement,
 * and each sample must reach both acceptance and the reader's typed refusals.
 */
import { runCampaign, regressionTest } from '../campaign-run';
import { TARGETS, classify, type Target } from '../targets';
import { Rng } from '../rng';

const SAMPLE: Record<string, number> = {
  decoder: 400, 'asm-kernel': 250, 'asm-llvm': 250, 'asm-ubpf': 250, verifier: 250, engines: 150,
  'scenario-yaml': 120, recording: 400, strace: 400, pcap: 800, packet: 800,
};

const byName = (n: string): Target => {
  const t = TARGETS.find((x) => x.name === n);
  if (!t) throw new Error(`no target ${n}`);
  return t;
};

describe('fuzz targets (seeded samples)', () => {
  test('every target has a sample here', () => {
    expect(TARGETS.map((t) => t.name).sort()).toEqual(Object.keys(SAMPLE).sort());
  });

  test.each(Object.entries(SAMPLE))('%s: %i inputs, no findings', (name, count) => {
    const r = runCampaign(byName(name), { seed: 'jest', count, hangMs: 5000 });
    expect(r.findings.map((f) => `${f.seed} ${f.kind}: ${f.problem.split('\n').slice(0, 3).join(' | ')}`)).toEqual([]);
    expect(r.total).toBe(count);
    const typed = Object.values(r.typed).reduce((a, b) => a + b, 0);
    expect(r.ok + typed).toBe(count);
    expect(r.ok).toBeGreaterThan(0);
    // Readers that refuse input must have refused some (the mutations reach their checks);
    // the verifier and the engines return verdicts and faults instead, counted as tags.
    if (name === 'verifier') expect(Object.keys(r.tags)).toEqual(expect.arrayContaining(['accepted', 'rejected EINVAL']));
    else if (name === 'engines') expect(Object.keys(r.tags).filter((k) => k.startsWith('fault')).length).toBeGreaterThan(1);
    else if (name !== 'strace' && name !== 'packet') expect(typed).toBeGreaterThan(0);
  });

  test('a case is reproducible from its seed', () => {
    for (const t of TARGETS) {
      const a = t.literal(t.input(new Rng('det:7')));
      const b = t.literal(t.input(new Rng('det:7')));
      expect(a).toBe(b);
    }
  });

  test('a finding prints as a jest test holding the input', () => {
    const t = byName('asm-kernel');
    const text = regressionTest(t, 'x:1', 'if r0 > 2147483648 goto +1', 'TypeError: boom');
    expect(text).toContain('"if r0 > 2147483648 goto +1"');
    expect(text).toContain("assemble(input, { file: 'fuzz', dialect: 'kernel' })");
    expect(text).toContain('toBeInstanceOf(BpfsimError)');
    // ...and the classification that would have produced it: a host exception is a finding.
    const boom: Target = { ...t, exec: () => { throw new TypeError('boom'); } };
    expect(classify(boom, '', 'f').kind).toBe('finding');
    expect(classify(t, 'if r0 > 2147483648 goto +1', 'f')).toEqual({ kind: 'typed', code: 'EASM' });
  });
});
