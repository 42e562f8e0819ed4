import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { parseStraceLog, StraceParseError } from '../../src/import/strace';

// Real lines, cut and mutated at random (fixed seeds): every outcome must be a parse or a typed
// error naming a line of the input, never a host exception, and no line may vanish unreported.
const DIR = path.join(__dirname, '..', 'fixtures', 'strace');
const POOL = ['sh-pipeline', 'tcp-loopback', 'signal-stop-cont', 'stat', 'python-signal']
  .flatMap((n) => fs.readFileSync(path.join(DIR, `${n}.log`), 'utf8').split('\n').filter((l) => l !== ''))
  // Long binary reads add little grammar and much time.
  .filter((l) => l.length < 1500);
const NOISE = ['"', '\\', '{', '}', '[', ']', '(', ')', ',', ' ', '=', '|', '<', '>', '.', '...', '-', '0x', '/*', '*/', '=>', '~', '@', '+++', '---', '\n', 'x', '9', '<unfinished ...>', '<... read resumed>'];

type Mutation = { at: number; op: 'cut' | 'del' | 'ins' | 'rep'; noise: string; len: number };
const mutation = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('cut' as const, 'del' as const, 'ins' as const, 'rep' as const),
  noise: fc.constantFrom(...NOISE),
  len: fc.integer({ min: 1, max: 8 }),
});

function mutate(line: string, ms: Mutation[]): string {
  let s = line;
  for (const m of ms) {
    const at = s.length ? m.at % (s.length + 1) : 0;
    if (m.op === 'cut') s = s.slice(0, at);
    else if (m.op === 'del') s = s.slice(0, at) + s.slice(at + m.len);
    else if (m.op === 'ins') s = s.slice(0, at) + m.noise + s.slice(at);
    else s = s.slice(0, at) + m.noise + s.slice(at + m.noise.length);
  }
  return s;
}

function check(text: string): void {
  const log = parseStraceLog(text, 'fuzz.log');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const covered = new Set<number>();
  for (const e of log.errors) {
    expect(e).toBeInstanceOf(StraceParseError);
    expect(e.file).toBe('fuzz.log');
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.line).toBeLessThanOrEqual(lines.length);
    expect(e.col).toBeGreaterThanOrEqual(1);
    expect(e.message.startsWith(`fuzz.log:${e.line}:${e.col}: `)).toBe(true);
    covered.add(e.line);
    if (e.related !== undefined) covered.add(e.related);
  }
  for (const e of log.events) {
    covered.add(e.line);
    if (e.kind === 'syscall' && e.resumed) covered.add(e.resumed.line);
  }
  lines.forEach((l, i) => {
    // Detaching carries no data.
    if (l.trim() === '' || l.endsWith('<detached ...>')) return;
    if (!covered.has(i + 1)) throw new Error(`line ${i + 1} neither parsed nor reported: ${l}`);
  });
}

describe('the strace parser under mutation', () => {
  test('single real lines, cut and mutated', () => {
    fc.assert(
      fc.property(fc.nat(POOL.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), (i, ms) => {
        check(mutate(POOL[i], ms));
      }),
      { seed: 20261207, numRuns: 3000 },
    );
  });

  test('runs of consecutive real lines (unfinished/resumed pairs among them), some mutated', () => {
    fc.assert(
      fc.property(fc.nat(POOL.length - 1), fc.integer({ min: 2, max: 12 }), fc.array(fc.tuple(fc.nat(11), mutation), { maxLength: 3 }), (start, n, ms) => {
        const lines = POOL.slice(start, start + n);
        for (const [k, m] of ms) if (k < lines.length) lines[k] = mutate(lines[k], [m]);
        check(lines.join('\n'));
      }),
      { seed: 7, numRuns: 1500 },
    );
  });

  test('every prefix of a real log with interleaved pids parses or reports', () => {
    const text = fs.readFileSync(path.join(DIR, 'sh-pipeline.log'), 'utf8').split('\n').slice(60, 120).join('\n');
    for (let cut = 0; cut <= text.length; cut += 37) check(text.slice(0, cut));
  });
});
