/**
 * Kernel-exactness harness for the scalar domain: generates straight-line
 * programs (random ALU ops, narrow stack loads, conditional jumps to private
 * exit blocks), predicts with the domain what the 6.18 verifier log prints for
 * every processed instruction and every pushed branch, and compares that with
 * the real kernel's log_level 2 output (through tools/oracle).
 */
import {
  AluOp, JmpCond, ScalarState, formatScalar, fromLoadSize, immScalar, isBranchTaken, refineBranch, scalarAlu,
  scalarAluStep, unknownScalar,
} from '../src/scalar';
import { movsxAsHost } from './host-deviations';

// ---------- deterministic PRNG (xorshift32) ----------
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed >>> 0) || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return this.next() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.next() / 0x100000000 < p;
  }
}

// ---------- encoding ----------
interface RawInsn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
  /** conditional jump to exit block number `exit` (offset patched at the end) */
  exit?: number;
}

function encode(insns: RawInsn[]): Uint8Array {
  const out = new Uint8Array(insns.length * 8);
  const dv = new DataView(out.buffer);
  insns.forEach((x, i) => {
    dv.setUint8(i * 8, x.code);
    dv.setUint8(i * 8 + 1, ((x.src & 0xf) << 4) | (x.dst & 0xf));
    dv.setInt16(i * 8 + 2, x.off, true);
    dv.setInt32(i * 8 + 4, x.imm | 0, true);
  });
  return out;
}

const ALU_CODE: Record<string, number> = {
  add: 0x00, sub: 0x10, mul: 0x20, div: 0x30, sdiv: 0x30, or: 0x40, and: 0x50, lsh: 0x60, rsh: 0x70,
  neg: 0x80, mod: 0x90, smod: 0x90, xor: 0xa0, mov: 0xb0, arsh: 0xc0,
};
const JMP_CODE: Record<JmpCond, number> = {
  jeq: 0x10, jgt: 0x20, jge: 0x30, jset: 0x40, jne: 0x50, jsgt: 0x60, jsge: 0x70, jlt: 0xa0, jle: 0xb0,
  jslt: 0xc0, jsle: 0xd0,
};
const CONDS = Object.keys(JMP_CODE) as JmpCond[];

// ---------- expectations ----------
export interface Case {
  bytes: Uint8Array;
  /** insn index -> one entry per visit, in log order: register -> expected text (the registers we assert) */
  lines: Map<number, Map<number, string>[]>;
  /** "from->to" -> register -> expected text */
  froms: Map<string, Map<number, string>>;
  /** human-readable listing, for failure messages */
  listing: string[];
}

const fmt = (s: ScalarState): string => formatScalar(s);

/** Interesting immediates (s32). */
const IMMS = [
  0, 1, 2, 3, 4, 5, 7, 8, 10, 15, 16, 31, 32, 63, 64, 100, 127, 128, 255, 256, 1000, 0x7fff, 0x8000, 0xffff,
  0x10000, 0x7fffffff, -0x80000000, -1, -2, -3, -8, -16, -128, -129, -256, -32768, -32769, 0x12345678, 0x40000000,
  -0x40000000, 0xfff, 0xff00,
];

function randImm(rng: Rng): number {
  if (rng.chance(0.7)) return rng.pick(IMMS);
  if (rng.chance(0.5)) return rng.int(600) - 300;
  return rng.next() | 0;
}

/** A branch constant near one of the register's bounds (so the refinement matters). */
function nearBound(rng: Rng, s: ScalarState, is32: boolean): number {
  const b = is32 ? [s.u32min, s.u32max, s.s32min, s.s32max] : [s.umin, s.umax, s.smin, s.smax];
  const base = rng.pick(b) + BigInt(rng.int(5) - 2);
  return Number(BigInt.asIntN(32, base));
}

