/**
 * The run loop: one dense switch over the pre-decoded internal ops. Registers
 * are int32 halves (lo/hi typed arrays); every memory access goes through
 * AddressSpace.at(), which checks it. Semantics follow the kernel's
 * ___bpf_prog_run plus the verifier's run-time rewrites (division fixups,
 * may_goto counter, LD_ABS exit), see arith.ts and README.md.
 */
import { BpfsimError } from '@bpfsim/uapi';
import {
  bswap32, mul64, sar64, sdiv32, sdiv64, shl64, shr64, smod32, smod64, udiv32, udiv64, umod32, umod64,
} from './arith';
import { InvalidInstruction, ProgramCounterFault, VmError } from './errors';
import type { Machine } from './machine';
import { Op } from './ops';
import type { PreparedProgram } from './prepare';
import { atomic, loadAcquire, loadPacket, storeRelease } from './slow-ops';
import { VirtualHit } from './memory/address-space';

const TWO32 = 4294967296;

/**
 * Run from slot `startPc` of the program of frame `base` (= m.depth) until
 * that frame exits; r0 is then in m.lo[0]/m.hi[0].
 */
export function exec(m: Machine, base: number, startPc: number): void {
  const lo = m.lo, hi = m.hi, mem = m.mem;
  let p: PreparedProgram = m.frameProg[m.depth];
  let ops = p.ops, dst = p.dst, src = p.src, off = p.off, imm = p.imm, aux = p.aux;
  let pc = startPc;
  let rem = m.remaining;
  // The outer loop resumes after a context access (VirtualHit), carried out off the fast path.
  for (;;) {
  try {
    for (;;) {
      if (--rem < 0) {
        rem = 0;
        throw m.limitExceeded();
      }
      switch (ops[pc]) {
        // ---- ALU64 ----
        case Op.ADD64_K: {
          const d = dst[pc], k = imm[pc], s = (lo[d] >>> 0) + (k >>> 0);
          lo[d] = s;
          hi[d] = hi[d] + (k >> 31) + (s >= TWO32 ? 1 : 0);
          pc++;
          break;
        }
        case Op.ADD64_X: {
          const d = dst[pc], r = src[pc], s = (lo[d] >>> 0) + (lo[r] >>> 0);
          hi[d] = hi[d] + hi[r] + (s >= TWO32 ? 1 : 0);
          lo[d] = s;
          pc++;
          break;
        }
        case Op.SUB64_K: {
          const d = dst[pc], k = imm[pc], a = lo[d] >>> 0, b = k >>> 0;
          lo[d] = a - b;
          hi[d] = hi[d] - (k >> 31) - (a < b ? 1 : 0);
          pc++;
          break;
        }
        case Op.SUB64_X: {
          const d = dst[pc], r = src[pc], a = lo[d] >>> 0, b = lo[r] >>> 0;
          hi[d] = hi[d] - hi[r] - (a < b ? 1 : 0);
          lo[d] = a - b;
          pc++;
          break;
        }
        case Op.MUL64_K: mul64(lo, hi, dst[pc], imm[pc], imm[pc] >> 31); pc++; break;
        case Op.MUL64_X: { const r = src[pc]; mul64(lo, hi, dst[pc], lo[r], hi[r]); pc++; break; }
        case Op.DIV64_K: udiv64(lo, hi, dst[pc], imm[pc], imm[pc] >> 31); pc++; break;
        case Op.DIV64_X: { const r = src[pc]; udiv64(lo, hi, dst[pc], lo[r], hi[r]); pc++; break; }
        case Op.SDIV64_K: sdiv64(lo, hi, dst[pc], imm[pc], imm[pc] >> 31); pc++; break;
        case Op.SDIV64_X: { const r = src[pc]; sdiv64(lo, hi, dst[pc], lo[r], hi[r]); pc++; break; }
        case Op.MOD64_K: umod64(lo, hi, dst[pc], imm[pc], imm[pc] >> 31); pc++; break;
        case Op.MOD64_X: { const r = src[pc]; umod64(lo, hi, dst[pc], lo[r], hi[r]); pc++; break; }
        case Op.SMOD64_K: smod64(lo, hi, dst[pc], imm[pc], imm[pc] >> 31); pc++; break;
        case Op.SMOD64_X: { const r = src[pc]; smod64(lo, hi, dst[pc], lo[r], hi[r]); pc++; break; }
        case Op.OR64_K: { const d = dst[pc], k = imm[pc]; lo[d] |= k; hi[d] |= k >> 31; pc++; break; }
        case Op.OR64_X: { const d = dst[pc], r = src[pc]; lo[d] |= lo[r]; hi[d] |= hi[r]; pc++; break; }
        case Op.AND64_K: { const d = dst[pc], k = imm[pc]; lo[d] &= k; hi[d] &= k >> 31; pc++; break; }
        case Op.AND64_X: { const d = dst[pc], r = src[pc]; lo[d] &= lo[r]; hi[d] &= hi[r]; pc++; break; }
        case Op.XOR64_K: { const d = dst[pc], k = imm[pc]; lo[d] ^= k; hi[d] ^= k >> 31; pc++; break; }
        case Op.XOR64_X: { const d = dst[pc], r = src[pc]; lo[d] ^= lo[r]; hi[d] ^= hi[r]; pc++; break; }
        case Op.LSH64_K: shl64(lo, hi, dst[pc], imm[pc] & 63); pc++; break;
        case Op.LSH64_X: shl64(lo, hi, dst[pc], lo[src[pc]] & 63); pc++; break;
        case Op.RSH64_K: shr64(lo, hi, dst[pc], imm[pc] & 63); pc++; break;
        case Op.RSH64_X: shr64(lo, hi, dst[pc], lo[src[pc]] & 63); pc++; break;
        case Op.ARSH64_K: sar64(lo, hi, dst[pc], imm[pc] & 63); pc++; break;
        case Op.ARSH64_X: sar64(lo, hi, dst[pc], lo[src[pc]] & 63); pc++; break;
        case Op.NEG64: {
          const d = dst[pc], l = lo[d];
          hi[d] = ~hi[d] + (l === 0 ? 1 : 0);
          lo[d] = -l;
          pc++;
          break;
        }
        case Op.MOV64_K: { const d = dst[pc], k = imm[pc]; lo[d] = k; hi[d] = k >> 31; pc++; break; }
        case Op.MOV64_X: { const d = dst[pc], r = src[pc]; lo[d] = lo[r]; hi[d] = hi[r]; pc++; break; }
        case Op.MOVSX64_8: { const d = dst[pc], v = (lo[src[pc]] << 24) >> 24; lo[d] = v; hi[d] = v >> 31; pc++; break; }
        case Op.MOVSX64_16: { const d = dst[pc], v = (lo[src[pc]] << 16) >> 16; lo[d] = v; hi[d] = v >> 31; pc++; break; }
        case Op.MOVSX64_32: { const d = dst[pc], v = lo[src[pc]]; lo[d] = v; hi[d] = v >> 31; pc++; break; }
        case Op.BSWAP16: { const d = dst[pc], v = lo[d]; lo[d] = ((v & 0xff) << 8) | ((v >>> 8) & 0xff); hi[d] = 0; pc++; break; }
        case Op.BSWAP32: { const d = dst[pc]; lo[d] = bswap32(lo[d]); hi[d] = 0; pc++; break; }
        case Op.BSWAP64: { const d = dst[pc], t = bswap32(lo[d]); lo[d] = bswap32(hi[d]); hi[d] = t; pc++; break; }

        // ---- ALU32: results zero-extend ----
        case Op.ADD32_K: { const d = dst[pc]; lo[d] = lo[d] + imm[pc]; hi[d] = 0; pc++; break; }
        case Op.ADD32_X: { const d = dst[pc]; lo[d] = lo[d] + lo[src[pc]]; hi[d] = 0; pc++; break; }
        case Op.SUB32_K: { const d = dst[pc]; lo[d] = lo[d] - imm[pc]; hi[d] = 0; pc++; break; }
        case Op.SUB32_X: { const d = dst[pc]; lo[d] = lo[d] - lo[src[pc]]; hi[d] = 0; pc++; break; }
        case Op.MUL32_K: { const d = dst[pc]; lo[d] = Math.imul(lo[d], imm[pc]); hi[d] = 0; pc++; break; }
        case Op.MUL32_X: { const d = dst[pc]; lo[d] = Math.imul(lo[d], lo[src[pc]]); hi[d] = 0; pc++; break; }
        case Op.DIV32_K: udiv32(lo, hi, dst[pc], imm[pc]); pc++; break;
        case Op.DIV32_X: udiv32(lo, hi, dst[pc], lo[src[pc]]); pc++; break;
        case Op.SDIV32_K: sdiv32(lo, hi, dst[pc], imm[pc]); pc++; break;
        case Op.SDIV32_X: sdiv32(lo, hi, dst[pc], lo[src[pc]]); pc++; break;
        case Op.MOD32_K: umod32(lo, hi, dst[pc], imm[pc]); pc++; break;
        case Op.MOD32_X: umod32(lo, hi, dst[pc], lo[src[pc]]); pc++; break;
        case Op.SMOD32_K: smod32(lo, hi, dst[pc], imm[pc]); pc++; break;
        case Op.SMOD32_X: smod32(lo, hi, dst[pc], lo[src[pc]]); pc++; break;
        case Op.OR32_K: { const d = dst[pc]; lo[d] |= imm[pc]; hi[d] = 0; pc++; break; }
        case Op.OR32_X: { const d = dst[pc]; lo[d] |= lo[src[pc]]; hi[d] = 0; pc++; break; }
        case Op.AND32_K: { const d = dst[pc]; lo[d] &= imm[pc]; hi[d] = 0; pc++; break; }
        case Op.AND32_X: { const d = dst[pc]; lo[d] &= lo[src[pc]]; hi[d] = 0; pc++; break; }
        case Op.XOR32_K: { const d = dst[pc]; lo[d] ^= imm[pc]; hi[d] = 0; pc++; break; }
        case Op.XOR32_X: { const d = dst[pc]; lo[d] ^= lo[src[pc]]; hi[d] = 0; pc++; break; }
        case Op.LSH32_K: { const d = dst[pc]; lo[d] = lo[d] << (imm[pc] & 31); hi[d] = 0; pc++; break; }
        case Op.LSH32_X: { const d = dst[pc]; lo[d] = lo[d] << (lo[src[pc]] & 31); hi[d] = 0; pc++; break; }
        case Op.RSH32_K: { const d = dst[pc]; lo[d] = lo[d] >>> (imm[pc] & 31); hi[d] = 0; pc++; break; }
        case Op.RSH32_X: { const d = dst[pc]; lo[d] = lo[d] >>> (lo[src[pc]] & 31); hi[d] = 0; pc++; break; }
        case Op.ARSH32_K: { const d = dst[pc]; lo[d] = lo[d] >> (imm[pc] & 31); hi[d] = 0; pc++; break; }
        case Op.ARSH32_X: { const d = dst[pc]; lo[d] = lo[d] >> (lo[src[pc]] & 31); hi[d] = 0; pc++; break; }
        case Op.NEG32: { const d = dst[pc]; lo[d] = -lo[d]; hi[d] = 0; pc++; break; }
        case Op.MOV32_K: { const d = dst[pc]; lo[d] = imm[pc]; hi[d] = 0; pc++; break; }
        case Op.MOV32_X: { const d = dst[pc]; lo[d] = lo[src[pc]]; hi[d] = 0; pc++; break; }
        case Op.MOVSX32_8: { const d = dst[pc]; lo[d] = (lo[src[pc]] << 24) >> 24; hi[d] = 0; pc++; break; }
        case Op.MOVSX32_16: { const d = dst[pc]; lo[d] = (lo[src[pc]] << 16) >> 16; hi[d] = 0; pc++; break; }
        case Op.LE16: { const d = dst[pc]; lo[d] &= 0xffff; hi[d] = 0; pc++; break; }
        case Op.LE32: hi[dst[pc]] = 0; pc++; break;
        case Op.LE64: pc++; break;

        // ---- jumps: 64-bit compares on halves (K is imm sign-extended), 32-bit on lo ----
        case Op.JA: pc = aux[pc]; break;
        case Op.JEQ_K: { const d = dst[pc], k = imm[pc]; pc = lo[d] === k && hi[d] === k >> 31 ? aux[pc] : pc + 1; break; }
        case Op.JEQ_X: { const d = dst[pc], r = src[pc]; pc = lo[d] === lo[r] && hi[d] === hi[r] ? aux[pc] : pc + 1; break; }
        case Op.JNE_K: { const d = dst[pc], k = imm[pc]; pc = lo[d] !== k || hi[d] !== k >> 31 ? aux[pc] : pc + 1; break; }
        case Op.JNE_X: { const d = dst[pc], r = src[pc]; pc = lo[d] !== lo[r] || hi[d] !== hi[r] ? aux[pc] : pc + 1; break; }
        case Op.JSET_K: { const d = dst[pc], k = imm[pc]; pc = (lo[d] & k) !== 0 || (hi[d] & (k >> 31)) !== 0 ? aux[pc] : pc + 1; break; }
        case Op.JSET_X: { const d = dst[pc], r = src[pc]; pc = (lo[d] & lo[r]) !== 0 || (hi[d] & hi[r]) !== 0 ? aux[pc] : pc + 1; break; }
        case Op.JGT_K: { const d = dst[pc], k = imm[pc]; pc = ucmp(lo[d], hi[d], k, k >> 31) > 0 ? aux[pc] : pc + 1; break; }
        case Op.JGT_X: { const d = dst[pc], r = src[pc]; pc = ucmp(lo[d], hi[d], lo[r], hi[r]) > 0 ? aux[pc] : pc + 1; break; }
        case Op.JGE_K: { const d = dst[pc], k = imm[pc]; pc = ucmp(lo[d], hi[d], k, k >> 31) >= 0 ? aux[pc] : pc + 1; break; }
        case Op.JGE_X: { const d = dst[pc], r = src[pc]; pc = ucmp(lo[d], hi[d], lo[r], hi[r]) >= 0 ? aux[pc] : pc + 1; break; }
        case Op.JLT_K: { const d = dst[pc], k = imm[pc]; pc = ucmp(lo[d], hi[d], k, k >> 31) < 0 ? aux[pc] : pc + 1; break; }
        case Op.JLT_X: { const d = dst[pc], r = src[pc]; pc = ucmp(lo[d], hi[d], lo[r], hi[r]) < 0 ? aux[pc] : pc + 1; break; }
        case Op.JLE_K: { const d = dst[pc], k = imm[pc]; pc = ucmp(lo[d], hi[d], k, k >> 31) <= 0 ? aux[pc] : pc + 1; break; }
        case Op.JLE_X: { const d = dst[pc], r = src[pc]; pc = ucmp(lo[d], hi[d], lo[r], hi[r]) <= 0 ? aux[pc] : pc + 1; break; }
        case Op.JSGT_K: { const d = dst[pc], k = imm[pc]; pc = scmp(lo[d], hi[d], k, k >> 31) > 0 ? aux[pc] : pc + 1; break; }
        case Op.JSGT_X: { const d = dst[pc], r = src[pc]; pc = scmp(lo[d], hi[d], lo[r], hi[r]) > 0 ? aux[pc] : pc + 1; break; }
        case Op.JSGE_K: { const d = dst[pc], k = imm[pc]; pc = scmp(lo[d], hi[d], k, k >> 31) >= 0 ? aux[pc] : pc + 1; break; }
        case Op.JSGE_X: { const d = dst[pc], r = src[pc]; pc = scmp(lo[d], hi[d], lo[r], hi[r]) >= 0 ? aux[pc] : pc + 1; break; }
        case Op.JSLT_K: { const d = dst[pc], k = imm[pc]; pc = scmp(lo[d], hi[d], k, k >> 31) < 0 ? aux[pc] : pc + 1; break; }
        case Op.JSLT_X: { const d = dst[pc], r = src[pc]; pc = scmp(lo[d], hi[d], lo[r], hi[r]) < 0 ? aux[pc] : pc + 1; break; }
        case Op.JSLE_K: { const d = dst[pc], k = imm[pc]; pc = scmp(lo[d], hi[d], k, k >> 31) <= 0 ? aux[pc] : pc + 1; break; }
        case Op.JSLE_X: { const d = dst[pc], r = src[pc]; pc = scmp(lo[d], hi[d], lo[r], hi[r]) <= 0 ? aux[pc] : pc + 1; break; }
        case Op.JEQ32_K: pc = lo[dst[pc]] === imm[pc] ? aux[pc] : pc + 1; break;
        case Op.JEQ32_X: pc = lo[dst[pc]] === lo[src[pc]] ? aux[pc] : pc + 1; break;
        case Op.JNE32_K: pc = lo[dst[pc]] !== imm[pc] ? aux[pc] : pc + 1; break;
        case Op.JNE32_X: pc = lo[dst[pc]] !== lo[src[pc]] ? aux[pc] : pc + 1; break;
        case Op.JSET32_K: pc = (lo[dst[pc]] & imm[pc]) !== 0 ? aux[pc] : pc + 1; break;
        case Op.JSET32_X: pc = (lo[dst[pc]] & lo[src[pc]]) !== 0 ? aux[pc] : pc + 1; break;
        case Op.JGT32_K: pc = lo[dst[pc]] >>> 0 > imm[pc] >>> 0 ? aux[pc] : pc + 1; break;
        case Op.JGT32_X: pc = lo[dst[pc]] >>> 0 > lo[src[pc]] >>> 0 ? aux[pc] : pc + 1; break;
        case Op.JGE32_K: pc = lo[dst[pc]] >>> 0 >= imm[pc] >>> 0 ? aux[pc] : pc + 1; break;
        case Op.JGE32_X: pc = lo[dst[pc]] >>> 0 >= lo[src[pc]] >>> 0 ? aux[pc] : pc + 1; break;
        case Op.JLT32_K: pc = lo[dst[pc]] >>> 0 < imm[pc] >>> 0 ? aux[pc] : pc + 1; break;
        case Op.JLT32_X: pc = lo[dst[pc]] >>> 0 < lo[src[pc]] >>> 0 ? aux[pc] : pc + 1; break;
        case Op.JLE32_K: pc = lo[dst[pc]] >>> 0 <= imm[pc] >>> 0 ? aux[pc] : pc + 1; break;
        case Op.JLE32_X: pc = lo[dst[pc]] >>> 0 <= lo[src[pc]] >>> 0 ? aux[pc] : pc + 1; break;
        case Op.JSGT32_K: pc = lo[dst[pc]] > imm[pc] ? aux[pc] : pc + 1; break;
        case Op.JSGT32_X: pc = lo[dst[pc]] > lo[src[pc]] ? aux[pc] : pc + 1; break;
        case Op.JSGE32_K: pc = lo[dst[pc]] >= imm[pc] ? aux[pc] : pc + 1; break;
        case Op.JSGE32_X: pc = lo[dst[pc]] >= lo[src[pc]] ? aux[pc] : pc + 1; break;
        case Op.JSLT32_K: pc = lo[dst[pc]] < imm[pc] ? aux[pc] : pc + 1; break;
        case Op.JSLT32_X: pc = lo[dst[pc]] < lo[src[pc]] ? aux[pc] : pc + 1; break;
        case Op.JSLE32_K: pc = lo[dst[pc]] <= imm[pc] ? aux[pc] : pc + 1; break;
        case Op.JSLE32_X: pc = lo[dst[pc]] <= lo[src[pc]] ? aux[pc] : pc + 1; break;
        case Op.MAY_GOTO: {
          // The verifier's rewrite: a per-frame counter from BPF_MAX_LOOPS; jump once it is spent.
          const c = m.mayGoto[m.depth];
          if (c === 0) pc = aux[pc];
          else {
            m.mayGoto[m.depth] = c - 1;
            pc++;
          }
          break;
        }

        // ---- calls ----
        case Op.CALL_HELPER:
        case Op.CALL_KFUNC:
        case Op.CALLX: {
          m.remaining = rem;
          const o = ops[pc];
          if (o === Op.CALLX) m.callIndirect(dst[pc], pc);
          else m.callHelper(imm[pc], pc, o === Op.CALL_KFUNC);
          rem = m.remaining;
          pc++;
          break;
        }
        case Op.TAIL_CALL: {
          const next = m.tailCall();
          if (next === undefined) {
            pc++;
            break;
          }
          p = next;
          ops = p.ops; dst = p.dst; src = p.src; off = p.off; imm = p.imm; aux = p.aux;
          pc = 0;
          break;
        }
        case Op.CALL_LOCAL:
          m.callLocal(pc);
          pc = aux[pc];
          break;
        case Op.EXIT: {
          if (m.depth === base) {
            m.remaining = rem;
            return;
          }
          pc = m.returnFromCall();
          const caller = m.frameProg[m.depth];
          if (caller !== p) {
            p = caller;
            ops = p.ops; dst = p.dst; src = p.src; off = p.off; imm = p.imm; aux = p.aux;
          }
          break;
        }

        case Op.LDDW: { const d = dst[pc]; lo[d] = imm[pc]; hi[d] = aux[pc]; pc += 2; break; }

        // ---- loads and stores: address = reg + off, checked by mem.at() ----
        case Op.LDX_B: {
          const r = src[pc], t = (lo[r] >>> 0) + off[pc], a = t >>> 0, d = dst[pc];
          lo[d] = mem.at((hi[r] + (t < 0 ? -1 : t >= TWO32 ? 1 : 0)) | 0, a, 1, false).getUint8(a);
          hi[d] = 0;
          pc++;
          break;
        }
        case Op.LDX_H: {
          const r = src[pc], t = (lo[r] >>> 0) + off[pc], a = t >>> 0, d = dst[pc];
          lo[d] = mem.at((hi[r] + (t < 0 ? -1 : t >= TWO32 ? 1 : 0)) | 0, a, 2, false).getUint16(a, true);
          hi[d] = 0;
          pc++;
          break;
        }
        case Op.LDX_W: {
          const r = src[pc], t = (lo[r] >>> 0) + off[pc], a = t >>> 0, d = dst[pc];
          lo[d] = mem.at((hi[r] + (t < 0 ? -1 : t >= TWO32 ? 1 : 0)) | 0, a, 4, false).getInt32(a, true);
          hi[d] = 0;
          pc++;
          break;
        }
        case Op.LDX_DW: {
          const r = src[pc], t = (lo[r] >>> 0) + off[pc], a = t >>> 0, d = dst[pc];
          const v = mem.at((hi[r] + (t < 0 ? -1 : t >= TWO32 ? 1 : 0)) | 0, a, 8, false);
          lo[d] = v.getInt32(a, true);
          hi[d] = v.getInt32(a + 4, true);
          pc++;
          break;
        }
        case Op.LDXS_B: {
          const r = src[pc], t = (lo[r] >>> 0) + off[pc], a = t >>> 0, d = dst[pc];
          const v = mem.at((hi[r] + (t < 0 ? -1 : t >= TWO32 ? 1 : 0)) | 0, a, 1, false).getInt8(a);
          lo[d] = v;
          hi[d] = v >> 31;
          pc++;
          break;
        }
        case Op.LDXS_H: {
          const r = src[pc], t = (lo[r] >>> 0) + off[pc], a = t >>> 0, d = dst[pc];
          const v = mem.at((hi[r] + (t < 0 ? -1 : t >= TWO32 ? 1 : 0)) | 0, a, 2, false).getInt16(a, true);
          lo[d] = v;
          hi[d] = v >> 31;
          pc++;
          break;
        }
        case Op.LDXS_W: {
          const r = src[pc], t = (lo[r] >>> 0) + off[pc], a = t >>> 0, d = dst[pc];
          const v = mem.at((hi[r] + (t < 0 ? -1 : t >= TWO32 ? 1 : 0)) | 0, a, 4, false).getInt32(a, true);
          lo[d] = v;
          hi[d] = v >> 31;
          pc++;
          break;
        }
        case Op.ST_B: {
          const r = dst[pc], t = (lo[r] >>> 0) + off[pc], a = t >>> 0;
          mem.at((hi[r] + (t < 0 ? -1 : t >= TWO32 ? 1 : 0)) | 0, a, 1, true).setInt8(a, imm[pc]);
          pc++;
          break;
        }
        case Op.ST_H: {
          const r = dst[pc], t = (lo[r] >>> 0) + off[pc], a = t >>> 0;
          mem.at((hi[r] + (t < 0 ? -1 : t >= TWO32 ? 1 : 0)) | 0, a, 2, true).setInt16(a, imm[pc], true);
          pc++;
          break;
        }
        case Op.ST_W: {
          const r = dst[pc], t = (lo[r] >>> 0) + off[pc], a = t >>> 0;
          mem.at((hi[r] + (t < 0 ? -1 : t >= TWO32 ? 1 : 0)) | 0, a, 4, true).setInt32(a, imm[pc], true);
          pc++;
          break;
        }
        case Op.ST_DW: {
          const r = dst[pc], t = (lo[r] >>> 0) + off[pc], a = t >>> 0, k = imm[pc];
          const v = mem.at((hi[r] + (t < 0 ? -1 : t >= TWO32 ? 1 : 0)) | 0, a, 8, true);
          v.setInt32(a, k, true);
          v.setInt32(a + 4, k >> 31, true);
          pc++;
          break;
        }
        case Op.STX_B: {
          const r = dst[pc], t = (lo[r] >>> 0) + off[pc], a = t >>> 0;
          mem.at((hi[r] + (t < 0 ? -1 : t >= TWO32 ? 1 : 0)) | 0, a, 1, true).setInt8(a, lo[src[pc]]);
          pc++;
          break;
        }
        case Op.STX_H: {
          const r = dst[pc], t = (lo[r] >>> 0) + off[pc], a = t >>> 0;
          mem.at((hi[r] + (t < 0 ? -1 : t >= TWO32 ? 1 : 0)) | 0, a, 2, true).setInt16(a, lo[src[pc]], true);
          pc++;
          break;
        }
        case Op.STX_W: {
          const r = dst[pc], t = (lo[r] >>> 0) + off[pc], a = t >>> 0;
          mem.at((hi[r] + (t < 0 ? -1 : t >= TWO32 ? 1 : 0)) | 0, a, 4, true).setInt32(a, lo[src[pc]], true);
          pc++;
          break;
        }
        case Op.STX_DW: {
          const r = dst[pc], t = (lo[r] >>> 0) + off[pc], a = t >>> 0, s = src[pc];
          const v = mem.at((hi[r] + (t < 0 ? -1 : t >= TWO32 ? 1 : 0)) | 0, a, 8, true);
          v.setInt32(a, lo[s], true);
          v.setInt32(a + 4, hi[s], true);
          pc++;
          break;
        }
        case Op.ATOMIC_W: atomic(m, p, pc, false); pc++; break;
        case Op.ATOMIC_DW: atomic(m, p, pc, true); pc++; break;
        case Op.LOAD_ACQ: loadAcquire(m, p, pc); pc++; break;
        case Op.STORE_REL: storeRelease(m, p, pc); pc++; break;
        case Op.LD_ABS:
        case Op.LD_IND: {
          m.remaining = rem;
          if (loadPacket(m, p, pc, ops[pc] === Op.LD_IND)) {
            pc++;
            break;
          }
          // A failed packet load ends the frame with r0 = 0 (the kernel's rewrite: r0 = 0; exit).
          lo[0] = 0;
          hi[0] = 0;
          if (m.depth === base) return;
          pc = m.returnFromCall();
          const caller = m.frameProg[m.depth];
          if (caller !== p) {
            p = caller;
            ops = p.ops; dst = p.dst; src = p.src; off = p.off; imm = p.imm; aux = p.aux;
          }
          break;
        }

        case Op.FALL_OFF:
          throw new ProgramCounterFault(pc, `control fell off the end of the program (${p.length} slots)`).locate(
            Math.max(0, p.length - 1), m.depth, p.code[Math.max(0, p.length - 1)], p.name);
        case Op.BAD_TARGET: {
          const bad = p.badTargets[pc - p.length - 1];
          throw new ProgramCounterFault(bad.target, `jump or call target ${bad.target} is outside the program (${p.length} slots)`)
            .locate(bad.from, m.depth, p.code[bad.from], p.name);
        }
        default:
          throw new InvalidInstruction(p.invalid.get(pc) ?? `unknown opcode 0x${p.code[pc].toString(16)}`);
      }
    }
  } catch (e) {
    if (e instanceof VirtualHit) {
      try {
        virtualAccess(lo, hi, p, pc, e);
      } catch (inner) {
        e = inner;
      }
      if (e instanceof VirtualHit) {
        pc++;
        continue;
      }
    }
    m.remaining = rem;
    if (e instanceof VmError && e.insn === undefined) e.locate(pc, m.depth, p.code[pc], p.name);
    else if (e instanceof BpfsimError && !(e instanceof VmError)) e.wrap(`insn ${pc}`);
    throw e;
  }
  }
}

