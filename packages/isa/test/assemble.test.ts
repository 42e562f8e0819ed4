import fc from 'fast-check';
import * as op from '@bpfsim/uapi';
import { AsmError, Insn, R0, R1, R2, R3, R6, R10, asm, assemble, disassemble, encodeProgram, isLdImm64 } from '../src';
import { anyInsn, fields, programOf } from './gen';
import { loadPrograms, unavailableReason } from './kernel-oracle';

const bytesOf = (p: readonly Insn[]): number[] => [...encodeProgram(p)];

function asmError(text: string, opts: Parameters<typeof assemble>[1] = {}): AsmError {
  try {
    assemble(text, { file: 't.s', ...opts });
  } catch (e) {
    expect(e).toBeInstanceOf(AsmError);
    expect((e as AsmError).code).toBe('EASM');
    return e as AsmError;
  }
  throw new Error(`assembled: ${text}`);
}

describe('kernel/LLVM syntax', () => {
  test.each<[string, Insn[]]>([
    ['r0 = 42', asm.Mov.Imm(R0, 42)],
    ['w1 += w2', asm.Alu32.Add.Reg(R1, R2)],
    ['r1 = *(u32 *)(r6 + 13)', asm.LoadMem(R1, R6, 13, 'W')],
    ['r1 = *(u32 *)(r6 +13)', asm.LoadMem(R1, R6, 13, 'W')],
    ['r1 = *(s8 *)(r6 - 0x2)', asm.LoadMemSX(R1, R6, -2, 'B')],
    ['w1 = *(u16 *)(r6 + 0x2)', asm.LoadMem(R1, R6, 2, 'H')],
    ['*(u32 *)(r10 -4) = r1', asm.StoreMem(R10, -4, R1, 'W')],
    ['*(u32 *)(r10 - 4) = w1', asm.StoreMem(R10, -4, R1, 'W')],
    ['*(u64 *)(r10 -8) = 0', asm.StoreImm(R10, -8, 0, 'DW')],
    ['if r1 > r2 goto +3', asm.JumpIf('JGT', R1, R2, 3)],
    ['if r1 > r2 goto pc+3', asm.JumpIf('JGT', R1, R2, 3)],
    ['if w3 s<= 0xffffffff goto -0x2', asm.Jump32If('JSLE', R3, -1, -2)],
    ['lock *(u64 *)(r1 +0) += r2', asm.Atomic('add', R1, 0, R2)],
    ['lock *(u32 *)(r1 + 0x8) ^= w2', asm.Atomic('xor', R1, 8, R2, 'W')],
    ['r0 = atomic64_fetch_add((u64 *)(r1 +0), r0)', asm.Atomic('fetch_add', R1, 0, R0)],
    ['w2 = atomic_fetch_and((u32 *)(r1 + 0x4), w2)', asm.Atomic('fetch_and', R1, 4, R2, 'W')],
    ['r2 = xchg_64(r0 + 0x0, r2)', asm.Atomic('xchg', R0, 0, R2)],
    ['w0 = cmpxchg32_32(r1 - 0x4, w0, w2)', asm.Atomic('cmpxchg', R1, -4, R2, 'W')],
    ['r0 = atomic_cmpxchg((u32 *)(r1 -4), r0, r2)', asm.Atomic('cmpxchg', R1, -4, R2, 'W')],
    ['r0 = load_acquire((u8 *)(r1 +8))', asm.LoadAcquire(R0, R1, 8, 'B')],
    ['store_release((u64 *)(r1 +0), r2)', asm.StoreRelease(R1, 0, R2, 'DW')],
    ['r1 = 0x1122 ll', asm.LoadImm64(R1, 0x1122)],
    ['r1 = 0x1122334455667788', asm.LoadImm64(R1, 0x1122334455667788n)],
    ['r1 = -0x1 ll', asm.LoadImm64(R1, -1)],
    ['r1 = map[id:5]', asm.LoadMapFd(R1, 5)],
    ['r1 = map[id:5][0]+16', asm.LoadMapValue(R1, 5, 16)],
    ['call 1', asm.Call(1)],
    ['call bpf_map_lookup_elem', asm.Call(1)],
    ['call map_lookup_elem', asm.Call(1)],
    ['call bpf_map_lookup_elem#1', asm.Call(1)],
    ['call unknown#999', asm.Call(999)],
    ['call kernel-function#77', asm.CallKfunc(77)],
    ['call pc+5', asm.CallLocal(5)],
    ['callx r3', asm.Callx(R3)],
    ['exit', asm.Return()],
    ['r0 = *(u8 *)skb[12]', asm.LoadAbs('B', 12)],
    ['r0 = *(u32 *)skb[r3 + -4]', asm.LoadInd('W', R3, -4)],
    ['r1 = (s8)r2', asm.MovSX(R1, R2, 8)],
    ['w1 = (s16)w2', asm.MovSX32(R1, R2, 16)],
    ['r1 = bswap16 r1', asm.Bswap(R1, 16)],
    ['r1 = be16 r1', asm.Endian('be', R1, 16)],
    ['gotol pc-7', asm.Gotol(-7)],
    ['goto +0x3', asm.Ja(3)],
    ['may_goto pc+4', asm.MayGoto(4)],
    ['r0 = -r0', asm.Neg(R0)],
    ['r0 = 0x80000000', asm.LoadImm64(R0, 0x80000000)],
    ['w0 s/= w1', asm.Alu32.SDiv.Reg(R0, R1)],
    ['r0 s%= -3', asm.Alu64.SMod.Imm(R0, -3)],
    ['r2 s>>= 3', asm.Alu64.Arsh.Imm(R2, 3)],
    ['w0 = 0xffffffff', asm.Mov32.Imm(R0, -1)],
    ['12: (bf) r1 = r6 ; R1_w=ctx() R6_w=ctx()', asm.Mov.Reg(R1, R6)],
    ['       0:\tb7 00 00 00 2a 00 00 00\tr0 = 0x2a', asm.Mov.Imm(R0, 42)],
    ['if r0 == 0x0 goto +0x48 <prog+0x290>', asm.JumpIf('JEQ', R0, 0, 72)],
  ])('%s', (text, want) => {
    expect(bytesOf(assemble(text, { dialect: 'kernel' }))).toEqual(bytesOf(want));
  });

  test('labels, comments and blank lines', () => {
    const text = `
      ; a comment
      r0 = 0            // another
      if r1 > r2 goto out   # and another
      call helper
      r0 = 1
    out:
      exit
    helper: r0 = 7
      exit`;
    expect(fields(assemble(text))).toEqual(
      fields(asm.program(asm.Mov.Imm(R0, 0), asm.JumpIf('JGT', R1, R2, 'out'), asm.CallLocal('helper'), asm.Mov.Imm(R0, 1),
        asm.Label('out'), asm.Return(), asm.Label('helper'), asm.Mov.Imm(R0, 7), asm.Return())),
    );
  });

  test('a pasted verifier log assembles (repeated and state lines ignored)', () => {
    const log = `func#0 @0
Live regs before insn:
      0: .......... (b7) r0 = 42
      1: 0......... (18) r3 = 0x1122334455667788
      3: 0......... (95) exit
0: R1=ctx() R10=fp0
0: (b7) r0 = 42                       ; R0=42
1: (18) r3 = 0x1122334455667788       ; R3=0x1122334455667788
3: (95) exit
processed 3 insns`;
    expect(fields(assemble(log))).toEqual(fields(asm.program(asm.Mov.Imm(R0, 42), asm.LoadImm64(R3, 0x1122334455667788n), asm.Return())));
    // `(18) r1 = 0x5` is an lddw because the log says so
    expect(fields(assemble('0: (18) r1 = 0x5\n2: (95) exit'))).toEqual(fields([...asm.LoadImm64(R1, 5), ...asm.Return()]));
  });

  test('immediates at the edges of their field encode what they say', () => {
    const imm = (t: string): number => assemble(t, { dialect: 'kernel' })[0].imm;
    expect(imm('if r0 > 2147483647 goto +1')).toBe(2147483647);
    expect(imm('if r0 > -2147483648 goto +1')).toBe(-2147483648);
    expect(imm('if r1 == 0xffffffff goto +1')).toBe(-1); // the verifier log's raw field
    expect(imm('if w0 > 4294967295 goto +1')).toBe(-1);
    expect(imm('w0 += 4294967295')).toBe(-1);
    expect(imm('*(u32 *)(r10 -8) = 4294967295')).toBe(-1);
    expect(imm('*(u64 *)(r10 -8) = -2147483648')).toBe(-2147483648);
  });

  test.each<[string, string]>([
    ['r0 = 42\nr11 = 1', 't.s:2:1: Invalid register: r11 (expected r0..r10 or w0..w10)'],
    ['r0 = 42\n  w1 += r2', 't.s:2:9: expected w2: both operands must be 32-bit (w) registers'],
    ['  r1 = *(u32 *)(r6 + 70000)', 't.s:1:22: Offset out of 16-bit range: +70000'],
    ['r0 += 0x80000000', 't.s:1:7: expected a signed 32-bit immediate (use "ll" for 64-bit values), not 0x80000000'],
    ['  goto nowhere\nexit', 't.s:1:8: Invalid label: nowhere (no such label)'],
    ['exit\nfrobnicate r1', 't.s:2:1: expected an instruction (like "r0 = 1", "if r1 > r2 goto +3", "exit"), not "frobnicate r1"'],
    ['r1 = *(u128 *)(r2 +0)', 't.s:1:1: expected an instruction (like "r0 = 1", "if r1 > r2 goto +3", "exit"), not "r1 = *(u128 *)(r2 +0)"'],
    ['a:\na:\nexit', 't.s:2:1: label "a" is defined twice'],
    ['0: (b7) r0 = r1', 't.s:1:9: the instruction text is opcode (bf) but the line says (b7)'],
    ['r0 = -r1', 't.s:1:7: expected r0: negation is in place'],
    // A 64-bit operation sign-extends its 32-bit imm: decimal values past INT32_MAX would wrap.
    ['if r0 > 2147483648 goto +1', 't.s:1:9: immediate 2147483648 is out of range for a 64-bit comparison: expected -2147483648..2147483647 (its 32-bit immediate is sign-extended to 64 bits; load larger values with "ll" into a register)'],
    ['if r0 s< -2147483649 goto +1', 't.s:1:10: immediate -2147483649 is out of range for a 64-bit comparison: expected -2147483648..2147483647 (its 32-bit immediate is sign-extended to 64 bits; load larger values with "ll" into a register)'],
    ['if r0 == 0x100000000 goto +1', 't.s:1:10: immediate 0x100000000 is out of range for a 64-bit comparison: expected -2147483648..4294967295 (its 32-bit immediate is sign-extended to 64 bits; load larger values with "ll" into a register)'],
    ['if w0 > 4294967296 goto +1', 't.s:1:9: immediate 4294967296 is out of range for a 32-bit comparison: expected -2147483648..4294967295 (its immediate is 32 bits)'],
    ['*(u64 *)(r10 -8) = 2147483648', 't.s:1:20: immediate 2147483648 is out of range for a 64-bit store: expected -2147483648..2147483647 (its 32-bit immediate is sign-extended to 64 bits; load larger values with "ll" into a register)'],
    ['*(u32 *)(r10 -8) = 4294967296', 't.s:1:20: immediate 4294967296 is out of range for a 32-bit store: expected -2147483648..4294967295 (its immediate is 32 bits)'],
    ['w1 += 99999999999999999999999999999999999999999999999', 't.s:1:7: expected a 32-bit immediate, not 9999999999999999999999999999999999999999…'],
    ['if r1 > r2 goto +40000', 't.s:1:17: expected a 16-bit jump offset, not +40000'],
  ])('error: %s', (text, msg) => {
    expect(asmError(text, { dialect: 'kernel' }).message).toBe(msg);
  });
});

