/**
 * The instruction DSL, in the style of cilium/ebpf's asm package. Every builder returns
 * the instruction's slots (`Insn[]`); asm.program() flattens them and resolves labels:
 *
 *   asm.program(
 *     asm.Mov.Imm(R0, 0),
 *     asm.JumpIf('JGT', R1, R2, 'out'),
 *     asm.Mov.Imm(R0, 1),
 *     asm.Label('out'),
 *     asm.Return(),
 *   )
 */
import { Label } from './label';

export { Alu64, Alu32, Mov, Mov32, MovSX, MovSX32, Neg, Neg32, Endian, Bswap } from './alu';
export { JumpIf, Jump32If, Ja, Gotol, MayGoto, Return } from './jump';
export { Call, CallLocal, CallKfunc, Callx } from './func';
export {
  LoadMem, LoadMemSX, StoreMem, StoreImm, LoadImm64, LoadImm64Pseudo, LoadMapFd, LoadMapValue,
  LoadAbs, LoadInd, Atomic, LoadAcquire, StoreRelease,
} from './load_store';
export { program } from './label';

/** A jump target position inside asm.program(...). */
export function Label_(name: string): Label {
  return new Label(name);
}
export { Label_ as Label };