const VIRTUAL_LOADS: Partial<Record<Op, [1 | 2 | 4 | 8, boolean]>> = {
  [Op.LDX_B]: [1, false], [Op.LDX_H]: [2, false], [Op.LDX_W]: [4, false], [Op.LDX_DW]: [8, false],
  [Op.LDXS_B]: [1, true], [Op.LDXS_H]: [2, true], [Op.LDXS_W]: [4, true],
};
const VIRTUAL_STORES: Partial<Record<Op, [1 | 2 | 4 | 8, 'imm' | 'reg']>> = {
  [Op.ST_B]: [1, 'imm'], [Op.ST_H]: [2, 'imm'], [Op.ST_W]: [4, 'imm'], [Op.ST_DW]: [8, 'imm'],
  [Op.STX_B]: [1, 'reg'], [Op.STX_H]: [2, 'reg'], [Op.STX_W]: [4, 'reg'], [Op.STX_DW]: [8, 'reg'],
};

/** The load or store at `pc` on a virtual (context) region: the accessor gives or takes the full value. */
function virtualAccess(lo: Int32Array, hi: Int32Array, p: PreparedProgram, pc: number, v: VirtualHit): void {
  const op = p.ops[pc] as Op;
  const load = VIRTUAL_LOADS[op];
  if (load) {
    const value = BigInt.asUintN(64, v.access.load(v.off, load[0], load[1]));
    const d = p.dst[pc];
    lo[d] = Number(value & 0xffffffffn) | 0;
    hi[d] = Number(value >> 32n) | 0;
    return;
  }
  const store = VIRTUAL_STORES[op];
  if (!store) throw new InvalidInstruction(`opcode 0x${p.code[pc].toString(16)} cannot access a context`);
  const value = store[1] === 'imm'
    ? BigInt.asUintN(64, BigInt(p.imm[pc]))
    : (BigInt(hi[p.src[pc]] >>> 0) << 32n) | BigInt(lo[p.src[pc]] >>> 0);
  v.access.store(v.off, store[0], BigInt.asUintN(store[0] * 8, value));
}

/** Unsigned 64-bit compare of (al, ah) with (bl, bh): -1, 0 or 1. */
function ucmp(al: number, ah: number, bl: number, bh: number): number {
  if (ah !== bh) return (ah >>> 0) < (bh >>> 0) ? -1 : 1;
  if (al === bl) return 0;
  return (al >>> 0) < (bl >>> 0) ? -1 : 1;
}

/** Signed 64-bit compare. */
function scmp(al: number, ah: number, bl: number, bh: number): number {
  if (ah !== bh) return ah < bh ? -1 : 1;
  if (al === bl) return 0;
  return (al >>> 0) < (bl >>> 0) ? -1 : 1;
}
