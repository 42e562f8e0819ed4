import * as fs from 'fs';
import * as path from 'path';
import { cli, sharedConformance, tmpFile } from './helpers';
import { parseDataFile } from '../src/conformance/data-file';
import { runConformanceText } from '../src/conformance/runner';

const shared = sharedConformance();
const describeShared = shared ? describe : describe.skip;
if (!shared) console.warn('skipping the shared conformance suite: ../shared/conformance is absent');

describeShared('the bpf_conformance suite (../shared/conformance)', () => {
  const testsDir = path.join(shared ?? '', 'tests');
  const negDir = path.join(shared ?? '', 'negative');

  test('every file in tests/ passes with --cpu v4', async () => {
    const r = await cli('conformance', testsDir, '--cpu', 'v4');
    const files = fs.readdirSync(testsDir).filter((f) => f.endsWith('.data'));
    expect(r.out.split('\n').filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(r.out.trim().split('\n').pop()).toBe(`${files.length} passed, 0 failed`);
    expect(r.code).toBe(0);
  });

  test('--cpu v3 skips exactly the files that need v4 instructions and passes the rest', async () => {
    const r = await cli('conformance', testsDir, '--cpu', 'v3', '--json');
    const lines = r.out.trim().split('\n');
    const results = lines.slice(0, -2).map((l) => JSON.parse(l));
    const skipped = results.filter((x) => x.outcome === 'skip');
    expect(skipped.length).toBeGreaterThan(0);
    for (const s of skipped) expect(s.reason).toMatch(/needs cpu v4/);
    // The files named for v4 instructions are among the skipped.
    const names = new Set(skipped.map((s) => path.basename(s.file)));
    for (const f of ['sdiv32-imm.data', 'movsx3264-reg.data', 'bswap64.data'])
      if (fs.existsSync(path.join(testsDir, f))) expect(names.has(f)).toBe(true);
    expect(results.filter((x) => x.outcome === 'fail')).toEqual([]);
    expect(lines[lines.length - 1]).toBe(`${results.length - skipped.length} passed, 0 failed, ${skipped.length} skipped`);
  });

  test('every file in negative/ is reported failed or refused, never passed, never a crash', async () => {
    for (const f of fs.readdirSync(negDir).filter((n) => n.endsWith('.data')).sort()) {
      const text = fs.readFileSync(path.join(negDir, f), 'utf8');
      const res = runConformanceText(text, f);
      expect({ f, outcome: res.outcome }).toEqual({ f, outcome: 'fail' });
    }
    const r = await cli('conformance', negDir);
    expect(r.code).toBe(1);
    expect(r.out.trim().split('\n').pop()).toMatch(/^0 passed, \d+ failed$/);
  });
});

describe('conformance files', () => {
  test('parses sections, comments, raw words and memory', () => {
    const d = parseDataFile(
      '# c\n-- asm\nmov %r0, 1 # one\nexit\n-- mem\n01 02 ff\n-- result\n0x1\n-- raw\n0x00000001000000b7 149\n',
      'x.data',
    );
    expect(d.asm?.text).toContain('mov %r0, 1');
    expect(d.asm?.line).toBe(3);
    expect(Array.from(d.mem)).toEqual([1, 2, 255]);
    expect(d.result).toBe(1n);
    expect(d.raw).toEqual([0xb7n | (1n << 32n), 149n]);
  });

  test.each([
    ['-- bogus\n', /unknown section '-- bogus'/],
    ['-- asm\nexit\n-- mem\nzz\n-- result\n0\n', /x.data:4: '-- mem': 'zz' is not a hex byte/],
    ['-- asm\nexit\n-- result\n0x1ffffffffffffffff\n', /does not fit in 64 bits/],
    ['-- asm\nexit\n', /nothing to check/],
    ['exit\n', /text before the first/],
  ])('rejects a malformed file %#', (text, msg) => {
    expect(() => parseDataFile(text, 'x.data')).toThrow(msg);
  });

  test('a raw section replaces asm, and memory is writable and passed in r1/r2', () => {
    // r0 = r2 (length); *(u8 *)(r1 + 0) = 7; r3 = *(u8 *)(r1 + 0); r0 += r3; exit
    const words = ['0x00000000000020bf', '0x0000000700000172', '0x0000000000001371', '0x000000000000300f', '0x0000000000000095'];
    const res = runConformanceText(`-- raw\n${words.join('\n')}\n-- mem\n00 00 00\n-- result\n10\n`, 'w.data');
    expect(res).toMatchObject({ outcome: 'pass', actual: 'r0 = 0x000000000000000a' });
  });

  test('a wrong result is a failure with expected and actual', async () => {
    const f = tmpFile('wrong.data', '-- asm\nmov %r0, 2\nexit\n-- result\n0x3\n');
    const r = await cli('conformance', f);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`FAIL ${f}: expected r0 = 0x0000000000000003, got r0 = 0x0000000000000002`);
    expect(r.out.trim().split('\n').pop()).toBe('0 passed, 1 failed');
  });

  test('helper 5 unwinds when its argument is 0', () => {
    expect(runConformanceText('-- asm\nmov %r1, 0\ncall 5\nmov %r0, 2\nexit\n-- result\n0x0\n', 'u.data').outcome).toBe('pass');
    expect(runConformanceText('-- asm\nmov %r1, 3\ncall 5\nexit\n-- result\n0x3\n', 'u.data').outcome).toBe('pass');
  });

  test('a missing path is one clear line and exit 2', async () => {
    const r = await cli('conformance', '/nonexistent/dir');
    expect(r.code).toBe(2);
    expect(r.err).toBe('bpfsim: /nonexistent/dir: no such file or directory\n');
  });
});
