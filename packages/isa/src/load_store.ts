/** Loads and stores: LDX/ST/STX, sign-extending loads, lddw, atomics, legacy LD_ABS/LD_IND. */
import * as op from '@bpfsim/uapi';
import type { Insn } from './insn';
import { Insn as InsnClass } from './insn';
import { checkImm, checkOff } from './label';
import { ATOMIC_OP_IMM, SIZE_CODE, atomicSizeOk, type AtomicOp, type Size } from './opcode';
import type { Register } from './register';

/** `dst = *(size *)(src + off)` */
export function LoadMem(dst: Register, src: Register, off: number, size: Size): Insn[] {
  return [new InsnClass(op.BPF_LDX | op.BPF_MEM | SIZE_CODE[size], dst.n, src.n, checkOff(off), 0)];
}
/** `dst = *(s8|s16|s32 *)(src + off)`, sign-extended to 64 bits (BPF_MEMSX). */
export function LoadMemSX(dst: Register, src: Register, off: number, size: 'B' | 'H' | 'W'): Insn[] {
  return [new InsnClass(op.BPF_LDX | op.BPF_MEMSX | SIZE_CODE[size], dst.n, src.n, checkOff(off), 0)];
}
/** `*(size *)(dst + off) = src` */
export function StoreMem(dst: Register, off: number, src: Register, size: Size): Insn[] {
  return [new InsnClass(op.BPF_STX | op.BPF_MEM | SIZE_CODE[size], dst.n, src.n, checkOff(off), 0)];
}
/** `*(size *)(dst + off) = imm` */
export function StoreImm(dst: Register, off: number, imm: number, size: Size): Insn[] {
  return [new InsnClass(op.BPF_ST | op.BPF_MEM | SIZE_CODE[size], dst.n, 0, checkOff(off), checkImm(imm))];
}

/** The two slots of an lddw with a pseudo source and the raw halves of its immediate. */
export function LoadImm64Pseudo(dst: Register, pseudo: number, lo: number, hi: number): Insn[] {
  return [
    new InsnClass(op.BPF_LD | op.BPF_IMM | op.BPF_DW, dst.n, pseudo, 0, checkImm(lo)),
    new InsnClass(0, 0, 0, 0, checkImm(hi)),
  ];
}
/** `dst = imm64 ll` (two slots). Numbers must be safe integers; use a bigint beyond 2^53. */
export function LoadImm64(dst: Register, value: bigint | number): Insn[] {
  const v = BigInt.asUintN(64, BigInt(value));
  return LoadImm64Pseudo(dst, 0, Number(BigInt.asIntN(32, v)), Number(BigInt.asIntN(32, v >> 32n)));
}
/** `dst = map` by fd (BPF_PSEUDO_MAP_FD). */
export function LoadMapFd(dst: Register, fd: number): Insn[] {
  return LoadImm64Pseudo(dst, op.BPF_PSEUDO_MAP_FD, fd, 0);
}
/** `dst = &map value + off` by fd (BPF_PSEUDO_MAP_VALUE). */
export function LoadMapValue(dst: Register, fd: number, off: number): Insn[] {
  return LoadImm64Pseudo(dst, op.BPF_PSEUDO_MAP_VALUE, fd, off);
}

/** `r0 = *(size *)skb[imm]` (legacy BPF_LD | BPF_ABS; B, H or W). */
export function LoadAbs(size: 'B' | 'H' | 'W', imm: number): Insn[] {
  return [new InsnClass(op.BPF_LD | op.BPF_ABS | SIZE_CODE[size], 0, 0, 0, checkImm(imm))];
}
/** `r0 = *(size *)skb[src + imm]` (legacy BPF_LD | BPF_IND; B, H or W). */
export function LoadInd(size: 'B' | 'H' | 'W', src: Register, imm: number): Insn[] {
  return [new InsnClass(op.BPF_LD | op.BPF_IND | SIZE_CODE[size], 0, src.n, 0, checkImm(imm))];
}

/**
 * An atomic read-modify-write on `*(size *)(dst + off)` with `src` (W or DW):
 * `lock *(u64 *)(dst + off) += src`, the fetch_* forms return the old value in src,
 * xchg swaps with src, cmpxchg compares with r0 and stores src.
 */
export function Atomic(a: Exclude<AtomicOp, 'load_acquire' | 'store_release'>, dst: Register, off: number, src: Register, size: 'W' | 'DW' = 'DW'): Insn[] {
  if (!atomicSizeOk(a, size)) throw new RangeError(`atomic ${a} needs size W or DW`);
  return [new InsnClass(op.BPF_STX | op.BPF_ATOMIC | SIZE_CODE[size], dst.n, src.n, checkOff(off), ATOMIC_OP_IMM[a])];
}
/** `dst = load_acquire((size *)(src + off))` */
export function LoadAcquire(dst: Register, src: Register, off: number, size: Size): Insn[] {
  return [new InsnClass(op.BPF_STX | op.BPF_ATOMIC | SIZE_CODE[size], dst.n, src.n, checkOff(off), op.BPF_LOAD_ACQ)];
}
/** `store_release((size *)(dst + off), src)` */
export function StoreRelease(dst: Register, off: number, src: Register, size: Size): Insn[] {
  return [new InsnClass(op.BPF_STX | op.BPF_ATOMIC | SIZE_CODE[size], dst.n, src.n, checkOff(off), op.BPF_STORE_REL)];
}
