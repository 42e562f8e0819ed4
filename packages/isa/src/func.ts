/** Calls: helpers (by id or name), bpf-to-bpf calls, kfuncs and callx. */
import * as op from '@bpfsim/uapi';
import { helperIdByName } from '@bpfsim/uapi';
import type { Insn } from './insn';
import { Insn as InsnClass } from './insn';
import { checkImm, targetInsn, type Target } from './label';
import type { Register } from './register';

/** `call helper`: a helper id or its name (`bpf_map_lookup_elem` or `map_lookup_elem`). */
export function Call(helper: number | string): Insn[] {
  let id: number;
  if (typeof helper === 'string') {
    const found = helperIdByName(helper);
    if (found === undefined) throw new RangeError(`unknown helper ${helper}`);
    id = found;
  } else {
    id = checkImm(helper);
  }
  return [new InsnClass(op.BPF_JMP | op.BPF_CALL, 0, 0, 0, id)];
}
/** `call pc+N`: a bpf-to-bpf call (src_reg BPF_PSEUDO_CALL); target is a label or an offset. */
export function CallLocal(target: Target): Insn[] {
  return [targetInsn(op.BPF_JMP | op.BPF_CALL, 0, op.BPF_PSEUDO_CALL, 0, 0, target, 'imm')];
}
/** A kernel function call by BTF id (src_reg BPF_PSEUDO_KFUNC_CALL; off is the BTF fd index). */
export function CallKfunc(btfId: number, btfFdIndex = 0): Insn[] {
  return [new InsnClass(op.BPF_JMP | op.BPF_CALL, 0, op.BPF_PSEUDO_KFUNC_CALL, btfFdIndex, checkImm(btfId))];
}
/** `callx reg`: call the helper whose id the register holds (BPF_JMP | BPF_CALL | BPF_X). */
export function Callx(reg: Register): Insn[] {
  return [new InsnClass(op.BPF_JMP | op.BPF_CALL | op.BPF_X, reg.n, 0, 0, 0)];
}
