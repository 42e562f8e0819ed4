/**
 * A seeded generator of random XDP programs that the real kernel accepts, for
 * differential testing of the interpreter against BPF_PROG_TEST_RUN.
 *
 * Shape of every program (see layout.ts for the offsets):
 *   prologue   r6 = data; r7 = data_end (two ctx loads, each followed by a
 *              `ja +0` so the harness can swap the pair for an lddw of the
 *              simulated packet address); bounds check data + PKT_LEN <= data_end;
 *              spill the packet pointer to fp-8; set r0..r9 and the stack data
 *              area to constants (the verifier lets root read uninitialised
 *              stack, which would make the result depend on garbage).
 *   body       random units: ALU/ALU64 (every op, K and X, sdiv/smod, movsx,
 *              bswap/le/be), lddw edge constants, stack loads/stores of every
 *              size (and sign-extending), atomics on the stack, packet loads and
 *              stores through the refilled packet pointer, forward JMP/JMP32
 *              branches of every condition, if/else with ja/gotol, counted
 *              loops and bpf-to-bpf calls.
 *   epilogue   save r0..r9 to the stack, copy them and the stack data area
 *              into the packet, return r0.
 * Between units every register r0..r9 holds a scalar: a unit that needs the
 * packet pointer refills it into a temporary and overwrites it before it ends.
 */
import { Insn } from '@bpfsim/isa';
import * as op from '@bpfsim/uapi';
import { Rng } from './rng';
import {
  PKT_LEN, PKT_PTR_SLOT, REG_SAVE_SLOT, STACK_AREA_LEN, STACK_AREA_OFF, CALLEE_STACK_LEN, PROLOGUE_DATA_SLOT,
  ATOMIC_AREA_LEN, ATOMIC_AREA_OFF,
  PROLOGUE_DATA_END_SLOT, OUT_REGS_OFF, OUT_STACK_OFF,
} from './layout';

/** One generated case: the program, its input packet and the seed it came from. */
export interface GeneratedCase {
  seed: string;
  insns: Insn[];
  packet: Uint8Array;
}

export interface GeneratorOptions {
  /** Body units of the main function (default 12..48). */
  minUnits?: number;
  maxUnits?: number;
  /** Include load-acquire/store-release atomics (default true). */
  acquireRelease?: boolean;
}

// ---- assembly with labels ----

type Label = number;
type Op =
  | { k: 'insn'; insn: Insn }
  | { k: 'jmp'; code: number; dst: number; src: number; imm: number; target: Label }
  | { k: 'gotol'; target: Label }
  | { k: 'call'; target: Label }
  | { k: 'label'; label: Label };

const insn = (code: number, dst: number, src: number, off: number, imm: number): Op => ({ k: 'insn', insn: new Insn(code, dst, src, off, imm) });

function lddw(dst: number, v: bigint): Op[] {
  const u = BigInt.asUintN(64, v);
  return [insn(0x18, dst, 0, 0, Number(BigInt.asIntN(32, u))), insn(0, 0, 0, 0, Number(BigInt.asIntN(32, u >> 32n)))];
}

function assemble(ops: Op[]): Insn[] {
  const pos = new Map<Label, number>();
  let n = 0;
  for (const o of ops) {
    if (o.k === 'label') pos.set(o.label, n);
    else n++;
  }
  const out: Insn[] = [];
  for (const o of ops) {
    const here = out.length;
    const rel = (l: Label): number => {
      const p = pos.get(l);
      if (p === undefined) throw new Error(`generator: unplaced label ${l}`);
      return p - (here + 1);
    };
    switch (o.k) {
      case 'insn': out.push(o.insn); break;
      case 'jmp': out.push(new Insn(o.code, o.dst, o.src, rel(o.target), o.imm)); break;
      case 'gotol': out.push(new Insn(op.BPF_JMP32 | op.BPF_JA, 0, 0, 0, rel(o.target))); break;
      case 'call': out.push(new Insn(op.BPF_JMP | op.BPF_CALL, 0, op.BPF_PSEUDO_CALL, 0, rel(o.target))); break;
      case 'label': break;
    }
  }
  return out;
}

// ---- operand pickers ----

const EDGE64: readonly bigint[] = [
  0n, 1n, 2n, 7n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn,
  0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0xffffffff80000000n,
  0xffffffff7fffffffn, 0x8000000080000000n, 0xfffffffffffffffen, 0x00000000ffff0000n,
];
const EDGE32: readonly number[] = [0, 1, -1, 2, -2, 7, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, -0x80000000, -0x7fffffff, 0x10000];

