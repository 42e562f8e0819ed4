/**
 * Opcode vocabulary: names of classes, ALU/jump operations, sizes and modes, and the
 * table of every opcode byte eBPF defines (RFC 9669 plus what Linux 6.18 accepts).
 */
import * as op from '@bpfsim/uapi';

export type Size = 'B' | 'H' | 'W' | 'DW';
export const SIZE_CODE: Readonly<Record<Size, number>> = { B: op.BPF_B, H: op.BPF_H, W: op.BPF_W, DW: op.BPF_DW };
export const SIZE_OF_CODE: Readonly<Record<number, Size>> = { [op.BPF_B]: 'B', [op.BPF_H]: 'H', [op.BPF_W]: 'W', [op.BPF_DW]: 'DW' };
export const SIZE_BYTES: Readonly<Record<Size, 1 | 2 | 4 | 8>> = { B: 1, H: 2, W: 4, DW: 8 };
/** The size's C type in both disassembly syntaxes (`u8` .. `u64`). */
export const SIZE_UTYPE: Readonly<Record<Size, string>> = { B: 'u8', H: 'u16', W: 'u32', DW: 'u64' };
export const SIZE_STYPE: Readonly<Record<Size, string>> = { B: 's8', H: 's16', W: 's32', DW: 's64' };

export type AluOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'or' | 'and' | 'lsh' | 'rsh'
  | 'neg' | 'mod' | 'xor' | 'mov' | 'arsh' | 'end';
export const ALU_OP_CODE: Readonly<Record<AluOp, number>> = {
  add: op.BPF_ADD, sub: op.BPF_SUB, mul: op.BPF_MUL, div: op.BPF_DIV, or: op.BPF_OR, and: op.BPF_AND,
  lsh: op.BPF_LSH, rsh: op.BPF_RSH, neg: op.BPF_NEG, mod: op.BPF_MOD, xor: op.BPF_XOR, mov: op.BPF_MOV,
  arsh: op.BPF_ARSH, end: op.BPF_END,
};
export const ALU_OP_NAME: Readonly<Record<number, AluOp>> = invert(ALU_OP_CODE);
/** Binary ALU operations (those with both an immediate and a register form). */
export const ALU_BINARY: readonly AluOp[] = ['add', 'sub', 'mul', 'div', 'or', 'and', 'lsh', 'rsh', 'mod', 'xor', 'mov', 'arsh'];

/** Conditional jump operations, by their kernel/RFC names. */
export type JumpOp =
  | 'JEQ' | 'JGT' | 'JGE' | 'JSET' | 'JNE' | 'JSGT' | 'JSGE' | 'JLT' | 'JLE' | 'JSLT' | 'JSLE';
export const JUMP_OP_CODE: Readonly<Record<JumpOp, number>> = {
  JEQ: op.BPF_JEQ, JGT: op.BPF_JGT, JGE: op.BPF_JGE, JSET: op.BPF_JSET, JNE: op.BPF_JNE,
  JSGT: op.BPF_JSGT, JSGE: op.BPF_JSGE, JLT: op.BPF_JLT, JLE: op.BPF_JLE, JSLT: op.BPF_JSLT, JSLE: op.BPF_JSLE,
};
export const JUMP_OP_NAME: Readonly<Record<number, JumpOp>> = invert(JUMP_OP_CODE);
/** The comparison operator both disassemblers print for a conditional jump. */
export const JUMP_OP_SYMBOL: Readonly<Record<JumpOp, string>> = {
  JEQ: '==', JGT: '>', JGE: '>=', JSET: '&', JNE: '!=', JSGT: 's>', JSGE: 's>=', JLT: '<', JLE: '<=', JSLT: 's<', JSLE: 's<=',
};

/** Atomic operations (the imm of BPF_STX | BPF_ATOMIC). */
export type AtomicOp =
  | 'add' | 'or' | 'and' | 'xor'
  | 'fetch_add' | 'fetch_or' | 'fetch_and' | 'fetch_xor'
  | 'xchg' | 'cmpxchg' | 'load_acquire' | 'store_release';
