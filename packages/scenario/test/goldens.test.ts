/**
 * Every scenario under scenarios/ against its golden trace (<name>.trace.json), as `bpfsim test`
 * compares them: version-1 files lifted by migrations.ts replay exactly as recorded.
 */
import * as fs from 'fs';
import * as path from 'path';
import { replay, plainTrace, encodeCanonical, firstDivergence, describeDivergence } from '@bpfsim/scenario';

const scenariosDir = path.resolve(__dirname, '../../../scenarios');
const yamlsIn = (root: string): string[] => fs.readdirSync(root).sort().flatMap((d) => {
  const dir = path.join(root, d);
  return fs.statSync(dir).isDirectory() ? fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => path.join(dir, f)) : [];
});
// The example scenarios and the lessons (scenarios/learn/NN-topic) that have a golden (BPFSIM_UPDATE=1 rewrites them).
const files = [...yamlsIn(scenariosDir), ...yamlsIn(path.join(scenariosDir, 'learn'))]
  .filter((f) => fs.existsSync(f.replace(/\.ya?ml$/, '.trace.json')));

const fromJson = (s: string) => JSON.parse(s, (_k, x) => (x && typeof x === 'object' && typeof x.$bigint === 'string' ? BigInt(x.$bigint) : x));
const toJson = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? { $bigint: x.toString() } : x), 1) + '\n';

test('there are goldens', () => {
  expect(files.length).toBeGreaterThanOrEqual(8);
});

test.each(files)('%s replays to its golden trace', async (file) => {
  const golden = file.replace(/\.ya?ml$/, '.trace.json');
  const r = await replay(file);
  const now = plainTrace(r.trace);
  if (process.env.BPFSIM_UPDATE === '1') fs.writeFileSync(golden, toJson({ seed: r.seed, trace: now }));
  const want = fromJson(fs.readFileSync(golden, 'utf8')) as { seed: number; trace: unknown[] };
  const d = firstDivergence(want.trace, now);
  expect(d ? describeDivergence(d) : 'same').toBe('same');
  expect(Buffer.from(encodeCanonical(now)).equals(Buffer.from(encodeCanonical(want.trace)))).toBe(true);
});
