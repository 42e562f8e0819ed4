/**
 * The recorded kernel answers (fixtures/linux-6.18/**.tape.br, tools/oracle/tape.js) are the
 * ground truth `npm test` compares bpfsim with. Checked here: every test that asks the kernel has
 * a tape (a missing one would silently turn its comparisons into skips), no tape outlives its
 * test, every tape was recorded on the profile kernel (the one whose BTF is bundled), and the tape
 * machinery itself replays what it recorded, bytes and bigints included.
 */
import * as fs from 'fs';
import * as path from 'path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const tape = require('../tape');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const profile = require('../profile');

const ROOT: string = tape.ROOT;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { kernelTests } = require('../kernel-tests');

const rel = (p: string): string => path.relative(ROOT, p).split(path.sep).join('/');
const tapeFiles = (): string[] => (fs.existsSync(tape.TAPE_DIR) ? testFilesLike(tape.TAPE_DIR) : []);
function testFilesLike(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) testFilesLike(p, out);
    else if (e.name.endsWith('.tape.br')) out.push(p);
  }
  return out;
}

describe('kernel tapes', () => {
  const asking: string[] = kernelTests();

  test('every test that asks the kernel has its recorded answers', () => {
    expect(asking.length).toBeGreaterThan(15);
    const missing = asking.filter((f) => !fs.existsSync(tape.tapePath(path.join(ROOT, f))));
    expect(missing).toEqual([]);
  });

  test('no tape outlives its test, and each names its test file', () => {
    const stale: string[] = [];
    for (const t of tapeFiles()) {
      const h = tape.readHeader(t);
      const test = path.join(ROOT, h.testFile);
      if (!fs.existsSync(test) || tape.tapePath(test) !== t) stale.push(rel(t));
    }
    expect(stale).toEqual([]);
  });

  test('every tape was recorded on the profile kernel, whose BTF is the bundled one', () => {
    const meta = profile.profileMeta();
    const wrong: string[] = [];
    for (const t of tapeFiles()) {
      const h = tape.readHeader(t);
      if (h.format !== 1 || h.profile !== 'linux-6.18' || h.kernel.btfSha256 !== meta.sha256 || h.kernel.release !== meta.kernel) {
        wrong.push(`${rel(t)}: ${h.profile} ${h.kernel.release} btf ${String(h.kernel.btfSha256).slice(0, 12)}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(meta.kernel).toMatch(/^6\.18\./);
  });

  test('values survive the tape: bytes, buffers, typed arrays, bigints, undefined, nested', () => {
    const v = {
      a: new Uint8Array([0, 1, 255]), b: Buffer.from('ab'), c: new Uint32Array([1, 0xffffffff]),
      d: 1n << 70n, e: undefined, f: [null, 'x', { g: -3.5, h: true }],
    };
    const back = tape.decode(JSON.parse(JSON.stringify(tape.encode(v))));
    expect(back.a).toBeInstanceOf(Uint8Array);
    expect([...back.a]).toEqual([0, 1, 255]);
    expect(Buffer.isBuffer(back.b) && back.b.toString()).toBe('ab');
    expect(back.c).toBeInstanceOf(Uint32Array);
    expect([...back.c]).toEqual([1, 0xffffffff]);
    expect(back.d).toBe(1n << 70n);
    expect('e' in back && back.e === undefined).toBe(true);
    expect(back.f).toEqual([null, 'x', { g: -3.5, h: true }]);
  });

  test('a question the tape does not hold fails the test with what to do', () => {
    if (tape.mode() !== 'replay') return;
    expect(() => tape.ask('never.asked', { x: 1 }, () => 0)).toThrow(/has no answer for never\.asked #1 .*record:kernel|no recorded kernel answers/);
  });
});
