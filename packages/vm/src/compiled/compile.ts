/**
 * Translate a prepared program into JavaScript functions (new Function):
 * registers in locals, a `switch (pc)` inside a labelled loop whose cases are
 * regions of basic blocks (consecutive blocks fall through; a forward jump
 * inside a region leaves labelled blocks, other jumps go through the
 * switch), the budget charged per block.
 *
 * Each function (one per chunk of blocks) has the interpreter's contract,
 * exec(m, base, pc): run from slot pc of the program of frame m.depth until
 * frame `base` exits. It returns -1 when that frame exited (r0 in m.lo/m.hi),
 * a slot >= 0 to continue at elsewhere (another chunk, a tail-called program,
 * a return into a caller that runs another program; registers in
 * m.lo/m.hi), or -2 - pc to have the
 * interpreter continue at pc (the budget runs out inside the next block, so
 * the exact instruction that exceeds it is the interpreter's to find).
 *
 * Safety: the source is built only from numbers decoded from instruction
 * fields (through num()); names and messages are read at run time from R.
 */
import * as arith from '../arith';
import type { Machine } from '../machine';
import { Op } from '../ops';
import type { PreparedProgram } from '../prepare';
import { atomic, loadAcquire, loadPacket, storeRelease } from '../slow-ops';
import { blockSlots, endsBlock, findBlocks, hasTarget } from './blocks';
import { H, L, emitAlu, jumpCondition, num } from './emit-alu';
import { emitMem } from './emit-mem';
import { RegionCache, EMPTY_VIEW, callHelper, invalidInsn, placeError, sentinelFault, slowLoad, slowStore } from './runtime';

export type CompiledFn = (m: Machine, base: number, pc: number) => number;

export interface CompiledProgram {
  /** One function per run of consecutive blocks. */
  readonly chunks: readonly CompiledFn[];
  /** Per slot: the chunk that can be entered there, or -1 (not a block start). */
  readonly chunkOf: Int32Array;
  /** The generated source of all chunks (for tests and debugging). */
  readonly source: string;
}

const REGS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

/**
 * Registers the program names (locals exist only for these) and those it
 * may change (only these are written back to m.lo/m.hi: the others still
 * hold their values there). Fewer live locals make V8's code better.
 */
interface RegUse {
  readonly used: readonly boolean[];
  readonly written: readonly boolean[];
}

function regUse(p: PreparedProgram): RegUse {
  const used = REGS.map((r) => r === 0);
  const written = REGS.map((r) => r === 0);
  for (let pc = 0; pc < p.length; pc++) {
    if (p.ops[pc] !== Op.INVALID) used[p.dst[pc]] = used[p.src[pc]] = true;
  }
  // A register the program never names has no local; a frame return or call only reloads the named ones.
  const write = (...rs: number[]) => rs.forEach((r) => { if (used[r]) written[r] = true; });
  for (let pc = 0; pc < p.length; pc++) {
    const op = p.ops[pc] as Op;
    if (op === Op.INVALID) continue;
    write(p.dst[pc]); // over-approximated: a needless write-back costs a store, a missing one a wrong result
    switch (op) {
      case Op.ATOMIC_W: case Op.ATOMIC_DW: write(p.src[pc]); break;
      case Op.CALL_LOCAL: write(10); break;
      case Op.EXIT: case Op.LD_ABS: case Op.LD_IND: write(6, 7, 8, 9, 10); break;
    }
  }
  return { used, written };
}

/** The register use of the program being generated (set by compileProgram). */
let use: RegUse = { used: REGS.map(() => true), written: REGS.map(() => true) };

const spill = (regs: readonly number[]): string =>
  regs.filter((r) => use.written[r]).map((r) => `lo[${r}] = ${L(r)}; hi[${r}] = ${H(r)};`).join(' ');
const reload = (regs: readonly number[]): string =>
  regs.filter((r) => use.used[r]).map((r) => `${L(r)} = lo[${r}]; ${H(r)} = hi[${r}];`).join(' ');
const spillAll = (): string => spill(REGS);
/** Any call out may map or unmap regions: forget the cached one. */
const FORGET = 'ch = 0; cs = 0;';

