/**
 * @bpfsim/isa: the eBPF instruction model. An `Insn` is one 8-byte slot; a program is
 * `Insn[]` (lddw takes two slots). Build programs with the `asm` DSL, decode bytes with
 * checked decoding, print them as the kernel verifier log, llvm-objdump or the uBPF
 * dialect does, and assemble text in kernel/LLVM or uBPF syntax.
 */
export * from './insn';
export * as asm from './asm';
export { Label, RefInsn, program, type ProgramItem, type Target } from './label';
export { Register, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, RFP, NUM_REGS } from './register';
export { DecodeError, AsmError } from './errors';
export { decodeProgram, type DecodeOptions } from './decode';
export { validateInsn } from './validate';
export {
  OPCODES, inKernelInsnTable, SIZE_CODE, SIZE_BYTES, ALU_OP_CODE, JUMP_OP_CODE, ATOMIC_OP_IMM,
  type Size, type AluOp, type JumpOp, type AtomicOp, type OpcodeInfo,
} from './opcode';
export { disassemble, formatInsn, type DisassembleOptions, type Flavour } from './disasm';
export { assemble, type AssembleOptions, type Dialect } from './assemble';
