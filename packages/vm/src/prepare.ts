/**
 * Decode a program once into flat typed arrays the run loop reads: one
 * internal Op per slot (ops.ts), operands, and a precomputed aux word (jump
 * target, lddw high half, access size). Nothing is rejected here: a slot the
 * VM cannot execute becomes Op.INVALID with a reason and faults only if it
 * runs, so unverified programs (and data after the last exit) are fine.
 */
import type { Insn, Program } from '@bpfsim/isa';
import { Op } from './ops';

// Raw eBPF encoding constants used by the decoder (include/uapi/linux/bpf.h values).
const CLS_LD = 0, CLS_LDX = 1, CLS_ST = 2, CLS_STX = 3, CLS_ALU = 4, CLS_JMP = 5, CLS_JMP32 = 6, CLS_ALU64 = 7;
const MODE_IMM = 0x00, MODE_ABS = 0x20, MODE_IND = 0x40, MODE_MEM = 0x60, MODE_MEMSX = 0x80, MODE_ATOMIC = 0xc0;
const SIZE_BYTES = [4, 2, 1, 8]; // BPF_W, BPF_H, BPF_B, BPF_DW (size field >> 3)
const FETCH = 0x01, XCHG = 0xe1, CMPXCHG = 0xf1, LOAD_ACQ = 0x100, STORE_REL = 0x110;
const PSEUDO_FUNC = 4, PSEUDO_CALL = 1, PSEUDO_KFUNC_CALL = 2, TAIL_CALL_HELPER = 12;

/** K/X pairs of the ALU operations that only differ by width (index: op >> 4). */
const ALU64_OPS: readonly (readonly [Op, Op] | undefined)[] = [
  [Op.ADD64_K, Op.ADD64_X], [Op.SUB64_K, Op.SUB64_X], [Op.MUL64_K, Op.MUL64_X], undefined /* div */,
  [Op.OR64_K, Op.OR64_X], [Op.AND64_K, Op.AND64_X], [Op.LSH64_K, Op.LSH64_X], [Op.RSH64_K, Op.RSH64_X],
  undefined /* neg */, undefined /* mod */, [Op.XOR64_K, Op.XOR64_X], undefined /* mov */,
  [Op.ARSH64_K, Op.ARSH64_X], undefined /* end */, undefined, undefined,
];
const ALU32_OPS: readonly (readonly [Op, Op] | undefined)[] = [
  [Op.ADD32_K, Op.ADD32_X], [Op.SUB32_K, Op.SUB32_X], [Op.MUL32_K, Op.MUL32_X], undefined,
  [Op.OR32_K, Op.OR32_X], [Op.AND32_K, Op.AND32_X], [Op.LSH32_K, Op.LSH32_X], [Op.RSH32_K, Op.RSH32_X],
  undefined, undefined, [Op.XOR32_K, Op.XOR32_X], undefined,
  [Op.ARSH32_K, Op.ARSH32_X], undefined, undefined, undefined,
];
/** Conditional jumps by op >> 4: [JMP K, JMP X, JMP32 K, JMP32 X]. */
const JCC: readonly (readonly [Op, Op, Op, Op] | undefined)[] = [
  undefined /* ja */, [Op.JEQ_K, Op.JEQ_X, Op.JEQ32_K, Op.JEQ32_X], [Op.JGT_K, Op.JGT_X, Op.JGT32_K, Op.JGT32_X],
  [Op.JGE_K, Op.JGE_X, Op.JGE32_K, Op.JGE32_X], [Op.JSET_K, Op.JSET_X, Op.JSET32_K, Op.JSET32_X],
  [Op.JNE_K, Op.JNE_X, Op.JNE32_K, Op.JNE32_X], [Op.JSGT_K, Op.JSGT_X, Op.JSGT32_K, Op.JSGT32_X],
  [Op.JSGE_K, Op.JSGE_X, Op.JSGE32_K, Op.JSGE32_X], undefined /* call */, undefined /* exit */,
  [Op.JLT_K, Op.JLT_X, Op.JLT32_K, Op.JLT32_X], [Op.JLE_K, Op.JLE_X, Op.JLE32_K, Op.JLE32_X],
  [Op.JSLT_K, Op.JSLT_X, Op.JSLT32_K, Op.JSLT32_X], [Op.JSLE_K, Op.JSLE_X, Op.JSLE32_K, Op.JSLE32_X],
  undefined /* jcond */, undefined,
];
const LDX_OPS = [Op.LDX_W, Op.LDX_H, Op.LDX_B, Op.LDX_DW];
const LDXS_OPS = [Op.LDXS_W, Op.LDXS_H, Op.LDXS_B, Op.INVALID];
const ST_OPS = [Op.ST_W, Op.ST_H, Op.ST_B, Op.ST_DW];
const STX_OPS = [Op.STX_W, Op.STX_H, Op.STX_B, Op.STX_DW];

