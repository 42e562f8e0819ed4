/**
 * do_check: abstract interpretation of every path, instruction by instruction, with the kernel's
 * order of checks, messages and errnos (privileged loader: CAP_BPF + CAP_PERFMON, so pointer leaks,
 * uninitialised stack reads and bounded loops are allowed). Memory access is in mem.ts, calls and
 * exits in call.ts, pruning in prune.ts.
 */
import type { Insn } from '@bpfsim/isa';
import { op } from './opcodes';
import type { ProgTypeInfo } from '@bpfsim/uapi';
import type { MapInfo, VerifyOptions } from './api';
import * as S from './bridge/scalar';
import { einval, eacces, Reject } from './errors';
import { VLog, vlogAlignment } from './log';
import { checkMemAccess } from './mem';
import { checkHelperCall, checkFuncCall, processExit } from './call';
import { isStateVisited, finishCheckpoint, type Explored } from './prune';
import { insnText } from './text';
import type { AttachTarget } from './btf-ctx';
import { ProgFuncs, type SubprogArg } from './global-func';
import { checkKfuncCall, kfuncName } from './kfunc';
import { pathStep, type PathStep } from './path';
import { branchTaken, markPtrOrNull, matchPktPointers, setScalar } from './jump';
import { cloneReg, cloneState, flaggedTypeStr, frameStr, isPtr, newFrame, ptr, scalar, notInit, type Frame, type Reg, type VState } from './state';

export const BPF_COMPLEXITY_LIMIT_INSNS = 1_000_000;

const ALU_STR: Record<number, string> = {
  0x00: '+=', 0x10: '-=', 0x20: '*=', 0x30: '/=', 0x40: '|=', 0x50: '&=', 0x60: '<<=', 0x70: '>>=',
  0x80: 'neg', 0x90: '%=', 0xa0: '^=', 0xb0: '=', 0xc0: 's>>=', 0xd0: 'endian',
};

/** A path waiting to be explored (push_stack). */
interface Pending { st: VState; idx: number; prev: number; logPos: number; path: PathStep | null }

/** A stored checkpoint with the number of live paths below it (the kernel's `branches`). */
export interface Checkpoint {
  st: VState; branches: number; parent: Checkpoint | null; idx: number;
  /** Evicted from its bucket while paths below it were still open: freed when they end. */
  evicted: boolean;
}

export class Checker {
  readonly log: VLog;
  idGen = 0;
  processed = 0;
  jmpsProcessed = 0;
  prevJmpsProcessed = 0;
  prevInsnProcessed = 0;
  totalStates = 0;
  peakStates = 0;
  curStates = 0;
  maxStatesPerInsn = 0;
  /** Remembered states by explored_state hash bucket. */
  readonly explored = new Map<number, Explored>();
  readonly pending: Pending[] = [];
  cur!: VState;
  curParent: Checkpoint | null = null;
  idx = 0;
  prevIdx = 0;
  /** Branch decisions on the current path, for learners. */
  path: PathStep | null = null;
  scratchedRegs = new Set<number>();
  scratchedSlots = new Set<number>();
  allScratched = true;
  prevLogPos = 0;
  prevInsnPrintPos = 0;
  /** Max stack depth per subprogram (bytes). */
  readonly stackDepth: number[];
  /** Tracing programs: the attach target whose arguments the context holds (btf-ctx.ts). */
  attach?: AttachTarget;
  /** The functions as func_info and the program BTF describe them (global-func.ts). */
  funcs: ProgFuncs = new ProgFuncs(undefined, undefined, 0);
  /** subprog_aux()->called: global functions some verified path calls (do_check_subprogs verifies them). */
  readonly calledGlobals = new Set<number>();

  constructor(
    readonly prog: readonly Insn[],
    readonly opts: VerifyOptions,
    readonly info: ProgTypeInfo,
    readonly subprogs: readonly number[],
    readonly ldMaps: ReadonlyMap<number, MapInfo>,
    readonly pruneMask: Uint8Array,
    readonly liveBefore: Uint16Array,
    log: VLog,
  ) {
    this.log = log;
    this.stackDepth = subprogs.map(() => 0);
  }

