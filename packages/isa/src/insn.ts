import { BpfsimError } from '@bpfsim/uapi';
import { formatKernel } from './disasm/kernel';

/**
 * One 8-byte instruction slot, exactly as `struct bpf_insn` lays it out:
 * opcode, dst_reg:4, src_reg:4, off (s16), imm (s32).
 *
 * A program is an array of slots, as in the kernel: a 64-bit immediate load
 * (lddw) takes two slots, the second with opcode 0 holding the high half in
 * its imm. Instruction indices, jump offsets and log lines all count slots.
 */
export class Insn {
  constructor(
    readonly code: number,
    readonly dst: number,
    readonly src: number,
    readonly off: number,
    readonly imm: number,
  ) {}

  /** Write the slot little-endian into `out` at byte `at`. */
  encodeInto(out: Uint8Array, at: number): void {
    const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
    dv.setUint8(at, this.code & 0xff);
    dv.setUint8(at + 1, ((this.src & 0xf) << 4) | (this.dst & 0xf));
    dv.setInt16(at + 2, this.off, true);
    dv.setInt32(at + 4, this.imm, true);
  }

  /** Read one slot without validating it (see decode.ts for checked decoding). */
  static fromBytes(bytes: Uint8Array, at: number): Insn {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const regs = dv.getUint8(at + 1);
    return new Insn(dv.getUint8(at), regs & 0xf, regs >> 4, dv.getInt16(at + 2, true), dv.getInt32(at + 4, true));
  }

  /**
   * The slot in kernel verifier-log syntax, `(b7) r0 = 42`. An lddw's value needs its
   * second slot: use formatInsn(insn, { next }) or disassemble() for programs.
   */
  toString(): string {
    return formatKernel(this);
  }

  /** The same slot with some fields replaced (relocation, fixups). */
  with(fields: Partial<Pick<Insn, 'code' | 'dst' | 'src' | 'off' | 'imm'>>): Insn {
    return new Insn(
      fields.code ?? this.code,
      fields.dst ?? this.dst,
      fields.src ?? this.src,
      fields.off ?? this.off,
      fields.imm ?? this.imm,
    );
  }
}

export type Program = readonly Insn[];

/** Encode a program's slots to little-endian bytes. */
export function encodeProgram(prog: Program): Uint8Array {
  const out = new Uint8Array(prog.length * 8);
  prog.forEach((insn, i) => {
    // A DSL jump to a label is only an instruction once asm.program() has resolved it.
    const target = (insn as { target?: unknown }).target;
    if (target !== undefined) throw new BpfsimError('EASM', `insn ${i} still refers to label "${String(target)}": build the program with asm.program()`);
    insn.encodeInto(out, i * 8);
  });
  return out;
}

/** The 64-bit immediate of the lddw that starts at slot `i`. */
export function ldImm64Value(prog: Program, i: number): bigint {
  const lo = BigInt(prog[i].imm >>> 0);
  const hi = BigInt((prog[i + 1]?.imm ?? 0) >>> 0);
  return (hi << 32n) | lo;
}

/** True for the first slot of a `BPF_LD | BPF_IMM | BPF_DW` pair. */
export const isLdImm64 = (insn: Insn): boolean => insn.code === 0x18;
