import '../src/setup';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bpfsim, describeScenario, scenarioCases } from '../src';
import { failureOf, scenarioFile } from './paths';

// Each expectation of the committed scenarios becomes a jest test (and the golden trace one more).
describeScenario(scenarioFile('xdp-firewall', 'xdp-firewall.yaml'));
describeScenario(scenarioFile('ringbuf-events', 'ringbuf-events.yaml'));

/** A copy of a scenario folder in a temporary directory, to break on purpose. */
function copyScenario(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-jest-'));
  for (const f of fs.readdirSync(scenarioFile(name))) fs.copyFileSync(scenarioFile(name, f), path.join(dir, f));
  return dir;
}

const withEnv = <T>(name: string, value: string | undefined, fn: () => T): T => {
  const old = process.env[name];
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
  try {
    return fn();
  } finally {
    if (old === undefined) delete process.env[name];
    else process.env[name] = old;
  }
};

/**
 * A fresh copy of the xdp-firewall scenario per test, in a directory the returned getter names.
 * These cases set BPFSIM_SEED / BPFSIM_UPDATE themselves: the caller's must not leak in.
 */
function freshScenarioPerTest(): () => string {
  let dir: string;
  const caller = { BPFSIM_SEED: process.env.BPFSIM_SEED, BPFSIM_UPDATE: process.env.BPFSIM_UPDATE };
  beforeEach(() => {
    dir = copyScenario('xdp-firewall');
    for (const k of Object.keys(caller)) delete process.env[k];
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    for (const [k, v] of Object.entries(caller)) if (v !== undefined) process.env[k] = v;
  });
  return () => dir;
}

describe('scenarioCases', () => {
  const scenarioDir = freshScenarioPerTest();

  test('one case per expectation, named by what it checks, plus the golden trace', () => {
    const { title, cases } = scenarioCases(path.join(scenarioDir(), 'xdp-firewall.yaml'));
    expect(title).toBe('scenario xdp-firewall (seed 1)');
    expect(cases.map((c) => c.name)).toEqual([
      expect.stringMatching(/^map stats\[00000000\] = /), expect.stringMatching(/^map stats\[01000000\]/), expect.stringMatching(/^map stats\[02000000\]/),
      expect.stringMatching(/^map blocked_ports: /), expect.stringMatching(/^runs of fw: /), 'trace matches its golden file',
    ]);
    for (const c of cases) c.run();
  });

  test('a wrong expectation and a wrong on-the-spot check fail with the difference and the seed', () => {
    const yaml = path.join(scenarioDir(), 'xdp-firewall.yaml');
    const text = fs.readFileSync(yaml, 'utf8')
      .replace("key: {u32: 1}, value: {u64: 1}", "key: {u32: 1}, value: {u64: 7}")
      .replace('expect: { retval: XDP_DROP }', 'expect: { retval: XDP_PASS }');
    fs.writeFileSync(yaml, text);
    const { cases } = scenarioCases(yaml, { trace: false });
    const event = cases.find((c) => c.name.startsWith('event 0'))!;
    expect(failureOf(event.run)).toMatch(/event 0 \(run fw on cpu \d: retval 1 \(\d+ insns\)\):\n {2}.*\n\(seed 1; rerun with BPFSIM_SEED=1\)/);
    const stat = cases.find((c) => c.name.startsWith('map stats[01000000]'))!;
    const msg = failureOf(stat.run);
    expect(msg).toMatch(/expectation 2: map stats\[01000000\]/);
    expect(msg).toMatch(/- expected: .*\n\+ actual: +01 00 00 00 00 00 00 00|\+ actual: +0100000000000000/);
  });

  test('BPFSIM_SEED picks the seed and leaves the golden trace (recorded with another seed) out', () => {
    const { title, cases } = withEnv('BPFSIM_SEED', '7', () => scenarioCases(path.join(scenarioDir(), 'xdp-firewall.yaml')));
    expect(title).toBe('scenario xdp-firewall (seed 7)');
    expect(cases.map((c) => c.name)).not.toContain('trace matches its golden file');
    const bad = withEnv('BPFSIM_SEED', 'x', () => scenarioCases(path.join(scenarioDir(), 'xdp-firewall.yaml')));
    expect(failureOf(bad.cases[0].run)).toMatch(/BPFSIM_SEED="x": expected a whole number/);
  });

  test('a scenario that cannot be replayed is one failing case with the error', () => {
    const yaml = path.join(scenarioDir(), 'broken.yaml');
    fs.writeFileSync(yaml, 'bpfsim: 1\nname: broken\nprograms:\n  - name: fw\n    object: missing.bpf.o\n');
    const { cases } = scenarioCases(yaml);
    expect(cases.map((c) => c.name)).toEqual(['replays']);
    expect(failureOf(cases[0].run)).toMatch(/missing\.bpf\.o/);
  });
});

describe('toMatchTrace', () => {
  const scenarioDir = freshScenarioPerTest();

  test('the committed golden file matches; a changed one names the first divergence', () => {
    const r = bpfsim.scenario(path.join(scenarioDir(), 'xdp-firewall.yaml'));
    const golden = path.join(scenarioDir(), 'xdp-firewall.trace.json');
    expect(r).toMatchTrace(golden);
    fs.writeFileSync(golden, fs.readFileSync(golden, 'utf8').replace('"retval": 1', '"retval": 3'));
    const msg = failureOf(() => expect(r).toMatchTrace(golden));
    expect(msg).toMatch(/trace differs from .*xdp-firewall\.trace\.json: first divergence at event 0, program fw: outcome\.retval: recorded 3, now 1/);
    expect(msg).toMatch(/BPFSIM_UPDATE=1/);
  });

  test('BPFSIM_UPDATE=1 writes the golden file, which then matches; a missing file says how to make it', () => {
    const r = bpfsim.scenario(path.join(scenarioDir(), 'xdp-firewall.yaml'));
    const golden = path.join(scenarioDir(), 'new.trace.json');
    expect(failureOf(() => expect(r).toMatchTrace(golden))).toMatch(/new\.trace\.json does not exist; write it with BPFSIM_UPDATE=1/);
    withEnv('BPFSIM_UPDATE', '1', () => expect(r).toMatchTrace(golden));
    expect(r).toMatchTrace(golden);
    // the same bytes `bpfsim test --update` writes
    expect(fs.readFileSync(golden, 'utf8')).toBe(fs.readFileSync(path.join(scenarioDir(), 'xdp-firewall.trace.json'), 'utf8'));
  });

  test("a kernel's own records against a golden file", () => {
    const k = bpfsim.kernel({ seed: 1 });
    const obj = k.load(scenarioFile('xdp-firewall', 'xdp_firewall.bpf.o'));
    obj.run('xdp_firewall', { data: '02 00 00 00 00 02 02 00 00 00 00 01 08 06 00 00' });
    const golden = path.join(scenarioDir(), 'kernel.trace.json');
    withEnv('BPFSIM_UPDATE', '1', () => expect(k).toMatchTrace(golden));
    expect(JSON.parse(fs.readFileSync(golden, 'utf8')).trace).toEqual([expect.objectContaining({ kind: 'prog_run', prog: 'xdp_firewall', retval: '2' })]);
    obj.run('xdp_firewall', { data: '02 00 00 00 00 02 02 00 00 00 00 01 08 06 00 00' });
    expect(failureOf(() => expect(k).toMatchTrace(golden))).toMatch(/first divergence at event 1: entry: recorded "\(none\)"/);
  });
});