  // ---- state access -------------------------------------------------------------------------
  get frame(): Frame { return this.cur.frames[this.cur.frames.length - 1]; }
  get regs(): Reg[] { return this.frame.regs; }
  subprogOf(idx: number): number {
    let k = 0;
    for (let i = 0; i < this.subprogs.length; i++) if (this.subprogs[i] <= idx) k = i;
    return k;
  }
  markRegScratched(r: number): void { this.scratchedRegs.add(r); }
  markSlotScratched(spi: number): void { this.scratchedSlots.add(spi); }

  /** check_reg_arg(SRC_OP). */
  readReg(r: number): Reg {
    if (r >= 11) throw einval(`R${r} is invalid`);
    this.markRegScratched(r);
    const reg = this.regs[r];
    if (reg.type === 'not_init') throw eacces(`R${r} !read_ok`);
    return reg;
  }
  /** check_reg_arg(DST_OP_NO_MARK). */
  checkDst(r: number): void {
    if (r >= 11) throw einval(`R${r} is invalid`);
    this.markRegScratched(r);
    if (r === 10) throw eacces('frame pointer is read only');
  }
  setReg(r: number, reg: Reg): void { this.regs[r] = reg; }

  // ---- log ------------------------------------------------------------------------------------
  stateLine(all: boolean): string {
    return frameStr(this.cur, this.frame, all || this.allScratched ? null : this.scratchedRegs, all || this.allScratched ? null : this.scratchedSlots);
  }
  isScratched(): boolean { return this.allScratched || this.scratchedRegs.size > 0 || this.scratchedSlots.size > 0; }
  clean(): void { this.allScratched = false; this.scratchedRegs.clear(); this.scratchedSlots.clear(); }
  /** print_insn_state: append `; state` to the instruction line, or start a `N:` line. */
  printInsnState(): void {
    if (!this.log.level) { this.clean(); return; }
    if (this.prevLogPos && this.prevLogPos === this.log.pos) {
      this.log.reset(this.prevLogPos - 1);
      this.log.write(' '.repeat(vlogAlignment(this.prevInsnPrintPos)) + ';');
    } else this.log.write(`${this.idx}:`);
    this.log.write(this.stateLine(false) + '\n');
    this.clean();
  }
  /** print_verifier_state(print_all) for the current frame, with its own line. */
  printState(all: boolean): void {
    if (this.log.level) this.log.write(this.stateLine(all) + '\n');
    this.clean();
  }

  // ---- the main loop ---------------------------------------------------------------------------
  /**
   * do_check_common for the main program (0) or a global function `subprog`, whose argument
   * registers start as its prototype says (btf_prepare_func_args).
   */
  run(subprog = 0, args: readonly SubprogArg[] = []): void {
    const st: VState = { frames: [newFrame(0, -1, subprog)], refs: [], activeLock: 0, insnIdx: 0, callbackUnrollDepth: 0 };
    const regs = st.frames[0].regs;
    if (!subprog) regs[1] = ptr('ctx');
    args.forEach((a, i) => {
      regs[i + 1] = a.kind === 'ctx' ? ptr('ctx') : a.kind === 'anything' ? scalar()
        : ptr('mem', { maybeNull: true, memSize: a.memSize, id: ++this.idGen });
    });
    this.cur = st;
    this.idx = this.subprogs[subprog] ?? 0;
    this.prevIdx = this.idx;
    // free_states: a new pass starts without the previous one's checkpoints
    this.explored.clear();
    this.curParent = null;
    this.path = null;
    this.allScratched = true;
    this.prevLogPos = 0;
    let doPrintState = false;
    for (;;) {
      if (++this.processed > BPF_COMPLEXITY_LIMIT_INSNS) {
        throw new Reject(`BPF program is too large. Processed ${this.processed} insn`, 'E2BIG');
      }
      if (this.idx < 0 || this.idx >= this.prog.length) throw einval(`invalid insn idx ${this.idx} insn_cnt ${this.prog.length}`);
      const insn = this.prog[this.idx];
      this.cur.insnIdx = this.idx;
      if (this.pruneMask[this.idx]) {
        const r = isStateVisited(this, this.idx);
        if (r) {
          if (this.log.level) {
            if (doPrintState) this.log.write(`\nfrom ${this.prevIdx} to ${this.idx}: safe\n`);
            else this.log.write(`${this.idx}: safe\n`);
          }
          if (!this.popPath()) return;
          doPrintState = true;
          continue;
        }
      }
      if (this.log.level === 2 && doPrintState) {
        this.log.write(`\nfrom ${this.prevIdx} to ${this.idx}:` + this.stateLine(true) + '\n');
      }
      doPrintState = false;
      if (this.log.level) {
        if (this.isScratched()) this.printInsnState();
        this.prevLogPos = this.log.pos;
        this.log.write(`${this.idx}: ${insnText(this.prog, this.idx, this.ldMaps, (i) => kfuncName(this.opts.kernelBtf, i))}\n`);
        this.prevInsnPrintPos = this.log.pos - this.prevLogPos;
        this.prevLogPos = this.log.pos;
      }
      const next = this.step(insn);
      if (next === 'exit') {
        this.endPath();
        if (!this.popPath()) return;
        doPrintState = true;
        continue;
      }
      // returning from a subprogram or callback: the kernel prints the next state as `from X to Y:`
      if ((insn.code & 0xf0) === op.BPF_EXIT && (insn.code & 7) === op.BPF_JMP) doPrintState = true;
      this.prevIdx = this.idx;
      this.idx = next;
    }
  }

