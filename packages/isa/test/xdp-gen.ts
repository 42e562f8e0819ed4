/**
 * Generator of XDP programs the 6.18 verifier accepts: straight-line code over scalar
 * registers r0..r9 and an initialised 64-byte stack area, using every instruction kind an
 * XDP program may (jumps all go to the next instruction so every path is valid).
 */
import fc from 'fast-check';
import { Insn, R0, R1, R10, Register, asm, type AluOp, type JumpOp, type Size } from '../src';

const scalar = fc.integer({ min: 0, max: 9 }).map((n) => Register.of(n));
const imm = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const slot = fc.integer({ min: 1, max: 8 }).map((k) => -8 * k);
const ALU: Array<Exclude<AluOp, 'neg' | 'end'>> = ['add', 'sub', 'mul', 'div', 'or', 'and', 'lsh', 'rsh', 'mod', 'xor', 'mov', 'arsh'];
const NAME: Record<string, keyof typeof asm.Alu64> = {
  add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div', or: 'Or', and: 'And', lsh: 'Lsh', rsh: 'Rsh', mod: 'Mod', xor: 'Xor', mov: 'Mov', arsh: 'Arsh',
};
const JUMPS: JumpOp[] = ['JEQ', 'JGT', 'JGE', 'JSET', 'JNE', 'JSGT', 'JSGE', 'JLT', 'JLE', 'JSLT', 'JSLE'];
const SIZES: Size[] = ['B', 'H', 'W', 'DW'];
const SIZE_BYTES: Record<Size, number> = { B: 1, H: 2, W: 4, DW: 8 };

const aluInsn: fc.Arbitrary<Insn[]> = fc
  .tuple(fc.boolean(), fc.constantFrom(...ALU), fc.boolean(), scalar, scalar, imm, fc.boolean())
  .map(([is64, a, reg, dst, src, v, signed]) => {
    const cls = is64 ? asm.Alu64 : asm.Alu32;
    let name = NAME[a];
    if (signed && (a === 'div' || a === 'mod')) name = a === 'div' ? 'SDiv' : 'SMod';
    if (reg) return cls[name].Reg(dst, src);
    if (a === 'lsh' || a === 'rsh' || a === 'arsh') v = Math.abs(v) % (is64 ? 64 : 32);
    if ((a === 'div' || a === 'mod') && v === 0) v = 3;
    return cls[name].Imm(dst, v);
  });

const otherAlu: fc.Arbitrary<Insn[]> = fc.oneof(
  scalar.map((r) => asm.Neg(r)),
  scalar.map((r) => asm.Neg32(r)),
  fc.tuple(fc.constantFrom('le', 'be') as fc.Arbitrary<'le' | 'be'>, scalar, fc.constantFrom(16, 32, 64) as fc.Arbitrary<16 | 32 | 64>).map(([o, r, b]) => asm.Endian(o, r, b)),
  fc.tuple(scalar, fc.constantFrom(16, 32, 64) as fc.Arbitrary<16 | 32 | 64>).map(([r, b]) => asm.Bswap(r, b)),
  fc.tuple(scalar, scalar, fc.constantFrom(8, 16, 32) as fc.Arbitrary<8 | 16 | 32>).map(([d, s, b]) => asm.MovSX(d, s, b)),
  fc.tuple(scalar, scalar, fc.constantFrom(8, 16) as fc.Arbitrary<8 | 16>).map(([d, s, b]) => asm.MovSX32(d, s, b)),
  fc.tuple(scalar, fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n })).map(([d, v]) => asm.LoadImm64(d, v)),
);

const jumpInsn: fc.Arbitrary<Insn[]> = fc.oneof(
  fc.tuple(fc.boolean(), fc.constantFrom(...JUMPS), fc.boolean(), scalar, scalar, imm).map(([is64, j, reg, d, s, v]) =>
    (is64 ? asm.JumpIf : asm.Jump32If)(j, d, reg ? s : v, 0)),
  fc.constant(asm.Ja(0)),
  fc.constant(asm.Gotol(0)),
);

/** Memory: the stack slots -64..-1 are written at the start, so any aligned access is valid. */
const memInsn: fc.Arbitrary<Insn[]> = fc.oneof(
  fc.tuple(fc.constantFrom(...SIZES), slot, scalar).map(([s, o, r]) => asm.StoreMem(R10, o + 8 - SIZE_BYTES[s], r, s)),
  fc.tuple(fc.constantFrom(...SIZES), slot, imm).map(([s, o, v]) => asm.StoreImm(R10, o, v, s)),
  fc.tuple(fc.constantFrom(...SIZES), slot, scalar).map(([s, o, r]) => asm.LoadMem(r, R10, o, s)),
  fc.tuple(fc.constantFrom('B', 'H', 'W') as fc.Arbitrary<'B' | 'H' | 'W'>, slot, scalar).map(([s, o, r]) => asm.LoadMemSX(r, R10, o, s)),
  fc.tuple(fc.constantFrom('add', 'or', 'and', 'xor', 'fetch_add', 'fetch_or', 'fetch_and', 'fetch_xor', 'xchg', 'cmpxchg') as fc.Arbitrary<'add'>, slot, scalar, fc.constantFrom('W', 'DW') as fc.Arbitrary<'W' | 'DW'>)
    .map(([a, o, r, s]) => asm.Atomic(a, R10, o, r, s)),
);

const callInsn: fc.Arbitrary<Insn[]> = fc.constantFrom(5, 7, 8).map((id) => [
  ...asm.Call(id),
  // r1..r5 are clobbered by a call: make them scalars again
  ...[1, 2, 3, 4, 5].flatMap((n) => asm.Mov.Imm(Register.of(n), n)),
]);

const mapInsn: fc.Arbitrary<Insn[]> = fc.tuple(scalar, fc.boolean(), fc.integer({ min: 0, max: 7 })).map(([r, value, off]) => [
  ...(value ? asm.LoadMapValue(r, 0, off) : asm.LoadMapFd(r, 0)),
  ...asm.Mov.Imm(r, 0), // back to a scalar
]);

/** An accepted XDP program and its instructions (the fixture fills in the map fd). */
export const acceptedXdp: fc.Arbitrary<Insn[]> = fc
  .array(fc.oneof({ weight: 4, arbitrary: aluInsn }, { weight: 2, arbitrary: otherAlu }, { weight: 2, arbitrary: jumpInsn },
    { weight: 3, arbitrary: memInsn }, { weight: 1, arbitrary: callInsn }, { weight: 1, arbitrary: mapInsn }), { minLength: 10, maxLength: 60 })
  .map((body) => [
    ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((n) => asm.Mov.Imm(Register.of(n), n)),
    ...[1, 2, 3, 4, 5, 6, 7, 8].flatMap((k) => asm.StoreImm(R10, -8 * k, k, 'DW')),
    ...body.flat(),
    ...asm.Mov.Imm(R0, 2),
    ...asm.Mov.Imm(R1, 0),
    ...asm.Return(),
  ]);
