/**
 * The compiled engine against the interpreter: random programs (valid and
 * invalid opcodes, loops that run into the budget, stray memory accesses,
 * calls, contexts) must give the same r0, instruction count, memory and the
 * same typed fault at the same instruction; and the generated JavaScript is
 * made of decoded numbers only, whatever the names around it.
 */
import fc from 'fast-check';
import { Insn } from '@bpfsim/isa';
import { AddressSpace, PreparedProgram, Vm, prepare, run, type HelperFn, type RunOptions, type VirtualAccess } from '@bpfsim/vm';
import { compileProgram } from '../src/compiled/compile';
import { engineStats } from '../src/compiled/engine';
import { I, R10, exit, lddw, ldx, mov64, stx } from './builders';
import { FC, imm32 } from './arbitraries';

const ALU_CODES: number[] = [];
for (const cls of [0x04, 0x07]) for (let op = 0; op <= 0xd0; op += 0x10) for (const x of [0, 8]) ALU_CODES.push(cls | op | x);
const JMP_CODES: number[] = [];
for (const cls of [0x05, 0x06]) for (let op = 0; op <= 0xe0; op += 0x10) for (const x of [0, 8]) JMP_CODES.push(cls | op | x);
const MEM_CODES: number[] = [];
for (const size of [0x00, 0x08, 0x10, 0x18]) MEM_CODES.push(0x61 | size, 0x81 | size, 0x62 | size, 0x63 | size, 0xc3 | size, 0x20 | size, 0x40 | size);
const ATOMIC_IMMS = [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1, 0x100, 0x110, 0x7];

const reg = fc.oneof(fc.integer({ min: 0, max: 10 }), fc.constantFrom(1, 10));
/** Registers 11..15 exist only in the encoding (such programs run on the interpreter: checked here too). */
const anyReg = fc.integer({ min: 0, max: 15 });
const memReg = fc.constantFrom(1, 2, 3, 10, 10, 0, 6);

/** One slot or an lddw pair. */
const slot: fc.Arbitrary<Insn[]> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...ALU_CODES), reg, reg, fc.constantFrom(0, 0, 0, 1, 8, 16, 32), imm32)
    .map(([c, d, s, off, imm]) => [I(c, d, s, off, c === 0xd4 || c === 0xdc || c === 0xd7 ? [16, 32, 64, 8][imm & 3] : imm)]) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...JMP_CODES), reg, reg, fc.integer({ min: -6, max: 6 }), imm32)
    .map(([c, d, s, off, imm]) => {
      if (c !== 0x85) return [I(c, d, s, off, imm)];
      // call: helper (1, 2 = callback, 12 = tail call, 99 = faulting), bpf-to-bpf (imm relative) or kfunc.
      const kind = [0, 0, 1, 2][off & 3];
      return [I(c, d, kind, 0, kind === 1 ? off : [1, 2, 12, 99][imm & 3])];
    }) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...MEM_CODES), memReg, fc.integer({ min: 0, max: 10 }), fc.oneof(fc.integer({ min: -520, max: 40 }), fc.integer({ min: -32768, max: 32767 })), imm32, fc.constantFrom(...ATOMIC_IMMS))
    .map(([c, d, s, off, imm, aimm]) => [(c & 0xe0) === 0xc0 ? I(c, d, s, off, aimm) : (c & 7) === 3 ? I(c, d, s, off, imm) : I(c, (c & 7) === 1 ? s : d, (c & 7) === 1 ? d : s, off, imm)]) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 10 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.constantFrom(0, 0, 4)).map(([d, v, src]) => lddw(d, src === 4 ? v & 3n : v, src)) },
  { weight: 1, arbitrary: fc.constant([exit()]) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 255 }), anyReg, anyReg, fc.integer({ min: -3, max: 3 }), imm32).map(([c, d, s, off, imm]) => [I(c, d, s, off, imm)]) },
);

const program: fc.Arbitrary<Insn[]> = fc.array(slot, { minLength: 1, maxLength: 24 }).map((parts) => [...parts.flat(), exit()]);

interface Outcome {
  r0?: string;
  insns?: number;
  tailCalls?: number;
  error?: string;
  code?: string;
  insn?: number;
  input: string;
  log: string;
}