  /** A path finished (exit or pruned): update_branch_counts. */
  endPath(): void {
    let c = this.curParent;
    while (c) {
      c.branches--;
      if (c.branches) break;
      finishCheckpoint(this, c);
      c = c.parent;
    }
  }

  /** pop_stack: continue with the most recently pushed branch; false when none is left. */
  popPath(): boolean {
    const p = this.pending.pop();
    if (!p) return false;
    if (this.log.level === 1) this.log.reset(p.logPos);
    this.cur = p.st;
    this.curParent = (p.st as VState & { parent?: Checkpoint | null }).parent ?? null;
    this.idx = p.idx;
    this.prevIdx = p.prev;
    this.path = p.path;
    this.allScratched = true;
    this.prevLogPos = 0;
    return true;
  }

  /** push_stack: remember the other side of a branch. */
  pushPath(st: VState, idx: number, prev: number): void {
    if (this.pending.length >= 8192) throw new Reject(`The sequence of ${this.pending.length} jumps is too complex.`, 'E2BIG');
    (st as VState & { parent?: Checkpoint | null }).parent = this.curParent;
    let c = this.curParent;
    if (c) c.branches++;
    void c;
    this.pending.push({ st, idx, prev, logPos: this.log.pos, path: pathStep(this.path, 'from', prev, idx) });
  }