export interface GenOpts {
  /** number of body instructions to aim for */
  length?: number;
  /** restrict the ALU ops and the other kinds ('jmp', 'load') to these (value-shaping and/or/shifts stay) */
  ops?: readonly string[];
  /** predict sign-extending moves as the recording host does, not as v6.18 (host-deviations.ts, 4.) */
  hostMovsx?: boolean;
}

export function generate(seed: number, opts: GenOpts = {}): Case {
  const rng = new Rng(seed);
  const insns: RawInsn[] = [];
  const lines = new Map<number, Map<number, string>[]>();
  const listing: string[] = [];
  // pending[exit] = {from, regs at the jump target}
  const pendingFroms: { from: number; exit: number; regs: ScalarState[] }[] = [];
  const regs: ScalarState[] = new Array(10).fill(unknownScalar());
  // link groups (conservative model of the kernel's scalar ids): 0 = alone
  const group: number[] = new Array(10).fill(0);
  let nextGroup = 1;

  const emit = (x: RawInsn, text: string, expect?: Map<number, string>): number => {
    const i = insns.length;
    insns.push(x);
    listing.push(`${i}: ${text}`);
    if (expect) lines.set(i, [expect]);
    return i;
  };
  const exp = (...rs: number[]): Map<number, string> => new Map(rs.map((r) => [r, fmt(regs[r])]));
  const unlinkSelf = (r: number) => {
    group[r] = 0;
  };
  const linkTo = (dst: number, src: number) => {
    if (!group[src]) group[src] = nextGroup++;
    group[dst] = group[src];
  };
  const isLinked = (r: number) => group[r] !== 0 && group.some((g, j) => j !== r && g === group[r]);

  let forked = false;
  const forks: { at: number; pushed: ScalarState[] }[] = [];
  // Prologue: an unknown 64-bit value spilled at fp-8, r6..r9 and r0 unknown.
  emit({ code: 0x85, dst: 0, src: 0, off: 0, imm: 7 }, 'call prandom');
  emit({ code: 0x7b, dst: 10, src: 0, off: -8, imm: 0 }, '*(u64 *)(r10 -8) = r0');
  for (const r of [6, 7, 8, 9]) {
    emit({ code: 0x85, dst: 0, src: 0, off: 0, imm: 7 }, 'call prandom');
    emit({ code: 0xbf, dst: r, src: 0, off: 0, imm: 0 }, `r${r} = r0`);
  }
  emit({ code: 0x85, dst: 0, src: 0, off: 0, imm: 7 }, 'call prandom');
  const doLoad = (dst: number) => {
    const [code, size, signed, name] = rng.pick([
      [0x71, 1, false, 'u8'], [0x69, 2, false, 'u16'], [0x61, 4, false, 'u32'],
      [0x91, 1, true, 's8'], [0x89, 2, true, 's16'], [0x81, 4, true, 's32'],
    ] as const);
    regs[dst] = fromLoadSize(size, { signed });
    unlinkSelf(dst);
    emit({ code, dst, src: 10, off: -8, imm: 0 }, `r${dst} = *(${name} *)(r10 -8)`, exp(dst));
  };
  const doAlu = (op: AluOp, dst: number, is64: boolean, srcReg: number | null, imm: number) => {
    const base = op.startsWith('movsx') ? 'mov' : op;
    const code = ALU_CODE[base] | (is64 ? 0x07 : 0x04) | (srcReg !== null ? 0x08 : 0x00);
    const off = op === 'sdiv' || op === 'smod' ? 1 : op.startsWith('movsx') ? Number(op.slice(5)) : 0;
    const src = srcReg !== null ? regs[srcReg] : immScalar(imm);
    const before = regs[dst];
    const res = (opts.hostMovsx ? movsxAsHost(op, before, src, is64) : null) ?? scalarAluStep(op, before, src, { is64 });
    regs[dst] = res.dst;
    // ids: movs link, add/sub of a constant (either width) keeps the link, everything else breaks it
    if (op === 'mov' || op.startsWith('movsx')) {
      if (srcReg !== null) linkTo(dst, srcReg);
      else unlinkSelf(dst);
    } else if (!((op === 'add' || op === 'sub') && (srcReg === null || regs[srcReg].varOff.mask === 0n))) {
      unlinkSelf(dst);
    }
    const text = `${is64 ? 'r' : 'w'}${dst} ${op}= ${srcReg !== null ? (is64 ? 'r' : 'w') + srcReg : imm}`;
    const i = emit({ code, dst, src: srcReg ?? 0, off, imm: srcReg !== null ? 0 : imm }, text,
      srcReg !== null ? exp(dst, srcReg) : exp(dst));
    if (res.fork) {
      // The kernel pushes a state that re-executes insn i with dst = fork; it is popped first.
      const pushed = regs.slice();
      pushed[dst] = res.fork;
      forks.push({ at: i, pushed });
      const again = pushed.slice();
      again[dst] = scalarAlu(op, res.fork, srcReg !== null ? pushed[srcReg] : immScalar(imm), { is64 });
      lines.get(i)!.push(new Map((srcReg !== null ? [dst, srcReg] : [dst]).map((r) => [r, fmt(again[r])])));
      forked = true;
    }
  };

  // Initialise r1..r5 (NOT_INIT after the calls).
  for (const r of [1, 2, 3, 4, 5]) {
    if (rng.chance(0.5)) doLoad(r);
    else doAlu('mov', r, rng.chance(0.7), null, randImm(rng));
  }
  for (const r of [0, 6, 7, 8, 9]) regs[r] = unknownScalar();
  // r6..r9 and r0 have kernel ids from the prologue movs but no partner left.

  const length = opts.length ?? 24;
  const allowed = (k: string) => !opts.ops || opts.ops.includes(k);
  let exits = 0;
  let ended = false;
  const binOps: AluOp[] = ['add', 'sub', 'mul', 'div', 'sdiv', 'mod', 'smod', 'or', 'and', 'lsh', 'rsh', 'arsh', 'xor'];
  const unaryOps: AluOp[] = ['neg', 'le16', 'le32', 'le64', 'be16', 'be32', 'be64', 'bswap16', 'bswap32', 'bswap64'];
  const movOps: AluOp[] = ['mov', 'movsx8', 'movsx16', 'movsx32'];
  const focus = (opts.ops ?? []).filter((k) => (binOps as string[]).includes(k) || (unaryOps as string[]).includes(k) || (movOps as string[]).includes(k)) as AluOp[];
  /** Emit one ALU op, its operand form chosen at random (movsx32 exists only in ALU64). */
  const aluOp = (op: AluOp, dst: number, is64: boolean, shape: boolean): void => {
    if ((binOps as string[]).includes(op)) {
      const useReg = !shape && rng.chance(0.4);
      let imm = randImm(rng);
      if (op === 'lsh' || op === 'rsh' || op === 'arsh') imm = rng.int(is64 ? 64 : 32);
      if (shape && op === 'and') imm = rng.pick([0xff, 0xffff, 0xf, 0x7f, 0x3ff, 0x7fffffff, -256, 0xf0, 6]);
      if ((op === 'div' || op === 'mod' || op === 'sdiv' || op === 'smod') && imm === 0) imm = 3;
      doAlu(op, dst, is64, useReg ? rng.int(10) : null, imm);
    } else if (op === 'neg') {
      doAlu('neg', dst, is64, null, 0);
    } else if ((unaryOps as string[]).includes(op)) {
      const w = Number(op.replace(/\D/g, ''));
      const code = op.startsWith('bswap') ? 0xd7 : op.startsWith('be') ? 0xdc : 0xd4;
      regs[dst] = scalarAlu(op, regs[dst], regs[dst], { is64: op.startsWith('bswap') });
      if (op !== 'le64') unlinkSelf(dst); // le64 is a no-op on x86: the kernel keeps the id
      emit({ code, dst, src: 0, off: 0, imm: w }, `r${dst} = ${op} r${dst}`, exp(dst));
    } else if (op === 'mov' && rng.chance(0.2)) {
      doAlu('mov', dst, is64, null, randImm(rng));
    } else {
      doAlu(op === 'movsx32' ? 'movsx32' : op, dst, op === 'movsx32' ? true : is64, rng.int(10), 0);
    }
  };
  for (let n = 0; n < length && !ended && !forked; n++) {
    const dst = rng.int(10);
    const is64 = rng.chance(0.6);
    if (focus.length && rng.chance(0.5)) {
      aluOp(rng.pick(focus), dst, is64, false);
      continue;
    }
    const kind = rng.pick(['alu', 'alu', 'alu', 'alu', 'shape', 'jmp', 'jmp', 'jmp', 'unary', 'mov', 'load']);
    if (kind === 'alu' || kind === 'shape') {
      const op = kind === 'shape' ? rng.pick(['and', 'or', 'rsh', 'lsh', 'arsh', 'add'] as AluOp[]) : rng.pick(binOps);
      if (kind === 'alu' && !allowed(op)) continue;
      if (kind === 'shape' && op === 'arsh' && rng.chance(0.25)) {
        // sign mask then and/or with a constant: the kernel's maybe_fork_scalars case
        doAlu('arsh', dst, is64, null, is64 ? 63 : 31);
        doAlu(rng.pick(['and', 'or'] as AluOp[]), dst, rng.chance(0.5), null, randImm(rng));
        continue;
      }
      aluOp(op, dst, is64, kind === 'shape');
    } else if (kind === 'unary') {
      const op = rng.pick(['neg', ...unaryOps] as AluOp[]);
      if (!allowed(op)) continue;
      aluOp(op, dst, is64, false);
    } else if (kind === 'mov') {
      const op = rng.chance(0.5) ? 'mov' : rng.pick(is64 ? ['movsx8', 'movsx16', 'movsx32'] as AluOp[] : ['movsx8', 'movsx16'] as AluOp[]);
      if (!allowed(op)) continue;
      aluOp(op, dst, is64, false);
    } else if (kind === 'load') {
      if (!allowed('load')) continue;
      doLoad(dst);
    } else {
      if (!allowed('jmp')) continue;
      const cond = rng.pick(CONDS);
      const is32 = rng.chance(0.4);
      const useReg = rng.chance(0.35);
      const srcReg = useReg ? (rng.chance(0.1) ? dst : rng.int(10)) : null;
      // break links so the kernel's sync_linked_regs has nothing to propagate
      for (const r of srcReg !== null ? [dst, srcReg] : [dst]) {
        if (isLinked(r)) doAlu('xor', r, true, null, 0);
      }
      const imm = srcReg === null ? (rng.chance(0.8) ? nearBound(rng, regs[dst], is32) : randImm(rng)) : 0;
      const a = regs[dst];
      const b = srcReg !== null ? regs[srcReg] : immScalar(imm);
      const sameReg = srcReg === dst;
      const p = isBranchTaken(a, b, cond, { is32, sameReg });
      const code = JMP_CODE[cond] | (is32 ? 0x06 : 0x05) | (srcReg !== null ? 0x08 : 0);
      const exit = exits++;
      const text = `if ${is32 ? 'w' : 'r'}${dst} ${cond} ${srcReg !== null ? 'r' + srcReg : imm} goto exit${exit}`;
      if (p === -1) {
        const rb = refineBranch(a, b, cond, { is32, sameReg });
        const taken = regs.slice();
        taken[dst] = rb.taken.a;
        if (srcReg !== null && !sameReg) taken[srcReg] = rb.taken.b;
        regs[dst] = rb.notTaken.a;
        if (srcReg !== null && !sameReg) regs[srcReg] = rb.notTaken.b;
        const i = emit({ code, dst, src: srcReg ?? 0, off: 0, imm, exit }, text, srcReg !== null ? exp(dst, srcReg) : exp(dst));
        pendingFroms.push({ from: i, exit, regs: taken });
      } else {
        const i = emit({ code, dst, src: srcReg ?? 0, off: 0, imm, exit }, text + ` (predicted ${p})`,
          srcReg !== null ? exp(dst, srcReg) : exp(dst));
        if (p === 1) {
          pendingFroms.push({ from: i, exit, regs: [] }); // reached directly, no "from" line
          ended = true;
        }
      }
    }
  }
  // main exit (visited twice when a forked state re-runs the tail)
  const mainVisits = ended ? 0 : forked ? 2 : 1;
  const i0 = emit({ code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }, ended ? 'r0 = 0 (dead)' : 'r0 = 0');
  emit({ code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }, 'exit');
  if (mainVisits) lines.set(i0, new Array(mainVisits).fill(0).map(() => new Map([[0, '0']])));
  // exit blocks, one per jump
  const exitAt = new Map<number, number>();
  for (let e = 0; e < exits; e++) {
    const reached = pendingFroms.find((f) => f.exit === e);
    const i = emit({ code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }, `exit${e}: r0 = 0`, reached ? new Map([[0, '0']]) : undefined);
    emit({ code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }, 'exit');
    exitAt.set(e, i);
  }
  insns.forEach((x, i) => {
    if (x.exit !== undefined) x.off = exitAt.get(x.exit)! - (i + 1);
  });
  const froms = new Map<string, Map<number, string>>();
  for (const f of pendingFroms) {
    if (!f.regs.length) continue;
    const m = new Map<number, string>();
    f.regs.forEach((s, r) => m.set(r, fmt(s)));
    froms.set(`${f.from}->${exitAt.get(f.exit)}`, m);
  }
  for (const f of forks) froms.set(`${f.at}->${f.at}`, new Map(f.pushed.map((st, r) => [r, fmt(st)])));
  return { bytes: encode(insns), lines, froms, listing };
}

