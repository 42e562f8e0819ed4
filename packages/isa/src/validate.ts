/**
 * Structural checks of one instruction, mirroring the kernel verifier's checks on
 * reserved fields (check_alu_op, check_cond_jmp_op, do_check, resolve_pseudo_ldimm64).
 * Semantic checks (division by a zero immediate, shift ranges, jump targets, register
 * liveness) belong to the verifier, not here: the conformance suite runs such programs.
 */
import * as op from '@bpfsim/uapi';
import type { Insn } from './insn';
import { ATOMIC_OP_NAME, OPCODES, SIZE_OF_CODE, atomicSizeOk } from './opcode';

const isReg = (r: number): boolean => r >= 0 && r <= 10;

/**
 * What is wrong with `insn` (undefined when it is a valid encoding). For an lddw pass the
 * second slot as `next` (undefined when the program ends there).
 */
export function validateInsn(insn: Insn, next?: Insn): string | undefined {
  const { code, dst, src, off, imm } = insn;
  if (!OPCODES.has(code)) return `unknown opcode ${hex2(code)}`;
  const cls = op.bpfClass(code);
  switch (cls) {
    case op.BPF_ALU:
    case op.BPF_ALU64:
      return checkRegs(insn) ?? checkAlu(insn);
    case op.BPF_JMP:
    case op.BPF_JMP32:
      return checkJmp(insn);
    case op.BPF_LDX:
      if (!isReg(dst) || !isReg(src)) return badReg(insn);
      if (imm !== 0) return 'BPF_LDX uses reserved fields (imm must be 0)';
      return undefined;
    case op.BPF_ST:
      if (!isReg(dst)) return badReg(insn);
      if (src !== 0) return 'BPF_ST uses reserved fields (src_reg must be 0)';
      return undefined;
    case op.BPF_STX:
      if (!isReg(dst) || !isReg(src)) return badReg(insn);
      if (op.bpfMode(code) === op.BPF_MEM) {
        return imm !== 0 ? 'BPF_STX uses reserved fields (imm must be 0)' : undefined;
      }
      return checkAtomic(insn);
    default: // BPF_LD
      if (op.bpfMode(code) === op.BPF_IMM) return checkLdImm64(insn, next);
      if (dst !== 0 || off !== 0 || (op.bpfMode(code) === op.BPF_ABS && src !== 0)) {
        return 'BPF_LD_[ABS|IND] uses reserved fields (dst_reg and off must be 0, and src_reg for BPF_ABS)';
      }
      return isReg(src) ? undefined : badReg(insn);
  }
}

function checkAlu(insn: Insn): string | undefined {
  const { code, src, off, imm } = insn;
  const alu64 = op.bpfClass(code) === op.BPF_ALU64;
  const x = op.bpfSrc(code) === op.BPF_X;
  switch (op.bpfOp(code)) {
    case op.BPF_NEG:
      return src !== 0 || off !== 0 || imm !== 0 ? 'BPF_NEG uses reserved fields (src_reg, off and imm must be 0)' : undefined;
    case op.BPF_END:
      if (src !== 0 || off !== 0) return 'BPF_END uses reserved fields (src_reg and off must be 0)';
      return imm === 16 || imm === 32 || imm === 64 ? undefined : `BPF_END uses reserved fields (imm ${imm} is not 16, 32 or 64)`;
    case op.BPF_MOV:
      if (!x) return src !== 0 || off !== 0 ? 'BPF_MOV uses reserved fields (src_reg and off must be 0)' : undefined;
      if (alu64 && off === op.BPF_ADDR_SPACE_CAST) {
        return imm === 1 || imm === 1 << 16 ? undefined : 'addr_space_cast insn can only convert between address space 1 and 0';
      }
      if (imm !== 0) return 'BPF_MOV uses reserved fields (imm must be 0)';
      if (off === 0 || off === 8 || off === 16 || (alu64 && off === 32)) return undefined;
      return `BPF_MOV uses reserved fields (off ${off} is not a sign-extension width: 8, 16${alu64 ? ', 32' : ''})`;
    default: {
      if (x && imm !== 0) return 'BPF_ALU uses reserved fields (imm must be 0)';
      if (!x && src !== 0) return 'BPF_ALU uses reserved fields (src_reg must be 0)';
      const signed = op.bpfOp(code) === op.BPF_DIV || op.bpfOp(code) === op.BPF_MOD;
      if (off === 0 || (off === 1 && signed)) return undefined;
      return `BPF_ALU uses reserved fields (off must be 0${signed ? ', or 1 for signed division' : ''})`;
    }
  }
}

