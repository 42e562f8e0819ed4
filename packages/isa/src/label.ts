/**
 * Symbolic jump targets for the DSL: a jump or local call may name a label instead of
 * an offset; asm.program() lays the program out and resolves every reference.
 */
import { BpfsimError } from '@bpfsim/uapi';
import { Insn } from './insn';

/** A position in a program under construction (asm.Label('name')). */
export class Label {
  constructor(readonly name: string) {}
}

/** A slot whose off (or imm, for gotol and local calls) still refers to a label. */
export class RefInsn extends Insn {
  constructor(
    code: number, dst: number, src: number, off: number, imm: number,
    readonly target: string,
    readonly field: 'off' | 'imm',
  ) {
    super(code, dst, src, off, imm);
  }
}

export type ProgramItem = Insn | readonly Insn[] | Label;

/** A jump target: a label name, or a relative offset in slots. */
export type Target = string | number;

/** Flatten DSL output into slots, resolving label references to relative offsets. */
export function program(...items: readonly ProgramItem[]): Insn[] {
  const slots: Insn[] = [];
  const labels = new Map<string, number>();
  for (const item of items) {
    if (item instanceof Label) {
      if (labels.has(item.name)) throw new BpfsimError('EASM', `asm.program: label "${item.name}" is defined twice`);
      labels.set(item.name, slots.length);
    } else if (item instanceof Insn) {
      slots.push(item);
    } else {
      slots.push(...item);
    }
  }
  return slots.map((insn, i) => {
    if (!(insn instanceof RefInsn)) return insn;
    const at = labels.get(insn.target);
    if (at === undefined) throw new BpfsimError('EASM', `asm.program: insn ${i} jumps to unknown label "${insn.target}"`);
    const rel = at - i - 1;
    if (insn.field === 'off' && (rel < -32768 || rel > 32767)) {
      throw new BpfsimError('EASM', `asm.program: insn ${i}: label "${insn.target}" is ${rel} slots away, beyond a 16-bit offset`);
    }
    return new Insn(insn.code, insn.dst, insn.src, insn.field === 'off' ? rel : insn.off, insn.field === 'imm' ? rel : insn.imm);
  });
}

/** One slot whose `field` is the target: a number is used as is, a label becomes a reference. */
export function targetInsn(code: number, dst: number, src: number, off: number, imm: number, target: Target, field: 'off' | 'imm'): Insn {
  if (typeof target === 'number') {
    return new Insn(code, dst, src, field === 'off' ? checkOff(target) : off, field === 'imm' ? checkImm(target) : imm);
  }
  return new RefInsn(code, dst, src, off, imm, target, field);
}

/** An immediate: any 32-bit value, signed or unsigned, stored as signed. */
export function checkImm(v: number): number {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) throw new RangeError(`immediate ${v} does not fit in 32 bits`);
  return v | 0;
}

/** A 16-bit signed offset. */
export function checkOff(v: number): number {
  if (!Number.isInteger(v) || v < -32768 || v > 32767) throw new RangeError(`offset ${v} does not fit in a signed 16-bit field`);
  return v;
}
