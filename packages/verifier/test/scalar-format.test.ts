/**
 * The log text of a scalar. Exactness over thousands of states is checked
 * against the kernel in scalar-kernel.test.ts; here: the rules of
 * print_scalar_ranges (merging, omission, sign handling) as properties, and
 * the option fields the driver adds (id, BPF_ADD_CONST offset, precision).
 */
import fc from 'fast-check';
import {
  ScalarState, constScalar, fmtSnum, fmtUnum, formatScalar, fromLoadSize, rangeScalar, unknownScalar,
} from '../src/scalar';

const M64 = (1n << 64n) - 1n;

describe('formatScalar', () => {
  test('constants print as verbose_snum: decimal in [-32768, 32767], else the u64 in hex', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: M64 }), (x) => {
      const s = BigInt.asIntN(64, x);
      const text = formatScalar(constScalar(x));
      if (s >= -32768n && s <= 32767n) expect(text).toBe(s.toString());
      else expect(text).toBe('0x' + x.toString(16));
    }), { numRuns: 500 });
    expect(formatScalar(constScalar(-1))).toBe('-1');
    expect(formatScalar(constScalar(0xffffffffn))).toBe('0xffffffff');
    expect(formatScalar(constScalar(0xfdffn))).toBe('0xfdff');
  });

  test('unknown is scalar(); id, BPF_ADD_CONST offset and precision are printed where the kernel puts them', () => {
    expect(formatScalar(unknownScalar())).toBe('scalar()');
    expect(formatScalar(unknownScalar(), { id: 2 })).toBe('scalar(id=2)');
    expect(formatScalar(unknownScalar(), { id: 2, addConstOff: 32767 })).toBe('scalar(id=2+32767)');
    expect(formatScalar(unknownScalar(), { id: 5, addConstOff: -128 })).toBe('scalar(id=5-128)');
    expect(formatScalar(constScalar(-3), { precise: true, id: 4 })).toBe('P-3');
    expect(formatScalar(fromLoadSize(1), { id: 1 })).toBe(
      'scalar(id=1,smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))');
    expect(formatScalar(fromLoadSize(1, { signed: true }))).toBe('scalar(smin=smin32=-128,smax=smax32=127)');
  });

  test('print_scalar_ranges: each bound at most once, defaults omitted, equal same-kind values merged', () => {
    const NAMES = ['smin', 'smax', 'umin', 'umax', 'smin32', 'smax32', 'umin32', 'umax32'];
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: M64 }), fc.bigInt({ min: 0n, max: 1n << 40n }), (lo, span) => {
      const hi = lo + span > M64 ? M64 : lo + span;
      const s: ScalarState = rangeScalar(lo, hi);
      const text = formatScalar(s);
      if (/^-?\d+$|^0x[0-9a-f]+$/.test(text)) return; // a constant
      const inner = text.slice('scalar('.length, -1).replace(/,var_off=\(.*\)$/, '');
      const seen: string[] = [];
      for (const group of inner ? inner.split(',') : []) {
        const parts = group.split('=');
        const value = parts.pop()!;
        for (const name of parts) {
          expect(NAMES).toContain(name);
          expect(seen).not.toContain(name);
          seen.push(name);
          // a merged name carries the same value, printed the same way as the first
          const field: Record<string, bigint> = {
            smin: s.smin, smax: s.smax, umin: s.umin, umax: s.umax, smin32: s.s32min, smax32: s.s32max,
            umin32: s.u32min, umax32: s.u32max,
          };
          const v = field[name];
          const printed = name.startsWith('s')
            ? (name.endsWith('32') && !(v >= -32768n && v <= 32767n) ? fmtSnum(BigInt.asUintN(32, v)) : fmtSnum(v))
            : fmtUnum(v);
          expect(printed).toBe(value);
        }
      }
      // omitted names are exactly the ones at their type's limit
      if (!seen.includes('smin')) expect(s.smin).toBe(-(1n << 63n));
      if (!seen.includes('umax')) expect(s.umax).toBe(M64);
      if (!seen.includes('umin32')) expect(s.u32min).toBe(0n);
      if (!seen.includes('umax32')) expect(s.u32max).toBe(0xffffffffn);
    }), { numRuns: 300 });
  });
});
