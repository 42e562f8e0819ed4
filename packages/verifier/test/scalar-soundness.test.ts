/**
 * Soundness of the scalar domain on reachable states: random programs run
 * abstractly and concretely in lockstep; every concrete value must stay inside
 * its abstract state, every predicted branch must agree with the concrete
 * outcome, and every refinement must keep the concrete operands on the edge
 * they take (64-bit and 32-bit forms of every operation).
 */
import fc from 'fast-check';
import {
  AluOp, JmpCond, ScalarState, coerceScalarToSize, coerceScalarToSizeSx, constScalar, formatScalar, fromLoadSize,
  immScalar, isBranchTaken, isSane, rangeScalar, refineBranch, scalarAlu, scalarAluStep, scalarContains, scalarWithin, syncScalar,
  unknownScalar, zext32Scalar,
} from '../src/scalar';
import { concreteAlu, concreteCond } from './scalar-concrete';

const M64 = (1n << 64n) - 1n;
const u64 = (x: bigint) => BigInt.asUintN(64, x);

const anyU64 = fc.oneof(
  fc.bigInt({ min: 0n, max: M64 }),
  fc.bigInt({ min: 0n, max: 300n }),
  fc.bigInt({ min: M64 - 300n, max: M64 }),
  fc.constantFrom(0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, (1n << 63n) - 1n, 1n << 63n),
);

const IMMS = [0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 63, 64, 255, 256, 0x7fff, 0x8000, 0xffff, 0x7fffffff, -0x80000000, -1, -2, -128, -256, -32768];
const imm = fc.oneof(fc.constantFrom(...IMMS), fc.integer({ min: -300, max: 300 }), fc.integer({ min: -0x80000000, max: 0x7fffffff }));

type Start = { abs: ScalarState; conc: bigint };
const start: fc.Arbitrary<Start> = fc.oneof(
  anyU64.map((x) => ({ abs: unknownScalar(), conc: x })),
  anyU64.map((x) => ({ abs: constScalar(x), conc: x })),
  fc.tuple(fc.constantFrom(1, 2, 4, 8) as fc.Arbitrary<1 | 2 | 4 | 8>, fc.boolean(), anyU64).map(([size, signed, x]) => {
    const bits = BigInt(size * 8);
    const v = size === 8 ? x : signed ? u64(BigInt.asIntN(Number(bits), x)) : BigInt.asUintN(Number(bits), x);
    return { abs: fromLoadSize(size, { signed: signed && size < 8 }), conc: v };
  }),
  fc.tuple(anyU64, fc.bigInt({ min: 0n, max: 1n << 40n }), fc.bigInt({ min: 0n, max: M64 })).map(([lo, span, pick]) => {
    const hi = lo + span > M64 ? M64 : lo + span;
    return { abs: rangeScalar(lo, hi), conc: lo + (pick % (hi - lo + 1n)) };
  }),
);

const BIN: AluOp[] = ['add', 'sub', 'mul', 'div', 'sdiv', 'mod', 'smod', 'or', 'and', 'lsh', 'rsh', 'arsh', 'xor'];
const UNARY: AluOp[] = ['neg', 'le16', 'le32', 'le64', 'be16', 'be32', 'be64', 'bswap16', 'bswap32', 'bswap64'];
const CONDS: JmpCond[] = ['jeq', 'jne', 'jgt', 'jge', 'jlt', 'jle', 'jsgt', 'jsge', 'jslt', 'jsle', 'jset'];

type Step =
  | { t: 'alu'; op: AluOp; dst: number; is64: boolean; src: number | null; imm: number }
  | { t: 'jmp'; cond: JmpCond; dst: number; is32: boolean; src: number | null; imm: number };

const reg = fc.integer({ min: 0, max: 2 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant('alu' as const), op: fc.constantFrom(...BIN), dst: reg, is64: fc.boolean(), src: fc.option(reg), imm }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('alu' as const), op: fc.constantFrom(...UNARY), dst: reg, is64: fc.boolean(), src: fc.constant(null), imm }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('alu' as const), op: fc.constantFrom('mov', 'movsx8', 'movsx16', 'movsx32') as fc.Arbitrary<AluOp>, dst: reg, is64: fc.boolean(), src: fc.option(reg), imm }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('jmp' as const), cond: fc.constantFrom(...CONDS), dst: reg, is32: fc.boolean(), src: fc.option(reg), imm }) },
);

/** Adjust a generated step to what the kernel accepts (it rejects those before any range tracking). */
function legal(s: Step): Step {
  if (s.t !== 'alu') return s;
  let { op, imm: k, is64 } = s;
  if (op === 'movsx32' && !is64) op = 'movsx16';
  if (op.startsWith('bswap')) is64 = true;
  if (op.startsWith('le') || op.startsWith('be')) is64 = false;
  if (s.src === null && (op === 'lsh' || op === 'rsh' || op === 'arsh')) k = ((k % 64) + 64) % (is64 ? 64 : 32);
  if (s.src === null && (op === 'div' || op === 'mod' || op === 'sdiv' || op === 'smod') && k === 0) k = 1;
  return { ...s, op, imm: k, is64 };
}

function explain(abs: ScalarState, conc: bigint): string {
  return `${formatScalar(abs)} does not contain ${u64(conc).toString(16)}`;
}