/** Whether every executable slot names registers r0..r10 only (others keep the interpreter's typed-array semantics). */
function registersInRange(p: PreparedProgram): boolean {
  for (let pc = 0; pc < p.length; pc++) {
    if (p.ops[pc] !== Op.INVALID && (p.dst[pc] > 10 || p.src[pc] > 10)) return false;
  }
  return true;
}

/** Exit of the running frame (EXIT, or a failed LD_ABS/LD_IND): return to the caller frame or leave. */
function frameExit(): string {
  return 'if (m.depth === base) { lo[0] = l0; hi[0] = h0; m.remaining = rem; return -1; } '
    + `pc = m.returnFromCall(); ${reload([6, 7, 8, 9, 10])} `
    + 'if (m.frameProg[m.depth] !== P) { ret = pc; break L; } continue L;';
}

/**
 * How a jump reaches slot t: through the dispatch switch, or (a later block
 * of the same region) by leaving the labelled blocks that end just before it.
 */
let jumpTo = (t: number): string => `pc = ${num(t)}; continue L;`;

/** Source of the instruction at pc, ending the block's control flow where it is a terminator. */
function emitInsn(p: PreparedProgram, pc: number): string {
  const op = p.ops[pc] as Op;
  const d = p.dst[pc], s = p.src[pc], off = p.off[pc], imm = p.imm[pc], aux = p.aux[pc];
  const alu = emitAlu(op, d, s, imm);
  if (alu !== undefined) return alu;
  const cond = jumpCondition(op, d, s, imm);
  if (cond !== undefined) return `if (${cond}) { ${jumpTo(aux)} }`;
  const mem = emitMem(op, pc, d, s, off, imm);
  if (mem !== undefined) return mem;
  const at = `pc = ${num(pc)};`;
  switch (op) {
    case Op.LDDW: return `${L(d)} = ${num(imm)}; ${H(d)} = ${num(aux)};`;
    case Op.JA: return jumpTo(aux);
    case Op.MAY_GOTO:
      // The verifier's rewrite: a per-frame counter from BPF_MAX_LOOPS; jump once it is spent.
      return `x = m.depth; if (m.mayGoto[x] === 0) { ${jumpTo(aux)} } m.mayGoto[x] = m.mayGoto[x] - 1;`;
    case Op.CALL_HELPER: case Op.CALL_KFUNC: case Op.CALLX: {
      const call = op === Op.CALLX ? `m.callIndirect(${num(d)}, ${num(pc)});` : `R.callHelper(m, ${num(imm)}, ${num(pc)}, ${op === Op.CALL_KFUNC});`;
      return `${at} ${spillAll()} m.remaining = rem; ${call} rem = m.remaining; ${reload([0])} ${FORGET}`;
    }
    case Op.TAIL_CALL:
      return `${at} ${spillAll()} if (m.tailCall() !== undefined) { m.remaining = rem; return 0; } ${FORGET}`;
    case Op.CALL_LOCAL:
      return `${at} ${spill([6, 7, 8, 9])} m.callLocal(${num(pc)}); ${reload([10])} pc = ${num(aux)}; continue L;`;
    case Op.EXIT: return frameExit();
    case Op.ATOMIC_W: case Op.ATOMIC_DW:
      return `${at} ${spillAll()} R.atomic(m, P, ${num(pc)}, ${op === Op.ATOMIC_DW}); ${reload([0, s])}`;
    case Op.LOAD_ACQ: return `${at} ${spillAll()} R.loadAcquire(m, P, ${num(pc)}); ${reload([d])}`;
    case Op.STORE_REL: return `${at} ${spillAll()} R.storeRelease(m, P, ${num(pc)});`;
    case Op.LD_ABS: case Op.LD_IND:
      // A failed packet load ends the frame with r0 = 0 (the kernel's rewrite: r0 = 0; exit).
      return `${at} ${spillAll()} m.remaining = rem; if (R.loadPacket(m, P, ${num(pc)}, ${op === Op.LD_IND})) { ${reload([0])} ${FORGET} } `
        + `else { l0 = 0; h0 = 0; ${frameExit()} }`;
    case Op.FALL_OFF: case Op.BAD_TARGET: return `${at} throw R.sentinelFault(m, P, pc);`;
    default: return `${at} throw R.invalidInsn(P, pc);`;
  }
}

