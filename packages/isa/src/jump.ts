/** JMP and JMP32 instructions: conditional jumps, goto, gotol, may_goto, exit. */
import * as op from '@bpfsim/uapi';
import type { Insn } from './insn';
import { Insn as InsnClass } from './insn';
import { checkImm, targetInsn, type Target } from './label';
import { JUMP_OP_CODE, type JumpOp } from './opcode';
import { Register } from './register';

function cond(cls: number, jop: JumpOp, dst: Register, src: Register | number, target: Target): Insn[] {
  const code = cls | JUMP_OP_CODE[jop];
  if (src instanceof Register) return [targetInsn(code | op.BPF_X, dst.n, src.n, 0, 0, target, 'off')];
  return [targetInsn(code | op.BPF_K, dst.n, 0, 0, checkImm(src), target, 'off')];
}

/** `if dst <op> src|imm goto target` comparing 64 bits; target is a label or a slot offset. */
export function JumpIf(jop: JumpOp, dst: Register, src: Register | number, target: Target): Insn[] {
  return cond(op.BPF_JMP, jop, dst, src, target);
}
/** `if wdst <op> wsrc|imm goto target` comparing the low 32 bits (BPF_JMP32). */
export function Jump32If(jop: JumpOp, dst: Register, src: Register | number, target: Target): Insn[] {
  return cond(op.BPF_JMP32, jop, dst, src, target);
}
/** `goto target` (BPF_JMP | BPF_JA, 16-bit offset). */
export function Ja(target: Target): Insn[] {
  return [targetInsn(op.BPF_JMP | op.BPF_JA, 0, 0, 0, 0, target, 'off')];
}
/** `gotol target` (BPF_JMP32 | BPF_JA: the 32-bit imm is the offset). */
export function Gotol(target: Target): Insn[] {
  return [targetInsn(op.BPF_JMP32 | op.BPF_JA, 0, 0, 0, 0, target, 'imm')];
}
/** `may_goto target` (BPF_JMP | BPF_JCOND, src_reg BPF_MAY_GOTO). */
export function MayGoto(target: Target): Insn[] {
  return [targetInsn(op.BPF_JMP | op.BPF_JCOND, 0, op.BPF_MAY_GOTO, 0, 0, target, 'off')];
}
/** `exit`: return r0 to the caller. */
export function Return(): Insn[] {
  return [new InsnClass(op.BPF_JMP | op.BPF_EXIT, 0, 0, 0, 0)];
}
