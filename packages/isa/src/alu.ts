/** ALU and ALU64 instructions: arithmetic, moves, sign-extending moves, byte swaps. */
import * as op from '@bpfsim/uapi';
import { Insn } from './insn';
import { checkImm } from './label';
import { ALU_OP_CODE, type AluOp } from './opcode';
import type { Register } from './register';

/** One ALU operation in its immediate and register forms. */
export interface AluBuilder {
  /** `dst op= imm` */
  Imm(dst: Register, imm: number): Insn[];
  /** `dst op= src` */
  Reg(dst: Register, src: Register): Insn[];
}

function builder(cls: number, a: AluOp, off = 0): AluBuilder {
  const code = cls | ALU_OP_CODE[a];
  return {
    Imm: (dst, imm) => [new Insn(code | op.BPF_K, dst.n, 0, off, checkImm(imm))],
    Reg: (dst, src) => [new Insn(code | op.BPF_X, dst.n, src.n, off, 0)],
  };
}

function ops(cls: number) {
  return {
    Add: builder(cls, 'add'), Sub: builder(cls, 'sub'), Mul: builder(cls, 'mul'),
    Div: builder(cls, 'div'), SDiv: builder(cls, 'div', 1),
    Mod: builder(cls, 'mod'), SMod: builder(cls, 'mod', 1),
    Or: builder(cls, 'or'), And: builder(cls, 'and'), Xor: builder(cls, 'xor'),
    Lsh: builder(cls, 'lsh'), Rsh: builder(cls, 'rsh'), Arsh: builder(cls, 'arsh'),
    Mov: builder(cls, 'mov'),
  } as const;
}

/** 64-bit operations (BPF_ALU64): `asm.Alu64.Add.Reg(R1, R2)`. */
export const Alu64 = ops(op.BPF_ALU64);
/** 32-bit operations (BPF_ALU), zero-extending into the upper half: `asm.Alu32.Add.Imm(R1, 1)`. */
export const Alu32 = ops(op.BPF_ALU);
/** `r = imm` / `r = r` */
export const Mov = Alu64.Mov;
/** `w = imm` / `w = w` */
export const Mov32 = Alu32.Mov;

/** `dst = (s8|s16|s32)src` (ALU64 movsx). */
export function MovSX(dst: Register, src: Register, bits: 8 | 16 | 32): Insn[] {
  return [new Insn(op.BPF_ALU64 | op.BPF_MOV | op.BPF_X, dst.n, src.n, bits, 0)];
}
/** `wdst = (s8|s16)wsrc` (ALU movsx). */
export function MovSX32(dst: Register, src: Register, bits: 8 | 16): Insn[] {
  return [new Insn(op.BPF_ALU | op.BPF_MOV | op.BPF_X, dst.n, src.n, bits, 0)];
}
/** `r = -r` */
export function Neg(dst: Register): Insn[] {
  return [new Insn(op.BPF_ALU64 | op.BPF_NEG, dst.n, 0, 0, 0)];
}
/** `w = -w` */
export function Neg32(dst: Register): Insn[] {
  return [new Insn(op.BPF_ALU | op.BPF_NEG, dst.n, 0, 0, 0)];
}
/** `r = le16|le32|le64|be16|be32|be64 r`: convert to that byte order (BPF_ALU | BPF_END). */
export function Endian(order: 'le' | 'be', dst: Register, bits: 16 | 32 | 64): Insn[] {
  return [new Insn(op.BPF_ALU | op.BPF_END | (order === 'be' ? op.BPF_TO_BE : op.BPF_TO_LE), dst.n, 0, 0, bits)];
}
/** `r = bswap16|32|64 r`: unconditional byte swap (BPF_ALU64 | BPF_END). */
export function Bswap(dst: Register, bits: 16 | 32 | 64): Insn[] {
  return [new Insn(op.BPF_ALU64 | op.BPF_END | op.BPF_TO_LE, dst.n, 0, 0, bits)];
}
