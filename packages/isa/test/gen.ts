/** fast-check generators of valid instructions and programs, covering every opcode. */
import fc from 'fast-check';
import * as op from '@bpfsim/uapi';
import { Insn, OPCODES, isLdImm64 } from '../src';

const reg = fc.integer({ min: 0, max: 10 });
const imm = fc.oneof(fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.constantFrom(0, 1, -1, 0x7fffffff, -0x80000000, 16, 64));
const off = fc.oneof(fc.integer({ min: -32768, max: 32767 }), fc.constantFrom(0, 1, -1, 32767, -32768));
const ATOMIC_RMW = [0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1];

/** All valid slots (one or two) for one opcode byte. */
export function insnFor(code: number): fc.Arbitrary<Insn[]> {
  const one = (a: fc.Arbitrary<Insn>): fc.Arbitrary<Insn[]> => a.map((i) => [i]);
  const cls = op.bpfClass(code);
  const x = op.bpfSrc(code) === op.BPF_X;
  const o = op.bpfOp(code);
  const mk = (d: fc.Arbitrary<number>, s: fc.Arbitrary<number>, f: fc.Arbitrary<number>, i: fc.Arbitrary<number>): fc.Arbitrary<Insn[]> =>
    one(fc.tuple(d, s, f, i).map(([dd, ss, ff, ii]) => new Insn(code, dd, ss, ff, ii)));
  const z = fc.constant(0);
  if (cls === op.BPF_ALU || cls === op.BPF_ALU64) {
    if (o === op.BPF_NEG) return mk(reg, z, z, z);
    if (o === op.BPF_END) return mk(reg, z, z, fc.constantFrom(16, 32, 64));
    if (o === op.BPF_MOV) {
      if (!x) return mk(reg, z, z, imm);
      const sx = mk(reg, reg, fc.constantFrom(...(cls === op.BPF_ALU64 ? [0, 8, 16, 32] : [0, 8, 16])), z);
      return cls === op.BPF_ALU64 ? fc.oneof(sx, mk(reg, reg, fc.constant(1), fc.constantFrom(1, 1 << 16))) : sx;
    }
    const f = o === op.BPF_DIV || o === op.BPF_MOD ? fc.constantFrom(0, 1) : z;
    return x ? mk(reg, reg, f, z) : mk(reg, z, f, imm);
  }
  if (cls === op.BPF_JMP || cls === op.BPF_JMP32) {
    if (o === op.BPF_CALL) {
      if (x) return mk(reg, z, z, z);
      return fc.oneof(mk(z, z, z, fc.oneof(fc.integer({ min: 0, max: 220 }), imm)), mk(z, fc.constant(1), z, imm), mk(z, fc.constant(2), off, imm));
    }
    if (o === op.BPF_EXIT) return mk(z, z, z, z);
    if (o === op.BPF_JCOND) return mk(z, z, off, z);
    if (o === op.BPF_JA) return cls === op.BPF_JMP ? mk(z, z, off, z) : mk(z, z, z, imm);
    return x ? mk(reg, reg, off, z) : mk(reg, z, off, imm);
  }
  if (cls === op.BPF_LD) {
    const mode = op.bpfMode(code);
    if (mode === op.BPF_ABS) return mk(z, z, z, imm);
    if (mode === op.BPF_IND) return mk(z, reg, z, imm);
    return fc.tuple(reg, fc.integer({ min: 0, max: 6 }), imm, imm).map(([d, s, lo, hi]) => [
      new Insn(code, d, s, 0, lo),
      new Insn(0, 0, 0, 0, s === 1 || s === 5 ? 0 : hi),
    ]);
  }
  if (cls === op.BPF_LDX) return mk(reg, reg, off, z);
  if (cls === op.BPF_ST) return mk(reg, z, off, imm);
  if (op.bpfMode(code) === op.BPF_MEM) return mk(reg, reg, off, z);
  const rmw = op.bpfSize(code) === op.BPF_W || op.bpfSize(code) === op.BPF_DW;
  return mk(reg, reg, off, fc.constantFrom(...(rmw ? [...ATOMIC_RMW, 0x100, 0x110] : [0x100, 0x110])));
}

/** Every defined opcode, in ascending order. */
export const ALL_CODES: readonly number[] = [...OPCODES.keys()].sort((a, b) => a - b);

/** One valid instruction (its slots) of any opcode. */
export const anyInsn: fc.Arbitrary<Insn[]> = fc.constantFrom(...ALL_CODES).chain(insnFor);

/** A program: a list of instructions, flattened to slots. */
export function programOf(insn: fc.Arbitrary<Insn[]> = anyInsn, maxLength = 24): fc.Arbitrary<Insn[]> {
  return fc.array(insn, { minLength: 1, maxLength }).map((xs) => xs.flat());
}

/** Iterate over (insn, next) of a program, skipping lddw second slots. */
export function* instructions(prog: readonly Insn[]): Generator<[Insn, Insn | undefined, number]> {
  for (let i = 0; i < prog.length; i++) {
    const wide = isLdImm64(prog[i]);
    yield [prog[i], wide ? prog[i + 1] : undefined, i];
    if (wide) i++;
  }
}

/** Plain field values, for comparisons that ignore the class of a slot. */
export const fields = (p: readonly Insn[]): number[][] => p.map((i) => [i.code, i.dst, i.src, i.off, i.imm]);