  // ---- one instruction ------------------------------------------------------------------------
  step(insn: Insn): number | 'exit' {
    const cls = insn.code & 7;
    switch (cls) {
      case op.BPF_ALU: case op.BPF_ALU64:
        this.checkAlu(insn);
        return this.idx + 1;
      case op.BPF_LDX: {
        const mode = insn.code & 0xe0;
        this.readReg(insn.src);
        this.checkDst(insn.dst);
        checkMemAccess(this, insn.src, insn.off, sizeOf(insn.code), 'read', insn.dst, mode === op.BPF_MEMSX);
        return this.idx + 1;
      }
      case op.BPF_STX: {
        if ((insn.code & 0xe0) === op.BPF_ATOMIC) { this.checkAtomic(insn); return this.idx + 1; }
        if ((insn.code & 0xe0) !== op.BPF_MEM || insn.imm !== 0) throw einval('BPF_STX uses reserved fields');
        this.readReg(insn.src);
        this.readReg(insn.dst);
        checkMemAccess(this, insn.dst, insn.off, sizeOf(insn.code), 'write', insn.src, false);
        return this.idx + 1;
      }
      case op.BPF_ST: {
        if ((insn.code & 0xe0) !== op.BPF_MEM || insn.src !== 0) throw einval('BPF_ST uses reserved fields');
        this.readReg(insn.dst);
        checkMemAccess(this, insn.dst, insn.off, sizeOf(insn.code), 'write', -1, false, insn.imm);
        return this.idx + 1;
      }
      case op.BPF_LD: {
        const mode = insn.code & 0xe0;
        if (mode === op.BPF_ABS || mode === op.BPF_IND) { this.checkLdAbs(insn); return this.idx + 1; }
        if (mode !== op.BPF_IMM) throw einval('invalid BPF_LD mode');
        this.checkLdImm(insn);
        return this.idx + 2;
      }
      default: {
        const o = insn.code & 0xf0;
        this.jmpsProcessed++;
        if (o === op.BPF_CALL) {
          if ((insn.code & 8) !== 0 || (insn.src !== op.BPF_PSEUDO_KFUNC_CALL && insn.off !== 0) ||
            (insn.src !== 0 && insn.src !== op.BPF_PSEUDO_CALL && insn.src !== op.BPF_PSEUDO_KFUNC_CALL) ||
            insn.dst !== 0 || cls === op.BPF_JMP32) throw einval('BPF_CALL uses reserved fields');
          // 6.18 lets static and global subprogram calls through here (check_func_call decides)
          if (this.cur.activeLock && ((insn.src === 0 && insn.imm !== 94) || insn.src === op.BPF_PSEUDO_KFUNC_CALL)) throw einval('function calls are not allowed while holding a lock');
          if (insn.src === op.BPF_PSEUDO_CALL) return checkFuncCall(this, insn);
          if (insn.src === op.BPF_PSEUDO_KFUNC_CALL) return checkKfuncCall(this, insn);
          const after = checkHelperCall(this, insn);
          this.markRegScratched(0);
          return after ?? this.idx + 1;
        }
        if (o === op.BPF_JA) {
          if ((insn.code & 8) !== 0 || insn.src !== 0 || insn.dst !== 0 || (cls === op.BPF_JMP && insn.imm !== 0) ||
            (cls === op.BPF_JMP32 && insn.off !== 0)) throw einval('BPF_JA uses reserved fields');
          return cls === op.BPF_JMP ? this.idx + insn.off + 1 : this.idx + insn.imm + 1;
        }
        if (o === op.BPF_EXIT) {
          if ((insn.code & 8) !== 0 || insn.imm !== 0 || insn.src !== 0 || insn.dst !== 0 || cls === op.BPF_JMP32) {
            throw einval('BPF_EXIT uses reserved fields');
          }
          return processExit(this);
        }
        return this.checkCondJmp(insn);
      }
    }
  }