/** A program decoded for the run loop. Reusable across runs; immutable once built. */
export class PreparedProgram {
  /** Program slots (n); the arrays below hold n + 1 + badTargets.length entries (sentinels after the end). */
  readonly length: number;
  readonly ops: Uint8Array;
  /** Raw opcode byte of each slot (for messages). */
  readonly code: Uint8Array;
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly off: Int32Array;
  readonly imm: Int32Array;
  /** Jump/call target, lddw high word, or access size, depending on the op. */
  readonly aux: Int32Array;
  /** Why each Op.INVALID slot cannot run. */
  readonly invalid = new Map<number, string>();
  /** Out-of-range targets: sentinel slot n + 1 + k stands for badTargets[k]. */
  readonly badTargets: { from: number; target: number }[] = [];

  constructor(readonly insns: Program, readonly name?: string) {
    const n = insns.length;
    this.length = n;
    // First pass: count out-of-range targets so the arrays can be sized once.
    const size = n + 1 + countBadTargets(insns);
    this.ops = new Uint8Array(size);
    this.code = new Uint8Array(size);
    this.dst = new Uint8Array(size);
    this.src = new Uint8Array(size);
    this.off = new Int32Array(size);
    this.imm = new Int32Array(size);
    this.aux = new Int32Array(size);
    this.ops[n] = Op.FALL_OFF;
    for (let pc = 0; pc < n; pc++) {
      const insn = insns[pc];
      this.code[pc] = insn.code & 0xff;
      this.dst[pc] = insn.dst & 0xf;
      this.src[pc] = insn.src & 0xf;
      this.off[pc] = insn.off | 0;
      this.imm[pc] = insn.imm | 0;
      if ((insn.code & 0xff) === 0x18) {
        this.decodeLddw(pc, insn);
        if (pc + 1 < n) {
          pc++;
          this.code[pc] = insns[pc].code & 0xff;
          this.invalid.set(pc, `second slot of the lddw at insn ${pc - 1} executed (jump into the middle of lddw)`);
        }
        continue;
      }
      this.ops[pc] = this.decode(pc, insn);
    }
    for (let k = 0; k < this.badTargets.length; k++) this.ops[n + 1 + k] = Op.BAD_TARGET;
  }

  /** Slot index a jump/call at pc with relative offset rel lands on (or a BAD_TARGET sentinel). */
  private target(pc: number, rel: number): number {
    const t = pc + rel + 1;
    if (t >= 0 && t < this.length) return t;
    this.badTargets.push({ from: pc, target: t });
    return this.length + this.badTargets.length;
  }

  private fail(pc: number, reason: string): Op {
    this.invalid.set(pc, reason);
    return Op.INVALID;
  }

  private decodeLddw(pc: number, insn: Insn): void {
    if (pc + 1 >= this.length) {
      this.ops[pc] = this.fail(pc, 'lddw is the last slot: its second half is missing');
      return;
    }
    this.ops[pc] = Op.LDDW;
    if (insn.src === PSEUDO_FUNC) {
      // Convention: a BPF_PSEUDO_FUNC lddw (imm relative, as for calls) loads the callback's slot index.
      this.imm[pc] = pc + (insn.imm | 0) + 1;
      this.aux[pc] = 0;
    } else {
      this.aux[pc] = this.insns[pc + 1].imm | 0;
    }
  }

