/** Edge-heavy operand generators shared by the property tests. */
import fc from 'fast-check';
import { M64, u64 } from './reference';

export const EDGES64: readonly bigint[] = [
  0n, 1n, 2n, 3n, 7n, 31n, 32n, 33n, 63n, 64n, 65n, M64, u64(-2n),
  0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x1_0000_0001n,
  0x7fffffffffffffffn, 0x8000000000000000n, 0x8000000000000001n,
  u64(-0x80000000n), u64(-0x7fffffffn), 0xffffffff00000000n, 0x00000001ffffffffn,
];

/** A u64 operand, edges and small values over-represented. */
export const operand: fc.Arbitrary<bigint> = fc.oneof(
  fc.constantFrom(...EDGES64),
  fc.bigInt({ min: 0n, max: M64 }),
  fc.bigInt({ min: 0n, max: 0xffffffffn }),
  fc.integer({ min: -300, max: 300 }).map((x) => u64(BigInt(x))),
);

/** An s32 immediate, edges over-represented. */
export const imm32: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, 1, -1, 2, -2, 31, 32, 33, 63, 64, 0x7fffffff, -0x80000000, -0x7fffffff, 0xffff, 0x8000),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  fc.integer({ min: -300, max: 300 }),
);

/** Fixed seed: the suite is deterministic like the rest of bpfsim. */
export const FC = { seed: 0x5eed, numRuns: 250 };