  // ---- ALU ------------------------------------------------------------------------------------
  checkAlu(insn: Insn): void {
    const o = insn.code & 0xf0;
    const is64 = (insn.code & 7) === op.BPF_ALU64;
    const x = (insn.code & 8) !== 0;
    if (o === op.BPF_END || o === op.BPF_NEG) {
      if (o === op.BPF_NEG) {
        if (x || insn.src !== 0 || insn.off !== 0 || insn.imm !== 0) throw einval('BPF_NEG uses reserved fields');
      } else if (insn.src !== 0 || insn.off !== 0 || (insn.imm !== 16 && insn.imm !== 32 && insn.imm !== 64) || (is64 && x)) {
        throw einval('BPF_END uses reserved fields');
      }
      const d = this.readReg(insn.dst);
      this.checkDst(insn.dst);
      if (d.type !== 'scalar') { this.setReg(insn.dst, scalar()); return; }
      if (o === op.BPF_NEG) this.setReg(insn.dst, scalar(S.alu(op.BPF_NEG, is64, d.s, d.s)));
      else this.setReg(insn.dst, scalar(S.endian(d.s, is64 ? 'bswap' : x ? 'be' : 'le', insn.imm, is64)));
      return;
    }
    if (o === op.BPF_MOV) {
      if (x) {
        if (!is64) { if ((insn.off !== 0 && insn.off !== 8 && insn.off !== 16) || insn.imm) throw einval('BPF_MOV uses reserved fields'); }
        else if (insn.off === op.BPF_ADDR_SPACE_CAST) {
          if (insn.imm !== 1 && insn.imm !== 1 << 16) throw einval('addr_space_cast insn can only convert between address space 1 and 0');
          throw einval('addr_space_cast insn can only be used in a program that has an associated arena');
        }
        else if ((insn.off !== 0 && insn.off !== 8 && insn.off !== 16 && insn.off !== 32) || insn.imm) throw einval('BPF_MOV uses reserved fields');
        const src = this.readReg(insn.src);
        this.checkDst(insn.dst);
        if (is64) {
          if (insn.off === 0) {
            if (src.type === 'scalar' && !S.isConst(src.s) && !src.id) src.id = ++this.idGen;
            this.setReg(insn.dst, cloneReg(src));
          } else if (src.type === 'scalar') {
            this.setReg(insn.dst, scalar(S.signExtend(src.s, insn.off, true)));
            if (src.s.umax < 1n << BigInt(insn.off - 1) && !S.isConst(src.s)) {
              if (!src.id) src.id = ++this.idGen;
              this.regs[insn.dst].id = src.id;
            }
          } else this.setReg(insn.dst, scalar());
        } else {
          if (src.type === 'scalar') {
            if (insn.off === 0) {
              const fits = src.s.umax <= 0xffffffffn;
              if (fits && !S.isConst(src.s) && !src.id) src.id = ++this.idGen;
              const d = scalar(S.alu(op.BPF_MOV, false, src.s, src.s));
              d.id = fits ? src.id : 0;
              this.setReg(insn.dst, d);
            } else this.setReg(insn.dst, scalar(S.signExtend(src.s, insn.off, false)));
          } else this.setReg(insn.dst, scalar(S.unknownOfSize(4)));
        }
      } else {
        if (insn.src !== 0 || insn.off !== 0) throw einval('BPF_MOV uses reserved fields');
        this.checkDst(insn.dst);
        this.setReg(insn.dst, scalar(S.known(is64 ? BigInt(insn.imm) : BigInt(insn.imm >>> 0))));
      }
      return;
    }
    if (!ALU_STR[o] || o > op.BPF_ARSH) throw einval(`invalid BPF_ALU opcode ${o.toString(16)}`);
    if (x) {
      if (insn.imm !== 0 || (insn.off !== 0 && insn.off !== 1) || (insn.off === 1 && o !== op.BPF_MOD && o !== op.BPF_DIV)) {
        throw einval('BPF_ALU uses reserved fields');
      }
      this.readReg(insn.src);
    } else if (insn.src !== 0 || (insn.off !== 0 && insn.off !== 1) || (insn.off === 1 && o !== op.BPF_MOD && o !== op.BPF_DIV)) {
      throw einval('BPF_ALU uses reserved fields');
    }
    this.readReg(insn.dst);
    if ((o === op.BPF_MOD || o === op.BPF_DIV) && !x && insn.imm === 0) throw einval('div by zero');
    if ((o === op.BPF_LSH || o === op.BPF_RSH || o === op.BPF_ARSH) && !x) {
      const size = is64 ? 64 : 32;
      if (insn.imm < 0 || insn.imm >= size) throw einval(`invalid shift ${insn.imm}`);
    }
    this.checkDst(insn.dst);
    const dst = this.regs[insn.dst];
    const src = x ? this.regs[insn.src] : scalar(S.known(BigInt(insn.imm)));
    if (isPtr(src) && isPtr(dst)) {
      if (o === op.BPF_SUB) { this.setReg(insn.dst, scalar()); return; }
      throw eacces(`R${insn.dst} pointer ${ALU_STR[o]} pointer prohibited`);
    }
    if (isPtr(dst)) { this.setReg(insn.dst, this.ptrAlu(insn, o, is64, dst, src, false)); return; }
    if (isPtr(src)) { this.setReg(insn.dst, this.ptrAlu(insn, o, is64, src, dst, true)); return; }
    // scalar op scalar
    const res = S.aluStep(o, is64, dst.s, src.s, insn.off === 1);
    if (res.fork) {
      // maybe_fork_scalars: the other value is explored by re-running this instruction
      const other = cloneState(this.cur);
      const f = other.frames[other.frames.length - 1];
      f.regs[insn.dst] = { ...f.regs[insn.dst], s: res.fork };
      this.pushPath(other, this.idx, this.idx);
    }
    this.setReg(insn.dst, scalar(res.dst));
  }