function checkJmp(insn: Insn): string | undefined {
  const { code, dst, src, off, imm } = insn;
  const jop = op.bpfOp(code);
  const jmp32 = op.bpfClass(code) === op.BPF_JMP32;
  if (jop === op.BPF_CALL) {
    if (op.bpfSrc(code) === op.BPF_X) {
      // callx: the target is in dst_reg
      return !isReg(dst) ? badReg(insn) : src !== 0 || off !== 0 || imm !== 0 ? 'callx uses reserved fields (src_reg, off and imm must be 0)' : undefined;
    }
    // A kfunc call's off is the index of the BTF fd the id belongs to.
    if ((off !== 0 && src !== op.BPF_PSEUDO_KFUNC_CALL) || dst !== 0 || (src !== 0 && src !== op.BPF_PSEUDO_CALL && src !== op.BPF_PSEUDO_KFUNC_CALL)) {
      return 'BPF_CALL uses reserved fields (dst_reg must be 0, src_reg 0, 1 or 2, off 0 unless a kfunc call)';
    }
    return undefined;
  }
  if (jop === op.BPF_JA) {
    if (src !== 0 || dst !== 0 || (jmp32 ? off !== 0 : imm !== 0)) {
      return `BPF_JA uses reserved fields (src_reg, dst_reg and ${jmp32 ? 'off' : 'imm'} must be 0)`;
    }
    return undefined;
  }
  if (jop === op.BPF_EXIT) {
    return src !== 0 || dst !== 0 || off !== 0 || imm !== 0 ? 'BPF_EXIT uses reserved fields (src_reg, dst_reg, off and imm must be 0)' : undefined;
  }
  if (jop === op.BPF_JCOND) {
    return src !== op.BPF_MAY_GOTO || dst !== 0 || imm !== 0 ? `invalid may_goto imm ${imm} (src_reg, dst_reg and imm must be 0)` : undefined;
  }
  if (!isReg(dst) || !isReg(src)) return badReg(insn);
  if (op.bpfSrc(code) === op.BPF_X ? imm !== 0 : src !== 0) {
    return `BPF_JMP/JMP32 uses reserved fields (${op.bpfSrc(code) === op.BPF_X ? 'imm' : 'src_reg'} must be 0)`;
  }
  return undefined;
}

function checkAtomic(insn: Insn): string | undefined {
  const a = ATOMIC_OP_NAME[insn.imm];
  if (a === undefined) return `BPF_ATOMIC uses invalid atomic opcode ${hex2(insn.imm)}`;
  const size = SIZE_OF_CODE[op.bpfSize(insn.code)];
  if (!atomicSizeOk(a, size)) return `invalid atomic operand size (${a} needs W or DW, not ${size})`;
  return undefined;
}

function checkLdImm64(insn: Insn, next: Insn | undefined): string | undefined {
  if (!isReg(insn.dst)) return badReg(insn);
  if (insn.off !== 0) return 'BPF_LD_IMM64 uses reserved fields (off must be 0)';
  if (next === undefined) return 'invalid bpf_ld_imm64 insn (the second slot is missing)';
  if (next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) {
    return 'invalid bpf_ld_imm64 insn (the second slot must have code, dst_reg, src_reg and off 0)';
  }
  const s = insn.src;
  if (s > op.BPF_PSEUDO_MAP_IDX_VALUE) return `unrecognized bpf_ld_imm64 insn (src_reg ${s} is not a pseudo source)`;
  if ((s === op.BPF_PSEUDO_MAP_FD || s === op.BPF_PSEUDO_MAP_IDX) && next.imm !== 0) {
    return 'unrecognized bpf_ld_imm64 insn (a map reference has imm 0 in its second slot)';
  }
  return undefined;
}

function checkRegs(insn: Insn): string | undefined {
  return isReg(insn.dst) && isReg(insn.src) ? undefined : badReg(insn);
}

function badReg(insn: Insn): string {
  const r = isReg(insn.dst) ? insn.src : insn.dst;
  return `R${r} is invalid (registers are r0..r10)`;
}

const hex2 = (n: number): string => (n >>> 0).toString(16).padStart(2, '0');