/** The last slot of the block starting at `start`. */
const lastSlot = (p: PreparedProgram, start: number, leader: Uint8Array): number => {
  const slots = blockSlots(p, start, leader);
  return slots[slots.length - 1];
};

/**
 * Block starts that get a `case` label: entries (slot 0, sentinels, call
 * targets and return sites, callbacks, loop heads) and any target a jump
 * reaches from another region. The blocks from one such start to the next
 * form a region, where forward jumps are `break`s out of labelled blocks
 * instead of trips through the switch.
 */
function caseStarts(p: PreparedProgram, starts: readonly number[], leader: Uint8Array): Uint8Array {
  const n = p.length;
  const c = new Uint8Array(leader.length);
  c[0] = 1;
  const jumps: [number, number][] = []; // [block start, forward target]
  for (let i = 0; i < starts.length; i++) {
    const b = starts[i];
    if (b >= n) {
      c[b] = 1;
      continue;
    }
    const last = lastSlot(p, b, leader);
    const op = p.ops[last] as Op;
    if (op === Op.CALL_LOCAL) {
      c[p.aux[last]] = 1;
      c[last + 1] = 1;
    } else if (hasTarget(op)) {
      const t = p.aux[last];
      if (t <= last) c[t] = 1;
      else jumps.push([b, t]);
    }
    const next = last + (op === Op.LDDW ? 2 : 1);
    if (!endsBlock(op) && next !== starts[i + 1] && next < c.length) c[next] = 1;
  }
  for (let pc = 0; pc < n; pc++) {
    if (p.ops[pc] !== Op.LDDW) continue;
    if (p.insns[pc].src === 4 && p.imm[pc] >= 0 && p.imm[pc] < n && leader[p.imm[pc]]) c[p.imm[pc]] = 1;
    pc++;
  }
  // Regions stay under the function size V8 optimizes (a region is never split across functions).
  for (let i = 0, size = 0; i < starts.length; i++) {
    const b = starts[i];
    let len = 0;
    for (const pc of blockSlots(p, b, leader)) len += emitInsn(p, pc).length + 40;
    if (!c[b] && size + len > CHUNK_SOURCE) c[b] = 1;
    size = c[b] ? len : size + len;
  }
  // A jump leaving its region needs its target to be a case; that can split regions further.
  const region = new Int32Array(c.length);
  for (let changed = true; changed;) {
    changed = false;
    for (let s = 0, k = 0; s < c.length; s++) region[s] = k += c[s];
    for (const [b, t] of jumps) {
      if (region[t] !== region[b] && !c[t]) {
        c[t] = 1;
        changed = true;
      }
    }
  }
  return c;
}