  /** adjust_ptr_min_max_vals: pointer +/- scalar. `swapped`: scalar += pointer. */
  ptrAlu(insn: Insn, o: number, is64: boolean, p: Reg, off: Reg, swapped: boolean): Reg {
    const d = insn.dst;
    if (!is64) {
      if (o === op.BPF_SUB) return scalar(S.unknownOfSize(4));
      throw eacces(`R${d} 32-bit pointer arithmetic prohibited`);
    }
    if (p.maybeNull) throw eacces(`R${d} pointer arithmetic on ${typeName(p)} prohibited, null-check it first`);
    // untrusted memory is read with probe semantics: its offset is not tracked
    if (p.untrusted && p.type === 'mem') return cloneReg(p);
    const known = S.isConst(off.s);
    const kval = known ? S.constValue(off.s) : 0n;
    const smin = S.isConst(off.s) ? BigInt.asIntN(64, kval) : off.s.smin;
    switch (p.type) {
      case 'ctx': case 'map_value': case 'map_key': case 'fp': case 'pkt_meta': case 'pkt': case 'mem': case 'ringbuf_mem': case 'func': case 'ptr_btf':
        break;
      case 'map_ptr':
        if (known && smin === 0n && o === op.BPF_ADD) break;
        throw eacces(`R${d} pointer arithmetic on ${typeName(p)} prohibited`);
      default:
        throw eacces(`R${d} pointer arithmetic on ${typeName(p)} prohibited`);
    }
    const tname = typeName(p);
    // check_reg_sane_offset, for the operand, the pointer, and (below) the result
    const sane = (r: Reg): void => {
      const M = 1n << 29n;
      if (S.isConst(r.s)) {
        const v = BigInt.asIntN(64, S.constValue(r.s));
        if (v >= M || v <= -M) throw einval(`math between ${tname} pointer and ${v} is not allowed`);
      }
      if (r.off >= 1 << 29 || r.off <= -(1 << 29)) throw einval(`${tname} pointer offset ${r.off} is not allowed`);
      if (r.s.smin === -(1n << 63n)) throw einval(`math between ${tname} pointer and register with unbounded min value is not allowed`);
      if (r.s.smin >= M || r.s.smin <= -M) throw einval(`value ${r.s.smin} makes ${tname} pointer be out of bounds`);
    };
    sane(off);
    sane(p);
    const res: Reg = cloneReg(p);
    switch (o) {
      case op.BPF_ADD:
        if (known && BigInt(p.off) + smin === BigInt.asIntN(32, BigInt(p.off) + smin)) {
          res.off = p.off + Number(smin);
          break;
        }
        res.s = S.alu(op.BPF_ADD, true, p.s, off.s);
        if (p.type === 'pkt' || p.type === 'pkt_meta') { res.id = ++this.idGen; res.range = 0; }
        break;
      case op.BPF_SUB:
        if (swapped) throw eacces(`R${d} tried to subtract pointer from scalar`);
        if (p.type === 'fp') throw eacces(`R${d} subtraction from stack pointer prohibited`);
        if (known && BigInt(p.off) - smin === BigInt.asIntN(32, BigInt(p.off) - smin)) {
          res.off = p.off - Number(smin);
          break;
        }
        res.s = S.alu(op.BPF_SUB, true, p.s, off.s);
        if (p.type === 'pkt' || p.type === 'pkt_meta') { res.id = ++this.idGen; if (off.s.smin < 0n) res.range = 0; }
        break;
      case op.BPF_AND: case op.BPF_OR: case op.BPF_XOR:
        throw eacces(`R${d} bitwise operator ${ALU_STR[o]} on pointer prohibited`);
      default:
        throw eacces(`R${d} pointer arithmetic with ${ALU_STR[o]} operator prohibited`);
    }
    sane(res);
    return res;
  }

  checkAtomic(insn: Insn): void {
    const sz = sizeOf(insn.code);
    const imm = insn.imm;
    const ok = [op.BPF_ADD, op.BPF_AND, op.BPF_OR, op.BPF_XOR, op.BPF_ADD | op.BPF_FETCH, op.BPF_AND | op.BPF_FETCH,
      op.BPF_OR | op.BPF_FETCH, op.BPF_XOR | op.BPF_FETCH, op.BPF_XCHG, op.BPF_CMPXCHG];
    if (imm === op.BPF_LOAD_ACQ || imm === op.BPF_STORE_REL) throw einval(`BPF_ATOMIC uses invalid atomic opcode ${imm.toString(16).padStart(2, '0')}`);
    if (!ok.includes(imm)) throw einval(`BPF_ATOMIC uses invalid atomic opcode ${(imm >>> 0).toString(16).padStart(2, '0')}`);
    if (sz !== 4 && sz !== 8) throw einval('invalid atomic operand size');
    this.readReg(insn.src);
    this.readReg(insn.dst);
    if (imm === op.BPF_CMPXCHG) this.readReg(0);
    if (isPtr(this.regs[insn.src])) throw eacces(`R${insn.src} leaks addr into mem`);
    const d = this.regs[insn.dst];
    if (d.type === 'ctx' || d.type === 'pkt' || d.type === 'pkt_meta' || d.type === 'flow_keys' || d.type === 'sock' || d.type === 'sock_common' || d.type === 'tcp_sock') {
      throw eacces(`BPF_ATOMIC stores into R${insn.dst} ${typeName(d)} is not allowed`);
    }
    // atomics are checked with strict alignment (check_generic_ptr_alignment for BTF pointers)
    if (d.type === 'ptr_btf' && S.isConst(d.s) && (Number(BigInt.asIntN(64, S.constValue(d.s))) + d.off + insn.off) % sz !== 0) {
      throw eacces(`misaligned access off ${BigInt.asIntN(64, S.constValue(d.s))}+${d.off}+${insn.off} size ${sz}`);
    }
    const loadReg = imm === op.BPF_CMPXCHG ? 0 : insn.src;
    if (imm & op.BPF_FETCH) {
      checkMemAccess(this, insn.dst, insn.off, sz, 'read', loadReg, false);
    } else checkMemAccess(this, insn.dst, insn.off, sz, 'read', -1, false);
    checkMemAccess(this, insn.dst, insn.off, sz, 'write', -1, false);
  }