describe('uBPF dialect', () => {
  test('every form', () => {
    const text = `
      mov %r0, 1
      add32 %r1, %r2
      sdiv %r1, -3
      smod32 %r1, %r2
      neg %r3
      neg32 %r3
      movsx832 %r1, %r2
      movsx3264 %r1, %r2
      le16 %r1
      be64 %r1
      bswap32 %r1
      swap16 %r1
      ldxw %r1, [%r2+4]
      ldxsh %r1, [%r2-4]
      ldxdw %r1, [%r2]
      stb [%r1+2], 0x7f
      stxdw [%r10-8], %r1
      lddw %r1, 0x1122334455667788
      lock add [%r10-8], %r1
      lock fetch xor32 [%r10-4], %r1
      lock xchg [%r10-8], %r1
      lock cmpxchg32 [%r10-8], %r1
      jeq %r1, 5, +1
      jsgt32 %r1, %r2, L
      ja -1
      ja32 L
      call 5
      call %r2
      call local L
      call runtime 99
      ldabsh 12
      ldindw %r3, 4
    L:
      exit`;
    expect(fields(assemble(text, { dialect: 'ubpf' }))).toEqual(fields(asm.program(
      asm.Mov.Imm(R0, 1), asm.Alu32.Add.Reg(R1, R2), asm.Alu64.SDiv.Imm(R1, -3), asm.Alu32.SMod.Reg(R1, R2), asm.Neg(R3), asm.Neg32(R3),
      asm.MovSX32(R1, R2, 8), asm.MovSX(R1, R2, 32), asm.Endian('le', R1, 16), asm.Endian('be', R1, 64), asm.Bswap(R1, 32), asm.Bswap(R1, 16),
      asm.LoadMem(R1, R2, 4, 'W'), asm.LoadMemSX(R1, R2, -4, 'H'), asm.LoadMem(R1, R2, 0, 'DW'), asm.StoreImm(R1, 2, 0x7f, 'B'),
      asm.StoreMem(R10, -8, R1, 'DW'), asm.LoadImm64(R1, 0x1122334455667788n), asm.Atomic('add', R10, -8, R1),
      asm.Atomic('fetch_xor', R10, -4, R1, 'W'), asm.Atomic('xchg', R10, -8, R1), asm.Atomic('cmpxchg', R10, -8, R1, 'W'),
      asm.JumpIf('JEQ', R1, 5, 1), asm.Jump32If('JSGT', R1, R2, 'L'), asm.Ja(-1), asm.Gotol('L'), asm.Call(5), asm.Callx(R2),
      asm.CallLocal('L'), asm.CallKfunc(99), asm.LoadAbs('H', 12), asm.LoadInd('W', R3, 4), asm.Label('L'), asm.Return(),
    )));
  });

  test('the first exit is also the label "exit"', () => {
    expect(fields(assemble('jne %r0, %r1, exit\nmov %r0, 0\nexit\nexit'))).toEqual(
      fields([new Insn(0x5d, 0, 1, 1, 0), new Insn(0xb7, 0, 0, 0, 0), new Insn(0x95, 0, 0, 0, 0), new Insn(0x95, 0, 0, 0, 0)]),
    );
  });

  test.each<[string, string]>([
    ['or %r0, %r50', 't.s:1:9: Invalid register: %r50 (expected %r0..%r10)'],
    ['ldxq %r0, %r1', 't.s:1:1: Invalid mnemonic: ldxq'],
    ['ldxb %r0, %r1', 't.s:1:11: Failed to decode register and offset: %r1 (expected [%rN+off])'],
    ['ldxb %r0, [%r1+0x10000]', 't.s:1:15: Offset out of 16-bit range: +0x10000'],
    ['mov32 %r0, 2147483648', 't.s:1:12: Immediate out of 32-bit range: 2147483648'],
    ['mov32 %r0, 0x100000000', 't.s:1:12: Immediate out of 32-bit range: 0x100000000'],
    ['lddw %r0', 't.s:1:1: Invalid number of operands for mnemonic: lddw (expected 2, got 1)'],
    ['ja NOT_A_LABEL\nexit', 't.s:1:4: Invalid label: NOT_A_LABEL (no such label)'],
    ['lock or [%r10-8]', 't.s:1:1: Invalid number of operands for lock (expected lock [fetch] op [%rX+off], %rY)'],
    ['lock', 't.s:1:1: Invalid number of operands for lock'],
    ['-- Unknown directive', 't.s:1:1: Invalid mnemonic: --'],
    ['call bogus 5', 't.s:1:6: Invalid call mode: bogus (expected helper, local or runtime)'],
  ])('error: %s', (text, msg) => {
    expect(asmError(text, { dialect: 'ubpf' }).message).toBe(msg);
  });

  test('auto: the error of the dialect that got further', () => {
    expect(asmError('ja NOT_A_LABEL\nexit').message).toBe('t.s:1:4: Invalid label: NOT_A_LABEL (no such label)');
    expect(asmError('lock\nexit').message).toBe('t.s:1:1: Invalid number of operands for lock');
    expect(asmError('r0 = 1\nr0 = 42x').message).toMatch(/^t\.s:2:1: expected an instruction/);
  });

  test('auto-detects the dialect', () => {
    expect(fields(assemble('mov %r0, 1\nexit'))).toEqual(fields(assemble('r0 = 1\nexit')));
    expect(fields(assemble('ja32 L\nL:\nexit'))).toEqual(fields(asm.program(asm.Gotol('L'), asm.Label('L'), asm.Return())));
  });
});