/** Source of one region: a case label, labelled blocks for its inner forward jumps, and its blocks. */
function regionSource(p: PreparedProgram, blocks: readonly number[], nextStart: number | undefined, leader: Uint8Array): string {
  const inRegion = new Set(blocks);
  const targets = new Set<number>();
  for (const b of blocks) {
    if (b >= p.length) continue;
    const last = lastSlot(p, b, leader);
    const op = p.ops[last] as Op;
    if (hasTarget(op) && op !== Op.CALL_LOCAL && inRegion.has(p.aux[last]) && p.aux[last] > b) targets.add(p.aux[last]);
  }
  const order = [...targets].sort((x, y) => y - x);
  const out = [`case ${num(blocks[0])}: ${order.map((t) => `J${num(t)}: {`).join(' ')}`];
  for (let j = 0; j < blocks.length; j++) {
    const b = blocks[j];
    if (targets.has(b)) out.push('}');
    jumpTo = (t: number) => (targets.has(t) && t > b ? `break J${num(t)};` : `pc = ${num(t)}; continue L;`);
    const slots = blockSlots(p, b, leader);
    out.push(`if (rem < ${slots.length}) { ret = ${num(-2 - b)}; break L; } rem -= ${slots.length};`);
    for (const pc of slots) out.push(emitInsn(p, pc));
    const last = slots[slots.length - 1];
    const next = last + (p.ops[last] === Op.LDDW ? 2 : 1);
    // A block that ends without a jump continues at `next`; fall into it only when it comes next here.
    const following = j + 1 < blocks.length ? blocks[j + 1] : nextStart;
    if (last < p.length && !endsBlock(p.ops[last] as Op) && next !== following) out.push(`pc = ${num(next)}; continue L;`);
  }
  jumpTo = (t: number) => `pc = ${num(t)}; continue L;`;
  return out.join('\n');
}

/**
 * One function over a run of blocks. A slot outside them (a jump into another
 * chunk) leaves with the registers in m.lo/m.hi; the engine's loop enters
 * the chunk that holds it.
 */
function chunkSource(blocks: readonly string[]): string {
  const out: string[] = [];
  out.push('"use strict";', 'const P = R.p, AFTER = R.after, S = R.S, SL = R.SL, SH = R.SH;');
  out.push('return function compiled(m, base, pc) {');
  out.push('const lo = m.lo, hi = m.hi, mem = m.mem;');
  out.push(`let ${REGS.filter((r) => use.used[r]).map((r) => `${L(r)} = lo[${r}], ${H(r)} = hi[${r}]`).join(', ')};`);
  out.push('let rem = m.remaining, ret = 0, ch = 0, cv = R.EMPTY_VIEW, cs = 0, cw = false, t = 0, a = 0, b = 0, x = 0, y = 0, u = 0;');
  out.push('try {', 'L: for (;;) {', 'switch (pc) {');
  out.push(...blocks);
  out.push('default: ret = pc; break L;');
  out.push('}', '}');
  out.push(`${spillAll()} m.remaining = rem; return ret;`);
  // No spill here: nothing reads a faulted frame's registers (a callback's caller gets its own back),
  // and keeping every register live into the handler makes V8's optimizing compile far slower.
  out.push('} catch (e) { throw R.placeError(e, m, P, pc, rem + AFTER[pc]); }');
  out.push('};');
  return out.join('\n');
}

/**
 * Source characters per function: beyond about 50 kB of source V8 stops
 * optimizing a function (its bytecode limit), and an unoptimized switch
 * over registers in locals runs slower than the interpreter.
 */
const CHUNK_SOURCE = 16_000;

/** Compile a prepared program, or undefined when it needs the interpreter (registers beyond r10). */
export function compileProgram(p: PreparedProgram): CompiledProgram | undefined {
  if (!registersInRange(p)) return undefined;
  const { starts, leader, after } = findBlocks(p);
  use = regUse(p);
  const isCase = caseStarts(p, starts, leader);
  const regions: number[][] = [];
  for (const b of starts) {
    if (isCase[b] || regions.length === 0) regions.push([b]);
    else regions[regions.length - 1].push(b);
  }
  const chunkOf = new Int32Array(leader.length).fill(-1);
  const sources: string[] = [];
  let texts: string[] = [];
  let size = 0;
  for (let i = 0; i < regions.length; i++) {
    const text = regionSource(p, regions[i], regions[i + 1]?.[0], leader);
    if (texts.length && size + text.length > CHUNK_SOURCE) {
      // The chunk's last region must not fall through: its successor lives in the next chunk.
      texts[texts.length - 1] = regionSource(p, regions[i - 1], undefined, leader);
      sources.push(chunkSource(texts));
      texts = [];
      size = 0;
    }
    texts.push(text);
    size += text.length;
    chunkOf[regions[i][0]] = sources.length;
  }
  sources.push(chunkSource(texts));
  const R = {
    p, after, S: new RegionCache(), SL: new Int32Array(1), SH: new Int32Array(1), EMPTY_VIEW,
    udiv64: arith.udiv64, sdiv64: arith.sdiv64, umod64: arith.umod64, smod64: arith.smod64,
    slowLoad, slowStore, callHelper, placeError, sentinelFault, invalidInsn, atomic, loadAcquire, storeRelease, loadPacket,
  };
  // new Function is the point of this engine; see the safety note at the top.
  const chunks = sources.map((src) => new Function('R', src)(R) as CompiledFn);
  return { chunks, chunkOf, source: sources.join('\n') };
}
