import { BpfsimError } from '@bpfsim/uapi';
import { Insn, OPCODES, encodeProgram, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, Register, asm, validateInsn, disassemble } from '../src';
import { fields } from './gen';

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): number[] => [code, dst, src, off, imm];

/** Every DSL builder, with the exact slots it must produce. */
const CASES: Array<[string, Insn[], number[][]]> = [];
const add = (name: string, got: Insn[], ...want: number[][]): void => void CASES.push([name, got, want]);

const ALU: Array<[keyof typeof asm.Alu64, number, number]> = [
  ['Add', 0x00, 0], ['Sub', 0x10, 0], ['Mul', 0x20, 0], ['Div', 0x30, 0], ['SDiv', 0x30, 1], ['Or', 0x40, 0], ['And', 0x50, 0],
  ['Lsh', 0x60, 0], ['Rsh', 0x70, 0], ['Mod', 0x90, 0], ['SMod', 0x90, 1], ['Xor', 0xa0, 0], ['Mov', 0xb0, 0], ['Arsh', 0xc0, 0],
];
for (const [name, opc, off] of ALU) {
  add(`Alu64.${name}.Imm`, asm.Alu64[name].Imm(R1, -7), I(0x07 | opc, 1, 0, off, -7));
  add(`Alu64.${name}.Reg`, asm.Alu64[name].Reg(R1, R9), I(0x0f | opc, 1, 9, off, 0));
  add(`Alu32.${name}.Imm`, asm.Alu32[name].Imm(R2, 0xffffffff), I(0x04 | opc, 2, 0, off, -1));
  add(`Alu32.${name}.Reg`, asm.Alu32[name].Reg(R2, R3), I(0x0c | opc, 2, 3, off, 0));
}
add('Mov.Imm', asm.Mov.Imm(R0, 42), I(0xb7, 0, 0, 0, 42));
add('Mov32.Reg', asm.Mov32.Reg(R1, R2), I(0xbc, 1, 2));
add('MovSX 8', asm.MovSX(R1, R2, 8), I(0xbf, 1, 2, 8));
add('MovSX 16', asm.MovSX(R1, R2, 16), I(0xbf, 1, 2, 16));
add('MovSX 32', asm.MovSX(R1, R2, 32), I(0xbf, 1, 2, 32));
add('MovSX32 8', asm.MovSX32(R1, R2, 8), I(0xbc, 1, 2, 8));
add('MovSX32 16', asm.MovSX32(R1, R2, 16), I(0xbc, 1, 2, 16));
add('Neg', asm.Neg(R4), I(0x87, 4));
add('Neg32', asm.Neg32(R4), I(0x84, 4));
for (const bits of [16, 32, 64] as const) {
  add(`le${bits}`, asm.Endian('le', R5, bits), I(0xd4, 5, 0, 0, bits));
  add(`be${bits}`, asm.Endian('be', R5, bits), I(0xdc, 5, 0, 0, bits));
  add(`bswap${bits}`, asm.Bswap(R5, bits), I(0xd7, 5, 0, 0, bits));
}
const JMP: Array<[Parameters<typeof asm.JumpIf>[0], number]> = [
  ['JEQ', 0x10], ['JGT', 0x20], ['JGE', 0x30], ['JSET', 0x40], ['JNE', 0x50], ['JSGT', 0x60], ['JSGE', 0x70],
  ['JLT', 0xa0], ['JLE', 0xb0], ['JSLT', 0xc0], ['JSLE', 0xd0],
];
for (const [name, opc] of JMP) {
  add(`JumpIf ${name} imm`, asm.JumpIf(name, R1, -5, 3), I(0x05 | opc, 1, 0, 3, -5));
  add(`JumpIf ${name} reg`, asm.JumpIf(name, R1, R2, -3), I(0x0d | opc, 1, 2, -3, 0));
  add(`Jump32If ${name} imm`, asm.Jump32If(name, R1, 5, 3), I(0x06 | opc, 1, 0, 3, 5));
  add(`Jump32If ${name} reg`, asm.Jump32If(name, R1, R2, 3), I(0x0e | opc, 1, 2, 3, 0));
}
add('Ja', asm.Ja(-1), I(0x05, 0, 0, -1));
add('Gotol', asm.Gotol(100000), I(0x06, 0, 0, 0, 100000));
add('MayGoto', asm.MayGoto(2), I(0xe5, 0, 0, 2));
add('Return', asm.Return(), I(0x95));
add('Call id', asm.Call(1), I(0x85, 0, 0, 0, 1));
add('Call name', asm.Call('bpf_trace_printk'), I(0x85, 0, 0, 0, 6));
add('CallLocal', asm.CallLocal(-4), I(0x85, 0, 1, 0, -4));
add('CallKfunc', asm.CallKfunc(12345, 2), I(0x85, 0, 2, 2, 12345));
add('Callx', asm.Callx(R8), I(0x8d, 8));
const SIZES: Array<['B' | 'H' | 'W' | 'DW', number]> = [['W', 0x00], ['H', 0x08], ['B', 0x10], ['DW', 0x18]];
for (const [size, sz] of SIZES) {
  add(`LoadMem ${size}`, asm.LoadMem(R1, R6, 13, size), I(0x61 | sz, 1, 6, 13));
  add(`StoreMem ${size}`, asm.StoreMem(R10, -4, R1, size), I(0x63 | sz, 10, 1, -4));
  add(`StoreImm ${size}`, asm.StoreImm(R10, -8, -1, size), I(0x62 | sz, 10, 0, -8, -1));
  add(`LoadAcquire ${size}`, asm.LoadAcquire(R0, R1, 8, size), I(0xc3 | sz, 0, 1, 8, 0x100));
  add(`StoreRelease ${size}`, asm.StoreRelease(R1, 8, R2, size), I(0xc3 | sz, 1, 2, 8, 0x110));
  if (size !== 'DW') {
    add(`LoadMemSX ${size}`, asm.LoadMemSX(R1, R6, -2, size), I(0x81 | sz, 1, 6, -2));
    add(`LoadAbs ${size}`, asm.LoadAbs(size, 12), I(0x20 | sz, 0, 0, 0, 12));
    add(`LoadInd ${size}`, asm.LoadInd(size, R7, 4), I(0x40 | sz, 0, 7, 0, 4));
  }
}
const ATOMICS: Array<[Parameters<typeof asm.Atomic>[0], number]> = [
  ['add', 0x00], ['or', 0x40], ['and', 0x50], ['xor', 0xa0], ['fetch_add', 0x01], ['fetch_or', 0x41], ['fetch_and', 0x51],
  ['fetch_xor', 0xa1], ['xchg', 0xe1], ['cmpxchg', 0xf1],
];
for (const [a, imm] of ATOMICS) {
  add(`Atomic ${a} DW`, asm.Atomic(a, R1, -8, R2), I(0xdb, 1, 2, -8, imm));
  add(`Atomic ${a} W`, asm.Atomic(a, R1, 4, R2, 'W'), I(0xc3, 1, 2, 4, imm));
}
add('LoadImm64', asm.LoadImm64(R1, 0x1122334455667788n), I(0x18, 1, 0, 0, 0x55667788), I(0, 0, 0, 0, 0x11223344));
add('LoadImm64 -1', asm.LoadImm64(R1, -1), I(0x18, 1, 0, 0, -1), I(0, 0, 0, 0, -1));
add('LoadMapFd', asm.LoadMapFd(R1, 5), I(0x18, 1, 1, 0, 5), I(0));
add('LoadMapValue', asm.LoadMapValue(R2, 5, 16), I(0x18, 2, 2, 0, 5), I(0, 0, 0, 0, 16));
for (const pseudo of [3, 4, 5, 6]) add(`LoadImm64Pseudo ${pseudo}`, asm.LoadImm64Pseudo(R3, pseudo, 9, pseudo === 5 ? 0 : 1), I(0x18, 3, pseudo, 0, 9), I(0, 0, 0, 0, pseudo === 5 ? 0 : 1));