function run(starts: Start[], steps: Step[]): { abs: ScalarState[]; conc: bigint[] } {
  const abs = starts.map((s) => s.abs);
  const conc = starts.map((s) => u64(s.conc));
  for (const s0 of steps) {
    const s = legal(s0);
    if (s.t === 'alu') {
      const srcAbs = s.src !== null ? abs[s.src] : immScalar(s.imm);
      const srcConc = s.src !== null ? conc[s.src] : u64(BigInt(s.imm));
      const want = concreteAlu(s.op, conc[s.dst], srcConc, s.is64);
      const res = scalarAluStep(s.op, abs[s.dst], srcAbs, { is64: s.is64 });
      let got = res.dst;
      if (res.fork && !scalarContains(got, want)) {
        // the concrete run is the pushed path: dst = fork, then the same instruction again
        expect(scalarContains(res.fork, conc[s.dst])).toBe(true);
        got = scalarAlu(s.op, res.fork, s.src === s.dst ? res.fork : srcAbs, { is64: s.is64 });
      }
      if (!scalarContains(got, want)) throw new Error(`${s.is64 ? '' : 'w '}${s.op}: ${explain(got, want)}`);
      expect(isSane(got)).toBe(true);
      abs[s.dst] = got;
      conc[s.dst] = want;
    } else {
      const sameReg = s.src === s.dst;
      const bAbs = s.src !== null ? abs[s.src] : immScalar(s.imm);
      const bConc = s.src !== null ? conc[s.src] : u64(BigInt(s.imm));
      const outcome = concreteCond(s.cond, conc[s.dst], bConc, s.is32);
      const p = isBranchTaken(abs[s.dst], bAbs, s.cond, { is32: s.is32, sameReg });
      if (p !== -1) {
        expect(p).toBe(outcome ? 1 : 0);
        continue;
      }
      const rb = refineBranch(abs[s.dst], bAbs, s.cond, { is32: s.is32, sameReg });
      const edge = outcome ? rb.taken : rb.notTaken;
      if (!scalarContains(edge.a, conc[s.dst])) throw new Error(`${s.cond}${s.is32 ? '32' : ''} a: ${explain(edge.a, conc[s.dst])}`);
      if (!sameReg && !scalarContains(edge.b, bConc)) throw new Error(`${s.cond}${s.is32 ? '32' : ''} b: ${explain(edge.b, bConc)}`);
      expect(isSane(edge.a)).toBe(true);
      abs[s.dst] = edge.a;
      if (s.src !== null && !sameReg) abs[s.src] = edge.b;
    }
  }
  return { abs, conc };
}

describe('scalar domain soundness on reachable states (fast-check)', () => {
  test('ALU ops, branch prediction and refinement never exclude the concrete values', () => {
    fc.assert(
      fc.property(fc.array(start, { minLength: 3, maxLength: 3 }), fc.array(step, { minLength: 1, maxLength: 30 }), (a, b) => {
        run(a, b);
      }),
      { numRuns: 800, seed: 0x5ca1a4 },
    );
  });

  test('a single op on random operands: concrete result inside (64 and 32-bit, reg and imm sources)', () => {
    fc.assert(
      fc.property(start, start, fc.constantFrom(...BIN, ...UNARY, 'mov', 'movsx8', 'movsx16', 'movsx32' as AluOp), fc.boolean(), fc.boolean(), imm,
        (a, b, op, is64, useImm, k) => {
          run([a, b, a], [{ t: 'alu', op, dst: 0, is64, src: useImm ? null : 1, imm: k }]);
        }),
      { numRuns: 1500, seed: 0xa1a1 },
    );
  });

  test('every condition, both widths: prediction and both edges agree with concrete pairs', () => {
    fc.assert(
      fc.property(start, start, fc.constantFrom(...CONDS), fc.boolean(), fc.boolean(), imm, (a, b, cond, is32, useImm, k) => {
        run([a, b, a], [{ t: 'jmp', cond, dst: 0, is32, src: useImm ? null : 1, imm: k }]);
        run([a, b, a], [{ t: 'jmp', cond, dst: 0, is32, src: 0, imm: k }]);
      }),
      { numRuns: 1500, seed: 0xb1b1 },
    );
  });

  test('coerce to size (zero- and sign-extending), zext32 and sync keep every member', () => {
    fc.assert(
      fc.property(fc.array(start, { minLength: 3, maxLength: 3 }), fc.array(step, { maxLength: 12 }), fc.constantFrom(1, 2, 4) as fc.Arbitrary<1 | 2 | 4>,
        (starts, steps, size) => {
          // reach a state through a random program, then coerce it
          const { abs, conc } = run(starts, steps); // the path itself is checked there
          const a = abs[0];
          const x = conc[0];
          const bits = size * 8;
          expect(scalarContains(coerceScalarToSize(a, size), BigInt.asUintN(bits, x))).toBe(true);
          expect(scalarContains(coerceScalarToSizeSx(a, size), u64(BigInt.asIntN(bits, x)))).toBe(true);
          expect(scalarContains(zext32Scalar(a), BigInt.asUintN(32, x))).toBe(true);
          expect(scalarContains(syncScalar(a), x)).toBe(true);
        }),
      { numRuns: 500, seed: 0xc0e5 },
    );
  });

  test('scalarWithin (range_within + tnum_in) implies containment of members', () => {
    fc.assert(
      fc.property(fc.array(start, { minLength: 3, maxLength: 3 }), fc.array(step, { maxLength: 10 }), fc.array(step, { maxLength: 10 }),
        (starts, p1, p2) => {
          const a = run(starts, p1);
          const b = run(starts, p2);
          for (let i = 0; i < 3; i++) {
            if (scalarWithin(a.abs[i], b.abs[i])) expect(scalarContains(a.abs[i], b.conc[i])).toBe(true);
            expect(scalarWithin(b.abs[i], b.abs[i])).toBe(true);
          }
        }),
      { numRuns: 500, seed: 0x3e11 },
    );
  });
});