  checkLdImm(insn: Insn): void {
    if ((insn.code & 0x18) !== op.BPF_DW) throw einval('invalid BPF_LD_IMM insn');
    if (insn.off !== 0) throw einval('BPF_LD_IMM64 uses reserved fields');
    this.checkDst(insn.dst);
    if (insn.src === 0) {
      const lo = BigInt(insn.imm >>> 0), hi = BigInt(this.prog[this.idx + 1].imm >>> 0);
      this.setReg(insn.dst, scalar(S.known((hi << 32n) | lo)));
      return;
    }
    if (insn.src === op.BPF_PSEUDO_FUNC) {
      if (this.funcs.hasFuncInfo && !this.funcs.isStatic(this.subprogOf(this.idx + insn.imm + 1))) throw einval('callback function not static');
      this.setReg(insn.dst, ptr('func', { subprog: this.idx + insn.imm + 1 }));
      return;
    }
    const map = this.ldMaps.get(this.idx)!;
    if (insn.src === op.BPF_PSEUDO_MAP_VALUE || insn.src === op.BPF_PSEUDO_MAP_IDX_VALUE) {
      this.setReg(insn.dst, ptr('map_value', { map, off: this.prog[this.idx + 1].imm }));
    } else this.setReg(insn.dst, ptr('map_ptr', { map }));
  }

  checkLdAbs(insn: Insn): void {
    const mode = insn.code & 0xe0;
    if (!this.info.ldAbs) throw einval('BPF_LD_[ABS|IND] instructions not allowed for this program type');
    if (insn.dst !== 0 || insn.off !== 0 || (insn.code & 0x18) === op.BPF_DW || (mode === op.BPF_ABS && insn.src !== 0)) {
      throw einval('BPF_LD_[ABS|IND] uses reserved fields');
    }
    this.readReg(6);
    if (this.cur.refs.length) throw einval(`BPF_LD_[ABS|IND] would lead to reference leak`);
    if (this.regs[6].type !== 'ctx') throw einval('at the time of BPF_LD_ABS|IND R6 != pointer to skb');
    if (mode === op.BPF_IND) this.readReg(insn.src);
    checkPtrOffReg(this.regs[6], 6);
    for (let r = 0; r <= 5; r++) { this.setReg(r, notInit()); this.markRegScratched(r); }
    this.setReg(0, scalar());
  }

