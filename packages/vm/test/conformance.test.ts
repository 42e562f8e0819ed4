/**
 * The public bpf_conformance suite (/work/shared/conformance/tests) on the VM:
 * r1 = input memory, r2 = its length, helper 5 = unwind. Programs come from
 * the `-- raw` section or the isa assembler (uBPF dialect).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Insn, assemble } from '@bpfsim/isa';
import { AddressSpace, type HelperFn } from '@bpfsim/vm';
import { run, forEachEngine } from './engine';

const DIR = '/work/shared/conformance/tests';

interface Case {
  name: string;
  asm?: string;
  raw?: bigint[];
  mem: Uint8Array;
  result?: bigint;
  error?: string;
}

function parse(name: string, text: string): Case {
  const sections = new Map<string, string[]>();
  let current = '';
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/#.*$/, '');
    const m = /^\s*--\s*(.+?)\s*$/.exec(line);
    if (m) {
      current = m[1];
      sections.set(current, []);
    } else if (current) sections.get(current)!.push(line);
  }
  const words = (s: string) => s.split(/\s+/).filter(Boolean);
  const num = (w: string) => BigInt(w);
  const c: Case = { name, mem: new Uint8Array(words(sections.get('mem')?.join(' ') ?? '').map((w) => parseInt(w, 16))) };
  if (sections.has('asm')) c.asm = sections.get('asm')!.join('\n');
  if (sections.has('raw')) c.raw = words(sections.get('raw')!.join(' ')).map(num);
  const result = words(sections.get('result')?.join(' ') ?? '');
  if (result.length) c.result = BigInt.asUintN(64, num(result[0]));
  if (sections.has('error')) c.error = sections.get('error')!.join(' ').trim();
  return c;
}

function program(c: Case): Insn[] {
  if (c.raw) {
    const bytes = new Uint8Array(c.raw.length * 8);
    const dv = new DataView(bytes.buffer);
    c.raw.forEach((w, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, w), true));
    return c.raw.map((_, i) => Insn.fromBytes(bytes, i * 8));
  }
  return assemble(c.asm ?? '', { file: c.name, dialect: 'ubpf' });
}

class Unwound {}
const UNWIND: HelperFn = (_call, r1) => {
  if (r1 === 0n) throw new Unwound();
  return r1;
};

function runCase(c: Case, prog: Insn[]): bigint {
  const memory = new AddressSpace();
  const region = memory.map('input', c.mem.slice(), { name: 'mem' });
  try {
    return run(prog, {
      memory, args: [c.mem.length ? region.base : 0n, BigInt(c.mem.length)], helpers: new Map([[5, UNWIND]]), maxInsns: 1_000_000,
    }).r0;
  } catch (e) {
    if (e instanceof Unwound) return 0n;
    throw e;
  }
}

const files = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((f) => f.endsWith('.data')).sort() : [];

forEachEngine(() => {
  describe('bpf_conformance suite', () => {
    const unassembled: string[] = [];
    afterAll(() => {
      if (unassembled.length) console.log(`conformance: ${unassembled.length} file(s) not assembled by @bpfsim/isa: ${unassembled.join(', ')}`);
    });
    (files.length ? it : it.skip)('has the suite', () => expect(files.length).toBeGreaterThan(300));
    for (const f of files) {
      const c = parse(f, fs.readFileSync(path.join(DIR, f), 'utf8'));
      it(f, () => {
        let prog: Insn[];
        try {
          prog = program(c);
        } catch (e) {
          if ((e as { code?: string }).code === 'EASM' && !c.raw) {
            unassembled.push(f);
            return;
          }
          throw e;
        }
        if (c.error !== undefined) {
          expect(() => runCase(c, prog)).toThrow();
        } else {
          expect(runCase(c, prog)).toBe(c.result);
        }
      });
    }
  });
});
