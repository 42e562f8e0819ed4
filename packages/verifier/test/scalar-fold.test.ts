/**
 * Constant folding (src/scalar/fold.ts) must give exactly the kernel's full transfer function's result:
 * for every ALU op and width, on random and boundary constants, the folded state equals the one
 * adjust_scalar_min_max_vals computes (noFold), field by field, and prints the same.
 */
import fc from 'fast-check';
import { constScalar, unknownScalar, scalarAluStep, scalarEquals, formatScalar, type AluOp } from '../src/scalar';
import { foldConst } from '../src/scalar/fold';

const OPS: AluOp[] = [
  'add', 'sub', 'mul', 'div', 'sdiv', 'mod', 'smod', 'or', 'and', 'lsh', 'rsh', 'arsh', 'xor', 'neg', 'mov',
  'movsx8', 'movsx16', 'movsx32', 'le16', 'le32', 'le64', 'be16', 'be32', 'be64', 'bswap16', 'bswap32', 'bswap64',
];
const M64 = (1n << 64n) - 1n;
const val = fc.oneof(
  fc.bigInt({ min: 0n, max: M64 }),
  fc.bigInt({ min: 0n, max: 70n }),
  fc.bigInt({ min: M64 - 70n, max: M64 }),
  fc.constantFrom(0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, (1n << 63n) - 1n, 1n << 63n, 0x8000n, 0x80n),
);

describe('constant folding equals the full scalar transfer function', () => {
  test.each(OPS.flatMap((op) => [[op, true], [op, false]] as [AluOp, boolean][]))('%s is64=%s', (op, is64) => {
    // BPF_END ops exist in one width each; movsx32 is 64-bit only
    if ((op.startsWith('le') || op.startsWith('be')) && is64) return;
    if ((op.startsWith('bswap') || op === 'movsx32') && !is64) return;
    let folded = 0;
    fc.assert(fc.property(val, val, (a, b) => {
      const A = constScalar(a), B = constScalar(b);
      const fast = scalarAluStep(op, A, B, { is64 });
      const full = scalarAluStep(op, A, B, { is64, noFold: true });
      if (foldConst(op, a, b, is64) !== null) folded++;
      expect(fast.fork).toBe(full.fork);
      expect(scalarEquals(fast.dst, full.dst)).toBe(true);
      expect(formatScalar(fast.dst, {})).toBe(formatScalar(full.dst, {}));
      if (op.startsWith('mov')) {
        // a move folds whatever dst held before
        const u = unknownScalar();
        expect(scalarEquals(scalarAluStep(op, u, B, { is64 }).dst, scalarAluStep(op, u, B, { is64, noFold: true }).dst)).toBe(true);
      }
    }), { numRuns: 400, seed: 7 });
    // every op that is not division folds (so the fast path is really exercised)
    if (!/div|mod/.test(op)) expect(folded).toBeGreaterThan(0);
  });
});