  // ---- conditional jumps ----------------------------------------------------------------------
  checkCondJmp(insn: Insn): number {
    const o = insn.code & 0xf0;
    const cls = insn.code & 7;
    if (o === op.BPF_JCOND) {
      if (insn.code !== (op.BPF_JMP | op.BPF_JCOND) || insn.src !== op.BPF_MAY_GOTO || insn.dst || insn.imm) {
        throw einval('invalid may_goto imm');
      }
      throw einval('may_goto is not supported by bpfsim');
    }
    if (o > op.BPF_JCOND) throw einval(`invalid BPF_JMP/JMP32 opcode ${o.toString(16)}`);
    const is32 = cls === op.BPF_JMP32;
    const x = (insn.code & 8) !== 0;
    this.readReg(insn.dst);
    let src: Reg;
    if (x) {
      if (insn.imm !== 0) throw einval('BPF_JMP/JMP32 uses reserved fields');
      src = this.readReg(insn.src);
    } else {
      if (insn.src !== 0) throw einval('BPF_JMP/JMP32 uses reserved fields');
      src = scalar(S.known(is32 ? BigInt(insn.imm >>> 0) : BigInt(insn.imm)));
    }
    const dst = this.regs[insn.dst];
    const target = this.idx + insn.off + 1;
    const pred = branchTaken(dst, src, o, is32);
    if (pred >= 0) {
      if (dst.type === 'scalar') this.markPrecise(insn.dst);
      if (x && src.type === 'scalar') this.markPrecise(insn.src);
    }
    if (pred === 1) {
      this.printInsnStateIfLogging();
      this.path = pathStep(this.path, 'always', this.idx, target);
      return target;
    }
    if (pred === 0) {
      this.printInsnStateIfLogging();
      this.path = pathStep(this.path, 'never', this.idx, this.idx + 1);
      return this.idx + 1;
    }
    const other = cloneState(this.cur);
    const oregs = other.frames[other.frames.length - 1].regs;
    // scalar refinement
    void oregs;
    if (dst.type === 'scalar' && src.type === 'scalar') {
      const same = x && insn.src === insn.dst;
      const r = S.refineBoth(o, is32, dst.s, src.s, same);
      setScalar(other, insn.dst, r.taken[0]);
      if (x && !same) setScalar(other, insn.src, r.taken[1]);
      setScalar(this.cur, insn.dst, r.notTaken[0]);
      if (x && !same) setScalar(this.cur, insn.src, r.notTaken[1]);
    }
    if (!is32 && !x && insn.imm === 0 && (o === op.BPF_JEQ || o === op.BPF_JNE) && dst.maybeNull) {
      markPtrOrNull(this.cur, dst.id, o === op.BPF_JNE);
      markPtrOrNull(other, dst.id, o === op.BPF_JEQ);
    } else if (x && !is32) {
      matchPktPointers(o, insn, this.cur, other);
    }
    this.pushPath(other, target, this.idx);
    this.path = pathStep(this.path, 'falls', this.idx, target);
    this.printInsnStateIfLogging();
    return this.idx + 1;
  }

  /**
   * mark_chain_precision, simplified: the register and its unchanged copies in earlier checkpoints.
   * As __mark_chain_precision, the walk stops at a checkpoint where the register is already precise
   * (its ancestors were marked then): without that, a branch decided in every iteration of a long
   * loop walks the whole, ever longer checkpoint chain each time (quadratic, fuzz case r1:9253).
   */
  markPrecise(r: number): void {
    const reg = this.regs[r];
    reg.precise = true;
    const fi = this.cur.frames.length - 1;
    for (let cp = this.curParent; cp; cp = cp.parent) {
      const f = cp.st.frames[fi];
      const o = f?.regs[r];
      if (!o || o.type !== 'scalar' || o.precise || !S.equal(o.s, reg.s)) break;
      o.precise = true;
    }
  }

  printInsnStateIfLogging(): void {
    if (this.log.level) this.printInsnState();
  }
}

export function typeName(r: Reg): string {
  if (r.type === 'ptr_btf' || r.untrusted) return flaggedTypeStr(r);
  const base = r.type;
  return `${r.rdonly && base === 'mem' ? 'rdonly_' : ''}${base}${r.maybeNull ? '_or_null' : ''}`;
}

export const sizeOf = (code: number): 1 | 2 | 4 | 8 => op.sizeBytes(code & 0x18);

/** check_ptr_off_reg for context pointers (no fixed or variable offset allowed). */
export function checkPtrOffReg(reg: Reg, regno: number): void {
  const t = typeName(reg);
  if (reg.off < 0) throw eacces(`negative offset ${t} ptr R${regno} off=${reg.off} disallowed`);
  if (reg.off) throw eacces(`dereference of modified ${t} ptr R${regno} off=${reg.off} disallowed`);
  if (!S.isConst(reg.s) || S.constValue(reg.s) !== 0n) {
    throw eacces(`variable ${t} access var_off=(0x${reg.s.varOff.value.toString(16)}; 0x${reg.s.varOff.mask.toString(16)}) disallowed`);
  }
}