// ---------- log parsing ----------

/** Split "R0=scalar() R3=scalar(var_off=(0x0; 0xff)) R10=fp0" into [name, value] pairs. */
export function splitRegs(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let depth = 0;
  let cur = '';
  const flush = () => {
    const t = cur.trim();
    cur = '';
    if (!t) return;
    const eq = t.indexOf('=');
    if (eq > 0) out.set(t.slice(0, eq), t.slice(eq + 1));
  };
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ' ' && depth === 0) flush();
    else cur += ch;
  }
  flush();
  return out;
}

/** Drop what the scalar domain does not model: precision marks and scalar ids. */
export function normalize(v: string): string {
  return v.replace(/^P/, '').replace(/id=\d+([+-]\d+)?,?/, '').replace(/,\)$/, ')');
}

export interface Observed {
  lines: Map<number, Map<string, string>[]>;
  froms: Map<string, Map<string, string>>;
}

export function parseLog(log: string): Observed {
  const lines = new Map<number, Map<string, string>[]>();
  const froms = new Map<string, Map<string, string>>();
  const visit = (i: number, regs: Map<string, string>) => {
    const v = lines.get(i);
    if (v) v.push(regs);
    else lines.set(i, [regs]);
  };
  let pendingState = -1; // an insn line printed without its state (it follows later as "N: R...")
  for (const l of log.split('\n')) {
    let m = /^(\d+): \([0-9a-f]{2}\) .*?; (R.*)$/.exec(l);
    if (m) {
      visit(Number(m[1]), splitRegs(m[2]));
      pendingState = -1;
      continue;
    }
    m = /^(\d+): \([0-9a-f]{2}\) /.exec(l);
    if (m) {
      const i = Number(m[1]);
      visit(i, new Map());
      pendingState = i;
      continue;
    }
    m = /^(\d+): (R\d.*)$/.exec(l);
    if (m) {
      if (Number(m[1]) === pendingState) {
        const v = lines.get(pendingState)!;
        v[v.length - 1] = splitRegs(m[2]);
      }
      pendingState = -1;
      continue;
    }
    m = /^from (\d+) to (\d+): (.*)$/.exec(l);
    if (m) {
      froms.set(`${m[1]}->${m[2]}`, splitRegs(m[3]));
      pendingState = -1;
    }
  }
  return { lines, froms };
}