/** One run in a fresh address space of fixed layout: input (rw), rodata, a virtual context. */
function outcome(prog: Insn[], engine: 'interp' | 'compiled', extra: Partial<RunOptions> = {}): Outcome {
  const mem = new AddressSpace();
  const input = mem.map('input', Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff), { name: 'input' });
  const ro = mem.map('map_value', new Uint8Array(16).fill(0xa5), { name: 'rodata', writable: false });
  const log: string[] = [];
  const virt: VirtualAccess = {
    load: (off, size, signed) => {
      log.push(`L${off}/${size}/${signed}`);
      return off === 0 ? input.base : BigInt(off * 1000 + size) * (signed ? -1n : 1n);
    },
    store: (off, size, value) => { log.push(`S${off}/${size}/${value}`); },
  };
  const ctx = mem.map('ctx', new Uint8Array(24), { name: 'ctx', virtual: virt });
  const helpers = new Map<number, HelperFn>([
    [1, (_c, r1, r2) => r1 ^ (r2 << 1n)],
    [2, (c, r1) => c.callback(Number(r1 & 3n), [r1, 7n])],
    [99, (c) => { c.mem.readU8(0n); return 0n; }],
  ]);
  const tail = [mov64(0, 42), exit()];
  try {
    const r = run(prog, {
      engine, compileAfter: 0, memory: mem, args: [input.base, ro.base, ctx.base, 0x1234n, 0xffffffff80000000n],
      helpers, maxInsns: 400, tailCall: (_m, i) => (i === 0n ? tail : undefined), kfuncs: (id) => (id === 2 ? () => 5n : undefined),
      skbLoad: (_c, off, size) => (off >= 0 && off + size <= 64 ? input.bytes.slice(off, off + size) : undefined),
      mayGotoBudget: 3,
      ...extra,
    });
    return { r0: r.r0.toString(16), insns: r.insns, tailCalls: r.tailCalls, input: Buffer.from(input.bytes).toString('hex'), log: log.join(' ') };
  } catch (e) {
    const err = e as { message?: string; code?: string; insn?: number };
    return { error: String(err.message ?? e), code: err.code, insn: err.insn, input: Buffer.from(input.bytes).toString('hex'), log: log.join(' ') };
  }
}

describe('compiled engine = interpreter', () => {
  it('on random programs: same r0, count, memory, context accesses and faults', () => {
    const before = engineStats.compiled;
    fc.assert(
      fc.property(program, (prog) => {
        expect(outcome(prog, 'compiled')).toEqual(outcome(prog, 'interp'));
      }),
      { ...FC, numRuns: 2000 },
    );
    // Most programs really ran compiled code (the rest: registers beyond r10, or budget ends).
    expect(engineStats.compiled - before).toBeGreaterThan(1500);
  });

  it('at every budget: the limit fault and the count match instruction for instruction', () => {
    const prog = [
      mov64(1, 5), stx(8, R10, 1, -8),
      ldx(8, 2, R10, -8), I(0x07, 2, 0, 0, -1), stx(8, R10, 2, -8), I(0x55, 2, 0, -4, 0), // loop 5 times
      I(0x85, 0, 0, 0, 1), ...lddw(3, 0x1122334455667788n), I(0x0f, 0, 3), exit(),
    ];
    for (let max = 0; max <= 40; max++) {
      expect(outcome(prog, 'compiled', { maxInsns: max })).toEqual(outcome(prog, 'interp', { maxInsns: max }));
    }
  });

  it('extreme immediates and offsets behave the same', () => {
    const EXTREMES = [0, -1, 1, 0x7fffffff, -0x80000000, 0x7fff, -0x8000, 32767, -32768];
    for (const code of [...ALU_CODES, ...JMP_CODES, ...MEM_CODES]) {
      for (const imm of EXTREMES) {
        for (const off of [0, 1, -1, 32767, -32768]) {
          const prog = [...lddw(4, -2n), I(code, 4, 1, off, imm), mov64(0, 3), exit()];
          expect(outcome(prog, 'compiled')).toEqual(outcome(prog, 'interp'));
        }
      }
    }
  });
});

