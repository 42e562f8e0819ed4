/** Every jump condition, width and source against the reference; ja, gotol, may_goto. */
import fc from 'fast-check';
import { MAY_GOTO_BUDGET } from '@bpfsim/vm';
import { run, forEachEngine } from './engine';
import { I, JMP, JMP32, JMP_OPS, exit, ja, jmp, lddw, mov64, alu, type JmpName } from './builders';
import { FC, imm32, operand } from './arbitraries';
import { cond, u32, u64 } from './reference';

const CONDS = Object.keys(JMP_OPS) as JmpName[];

/** r1 = a; r2 = b; if (<cond>) r0 = 1 else r0 = 0 */
function taken(insn: ReturnType<typeof I>, a: bigint, b: bigint): boolean {
  const r0 = run([...lddw(1, a), ...lddw(2, b), insn, mov64(0, 0), exit(), mov64(0, 1), exit()]).r0;
  return r0 === 1n;
}

forEachEngine(() => {
  describe('conditional jumps', () => {
    for (const wide of [true, false]) {
      for (const op of CONDS) {
        const name = `${op}${wide ? '' : '32'}`;
        it(`${name} reg matches the reference`, () => {
          fc.assert(
            fc.property(operand, operand, (a, b) => {
              expect(taken(jmp(wide, op, 1, 2, true, 2), a, b)).toBe(cond(op, a, b, wide));
            }),
            FC,
          );
        });
        it(`${name} imm matches the reference`, () => {
          fc.assert(
            fc.property(operand, imm32, (a, k) => {
              // JMP compares with the immediate sign-extended to 64 bits; JMP32 with its 32 bits.
              const b = wide ? u64(BigInt(k)) : u32(BigInt(k));
              expect(taken(jmp(wide, op, 1, k, false, 2), a, 0n)).toBe(cond(op, a, b, wide));
            }),
            FC,
          );
        });
        it(`${name} on equal operands matches the reference`, () => {
          fc.assert(
            fc.property(operand, (a) => {
              expect(taken(jmp(wide, op, 1, 2, true, 2), a, a)).toBe(cond(op, a, a, wide));
            }),
            { ...FC, numRuns: 50 },
          );
        });
      }
    }
  });

  describe('unconditional jumps', () => {
    it('ja jumps by off, backwards too', () => {
      // 0: r0 = 1; 1: ja +2; 2: r0 = 99; 3: exit; 4: r0 += 1; 5: ja -3
      const prog = [mov64(0, 1), ja(2), mov64(0, 99), exit(), alu(true, 'add', 0, 1, false), ja(-4)];
      // 1 -> 4 -> 5 -> 2 -> 3: r0 = 99
      expect(run(prog).r0).toBe(99n);
    });
    it('gotol (JMP32 ja) takes its offset from imm, not off', () => {
      const prog = [mov64(0, 1), I(JMP32, 0, 0, 7 /* ignored */, 1), mov64(0, 2), exit()];
      expect(run(prog).r0).toBe(1n);
    });
    it('a jump outside the program faults naming the jump', () => {
      expect(() => run([mov64(0, 1), ja(5), exit()])).toThrow(expect.objectContaining({ code: 'EFAULT_PC', insn: 1 }));
      expect(() => run([mov64(0, 1), jmp(true, 'jeq', 0, 1, false, -3), exit()])).toThrow(expect.objectContaining({ code: 'EFAULT_PC', insn: 1 }));
    });
    it('a condition that is not taken never faults on its bad target', () => {
      expect(run([mov64(0, 1), jmp(true, 'jeq', 0, 2, false, 100), exit()]).r0).toBe(1n);
    });
    it('falling off the end faults', () => {
      expect(() => run([mov64(0, 1)])).toThrow(expect.objectContaining({ code: 'EFAULT_PC' }));
      expect(() => run([])).toThrow(expect.objectContaining({ code: 'EFAULT_PC' }));
    });
    it('jumping into the middle of an lddw is an invalid instruction', () => {
      expect(() => run([ja(1), ...lddw(0, 5n), exit()])).toThrow(expect.objectContaining({ code: 'EINVAL_INSN', insn: 2 }));
    });
  });

  describe('may_goto', () => {
    const MAY_GOTO = (off: number) => I(JMP | 0xe0, 0, 0, off, 0);
    it('falls through BPF_MAX_LOOPS times per frame, then jumps', () => {
      // r0 = 0; loop: may_goto +2; r0 += 1; ja -3; exit
      const prog = [mov64(0, 0), MAY_GOTO(2), alu(true, 'add', 0, 1, false), ja(-3), exit()];
      const res = run(prog, { maxInsns: 4 * MAY_GOTO_BUDGET });
      expect(res.r0).toBe(BigInt(MAY_GOTO_BUDGET));
      expect(MAY_GOTO_BUDGET).toBe(8 * 1024 * 1024);
      expect(res.insns).toBe(1 + 3 * MAY_GOTO_BUDGET + 1 + 1);
    });
    it('the budget is per frame and configurable', () => {
      // main: may_goto loop counting in r6, then call f which runs the same loop; r0 = main count + f count
      const loop = (r: number) => [mov64(r, 0), MAY_GOTO(2), alu(true, 'add', r, 1, false), ja(-3)];
      const prog = [...loop(6), I(JMP | 0x80, 0, 1, 0, 2), alu(true, 'add', 0, 6, true), exit(), ...loop(0), exit()];
      expect(run(prog, { mayGotoBudget: 10 }).r0).toBe(20n);
      expect(run(prog, { mayGotoBudget: 0 }).r0).toBe(0n);
    });
    it('may_goto with a non-zero src is invalid', () => {
      expect(() => run([I(JMP | 0xe0, 0, 1, 0, 0), exit()])).toThrow(expect.objectContaining({ code: 'EINVAL_INSN' }));
    });
  });
});
