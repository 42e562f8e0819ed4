/**
 * `--shard i/n` and `--merge`: the union of the sharded runs is exactly one
 * unsharded run (no scenario or seed lost or repeated), on scenarios/ and on
 * a generated suite with passing and failing members; the split is the
 * documented one (round-robin over suite-relative paths, contiguous seed blocks).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli } from './helpers';
import { shardSeeds, type Report, type ReportRow } from '../src/shard';

const ROOT = path.resolve(__dirname, '../../..');
const SCENARIOS = path.join(ROOT, 'scenarios');
const FW = path.join(SCENARIOS, 'xdp-firewall');

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-shard-'));
const readReport = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8')) as Report;
const key = (r: ReportRow) => `${r.id}#${r.seed ?? ''}`;

/** A suite of firewall scenarios: nested, with names whose walk order differs from their sorted order, some failing. */
function generatedSuite(): string {
  const dir = tmp();
  const yaml = fs.readFileSync(path.join(FW, 'xdp-firewall.yaml'), 'utf8');
  const names = ['a.yaml', 'a/b.yaml', 'a/c/d.yaml', 'a-b.yaml', 'z/y.yaml', 'm/n/o.yaml', 'b.yaml', 'c/fail.yaml', 'c/golden-missing.yaml'];
  for (const n of names) {
    const p = path.join(dir, n);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.copyFileSync(path.join(FW, 'xdp_firewall.bpf.o'), path.join(path.dirname(p), 'xdp_firewall.bpf.o'));
    fs.writeFileSync(p, n.includes('fail') ? yaml.replace('count: 8', 'count: 9') : yaml);
    if (!n.includes('missing')) fs.copyFileSync(path.join(FW, 'xdp-firewall.trace.json'), p.replace(/\.yaml$/, '.trace.json'));
  }
  fs.writeFileSync(path.join(dir, 'broken.yaml'), 'bpfsim: 1\nname: [unclosed\n');
  return dir;
}

async function testRun(suite: string, out: string, ...extra: string[]): Promise<Report> {
  await cli('test', suite, '--json', out, ...extra);
  return readReport(out);
}

async function checkUnion(suite: string, n: number): Promise<void> {
  const dir = tmp();
  const whole = await testRun(suite, path.join(dir, 'all.json'));
  const parts: Report[] = [];
  for (let i = 1; i <= n; i++) parts.push(await testRun(suite, path.join(dir, `${i}.json`), '--shard', `${i}/${n}`));
  const union = parts.flatMap((p) => p.rows);
  // Disjoint, and together exactly the unsharded rows, verdicts and problems included.
  expect(new Set(union.map(key)).size).toBe(union.length);
  const sortRows = (rows: ReportRow[]) => [...rows].sort((p, q) => (key(p) < key(q) ? -1 : 1));
  expect(sortRows(union)).toEqual(sortRows(whole.rows));
  // The merge of the shard reports is the unsharded report, and says so.
  const files = parts.map((_p, i) => path.join(dir, `${i + 1}.json`));
  const merged = await cli('test', '--merge', ...files, '--json', path.join(dir, 'merged.json'));
  const m = readReport(path.join(dir, 'merged.json'));
  expect(m.rows).toEqual(sortRows(whole.rows));
  expect([m.passed, m.failed]).toEqual([whole.passed, whole.failed]);
  expect(merged.code).toBe(whole.failed ? 1 : 0);
  expect(merged.out).toContain(`${whole.passed} passed, ${whole.failed} failed (${n} report${n === 1 ? '' : 's'} merged)`);
}

