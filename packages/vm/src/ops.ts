/**
 * The interpreter's internal operation codes: one dense number per distinct
 * behaviour (an eBPF opcode split by the fields that change its meaning:
 * off for sdiv/smod/movsx, imm for byte swaps, src for calls), so the run
 * loop dispatches with one dense switch (a jump table).
 */
export const enum Op {
  INVALID = 0, // reason in Prepared.invalid
  FALL_OFF, // sentinel slot after the last one
  BAD_TARGET, // sentinel slots for out-of-range jump/call targets

  ADD64_K, ADD64_X, SUB64_K, SUB64_X, MUL64_K, MUL64_X,
  DIV64_K, DIV64_X, SDIV64_K, SDIV64_X, MOD64_K, MOD64_X, SMOD64_K, SMOD64_X,
  OR64_K, OR64_X, AND64_K, AND64_X, XOR64_K, XOR64_X,
  LSH64_K, LSH64_X, RSH64_K, RSH64_X, ARSH64_K, ARSH64_X, NEG64,
  MOV64_K, MOV64_X, MOVSX64_8, MOVSX64_16, MOVSX64_32,
  BSWAP16, BSWAP32, BSWAP64,

  ADD32_K, ADD32_X, SUB32_K, SUB32_X, MUL32_K, MUL32_X,
  DIV32_K, DIV32_X, SDIV32_K, SDIV32_X, MOD32_K, MOD32_X, SMOD32_K, SMOD32_X,
  OR32_K, OR32_X, AND32_K, AND32_X, XOR32_K, XOR32_X,
  LSH32_K, LSH32_X, RSH32_K, RSH32_X, ARSH32_K, ARSH32_X, NEG32,
  MOV32_K, MOV32_X, MOVSX32_8, MOVSX32_16,
  LE16, LE32, LE64, // be16/32/64 decode to BSWAP16/32/64

  JA, // ja and gotol (JMP32 ja with imm offset): target precomputed
  JEQ_K, JEQ_X, JNE_K, JNE_X, JSET_K, JSET_X,
  JGT_K, JGT_X, JGE_K, JGE_X, JLT_K, JLT_X, JLE_K, JLE_X,
  JSGT_K, JSGT_X, JSGE_K, JSGE_X, JSLT_K, JSLT_X, JSLE_K, JSLE_X,
  JEQ32_K, JEQ32_X, JNE32_K, JNE32_X, JSET32_K, JSET32_X,
  JGT32_K, JGT32_X, JGE32_K, JGE32_X, JLT32_K, JLT32_X, JLE32_K, JLE32_X,
  JSGT32_K, JSGT32_X, JSGE32_K, JSGE32_X, JSLT32_K, JSLT32_X, JSLE32_K, JSLE32_X,
  MAY_GOTO,
  CALL_HELPER, TAIL_CALL, CALL_LOCAL, CALL_KFUNC, CALLX, EXIT,

  LDDW,
  LDX_B, LDX_H, LDX_W, LDX_DW, LDXS_B, LDXS_H, LDXS_W,
  ST_B, ST_H, ST_W, ST_DW,
  STX_B, STX_H, STX_W, STX_DW,
  ATOMIC_W, ATOMIC_DW, // read-modify-write; the operation is in imm
  LOAD_ACQ, STORE_REL, // size in aux
  LD_ABS, LD_IND, // size in aux
}