  private decode(pc: number, insn: Insn): Op {
    const code = insn.code & 0xff;
    const cls = code & 7;
    const op = code & 0xf0;
    const x = (code & 8) !== 0 ? 1 : 0;
    switch (cls) {
      case CLS_ALU64:
      case CLS_ALU: {
        const wide = cls === CLS_ALU64;
        const pair = (wide ? ALU64_OPS : ALU32_OPS)[op >> 4];
        if (pair) return pair[x];
        switch (op) {
          case 0x30: // div
          case 0x90: { // mod
            if (insn.off !== 0 && insn.off !== 1) return this.fail(pc, `${op === 0x30 ? 'div' : 'mod'} with off ${insn.off} (0 or 1 expected)`);
            const signed = insn.off === 1;
            const table = wide
              ? [[Op.DIV64_K, Op.DIV64_X, Op.SDIV64_K, Op.SDIV64_X], [Op.MOD64_K, Op.MOD64_X, Op.SMOD64_K, Op.SMOD64_X]]
              : [[Op.DIV32_K, Op.DIV32_X, Op.SDIV32_K, Op.SDIV32_X], [Op.MOD32_K, Op.MOD32_X, Op.SMOD32_K, Op.SMOD32_X]];
            return table[op === 0x30 ? 0 : 1][(signed ? 2 : 0) + x];
          }
          case 0x80: // neg
            return x ? this.fail(pc, 'neg with BPF_X source') : wide ? Op.NEG64 : Op.NEG32;
          case 0xb0: { // mov / movsx
            if (!x) return insn.off === 0 ? (wide ? Op.MOV64_K : Op.MOV32_K) : this.fail(pc, `mov imm with off ${insn.off}`);
            switch (insn.off) {
              case 0: return wide ? Op.MOV64_X : Op.MOV32_X;
              case 8: return wide ? Op.MOVSX64_8 : Op.MOVSX32_8;
              case 16: return wide ? Op.MOVSX64_16 : Op.MOVSX32_16;
              case 32: if (wide) return Op.MOVSX64_32; break;
              case 1: if (wide) return this.fail(pc, 'addr_space_cast (arena) is not supported'); break;
            }
            return this.fail(pc, `mov${wide ? '' : '32'} with off ${insn.off}`);
          }
          case 0xd0: { // end / bswap
            const bits = insn.imm;
            if (bits !== 16 && bits !== 32 && bits !== 64) return this.fail(pc, `byte swap of ${bits} bits (16, 32 or 64 expected)`);
            if (wide) {
              if (x) return this.fail(pc, 'bswap with BPF_TO_BE set in an ALU64 insn');
              return bits === 16 ? Op.BSWAP16 : bits === 32 ? Op.BSWAP32 : Op.BSWAP64;
            }
            if (x) return bits === 16 ? Op.BSWAP16 : bits === 32 ? Op.BSWAP32 : Op.BSWAP64; // be: swap on a little-endian host
            return bits === 16 ? Op.LE16 : bits === 32 ? Op.LE32 : Op.LE64;
          }
        }
        return this.fail(pc, `unknown ALU operation 0x${op.toString(16)}`);
      }
      case CLS_JMP:
      case CLS_JMP32: {
        const j32 = cls === CLS_JMP32;
        const cc = JCC[op >> 4];
        if (cc) {
          this.aux[pc] = this.target(pc, insn.off);
          return cc[(j32 ? 2 : 0) + x];
        }
        switch (op) {
          case 0x00: // ja (off) / gotol (JMP32: imm)
            if (x) return this.fail(pc, 'ja with BPF_X source');
            this.aux[pc] = this.target(pc, j32 ? insn.imm : insn.off);
            return Op.JA;
          case 0x80:
            if (j32) break;
            if (x) return Op.CALLX;
            if (insn.src === 0) return insn.imm === TAIL_CALL_HELPER ? Op.TAIL_CALL : Op.CALL_HELPER;
            if (insn.src === PSEUDO_CALL) {
              this.aux[pc] = this.target(pc, insn.imm);
              return Op.CALL_LOCAL;
            }
            if (insn.src === PSEUDO_KFUNC_CALL) return Op.CALL_KFUNC;
            return this.fail(pc, `call with src ${insn.src}`);
          case 0x90:
            if (j32 || x) break;
            return Op.EXIT;
          case 0xe0:
            if (j32 || x) break;
            if (insn.src !== 0) return this.fail(pc, `jcond with src ${insn.src} (only may_goto, src 0, exists)`);
            this.aux[pc] = this.target(pc, insn.off);
            return Op.MAY_GOTO;
        }
        return this.fail(pc, `unknown jump opcode 0x${code.toString(16)}`);
      }
      case CLS_LD: {
        const mode = code & 0xe0;
        const size = SIZE_BYTES[(code >> 3) & 3];
        if ((mode === MODE_ABS || mode === MODE_IND) && size !== 8) {
          this.aux[pc] = size;
          return mode === MODE_ABS ? Op.LD_ABS : Op.LD_IND;
        }
        if (mode === MODE_IMM) return this.fail(pc, `ld imm of size ${size} (only lddw exists)`);
        return this.fail(pc, `unknown ld opcode 0x${code.toString(16)}`);
      }
      case CLS_LDX: {
        const mode = code & 0xe0;
        const sz = (code >> 3) & 3;
        if (mode === MODE_MEM) return LDX_OPS[sz];
        if (mode === MODE_MEMSX && LDXS_OPS[sz] !== Op.INVALID) return LDXS_OPS[sz];
        return this.fail(pc, `unknown ldx opcode 0x${code.toString(16)}`);
      }
      case CLS_ST: {
        if ((code & 0xe0) === MODE_MEM) return ST_OPS[(code >> 3) & 3];
        return this.fail(pc, `unknown st opcode 0x${code.toString(16)}`);
      }
      case CLS_STX: {
        const mode = code & 0xe0;
        const sz = (code >> 3) & 3;
        if (mode === MODE_MEM) return STX_OPS[sz];
        if (mode !== MODE_ATOMIC) return this.fail(pc, `unknown stx opcode 0x${code.toString(16)}`);
        const a = insn.imm;
        if (a === LOAD_ACQ || a === STORE_REL) {
          this.aux[pc] = SIZE_BYTES[sz];
          return a === LOAD_ACQ ? Op.LOAD_ACQ : Op.STORE_REL;
        }
        if (SIZE_BYTES[sz] !== 4 && SIZE_BYTES[sz] !== 8) return this.fail(pc, `atomic read-modify-write of ${SIZE_BYTES[sz]} bytes`);
        const base = a & ~FETCH;
        if (base === 0x00 || base === 0x40 || base === 0x50 || base === 0xa0 || a === XCHG || a === CMPXCHG) {
          return SIZE_BYTES[sz] === 4 ? Op.ATOMIC_W : Op.ATOMIC_DW;
        }
        return this.fail(pc, `unknown atomic operation imm 0x${(a >>> 0).toString(16)}`);
      }
    }
    return this.fail(pc, `unknown opcode 0x${code.toString(16)}`);
  }
}

function countBadTargets(insns: Program): number {
  const n = insns.length;
  let bad = 0;
  for (let pc = 0; pc < n; pc++) {
    const i = insns[pc];
    const code = i.code & 0xff;
    if (code === 0x18) {
      pc++;
      continue;
    }
    const cls = code & 7;
    if (cls !== CLS_JMP && cls !== CLS_JMP32) continue;
    const op = code & 0xf0;
    let rel: number | undefined;
    if (op === 0x00) rel = cls === CLS_JMP32 ? i.imm : i.off;
    else if (op === 0x80) rel = cls === CLS_JMP && !(code & 8) && i.src === PSEUDO_CALL ? i.imm : undefined;
    else if (op !== 0x90) rel = i.off;
    if (rel === undefined) continue;
    const t = pc + (rel | 0) + 1;
    if (t < 0 || t >= n) bad++;
  }
  return bad;
}