export const ATOMIC_OP_IMM: Readonly<Record<AtomicOp, number>> = {
  add: op.BPF_ADD, or: op.BPF_OR, and: op.BPF_AND, xor: op.BPF_XOR,
  fetch_add: op.BPF_ADD | op.BPF_FETCH, fetch_or: op.BPF_OR | op.BPF_FETCH,
  fetch_and: op.BPF_AND | op.BPF_FETCH, fetch_xor: op.BPF_XOR | op.BPF_FETCH,
  xchg: op.BPF_XCHG, cmpxchg: op.BPF_CMPXCHG, load_acquire: op.BPF_LOAD_ACQ, store_release: op.BPF_STORE_REL,
};
export const ATOMIC_OP_NAME: Readonly<Record<number, AtomicOp>> = invert(ATOMIC_OP_IMM);
/** Sizes an atomic operation may use: read-modify-write ops only W and DW (kernel: "invalid atomic operand size"). */
export function atomicSizeOk(a: AtomicOp, size: Size): boolean {
  return a === 'load_acquire' || a === 'store_release' ? true : size === 'W' || size === 'DW';
}

/** ld_imm64 pseudo sources (src_reg of BPF_LD | BPF_IMM | BPF_DW). */
export const PSEUDO_NAMES: readonly string[] = ['', 'map_fd', 'map_value', 'btf_id', 'func', 'map_idx', 'map_idx_value'];

/**
 * Every defined opcode byte. `kernel` is false for encodings the ISA defines (and the
 * conformance suite uses) but Linux 6.18 refuses with "unknown opcode": only callx.
 */
export interface OpcodeInfo {
  readonly code: number;
  readonly kernel: boolean;
}

function buildTable(): ReadonlyMap<number, OpcodeInfo> {
  const t = new Map<number, OpcodeInfo>();
  const add = (code: number, kernel = true): void => void t.set(code, { code, kernel });
  for (const cls of [op.BPF_ALU, op.BPF_ALU64]) {
    for (const a of ALU_BINARY) for (const s of [op.BPF_K, op.BPF_X]) add(cls | ALU_OP_CODE[a] | s);
    add(cls | op.BPF_NEG | op.BPF_K);
  }
  add(op.BPF_ALU | op.BPF_END | op.BPF_TO_LE);
  add(op.BPF_ALU | op.BPF_END | op.BPF_TO_BE);
  add(op.BPF_ALU64 | op.BPF_END | op.BPF_TO_LE); // bswap
  for (const cls of [op.BPF_JMP, op.BPF_JMP32]) {
    for (const j of Object.values(JUMP_OP_CODE)) for (const s of [op.BPF_K, op.BPF_X]) add(cls | j | s);
    add(cls | op.BPF_JA); // JMP32: gotol, imm is the offset
  }
  add(op.BPF_JMP | op.BPF_CALL);
  add(op.BPF_JMP | op.BPF_CALL | op.BPF_X, false); // callx
  add(op.BPF_JMP | op.BPF_EXIT);
  add(op.BPF_JMP | op.BPF_JCOND); // may_goto
  add(op.BPF_LD | op.BPF_IMM | op.BPF_DW);
  for (const sz of [op.BPF_B, op.BPF_H, op.BPF_W]) {
    add(op.BPF_LD | op.BPF_ABS | sz);
    add(op.BPF_LD | op.BPF_IND | sz);
    add(op.BPF_LDX | op.BPF_MEMSX | sz);
  }
  for (const sz of [op.BPF_B, op.BPF_H, op.BPF_W, op.BPF_DW]) {
    add(op.BPF_LDX | op.BPF_MEM | sz);
    add(op.BPF_ST | op.BPF_MEM | sz);
    add(op.BPF_STX | op.BPF_MEM | sz);
    add(op.BPF_STX | op.BPF_ATOMIC | sz);
  }
  return t;
}

/** Opcode byte -> info, for every opcode eBPF defines. */
export const OPCODES: ReadonlyMap<number, OpcodeInfo> = buildTable();

/** True when the kernel's bpf_opcode_in_insntable() knows `code`. */
export const inKernelInsnTable = (code: number): boolean => OPCODES.get(code)?.kernel === true;

function invert<K extends string>(r: Readonly<Record<K, number>>): Record<number, K> {
  const out: Record<number, K> = {};
  for (const k of Object.keys(r) as K[]) out[r[k]] = k;
  return out;
}
