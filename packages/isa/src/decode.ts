/** Checked decoding of a program's bytes into slots. */
import type { Insn } from './insn';
import { Insn as InsnClass, isLdImm64 } from './insn';
import { DecodeError } from './errors';
import { validateInsn } from './validate';

export interface DecodeOptions {
  /** Named in error messages (an ELF section, a file). */
  file?: string;
}

/**
 * Decode little-endian instruction bytes into slots (an lddw keeps its two slots),
 * checking every instruction with validateInsn. Throws DecodeError naming the
 * instruction index and the problem.
 */
export function decodeProgram(bytes: Uint8Array, opts: DecodeOptions = {}): Insn[] {
  const where = opts.file !== undefined ? `${opts.file}: ` : '';
  if (bytes.length % 8 !== 0) {
    throw new DecodeError(`${where}program is ${bytes.length} bytes, not a multiple of 8 (the size of one instruction)`);
  }
  const n = bytes.length / 8;
  const prog: Insn[] = [];
  for (let i = 0; i < n; i++) prog.push(InsnClass.fromBytes(bytes, i * 8));
  for (let i = 0; i < n; i++) {
    const insn = prog[i];
    const problem = validateInsn(insn, isLdImm64(insn) ? prog[i + 1] : undefined);
    if (problem !== undefined) {
      throw new DecodeError(`${where}insn ${i} (byte offset ${i * 8}): ${problem}`, i);
    }
    if (isLdImm64(insn)) i++; // the second slot was checked with the first
  }
  return prog;
}