function const64(r: Rng): bigint {
  switch (r.int(0, 3)) {
    case 0: return r.pick(EDGE64);
    case 1: return BigInt(r.int(-300, 300));
    case 2: return BigInt.asUintN(64, 1n << BigInt(r.int(0, 63))) + BigInt(r.int(-1, 1));
    default: return r.u64();
  }
}

function imm32(r: Rng): number {
  switch (r.int(0, 2)) {
    case 0: return r.pick(EDGE32);
    case 1: return r.int(-100, 100);
    default: return r.s32();
  }
}

const nonzero = (x: number): number => (x === 0 ? 1 : x);

// ---- the generator ----

interface Scope {
  /** Registers a unit may write (loop counters excluded). */
  writable: number[];
  /** Stack data area [lo, lo + len) relative to fp: plain loads and stores. */
  stackLo: number;
  stackLen: number;
  /** Stack area only atomics write, with contents unknown to the verifier (len 0: none). */
  atomicLo: number;
  atomicLen: number;
  /** The packet pointer is spilled at fp + PKT_PTR_SLOT (main only). */
  packet: boolean;
  /** Sub-programs this scope may call. */
  callees: Label[];
  loopDepth: number;
}

const ALU_OPS = ['add', 'sub', 'mul', 'div', 'sdiv', 'or', 'and', 'lsh', 'rsh', 'neg', 'mod', 'smod', 'xor', 'mov', 'movsx', 'arsh', 'end'] as const;
type AluOp = (typeof ALU_OPS)[number];
const ALU_CODE: Record<AluOp, number> = {
  add: op.BPF_ADD, sub: op.BPF_SUB, mul: op.BPF_MUL, div: op.BPF_DIV, sdiv: op.BPF_DIV, or: op.BPF_OR, and: op.BPF_AND,
  lsh: op.BPF_LSH, rsh: op.BPF_RSH, neg: op.BPF_NEG, mod: op.BPF_MOD, smod: op.BPF_MOD, xor: op.BPF_XOR, mov: op.BPF_MOV,
  movsx: op.BPF_MOV, arsh: op.BPF_ARSH, end: op.BPF_END,
};
const CONDS = [op.BPF_JEQ, op.BPF_JGT, op.BPF_JGE, op.BPF_JSET, op.BPF_JNE, op.BPF_JSGT, op.BPF_JSGE, op.BPF_JLT, op.BPF_JLE, op.BPF_JSLT, op.BPF_JSLE];
const SIZES = [op.BPF_B, op.BPF_H, op.BPF_W, op.BPF_DW];
const ATOMIC_RMW = [op.BPF_ADD, op.BPF_OR, op.BPF_AND, op.BPF_XOR];

class Gen {
  private nextLabel = 0;
  private readonly subs: { label: Label; ops: Op[] }[] = [];
  /** Which function is being generated (-1: main) and the sub-programs each one calls. */
  private current = -1;
  private readonly calls = new Map<number, Set<Label>>();

  constructor(private readonly r: Rng, private readonly opts: Required<GeneratorOptions>) {}

  label(): Label {
    return this.nextLabel++;
  }