// Encodings a flavour cannot express, so a text round trip cannot give the same bytes back.
const lossyKernel = (i: Insn, n?: Insn): boolean =>
  (i.code === 0x85 && i.src === 2 && i.off !== 0) || (isLdImm64(i) && (i.src === 3 || i.src === 5 || (i.src === 4 && (n?.imm ?? 0) !== 0)));
const lossyLlvm = (i: Insn): boolean =>
  (i.code === 0x85 && i.src !== 0) || (isLdImm64(i) && i.src !== 0) || op.bpfMode(i.code) === op.BPF_IND && op.bpfClass(i.code) === op.BPF_LD;
const lossyUbpf = (i: Insn): boolean =>
  (isLdImm64(i) && i.src !== 0) || i.code === 0xe5 || (i.code === 0x85 && i.src === 2 && i.off !== 0) ||
  (op.bpfClass(i.code) === op.BPF_STX && op.bpfMode(i.code) === op.BPF_ATOMIC && i.imm >= 0x100) ||
  (i.code === 0xbf && i.off === 1);

describe('round trips: disassemble -> assemble gives the same bytes', () => {
  const prop = (lossy: (i: Insn, n?: Insn) => boolean, flavour: 'kernel' | 'llvm' | 'ubpf', extra: object = {}) =>
    fc.property(programOf(anyInsn.filter(([i, n]) => !lossy(i, n)), 30), fc.boolean(), (prog, withIndex) => {
      // (llvm's withIndex adds the bytes column, which the assembler would take as is: text only here)
      const text = disassemble(prog, { flavour, withIndex: flavour === 'kernel' ? withIndex : false, ...extra });
      expect(bytesOf(assemble(text, { dialect: flavour === 'ubpf' ? 'ubpf' : 'kernel', file: 'rt.s' }))).toEqual(bytesOf(prog));
    });
  test('kernel flavour', () => fc.assert(prop(lossyKernel, 'kernel'), { numRuns: 600, seed: 11 }));
  test('llvm flavour, hex immediates', () => fc.assert(prop(lossyLlvm, 'llvm'), { numRuns: 400, seed: 12 }));
  test('llvm flavour, decimal immediates', () => fc.assert(prop(lossyLlvm, 'llvm', { imm: 'dec' }), { numRuns: 400, seed: 13 }));
  test('uBPF dialect', () => fc.assert(prop(lossyUbpf, 'ubpf'), { numRuns: 600, seed: 14 }));
  test('lossy encodings are rare exceptions', () => {
    expect(lossyKernel(new Insn(0x85, 0, 2, 0, 5))).toBe(false);
    expect(lossyUbpf(new Insn(0xdb, 1, 2, 0, 1))).toBe(false);
  });
});

