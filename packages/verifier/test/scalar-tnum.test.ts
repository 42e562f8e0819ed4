import fc from 'fast-check';
import {
  Tnum, tnumAdd, tnumAnd, tnumArshift, tnumCast, tnumConst, tnumContains, tnumIn, tnumIntersect, tnumIsAligned,
  tnumBswap, tnumLshift, tnumMul, tnumNeg, tnumOr, tnumOverlap, tnumRange, tnumRshift, tnumStep, tnumStr, tnumSub,
  tnumSubreg, tnumUnion, tnumWithSubreg, tnumXor,
} from '../src/scalar';

const u64 = (x: bigint) => BigInt.asUintN(64, x);
const M64 = (1n << 64n) - 1n;
/** Any u64, biased towards small values and the edges. */
const anyU64 = fc.oneof(
  fc.bigInt({ min: 0n, max: M64 }),
  fc.bigInt({ min: 0n, max: 300n }),
  fc.bigInt({ min: M64 - 300n, max: M64 }),
  fc.constantFrom(0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, (1n << 63n) - 1n, 1n << 63n),
);
const s64 = (x: bigint) => BigInt.asIntN(64, x);

/** A tnum biased towards few unknown bits, plus one of its members. */
const tnumWithMember = fc
  .tuple(anyU64, anyU64, anyU64,
    fc.constantFrom(0xffn, 0xffffn, 0xffffffffn, (1n << 64n) - 1n, 0xf0f0n, 0n))
  .map(([v, m, pick, keep]): [Tnum, bigint] => {
    const mask = m & keep & (pick | (pick >> 7n));
    const value = v & ~mask;
    return [{ value, mask }, value | (pick & mask)];
  });

const binary: [string, (a: Tnum, b: Tnum) => Tnum, (x: bigint, y: bigint) => bigint][] = [
  ['add', tnumAdd, (x, y) => u64(x + y)],
  ['sub', tnumSub, (x, y) => u64(x - y)],
  ['mul', tnumMul, (x, y) => u64(x * y)],
  ['and', tnumAnd, (x, y) => x & y],
  ['or', tnumOr, (x, y) => x | y],
  ['xor', tnumXor, (x, y) => x ^ y],
];

describe('tnum soundness (fast-check)', () => {
  for (const [name, abs, conc] of binary) {
    test(`${name}: the concrete result is a member of the abstract result`, () => {
      fc.assert(fc.property(tnumWithMember, tnumWithMember, ([a, x], [b, y]) => {
        const r = abs(a, b);
        expect(r.value & r.mask).toBe(0n);
        expect(tnumContains(r, conc(x, y))).toBe(true);
      }), { numRuns: 1000 });
    });
  }

  test('neg, shifts, cast, subreg', () => {
    fc.assert(fc.property(tnumWithMember, fc.integer({ min: 0, max: 63 }), ([a, x], sh) => {
      expect(tnumContains(tnumNeg(a), u64(-x))).toBe(true);
      expect(tnumContains(tnumLshift(a, sh), u64(x << BigInt(sh)))).toBe(true);
      expect(tnumContains(tnumRshift(a, sh), x >> BigInt(sh))).toBe(true);
      expect(tnumContains(tnumArshift(a, sh, 64), u64(s64(x) >> BigInt(sh)))).toBe(true);
      const sh32 = sh & 31;
      expect(tnumContains(tnumArshift(tnumSubreg(a), sh32, 32), BigInt.asUintN(32, BigInt.asIntN(32, x) >> BigInt(sh32)))).toBe(true);
      const swap = (v: bigint, n: number) => { let o = 0n; for (let i = 0; i < n; i++) o = (o << 8n) | ((v >> BigInt(8 * i)) & 0xffn); return o; };
      for (const n of [2, 4, 8] as const) expect(tnumContains(tnumBswap(a, n), swap(x, n))).toBe(true);
      for (const size of [1, 2, 4, 8]) {
        expect(tnumContains(tnumCast(a, size), x & ((1n << BigInt(8 * size)) - 1n))).toBe(true);
      }
    }), { numRuns: 1000 });
  });

  test('union covers both, intersect keeps common members, in/overlap agree with members', () => {
    fc.assert(fc.property(tnumWithMember, tnumWithMember, ([a, x], [b, y]) => {
      const u = tnumUnion(a, b);
      expect(tnumContains(u, x) && tnumContains(u, y)).toBe(true);
      expect(tnumIn(u, a) && tnumIn(u, b)).toBe(true);
      if (tnumContains(b, x)) {
        expect(tnumContains(tnumIntersect(a, b), x)).toBe(true);
        expect(tnumOverlap(a, b)).toBe(true);
      }
      const w = tnumWithSubreg(a, b);
      expect(tnumContains(w, (x & ~0xffffffffn) | (y & 0xffffffffn))).toBe(true);
    }), { numRuns: 1000 });
  });

  test('range covers its interval; step finds the next member', () => {
    fc.assert(fc.property(anyU64, fc.bigInt({ min: 0n, max: 1n << 20n }), fc.bigInt({ min: 0n, max: 1n << 20n }), (lo, span, off) => {
      const hi = u64(lo + span) < lo ? (1n << 64n) - 1n : lo + span;
      const t = tnumRange(lo, hi);
      const z = lo + (span === 0n ? 0n : off % (span + 1n));
      expect(tnumContains(t, lo) && tnumContains(t, hi) && tnumContains(t, z > hi ? hi : z)).toBe(true);
    }), { numRuns: 1000 });
    fc.assert(fc.property(tnumWithMember, anyU64, ([a], z) => {
      const n = tnumStep(a, z);
      const tmax = a.value | a.mask;
      expect(tnumContains(a, n)).toBe(true);
      if (z < tmax) {
        expect(n > z).toBe(true);
        // nothing in a lies strictly between z and n (checked on a few points below n)
        for (let k = 1n; k <= 3n && n - k > z; k++) expect(tnumContains(a, n - k)).toBe(false);
      } else {
        expect(n).toBe(tmax);
      }
    }), { numRuns: 1000 });
  });

  test('is_aligned, const', () => {
    fc.assert(fc.property(tnumWithMember, fc.constantFrom(1n, 2n, 4n, 8n, 16n), ([a, x], size) => {
      if (tnumIsAligned(a, size)) expect(x % size).toBe(0n);
      expect(tnumContains(tnumConst(x), x)).toBe(true);
    }), { numRuns: 1000 });
  });
});

describe('tnum text', () => {
  test('tnum_strn format, 0 printed as 0x0', () => {
    expect(tnumStr({ value: 0n, mask: 0xffn })).toBe('(0x0; 0xff)');
    expect(tnumStr(tnumRange(0x100n, 0x1ffn))).toBe('(0x100; 0xff)');
    expect(tnumStr(tnumConst(u64(-1n)))).toBe('(0xffffffffffffffff; 0x0)');
  });
});