  program(): Insn[] {
    const r = this.r;
    // Sub-programs first (so main knows their labels); sub i may call subs > i.
    const nSubs = r.chance(0.35) ? r.int(1, 3) : 0;
    const subLabels = Array.from({ length: nSubs }, () => this.label());
    for (let i = nSubs - 1; i >= 0; i--) this.subs.unshift({ label: subLabels[i], ops: this.subprogram(subLabels[i], subLabels.slice(i + 1)) });

    const drop = this.label();
    const ops: Op[] = [
      insn(op.BPF_LDX | op.BPF_MEM | op.BPF_W, 6, 1, 0, 0), insn(op.BPF_JMP | op.BPF_JA, 0, 0, 0, 0),
      insn(op.BPF_LDX | op.BPF_MEM | op.BPF_W, 7, 1, 4, 0), insn(op.BPF_JMP | op.BPF_JA, 0, 0, 0, 0),
      insn(op.BPF_ALU64 | op.BPF_MOV | op.BPF_X, 8, 6, 0, 0),
      insn(op.BPF_ALU64 | op.BPF_ADD | op.BPF_K, 8, 0, 0, PKT_LEN),
      { k: 'jmp', code: op.BPF_JMP | op.BPF_JGT | op.BPF_X, dst: 8, src: 7, imm: 0, target: drop },
      insn(op.BPF_STX | op.BPF_MEM | op.BPF_DW, 10, 6, PKT_PTR_SLOT, 0),
    ];
    // The atomic area starts as packet bytes (r6 is still the packet pointer here).
    for (let k = 0; k < ATOMIC_AREA_LEN; k += 8) {
      ops.push(insn(op.BPF_LDX | op.BPF_MEM | op.BPF_DW, 0, 6, r.int(0, PKT_LEN - 8), 0));
      ops.push(insn(op.BPF_STX | op.BPF_MEM | op.BPF_DW, 10, 0, ATOMIC_AREA_OFF + k, 0));
    }
    for (let reg = 0; reg <= 9; reg++) ops.push(...this.initReg(reg));
    const generalLen = STACK_AREA_LEN - ATOMIC_AREA_LEN;
    ops.push(...this.initStack(STACK_AREA_OFF, generalLen));
    const scope: Scope = {
      writable: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], stackLo: STACK_AREA_OFF, stackLen: generalLen, atomicLo: ATOMIC_AREA_OFF, atomicLen: ATOMIC_AREA_LEN,
      packet: true, callees: subLabels, loopDepth: 0,
    };
    this.current = -1;
    ops.push(...this.block(scope, r.int(this.opts.minUnits, this.opts.maxUnits)));
    // A sub-program nobody calls is an "unreachable insn" to the kernel: call those at the end.
    for (;;) {
      const reached = new Set<Label>();
      const visit = (f: number) => {
        for (const l of this.calls.get(f) ?? []) if (!reached.has(l)) { reached.add(l); visit(l); }
      };
      visit(-1);
      const missing = subLabels.find((l) => !reached.has(l));
      if (missing === undefined) break;
      ops.push(...this.call({ ...scope, callees: [missing] }));
    }
    // Epilogue: registers to the stack, then registers and stack area to the packet.
    for (let reg = 0; reg <= 9; reg++) ops.push(insn(op.BPF_STX | op.BPF_MEM | op.BPF_DW, 10, reg, REG_SAVE_SLOT + 8 * reg, 0));
    ops.push(insn(op.BPF_LDX | op.BPF_MEM | op.BPF_DW, 1, 10, PKT_PTR_SLOT, 0));
    for (let reg = 0; reg <= 9; reg++) {
      ops.push(insn(op.BPF_LDX | op.BPF_MEM | op.BPF_DW, 2, 10, REG_SAVE_SLOT + 8 * reg, 0));
      ops.push(insn(op.BPF_STX | op.BPF_MEM | op.BPF_DW, 1, 2, OUT_REGS_OFF + 8 * reg, 0));
    }
    for (let k = 0; k < STACK_AREA_LEN; k += 8) {
      ops.push(insn(op.BPF_LDX | op.BPF_MEM | op.BPF_DW, 2, 10, STACK_AREA_OFF + k, 0));
      ops.push(insn(op.BPF_STX | op.BPF_MEM | op.BPF_DW, 1, 2, OUT_STACK_OFF + k, 0));
    }
    ops.push(insn(op.BPF_LDX | op.BPF_MEM | op.BPF_DW, 0, 10, REG_SAVE_SLOT, 0));
    ops.push(insn(op.BPF_JMP | op.BPF_EXIT, 0, 0, 0, 0));
    ops.push({ k: 'label', label: drop }, insn(op.BPF_ALU64 | op.BPF_MOV | op.BPF_K, 0, 0, 0, 1), insn(op.BPF_JMP | op.BPF_EXIT, 0, 0, 0, 0));
    for (const s of this.subs) ops.push(...s.ops);
    const out = assemble(ops);
    if (out[PROLOGUE_DATA_SLOT].code !== 0x61 || out[PROLOGUE_DATA_END_SLOT].code !== 0x61) throw new Error('generator: prologue moved');
    return out;
  }

  /** A callee: r0 and r6..r9 set first (only r1..r5 arrive initialised), its own stack area set, a body, exit. */
  private subprogram(self: Label, callees: Label[]): Op[] {
    const r = this.r;
    this.current = self;
    const ops: Op[] = [{ k: 'label', label: self }];
    ops.push(r.chance(0.5) ? insn(op.BPF_ALU64 | op.BPF_MOV | op.BPF_X, 0, r.int(1, 5), 0, 0) : insn(op.BPF_ALU64 | op.BPF_MOV | op.BPF_K, 0, 0, 0, imm32(r)));
    for (let reg = 6; reg <= 9; reg++) ops.push(...this.initReg(reg));
    ops.push(...this.initStack(-CALLEE_STACK_LEN, CALLEE_STACK_LEN));
    const scope: Scope = { writable: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], stackLo: -CALLEE_STACK_LEN, stackLen: CALLEE_STACK_LEN, atomicLo: 0, atomicLen: 0, packet: false, callees, loopDepth: 0 };
    ops.push(...this.block(scope, r.int(3, 16)));
    ops.push(insn(op.BPF_JMP | op.BPF_EXIT, 0, 0, 0, 0));
    return ops;
  }

  private initReg(reg: number): Op[] {
    const r = this.r;
    return r.chance(0.5) ? lddw(reg, const64(r)) : [insn(r.chance(0.5) ? op.BPF_ALU64 | op.BPF_MOV | op.BPF_K : op.BPF_ALU | op.BPF_MOV | op.BPF_K, reg, 0, 0, imm32(r))];
  }

  /** Initialise [lo, lo+len) of the stack: ST of an immediate or STX of an (initialised) register per 8 bytes. */
  private initStack(lo: number, len: number): Op[] {
    const r = this.r;
    const ops: Op[] = [];
    for (let k = 0; k < len; k += 8) {
      if (r.chance(0.5)) ops.push(insn(op.BPF_ST | op.BPF_MEM | op.BPF_DW, 10, 0, lo + k, imm32(r)));
      else ops.push(insn(op.BPF_STX | op.BPF_MEM | op.BPF_DW, 10, r.int(0, 9), lo + k, 0));
    }
    return ops;
  }

  /** `n` units; forward branches land on unit boundaries inside this block. */
  private block(s: Scope, n: number): Op[] {
    const units: Op[][] = [];
    const branches: { unit: number; op: Op & { k: 'jmp' } }[] = [];
    for (let i = 0; i < n; i++) {
      const kind = this.r.weighted({
        alu: 40, lddw: 4, stackLoad: 7, stackStore: 7, atomic: 7,
        pktLoad: s.packet ? 6 : 0, pktStore: s.packet ? 6 : 0,
        // may_goto inside loops and doubly nested loops in callees blow up the verifier's state
        // exploration (seen: 1M insns, E2BIG); keep them where it stays cheap.
        branch: 9, mayGoto: s.loopDepth === 0 ? 1 : 0, ifElse: 3, loop: s.loopDepth < (s.packet ? 2 : 1) ? 2.5 : 0, call: s.callees.length ? 3 : 0, edgeDiv: 3,
      });
      if (kind === 'branch' || kind === 'mayGoto') {
        const b: Op & { k: 'jmp' } = kind === 'branch' ? this.condJump(s, -1) : { k: 'jmp', code: op.BPF_JMP | op.BPF_JCOND, dst: 0, src: 0, imm: 0, target: -1 };
        branches.push({ unit: i, op: b });
        units.push([b]);
      } else {
        units.push(this.unit(kind, s));
      }
    }
    // Labels at unit boundaries; a branch at unit i goes to a boundary in (i, n].
    const at = new Map<number, Label>();
    for (const b of branches) {
      const to = this.r.int(b.unit + 1, Math.min(n, b.unit + 1 + this.r.int(0, 6)));
      let l = at.get(to);
      if (l === undefined) at.set(to, (l = this.label()));
      b.op.target = l;
    }
    const ops: Op[] = [];
    for (let i = 0; i <= n; i++) {
      const l = at.get(i);
      if (l !== undefined) ops.push({ k: 'label', label: l });
      if (i < n) ops.push(...units[i]);
    }
    return ops;
  }

  private unit(kind: string, s: Scope): Op[] {
    switch (kind) {
      case 'alu': return this.alu(s);
      case 'lddw': return lddw(this.r.pick(s.writable), const64(this.r));
      case 'stackLoad': return this.stackLoad(s);
      case 'stackStore': return this.stackStore(s);
      case 'atomic': return this.atomic(s);
      case 'pktLoad': return this.pktLoad(s);
      case 'pktStore': return this.pktStore(s);
      case 'ifElse': return this.ifElse(s);
      case 'loop': return this.loop(s);
      case 'call': return this.call(s);
      case 'edgeDiv': return this.edgeDiv(s);
      default: throw new Error(`generator: unknown unit ${kind}`);
    }
  }

  private alu(s: Scope): Op[] {
    const r = this.r;
    const o = r.pick(ALU_OPS);
    const is64 = r.chance(0.5);
    const cls = is64 ? op.BPF_ALU64 : op.BPF_ALU;
    const dst = r.pick(s.writable);
    const src = r.int(0, 9);
    const width = is64 ? 64 : 32;
    const code = (x: number) => cls | ALU_CODE[o] | x;
    switch (o) {
      case 'neg': return [insn(code(op.BPF_K), dst, 0, 0, 0)];
      case 'end':
        // ALU64 | END | K is bswap; ALU | END | K/X are to-le/to-be.
        if (is64) return [insn(code(op.BPF_K), dst, 0, 0, r.pick([16, 32, 64]))];
        return [insn(code(r.chance(0.5) ? op.BPF_TO_LE : op.BPF_TO_BE), dst, 0, 0, r.pick([16, 32, 64]))];
      case 'movsx': return [insn(code(op.BPF_X), dst, src, is64 ? r.pick([8, 16, 32]) : r.pick([8, 16]), 0)];
      default: break;
    }
    const signed = o === 'sdiv' || o === 'smod' ? 1 : 0;
    if (r.chance(0.5)) return [insn(code(op.BPF_X), dst, src, signed, 0)];
    let imm = imm32(r);
    if (o === 'lsh' || o === 'rsh' || o === 'arsh') imm = r.int(0, width - 1);
    if (o === 'div' || o === 'sdiv' || o === 'mod' || o === 'smod') imm = nonzero(imm);
    return [insn(code(op.BPF_K), dst, 0, signed, imm)];
  }

  private stackOff(s: Scope, size: number): number {
    return s.stackLo + size * this.r.int(0, s.stackLen / size - 1);
  }

  private atomicOff(s: Scope, size: number): number {
    return s.atomicLo + size * this.r.int(0, s.atomicLen / size - 1);
  }

  /**
   * How a unit reaches stack offset `at`: through r10 directly, or through a
   * temporary `tmp = r10; tmp += k` (then the access uses off = at - k). The
   * temporary holds a pointer until `post`, which makes it a scalar again.
   */
  private stackAddr(s: Scope, at: number): { base: number; off: number; pre: Op[]; tmp: number } {
    const r = this.r;
    if (r.chance(0.7)) return { base: 10, off: at, pre: [], tmp: -1 };
    const tmp = r.pick(s.writable);
    const k = -8 * r.int(0, (-s.stackLo) / 8);
    return { base: tmp, off: at - k, tmp, pre: [insn(op.BPF_ALU64 | op.BPF_MOV | op.BPF_X, tmp, 10, 0, 0), ...(k ? [insn(op.BPF_ALU64 | op.BPF_ADD | op.BPF_K, tmp, 0, 0, k)] : [])] };
  }

  /** Make `tmp` a scalar again (from another register or an immediate). */
  private clobber(tmp: number): Op[] {
    if (tmp < 0) return [];
    const r = this.r;
    const others = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((x) => x !== tmp);
    return [r.chance(0.5) ? insn(op.BPF_ALU64 | op.BPF_MOV | op.BPF_X, tmp, r.pick(others), 0, 0) : insn(op.BPF_ALU64 | op.BPF_MOV | op.BPF_K, tmp, 0, 0, imm32(r))];
  }

  /** A register other than the temporary. */
  private valueReg(choices: number[], tmp: number): number {
    const c = choices.filter((x) => x !== tmp);
    return c.length ? this.r.pick(c) : -1;
  }

  private stackLoad(s: Scope): Op[] {
    const r = this.r;
    const size = r.pick(SIZES);
    const bytes = op.sizeBytes(size);
    const sx = size !== op.BPF_DW && r.chance(0.4);
    const a = this.stackAddr(s, s.atomicLen && r.chance(0.4) ? this.atomicOff(s, bytes) : this.stackOff(s, bytes));
    // Loading into the temporary itself ends its pointer life; otherwise clobber it after.
    const dst = a.tmp >= 0 && r.chance(0.5) ? a.tmp : this.valueReg(s.writable, a.tmp);
    if (dst < 0) return this.alu(s);
    return [...a.pre, insn(op.BPF_LDX | (sx ? op.BPF_MEMSX : op.BPF_MEM) | size, dst, a.base, a.off, 0), ...(dst === a.tmp ? [] : this.clobber(a.tmp))];
  }

  private stackStore(s: Scope): Op[] {
    const r = this.r;
    const size = r.pick(SIZES);
    const a = this.stackAddr(s, this.stackOff(s, op.sizeBytes(size)));
    const src = this.valueReg([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], a.tmp);
    const store = r.chance(0.3) ? insn(op.BPF_ST | op.BPF_MEM | size, a.base, 0, a.off, imm32(r)) : insn(op.BPF_STX | op.BPF_MEM | size, a.base, src, a.off, 0);
    return [...a.pre, store, ...this.clobber(a.tmp)];
  }

  /**
   * Atomics on the stack. Those that load the old value into a register (fetch, xchg, cmpxchg,
   * load-acquire) work only on the atomic area, whose contents the verifier never knows: Linux
   * 6.18's precision backtracking does not follow an atomic fetch's result back to its stack
   * slot, so a branch on a fetched value the verifier believed constant gets hard-wired and the
   * JIT takes it whatever the value (fuzz case "big:3496" before this rule; tools/fuzz/README.md).
   */
  private atomic(s: Scope): Op[] {
    const r = this.r;
    const loads = this.opts.acquireRelease && s.atomicLen ? 1 : 0;
    const fetches = s.atomicLen ? 1 : 0;
    const kind = r.weighted({ rmw: 4, fetch: 4 * fetches, xchg: 2 * fetches, cmpxchg: 2 * fetches, acquire: loads, release: this.opts.acquireRelease ? 1 : 0 });
    const size = kind === 'acquire' || kind === 'release' ? r.pick(SIZES) : r.chance(0.5) ? op.BPF_W : op.BPF_DW;
    const bytes = op.sizeBytes(size);
    const inAtomicArea = kind === 'fetch' || kind === 'xchg' || kind === 'cmpxchg' || kind === 'acquire' || (kind === 'rmw' && s.atomicLen > 0 && r.chance(0.5));
    const a = this.stackAddr(s, inAtomicArea ? this.atomicOff(s, bytes) : this.stackOff(s, bytes));
    const code = op.BPF_STX | op.BPF_ATOMIC | size;
    const any = this.valueReg([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], a.tmp);
    const writable = this.valueReg(s.writable, a.tmp);
    const rmw = r.pick(ATOMIC_RMW);
    let body: Op[];
    switch (kind) {
      case 'acquire':
        // dst = load_acquire((size *)(src + off)): the address is in src_reg.
        if (writable < 0) return this.alu(s);
        body = [insn(code, writable, a.base, a.off, op.BPF_LOAD_ACQ)];
        break;
      case 'release': body = [insn(code, a.base, any, a.off, op.BPF_STORE_REL)]; break;
      case 'rmw': body = [insn(code, a.base, any, a.off, rmw)]; break;
      case 'fetch':
      case 'xchg':
        if (writable < 0) return this.alu(s);
        body = [insn(code, a.base, writable, a.off, kind === 'xchg' ? op.BPF_XCHG : rmw | op.BPF_FETCH)];
        break;
      default:
        // cmpxchg compares with and writes r0.
        if (!s.writable.includes(0) || a.tmp === 0) body = [insn(code, a.base, any, a.off, rmw)];
        else if (size === op.BPF_DW) body = [insn(code, a.base, any, a.off, op.BPF_CMPXCHG)];
        // 32-bit cmpxchg zero-extends r0. The x86-64 JIT leaves r0's upper half alone when the
        // exchange succeeds and relies on the verifier inserting a zext, which it skips when
        // the path that reads r0 was pruned (seen on 6.18: fuzz case "1:7914" before this
        // guard). Clearing the upper half first keeps the outcome independent of that.
        else body = [insn(op.BPF_ALU | op.BPF_MOV | op.BPF_X, 0, 0, 0, 0), insn(code, a.base, any, a.off, op.BPF_CMPXCHG)];
    }
    return [...a.pre, ...body, ...this.clobber(a.tmp)];
  }

  /** tmp = the packet pointer (refilled from the stack), maybe moved forward by k. */
  private pktAddr(s: Scope, size: number): { tmp: number; off: number; pre: Op[] } {
    const r = this.r;
    const tmp = r.pick(s.writable);
    const at = r.int(0, PKT_LEN - size);
    const pre: Op[] = [insn(op.BPF_LDX | op.BPF_MEM | op.BPF_DW, tmp, 10, PKT_PTR_SLOT, 0)];
    if (r.chance(0.3)) {
      const k = r.int(0, at);
      pre.push(insn(op.BPF_ALU64 | op.BPF_ADD | op.BPF_K, tmp, 0, 0, k));
      return { tmp, off: at - k, pre };
    }
    return { tmp, off: at, pre };
  }

  /** tmp = packet pointer; tmp = *(size *)(tmp + off). */
  private pktLoad(s: Scope): Op[] {
    const r = this.r;
    const size = r.pick(SIZES);
    const sx = size !== op.BPF_DW && r.chance(0.4);
    const a = this.pktAddr(s, op.sizeBytes(size));
    return [...a.pre, insn(op.BPF_LDX | (sx ? op.BPF_MEMSX : op.BPF_MEM) | size, a.tmp, a.tmp, a.off, 0)];
  }

  /** tmp = packet pointer; *(size *)(tmp + off) = src|imm; tmp = a scalar again. */
  private pktStore(s: Scope): Op[] {
    const r = this.r;
    const size = r.pick(SIZES);
    const a = this.pktAddr(s, op.sizeBytes(size));
    const src = this.valueReg([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], a.tmp);
    const store = r.chance(0.3) ? insn(op.BPF_ST | op.BPF_MEM | size, a.tmp, 0, a.off, imm32(r)) : insn(op.BPF_STX | op.BPF_MEM | size, a.tmp, src, a.off, 0);
    return [...a.pre, store, ...this.clobber(a.tmp)];
  }

  /** Division and modulo at their edges: by 0, by -1, INT_MIN / -1, 32 and 64 bits, signed and not. */
  private edgeDiv(s: Scope): Op[] {
    const r = this.r;
    if (s.writable.length < 2) return this.alu(s);
    const dst = r.pick(s.writable);
    const src = r.pick(s.writable.filter((x) => x !== dst));
    const is64 = r.chance(0.5);
    const o = r.pick([op.BPF_DIV, op.BPF_MOD]);
    const signed = r.chance(0.6) ? 1 : 0;
    const ops: Op[] = [];
    const divisor = r.pick([0n, 0n, 0xffffffffffffffffn, 0xffffffffn, 1n, 0x8000000000000000n, 0xffffffff00000000n, 0x100000000n]);
    ops.push(...lddw(src, divisor));
    if (r.chance(0.6)) ops.push(...lddw(dst, r.pick([0x8000000000000000n, 0x80000000n, 0xffffffff80000000n, 0x7fffffffffffffffn, 0n, const64(r)])));
    if (r.chance(0.25)) {
      // by an immediate -1 (zero is rejected by the verifier)
      ops.push(insn((is64 ? op.BPF_ALU64 : op.BPF_ALU) | o | op.BPF_K, dst, 0, signed, -1));
    } else {
      ops.push(insn((is64 ? op.BPF_ALU64 : op.BPF_ALU) | o | op.BPF_X, dst, src, signed, 0));
    }
    return ops;
  }

  /** A conditional jump (target filled in by the caller). */
  private condJump(s: Scope, target: Label): Op & { k: 'jmp' } {
    const r = this.r;
    const cls = r.chance(0.5) ? op.BPF_JMP : op.BPF_JMP32;
    const cond = r.pick(CONDS);
    const dst = r.int(0, 9);
    if (r.chance(0.5)) return { k: 'jmp', code: cls | cond | op.BPF_X, dst, src: r.int(0, 9), imm: 0, target };
    return { k: 'jmp', code: cls | cond | op.BPF_K, dst, src: 0, imm: imm32(r), target };
  }

  /** if cond goto else; then-block; ja/gotol end; else: else-block; end: */
  private ifElse(s: Scope): Op[] {
    const r = this.r;
    const other = this.label();
    const end = this.label();
    const j = this.condJump(s, other);
    const thenOps = this.block(s, r.int(1, 4));
    const elseOps = this.block(s, r.int(1, 4));
    const skip: Op = r.chance(0.5) ? { k: 'jmp', code: op.BPF_JMP | op.BPF_JA, dst: 0, src: 0, imm: 0, target: end } : { k: 'gotol', target: end };
    return [j, ...thenOps, skip, { k: 'label', label: other }, ...elseOps, { k: 'label', label: end }];
  }

  /** A counted loop on a register from r6..r9 that its body may not write (r6..r9 survive calls). */
  private loop(s: Scope): Op[] {
    const r = this.r;
    const free = s.writable.filter((x) => x >= 6);
    if (free.length < 2) return this.alu(s);
    const c = r.pick(free);
    // Calls inside loops multiply the verifier's work (each iteration re-verifies the callee and
    // its branches): allow them only in main's outermost loops, which keeps every program far
    // below the kernel's 1M-instruction complexity limit.
    const callees = s.packet && s.loopDepth === 0 ? s.callees : [];
    const inner: Scope = { ...s, writable: s.writable.filter((x) => x !== c), loopDepth: s.loopDepth + 1, callees };
    const n = r.int(1, s.loopDepth ? 3 : 6);
    const top = this.label();
    const body = this.block(inner, r.int(1, 6));
    const is32 = r.chance(0.5);
    const alu = is32 ? op.BPF_ALU : op.BPF_ALU64;
    const jmp = is32 ? op.BPF_JMP32 : op.BPF_JMP;
    switch (r.int(0, 2)) {
      case 0: // down to zero, test at the bottom
        return [insn(alu | op.BPF_MOV | op.BPF_K, c, 0, 0, n), { k: 'label', label: top }, ...body,
          insn(alu | op.BPF_SUB | op.BPF_K, c, 0, 0, 1), { k: 'jmp', code: jmp | r.pick([op.BPF_JNE, op.BPF_JSGT, op.BPF_JGT]) | op.BPF_K, dst: c, src: 0, imm: 0, target: top }];
      case 1: // up to n, test at the bottom
        return [insn(alu | op.BPF_MOV | op.BPF_K, c, 0, 0, 0), { k: 'label', label: top }, ...body,
          insn(alu | op.BPF_ADD | op.BPF_K, c, 0, 0, 1), { k: 'jmp', code: jmp | r.pick([op.BPF_JLT, op.BPF_JSLT, op.BPF_JNE]) | op.BPF_K, dst: c, src: 0, imm: n, target: top }];
      default: { // test at the top, backward ja
        const end = this.label();
        return [insn(alu | op.BPF_MOV | op.BPF_K, c, 0, 0, n), { k: 'label', label: top },
          { k: 'jmp', code: jmp | op.BPF_JEQ | op.BPF_K, dst: c, src: 0, imm: 0, target: end }, ...body,
          insn(alu | op.BPF_SUB | op.BPF_K, c, 0, 0, 1), r.chance(0.5) ? { k: 'jmp', code: op.BPF_JMP | op.BPF_JA, dst: 0, src: 0, imm: 0, target: top } : { k: 'gotol', target: top },
          { k: 'label', label: end }];
      }
    }
  }

  /** call a sub-program; r1..r5 are unreadable after a call, so set them again. */
  private call(s: Scope): Op[] {
    const r = this.r;
    if (!s.writable.includes(0)) return this.alu(s);
    const target = r.pick(s.callees);
    let set = this.calls.get(this.current);
    if (!set) this.calls.set(this.current, (set = new Set()));
    set.add(target);
    const ops: Op[] = [{ k: 'call', target }];
    for (let reg = 1; reg <= 5; reg++) {
      ops.push(r.chance(0.5) ? insn(op.BPF_ALU64 | op.BPF_MOV | op.BPF_X, reg, r.pick([0, 6, 7, 8, 9]), 0, 0) : insn(op.BPF_ALU64 | op.BPF_MOV | op.BPF_K, reg, 0, 0, imm32(r)));
    }
    return ops;
  }
}

/** The case for `seed`: same seed, same program and packet. */
export function generateCase(seed: string, options: GeneratorOptions = {}): GeneratedCase {
  const opts: Required<GeneratorOptions> = { minUnits: 12, maxUnits: 48, acquireRelease: true, ...options };
  const r = new Rng(seed);
  const insns = new Gen(r, opts).program();
  const packet = r.bytes(PKT_LEN);
  return { seed, insns, packet };
}
