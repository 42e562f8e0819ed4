/**
 * Every code and command sample of README.md and docs/*.md is executed
 * (tools/docs-samples/run.js): shell commands run, TypeScript samples are
 * type-checked against the built packages and run, scenario YAML goes through
 * the scenario loader, C excerpts must still be in their source. A sample
 * marked not to run (`<!-- sample: skip: REASON -->`, docs/README.md) is listed
 * with its reason and counted, never dropped silently.
 */
/* eslint-disable @typescript-eslint/no-var-requires */
const { allSamples } = require('../extract');
const { Session, runAll } = require('../run');

interface Result { sample: { file: string; line: number; lang: string; kind: string }; status: string; detail: string; skipped: { where: string; command: string; reason: string }[] }

const samples: Result['sample'][] = allSamples();
let results: Result[] = [];
let session: { close(): void };

beforeAll(() => {
  session = new Session();
  results = runAll(undefined, session);
}, 1200000); // about 70 s of CPU: the tutorial and getting-started run bpfsim, clang and jest
afterAll(() => session?.close());

const name = (s: Result['sample']) => `${s.file}:${s.line} ${s.lang || 'text'}`;

test('the docs have samples of every kind the runner executes', () => {
  const kinds = new Set(samples.map((s) => s.kind));
  for (const k of ['shell', 'ts', 'yaml']) expect(kinds).toContain(k);
  expect(samples.filter((s) => s.kind === 'unknown').map(name)).toEqual([]);
});

test.each(samples.map((s) => [name(s), s] as const))('%s', (_n, s) => {
  const r = results.find((x) => x.sample.file === s.file && x.sample.line === s.line);
  expect(r).toBeDefined();
  if (r!.status === 'fail') throw new Error(r!.detail);
  expect(['pass', 'skip', 'text']).toContain(r!.status);
});

test('samples and commands not run are listed with their reasons', () => {
  const notRun = [
    ...results.filter((r) => r.status === 'skip').map((r) => `${r.sample.file}:${r.sample.line + 1} (whole block): ${r.detail}`),
    ...results.flatMap((r) => r.skipped.map((k) => `${k.where} \`${k.command}\`: ${k.reason}`)),
  ];
  const ran = results.filter((r) => r.status === 'pass').length;
  console.log(`docs samples: ${ran} of ${results.length} run and passed, ${results.filter((r) => r.status === 'text').length} output/text blocks; not run (${notRun.length}):\n  ${notRun.join('\n  ')}`);
  for (const line of notRun) expect(line).toMatch(/: \S/); // every one says why
  // most samples run: a marker is for the expensive or host-dependent, not for the inconvenient
  expect(ran).toBeGreaterThan(results.filter((r) => r.status === 'skip').length * 3);
});