describe('bpfsim test --shard / --merge', () => {
  test('a generated suite: every split unions to the unsharded run, failures named with their reproducer', async () => {
    const suite = generatedSuite();
    for (const n of [1, 2, 3, 12]) await checkUnion(suite, n);
    const dir = tmp();
    await testRun(suite, path.join(dir, '1.json'), '--shard', '1/2');
    await testRun(suite, path.join(dir, '2.json'), '--shard', '2/2');
    const merged = await cli('test', '--merge', path.join(dir, '1.json'), path.join(dir, '2.json'));
    expect(merged.code).toBe(1);
    expect(merged.out).toContain(`FAIL c/fail.yaml: `);
    expect(merged.out).toContain(`reproduce: bpfsim test ${path.join(suite, 'c/fail.yaml')}`);
    expect(merged.out).toContain(`FAIL c/golden-missing.yaml: no expected trace`);
    expect(merged.out).toContain(`FAIL broken.yaml: `);
    // A missing shard, or one merged twice, fails the merge even when every row passed.
    const lost = await cli('test', '--merge', path.join(dir, '1.json'));
    expect(lost.out).toContain('FAIL merge: no report for shard 2/2');
    const twice = await cli('test', '--merge', path.join(dir, '1.json'), path.join(dir, '1.json'), path.join(dir, '2.json'));
    expect(twice.out).toMatch(/FAIL merge: a-b\.yaml is in both /);
  }, 120_000);

  test('the split is round-robin over suite-relative paths in code-point order', async () => {
    const suite = generatedSuite();
    const dir = tmp();
    const ids: string[][] = [];
    for (let i = 1; i <= 3; i++) ids.push((await testRun(suite, path.join(dir, `${i}.json`), '--shard', `${i}/3`)).rows.map((r) => r.id));
    const runnable = ['a-b.yaml', 'a.yaml', 'a/b.yaml', 'a/c/d.yaml', 'b.yaml', 'broken.yaml', 'c/fail.yaml', 'c/golden-missing.yaml', 'm/n/o.yaml', 'z/y.yaml'];
    expect(ids).toEqual([0, 1, 2].map((s) => runnable.filter((_x, k) => k % 3 === s)));
  }, 120_000);

  test('scenarios/: three shards union to one unsharded run', async () => {
    await checkUnion(SCENARIOS, 3);
  }, 300_000);

  test('bad --shard values and bad reports are usage/input errors', async () => {
    for (const s of ['0/3', '4/3', '1/0', 'x', '1/2/3']) {
      const r = await cli('test', SCENARIOS, '--shard', s);
      expect([r.code, r.err]).toEqual([2, expect.stringMatching(/^bpfsim: --shard takes i\/n/)]);
    }
    const junk = path.join(tmp(), 'junk.json');
    fs.writeFileSync(junk, '{"rows": 3}');
    expect(await cli('test', '--merge', junk)).toMatchObject({ code: 2, err: expect.stringMatching(/not a bpfsim report/) });
  });
});

describe('bpfsim explore --shard', () => {
  test('seed blocks are contiguous, cover A..B once, and differ in size by at most one', () => {
    for (const [a, b] of [[1, 100], [5, 5], [0, 6], [10, 12]]) {
      for (const n of [1, 2, 3, 7]) {
        const seen: number[] = [];
        const sizes: number[] = [];
        for (let i = 1; i <= n; i++) {
          const blk = shardSeeds(a, b, { index: i, count: n });
          sizes.push(blk ? blk[1] - blk[0] + 1 : 0);
          if (blk) for (let s = blk[0]; s <= blk[1]; s++) seen.push(s);
        }
        expect(seen).toEqual(Array.from({ length: b - a + 1 }, (_x, k) => a + k));
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    }
  });

  test('the shards of a seed range union to the unsharded run; a failing seed is named with its reproducer', async () => {
    const dir = tmp();
    const failing = path.join(dir, 'fw.yaml');
    fs.copyFileSync(path.join(FW, 'xdp_firewall.bpf.o'), path.join(dir, 'xdp_firewall.bpf.o'));
    fs.writeFileSync(failing, fs.readFileSync(path.join(FW, 'xdp-firewall.yaml'), 'utf8').replace('count: 8', 'count: 9'));
    for (const scenario of [path.join(FW, 'xdp-firewall.yaml'), failing]) {
      await cli('explore', scenario, '--seeds', '3..7', '--jobs', '1', '--json', path.join(dir, 'all.json'));
      const whole = readReport(path.join(dir, 'all.json'));
      expect(whole.rows.map((r) => r.seed)).toEqual([3, 4, 5, 6, 7]);
      const files: string[] = [];
      for (let i = 1; i <= 3; i++) {
        files.push(path.join(dir, `e${i}.json`));
        await cli('explore', scenario, '--seeds', '3..7', '--jobs', '1', '--shard', `${i}/3`, '--json', files[i - 1]);
      }
      const m = await cli('test', '--merge', ...files, '--json', path.join(dir, 'm.json'));
      expect(readReport(path.join(dir, 'm.json')).rows).toEqual(whole.rows);
      if (scenario === failing) {
        expect(m.code).toBe(1);
        for (let s = 3; s <= 7; s++) expect(m.out).toContain(`reproduce: bpfsim replay ${failing} --seed ${s}`);
      } else expect([m.code, whole.failed]).toEqual([0, 0]);
    }
  }, 300_000);
});