describe('asm DSL', () => {
  test.each(CASES)('%s', (_name, got, want) => {
    expect(fields(got)).toEqual(want);
    expect(validateInsn(got[0], got[1])).toBeUndefined();
  });

  test('covers every defined opcode', () => {
    const codes = new Set(CASES.map(([, got]) => got[0].code));
    expect([...OPCODES.keys()].filter((c) => !codes.has(c)).map((c) => c.toString(16))).toEqual([]);
  });

  test('labels resolve to relative offsets (off for jumps, imm for gotol and local calls)', () => {
    const prog = asm.program(
      asm.Label('top'),
      asm.Mov.Imm(R0, 0),
      asm.JumpIf('JGT', R1, R2, 'out'),
      asm.LoadImm64(R3, 1),
      asm.Gotol('out'),
      asm.CallLocal('f'),
      asm.MayGoto('top'),
      asm.Label('out'),
      asm.Return(),
      asm.Label('f'),
      asm.Return(),
    );
    expect(disassemble(prog, { withIndex: true })).toBe(
      ['0: (b7) r0 = 0', '1: (2d) if r1 > r2 goto pc+5', '2: (18) r3 = 0x1', '4: (06) gotol pc+2', '5: (85) call pc+2', '6: (e5) may_goto pc-7', '7: (95) exit', '8: (95) exit'].join('\n'),
    );
    expect(prog.every((i) => i.constructor === Insn)).toBe(true);
  });

  test('label and range errors are typed', () => {
    expect(() => asm.program(asm.Ja('nowhere'))).toThrow(BpfsimError);
    expect(() => asm.program(asm.Ja('nowhere'))).toThrow('asm.program: insn 0 jumps to unknown label "nowhere"');
    expect(() => asm.program(asm.Label('a'), asm.Label('a'))).toThrow('label "a" is defined twice');
    expect(() => asm.Mov.Imm(R0, 2 ** 32)).toThrow(RangeError);
    expect(() => asm.LoadMem(R0, R1, 40000, 'B')).toThrow(RangeError);
    expect(() => asm.Call('no_such_helper')).toThrow('unknown helper no_such_helper');
    expect(() => encodeProgram(asm.Ja('out'))).toThrow('insn 0 still refers to label "out": build the program with asm.program()');
    expect(() => Register.of(11)).toThrow(RangeError);
    expect([R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10].map((r) => `${r}`)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10']);
  });

  test('an instruction prints itself in kernel syntax', () => {
    expect(`${asm.LoadMem(R1, R6, 13, 'B')[0]}`).toBe('(71) r1 = *(u8 *)(r6 +13)');
  });

  test('the uBPF printer refuses what its dialect cannot say', () => {
    expect(() => disassemble(asm.MayGoto(1), { flavour: 'ubpf' })).toThrow(expect.objectContaining({ code: 'EUBPF' }));
    expect(() => disassemble(asm.LoadMapFd(R1, 1), { flavour: 'ubpf' })).toThrow(expect.objectContaining({ code: 'EUBPF' }));
    expect(disassemble(asm.Atomic('fetch_add', R10, -8, R1, 'W'), { flavour: 'ubpf' })).toBe('lock fetch add32 [%r10-8], %r1');
  });
});