describe('bad text never crashes the assembler', () => {
  // Lines of valid programs, cut and spliced at random points, plus random characters.
  const validLines = fc.constantFrom('kernel', 'llvm', 'ubpf').chain((flavour) =>
    programOf(anyInsn.filter(([i, n]) => !lossyUbpf(i) && !lossyKernel(i, n)), 6).map((p) => disassemble(p, { flavour: flavour as 'kernel' })));
  const mangled = fc.tuple(validLines, fc.string({ maxLength: 12 }), fc.nat(), fc.nat()).map(([t, junk, a, b]) => {
    const i = a % (t.length + 1);
    const j = Math.min(t.length, i + (b % 8));
    return t.slice(0, i) + junk + t.slice(j);
  });
  test.each(['auto', 'kernel', 'ubpf'] as const)('dialect %s', (dialect) => {
    fc.assert(
      fc.property(fc.oneof(mangled, fc.string({ maxLength: 40 })), (text) => {
        try {
          assemble(text, { dialect, file: 'fuzz.s' });
        } catch (e) {
          expect(e).toBeInstanceOf(AsmError);
          expect((e as AsmError).message).toMatch(/^fuzz\.s:\d+:\d+: \S/);
        }
      }),
      { numRuns: 1500, seed: 21 },
    );
  });
});

const reason = unavailableReason();
(reason === undefined ? test : test.skip)('a real verifier log assembles back to the loaded program', () => {
  const prog = asm.program(
    asm.Mov.Imm(R0, 0), asm.LoadMem(R2, R1, 0, 'W'), asm.LoadMem(R3, R1, 4, 'W'), asm.Mov.Reg(R6, R2), asm.Alu64.Add.Imm(R6, 4),
    asm.JumpIf('JGT', R6, R3, 'out'), asm.LoadMem(R0, R2, 0, 'W'), asm.Endian('be', R0, 32), asm.Alu32.SMod.Imm(R0, 7),
    asm.StoreMem(R10, -8, R0, 'DW'), asm.Atomic('add', R10, -8, R0), asm.LoadMemSX(R0, R10, -8, 'B'), asm.Call('ktime_get_ns'),
    asm.LoadImm64(R2, 0x1122334455667788n), asm.Label('out'), asm.Mov32.Imm(R0, 2), asm.Return(),
  );
  const [r] = loadPrograms([{ type: 6, prog }]);
  expect(r.ok).toBe(true);
  expect(bytesOf(assemble(r.log, { file: 'verifier.log' }))).toEqual(bytesOf(prog));
});
