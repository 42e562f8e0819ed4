/** Every ALU op, width and source against the BigInt reference model. */
import fc from 'fast-check';
import { run, forEachEngine } from './engine';
import { ALU_OPS, I, alu, exit, lddw, mov64r, ALU, ALU64, type AluName } from './builders';
import { FC, imm32, operand } from './arbitraries';
import { alu32, alu64, bswap, sext, u32, u64 } from './reference';

const BINARY: AluName[] = ['add', 'sub', 'mul', 'div', 'mod', 'or', 'and', 'lsh', 'rsh', 'arsh', 'xor', 'mov'];
const SIGNED: AluName[] = ['div', 'mod'];

/** r1 = a; r2 = b; <insn>; r0 = r1; exit */
function runOp(insn: ReturnType<typeof I>, a: bigint, b: bigint): bigint {
  return run([...lddw(1, a), ...lddw(2, b), insn, mov64r(0, 1), exit()]).r0;
}

forEachEngine(() => {
  describe('ALU, register source', () => {
    for (const wide of [true, false]) {
      for (const op of BINARY) {
        for (const off of SIGNED.includes(op) ? [0, 1] : [0]) {
          const name = `${op}${wide ? '64' : '32'}${off ? ' (signed)' : ''}`;
          it(`${name} matches the reference`, () => {
            fc.assert(
              fc.property(operand, operand, (a, b) => {
                const want = wide ? alu64(op, a, b, off) : alu32(op, a, b, off);
                expect(runOp(alu(wide, op, 1, 2, true, off), a, b)).toBe(want);
              }),
              FC,
            );
          });
        }
      }
    }
  });

  describe('ALU, immediate source', () => {
    for (const wide of [true, false]) {
      for (const op of BINARY) {
        for (const off of SIGNED.includes(op) ? [0, 1] : [0]) {
          const name = `${op}${wide ? '64' : '32'}${off ? ' (signed)' : ''} imm`;
          it(`${name} matches the reference`, () => {
            fc.assert(
              fc.property(operand, imm32, (a, k) => {
                // ALU64 sign-extends the immediate; ALU32 uses its 32 bits.
                const b = wide ? u64(BigInt(k)) : u32(BigInt(k));
                const want = wide ? alu64(op, a, b, off) : alu32(op, a, b, off);
                expect(runOp(alu(wide, op, 1, k, false, off), a, 0n)).toBe(want);
              }),
              FC,
            );
          });
        }
      }
    }
  });

  describe('ALU with dst == src', () => {
    it('every op on one register matches the reference', () => {
      fc.assert(
        fc.property(fc.constantFrom(...BINARY), fc.boolean(), operand, (op, wide, a) => {
          const want = wide ? alu64(op, a, a) : alu32(op, a, a);
          expect(runOp(alu(wide, op, 1, 1, true), a, 0n)).toBe(want);
        }),
        FC,
      );
    });
  });

  describe('edge cases named by the kernel', () => {
    const INT64_MIN = 0x8000000000000000n, NEG1 = u64(-1n);
    it.each([
      ['sdiv64 INT64_MIN / -1 = INT64_MIN', alu(true, 'div', 1, 2, true, 1), INT64_MIN, NEG1, INT64_MIN],
      ['smod64 INT64_MIN % -1 = 0', alu(true, 'mod', 1, 2, true, 1), INT64_MIN, NEG1, 0n],
      ['sdiv32 INT32_MIN / -1 = INT32_MIN, zero-extended', alu(false, 'div', 1, 2, true, 1), 0xffffffff80000000n, NEG1, 0x80000000n],
      ['smod32 INT32_MIN % -1 = 0', alu(false, 'mod', 1, 2, true, 1), 0x80000000n, NEG1, 0n],
      ['div64 by zero = 0', alu(true, 'div', 1, 2, true), 1234n, 0n, 0n],
      ['mod64 by zero leaves dst', alu(true, 'mod', 1, 2, true), 0xdeadbeef00001234n, 0n, 0xdeadbeef00001234n],
      ['mod32 by zero zero-extends dst', alu(false, 'mod', 1, 2, true), 0xdeadbeef00001234n, 0xffffffff00000000n, 0x1234n],
      ['div32 by a divisor whose low half is zero = 0', alu(false, 'div', 1, 2, true), 77n, 0x100000000n, 0n],
      ['sdiv64 by zero = 0', alu(true, 'div', 1, 2, true, 1), u64(-5n), 0n, 0n],
      ['smod64 by zero leaves dst', alu(true, 'mod', 1, 2, true, 1), u64(-5n), 0n, u64(-5n)],
      ['smod64 -7 % 2 = -1 (sign of the dividend)', alu(true, 'mod', 1, 2, true, 1), u64(-7n), 2n, NEG1],
      ['lsh64 by 65 shifts by 1', alu(true, 'lsh', 1, 2, true), 1n, 65n, 2n],
      ['lsh32 by 33 shifts by 1', alu(false, 'lsh', 1, 2, true), 0xffffffff00000001n, 33n, 2n],
      ['arsh32 sign-extends within 32 bits then zero-extends', alu(false, 'arsh', 1, 2, true), 0x80000000n, 4n, 0xf8000000n],
      ['add32 zero-extends', alu(false, 'add', 1, 2, true), 0xffffffffffffffffn, 1n, 0n],
      ['mov32 zero-extends', alu(false, 'mov', 1, 2, true), 5n, 0xffffffffffffffffn, 0xffffffffn],
      ['mov64 imm sign-extends', alu(true, 'mov', 1, -1, false), 0n, 0n, NEG1],
      ['mov32 imm does not', alu(false, 'mov', 1, -1, false), 0n, 0n, 0xffffffffn],
    ])('%s', (_name, insn, a, b, want) => {
      expect(runOp(insn, a, b)).toBe(want);
    });
  });

  describe('neg', () => {
    it('neg64 and neg32 match the reference', () => {
      fc.assert(
        fc.property(operand, fc.boolean(), (a, wide) => {
          const insn = I((wide ? ALU64 : ALU) | ALU_OPS.neg, 1);
          expect(runOp(insn, a, 0n)).toBe(wide ? alu64('neg', a, 0n) : alu32('neg', a, 0n));
        }),
        FC,
      );
    });
    it('neg with a register source is an invalid instruction', () => {
      expect(() => run([I(ALU64 | 0x08 | ALU_OPS.neg, 1, 2), exit()])).toThrow(expect.objectContaining({ code: 'EINVAL_INSN', insn: 0 }));
    });
  });

  describe('movsx', () => {
    it('movsx64 8/16/32 and movsx32 8/16 sign-extend', () => {
      fc.assert(
        fc.property(operand, fc.constantFrom([true, 8], [true, 16], [true, 32], [false, 8], [false, 16]), (a, [wide, bits]) => {
          const insn = alu(wide as boolean, 'mov', 1, 2, true, bits as number);
          const want = wide ? sext(a, bits as number) : u32(sext(a, bits as number));
          expect(runOp(insn, 0n, a)).toBe(want);
        }),
        FC,
      );
    });
    it('movsx32 with off 32 is invalid', () => {
      expect(() => run([alu(false, 'mov', 1, 2, true, 32), exit()])).toThrow(expect.objectContaining({ code: 'EINVAL_INSN' }));
    });
  });

  describe('byte order', () => {
    const END = 0xd0;
    it('le16/32/64 truncate, be16/32/64 and bswap16/32/64 swap', () => {
      fc.assert(
        fc.property(operand, fc.constantFrom(16, 32, 64), (a, bits) => {
          const mask = (1n << BigInt(bits)) - 1n;
          expect(runOp(I(ALU | END, 1, 0, 0, bits), a, 0n)).toBe(a & mask); // le
          expect(runOp(I(ALU | 0x08 | END, 1, 0, 0, bits), a, 0n)).toBe(bswap(a & mask, bits)); // be
          expect(runOp(I(ALU64 | END, 1, 0, 0, bits), a, 0n)).toBe(bswap(a & mask, bits)); // bswap
        }),
        FC,
      );
    });
    it('a byte swap of 8 bits is invalid', () => {
      expect(() => run([I(ALU | END, 1, 0, 0, 8), exit()])).toThrow(expect.objectContaining({ code: 'EINVAL_INSN' }));
    });
  });
});