describe('large programs and tiers', () => {
  /** A loop over `n` slots of mixed ALU, stack and branch instructions (fixed pseudo-random choice). */
  function bigLoop(n: number): Insn[] {
    const body: Insn[] = [];
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8;
    for (let i = 0; i < n; i++) {
      const r = 2 + (next() % 6);
      switch (next() % 6) {
        case 0: body.push(I(0x0f, r, 2 + (next() % 6))); break; // add
        case 1: body.push(I(0xa7, r, 0, 0, next() | 0)); break; // xor imm
        case 2: body.push(I(0x7b, R10, r, -8 * (1 + (next() % 16)))); break; // stx dw
        case 3: body.push(I(0x79, r, R10, -8 * (1 + (next() % 16)))); break; // ldx dw
        case 4: body.push(I(0x2f, r, 2 + (next() % 6))); break; // mul
        default: body.push(I(0x25, r, 0, 1 + (next() % 3), next() % 1000)); // forward jgt
      }
    }
    body.push(I(0x07, 9, 0, 0, 0), I(0x07, 9, 0, 0, 0), I(0x07, 9, 0, 0, 0)); // landing slots for the last jumps
    return [mov64(1, 4), ...body, I(0x07, 1, 0, 0, -1), I(0x55, 1, 0, -(body.length + 2), 0), I(0xbf, 0, 2), I(0x0f, 0, 7), exit()];
  }

  it('a program split into several functions runs loops across them exactly as the interpreter', () => {
    const prog = bigLoop(1500);
    expect(compileProgram(new PreparedProgram(prog))!.chunks.length).toBeGreaterThan(3);
    for (const max of [400_000, 1000, 5001]) {
      expect(outcome(prog, 'compiled', { maxInsns: max })).toEqual(outcome(prog, 'interp', { maxInsns: max }));
    }
  });

  it('a program runs on the interpreter until it has run compileAfter instructions, then compiled', () => {
    const prog = bigLoop(50);
    const vm = new Vm(prog);
    const want = vm.run({ engine: 'interp' });
    const before = { ...engineStats };
    const first = vm.run({ engine: 'compiled', compileAfter: want.insns * 2 });
    expect(engineStats.interpreted - before.interpreted).toBe(1);
    vm.run({ engine: 'compiled', compileAfter: want.insns * 2 });
    const third = vm.run({ engine: 'compiled', compileAfter: want.insns * 2 });
    expect(engineStats.compiled - before.compiled).toBeGreaterThan(0);
    expect([first, third]).toEqual([want, want]);
  });
});

describe('generated JavaScript', () => {
  const HOSTILE = ['"*/process.exit(1)//', "');process.exit(1);('", '`${process.exit(1)}`', '\u2028}); process.exit(1); ({'];

  it('holds no string from outside: names stay data, read at run time', () => {
    for (const name of HOSTILE) {
      const p = prepare([...lddw(1, 0xdeadbeefn), ldx(8, 0, 1, 0), exit()], { name });
      const c = compileProgram(p)!;
      // No quote or backtick anywhere but the "use strict" directive: no string literal can carry a name.
      expect(c.source.replace('"use strict";', '')).not.toMatch(/["'`\\]/);
      expect(c.source).not.toContain('process');
      const mem = new AddressSpace();
      mem.map('map', new Uint8Array(8), { name });
      expect(() => run(p, { engine: 'compiled', compileAfter: 0, memory: mem })).toThrow(`prog ${name}: insn 2`);
    }
  });

  it('hostile region names reach messages only, identically on both engines', () => {
    const prog = [...lddw(1, 0n), ldx(8, 0, 1, 0), exit()];
    for (const name of HOSTILE) {
      const runOn = (engine: 'interp' | 'compiled') => {
        const mem = new AddressSpace();
        const r = mem.map('map_value', new Uint8Array(8), { name });
        prog.splice(0, 2, ...lddw(1, r.base + 16n));
        try {
          run(prog, { engine, compileAfter: 0, memory: mem });
          return 'ran';
        } catch (e) {
          return (e as Error).message;
        }
      };
      const msg = runOn('compiled');
      expect(msg).toContain(name);
      expect(msg).toBe(runOn('interp'));
    }
  });

  it('is built only from instruction fields: the same fields give the same source', () => {
    const prog = [...lddw(2, 0x8000000000000000n), I(0x07, 2, 0, 0, -0x80000000), I(0x25, 2, 0, 1, 0x7fffffff), exit(), exit()];
    const a = compileProgram(new PreparedProgram(prog, 'a'))!.source;
    const b = compileProgram(new PreparedProgram(prog.map((i) => new Insn(i.code, i.dst, i.src, i.off, i.imm)), 'b'))!.source;
    expect(a).toBe(b);
  });
});
