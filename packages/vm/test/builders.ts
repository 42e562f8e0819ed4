/**
 * A small local instruction builder for the VM tests (raw `new Insn(...)`),
 * so these tests do not depend on the isa DSL.
 */
import { Insn } from '@bpfsim/isa';

export const ALU = 0x04, ALU64 = 0x07, JMP = 0x05, JMP32 = 0x06;
export const K = 0x00, X = 0x08;
export const W = 0x00, H = 0x08, B = 0x10, DW = 0x18;
export const SIZE_OF = { 1: B, 2: H, 4: W, 8: DW } as const;

export const ALU_OPS = {
  add: 0x00, sub: 0x10, mul: 0x20, div: 0x30, or: 0x40, and: 0x50, lsh: 0x60, rsh: 0x70,
  neg: 0x80, mod: 0x90, xor: 0xa0, mov: 0xb0, arsh: 0xc0,
} as const;
export type AluName = keyof typeof ALU_OPS;

export const JMP_OPS = {
  jeq: 0x10, jgt: 0x20, jge: 0x30, jset: 0x40, jne: 0x50, jsgt: 0x60, jsge: 0x70,
  jlt: 0xa0, jle: 0xb0, jslt: 0xc0, jsle: 0xd0,
} as const;
export type JmpName = keyof typeof JMP_OPS;

export const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => new Insn(code, dst, src, off, imm);

/** 64-bit immediate load: two slots. */
export function lddw(dst: number, value: bigint, src = 0): Insn[] {
  const v = BigInt.asUintN(64, value);
  return [I(0x18, dst, src, 0, Number(BigInt.asIntN(32, v))), I(0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n)))];
}
export const mov64 = (dst: number, imm: number): Insn => I(ALU64 | K | ALU_OPS.mov, dst, 0, 0, imm);
export const mov64r = (dst: number, src: number): Insn => I(ALU64 | X | ALU_OPS.mov, dst, src);
export const alu = (wide: boolean, op: AluName, dst: number, srcOrImm: number, reg: boolean, off = 0): Insn =>
  reg ? I((wide ? ALU64 : ALU) | X | ALU_OPS[op], dst, srcOrImm, off, 0) : I((wide ? ALU64 : ALU) | K | ALU_OPS[op], dst, 0, off, srcOrImm);
export const jmp = (wide: boolean, op: JmpName, dst: number, srcOrImm: number, reg: boolean, off: number): Insn =>
  reg ? I((wide ? JMP : JMP32) | X | JMP_OPS[op], dst, srcOrImm, off, 0) : I((wide ? JMP : JMP32) | K | JMP_OPS[op], dst, 0, off, srcOrImm);
export const ja = (off: number): Insn => I(JMP, 0, 0, off, 0);
export const exit = (): Insn => I(0x95);
export const call = (id: number): Insn => I(0x85, 0, 0, 0, id);
export const callLocal = (rel: number): Insn => I(0x85, 0, 1, 0, rel);
export const kfunc = (btfId: number): Insn => I(0x85, 0, 2, 0, btfId);
export const ldx = (size: 1 | 2 | 4 | 8, dst: number, src: number, off: number): Insn => I(0x61 | SIZE_OF[size], dst, src, off);
export const ldxs = (size: 1 | 2 | 4, dst: number, src: number, off: number): Insn => I(0x81 | SIZE_OF[size], dst, src, off);
export const stx = (size: 1 | 2 | 4 | 8, dst: number, src: number, off: number): Insn => I(0x63 | SIZE_OF[size], dst, src, off);
export const st = (size: 1 | 2 | 4 | 8, dst: number, off: number, imm: number): Insn => I(0x62 | SIZE_OF[size], dst, 0, off, imm);
export const atomic = (size: 4 | 8, dst: number, src: number, off: number, op: number): Insn => I(0xc3 | SIZE_OF[size], dst, src, off, op);

export const R10 = 10;