export interface Mismatch {
  where: string;
  reg: number;
  expected: string;
  actual: string | undefined;
}

/** Compare a case's predictions with the kernel's log; [] when they agree. */
export function compare(c: Case, log: string, firstChecked = 0): Mismatch[] {
  const obs = parseLog(log);
  const out: Mismatch[] = [];
  for (const [i, visits] of c.lines) {
    if (i < firstChecked) continue;
    const got = obs.lines.get(i) ?? [];
    if (got.length !== visits.length) {
      out.push({ where: `insn ${i} processed ${got.length} times`, reg: -1, expected: `${visits.length}`, actual: `${got.length}` });
      continue;
    }
    visits.forEach((regs, k) => {
      for (const [r, text] of regs) {
        const a = got[k].get(`R${r}`);
        if (a === undefined || normalize(a) !== text) out.push({ where: `insn ${i}#${k}`, reg: r, expected: text, actual: a });
      }
    });
  }
  for (const i of obs.lines.keys()) {
    if (i >= firstChecked && !c.lines.has(i) && c.listing[i] && !/exit|call|\*\(/.test(c.listing[i])) {
      out.push({ where: `insn ${i} processed unexpectedly`, reg: -1, expected: 'not processed', actual: 'processed' });
    }
  }
  for (const [k, regs] of c.froms) {
    const got = obs.froms.get(k);
    if (!got) {
      out.push({ where: `branch ${k} not pushed`, reg: -1, expected: 'pushed', actual: undefined });
      continue;
    }
    for (const [r, text] of regs) {
      const a = got.get(`R${r}`);
      if (a === undefined || normalize(a) !== text) out.push({ where: `from ${k}`, reg: r, expected: text, actual: a });
    }
  }
  for (const k of obs.froms.keys()) {
    if (!c.froms.has(k)) out.push({ where: `branch ${k} pushed unexpectedly`, reg: -1, expected: 'absent', actual: 'pushed' });
  }
  return out;
}

// ---------- the oracle ----------

interface OracleLike {
  available(): { ok: boolean; reason?: string };
  progLoad(o: { type: number; insns: Uint8Array; logLevel: number; logSize?: number }): {
    fd: number | null; errno: number; errnoName: string; log: string;
  };
  close(fd: number): unknown;
}

let oracleCache: OracleLike | null | undefined;
let oracleWhy = '';

/** tools/oracle when bpf() works here, else null (see oracleUnavailableReason). */
export function oracle(): OracleLike | null {
  if (oracleCache !== undefined) return oracleCache;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const o = require('../../../tools/oracle') as OracleLike;
    const a = o.available();
    oracleCache = a.ok ? o : null;
    if (!a.ok) oracleWhy = a.reason ?? 'unavailable';
  } catch (e) {
    oracleCache = null;
    oracleWhy = `tools/oracle not loadable: ${(e as Error).message}`;
  }
  return oracleCache;
}
export const oracleUnavailableReason = (): string => oracleWhy;

export interface RunResult {
  mismatches: Mismatch[];
  accepted: boolean;
  log: string;
}

/** Load the case into the kernel as a privileged socket filter and compare. */
export function runCase(o: OracleLike, c: Case): RunResult {
  const r = o.progLoad({ type: 1, insns: c.bytes, logLevel: 2, logSize: 1 << 22 });
  if (r.fd !== null) o.close(r.fd);
  const accepted = r.fd !== null;
  // The first body instruction follows the 10-slot prologue.
  return { mismatches: compare(c, r.log, 11), accepted, log: r.log };
}

