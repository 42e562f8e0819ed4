/**
 * The eleven eBPF registers. A register is a small object (not a bare number) so
 * that the DSL can tell `JumpIf('JEQ', R1, R2, ..)` from `JumpIf('JEQ', R1, 2, ..)`.
 */
export class Register {
  private constructor(readonly n: number) {}
  toString(): string {
    return `r${this.n}`;
  }
  /** The register numbered `n` (0..10); a RangeError for anything else. */
  static of(n: number): Register {
    const r = ALL[n];
    if (r === undefined) throw new RangeError(`no register r${n}: registers are r0..r10`);
    return r;
  }
  /** @internal */
  static make(n: number): Register {
    return new Register(n);
  }
}

const ALL: readonly Register[] = Array.from({ length: 11 }, (_, i) => Register.make(i));

export const R0 = ALL[0];
export const R1 = ALL[1];
export const R2 = ALL[2];
export const R3 = ALL[3];
export const R4 = ALL[4];
export const R5 = ALL[5];
export const R6 = ALL[6];
export const R7 = ALL[7];
export const R8 = ALL[8];
export const R9 = ALL[9];
export const R10 = ALL[10];
/** The read-only frame pointer. */
export const RFP = R10;

/** Number of general registers (r0..r10). */
export const NUM_REGS = 11;
