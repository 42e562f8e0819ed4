/**
 * The one place the verifier touches the scalar domain (src/scalar/, written separately): every
 * scalar operation the driver needs, in the driver's terms (BPF opcodes), mapped to that module.
 */
// straight from the modules, not the scalar index: its re-exports are getters on a hot path
import {
  constScalar, unknownScalar, fromLoadSize, rangeScalar, zext32Scalar, coerceScalarToSize, coerceScalarToSizeSx, type ScalarState,
} from '../scalar/bounds';
import { scalarAluStep, type AluOp } from '../scalar/alu';
import { isBranchTaken, refineBranch, jmpCondFromCode, type JmpCond } from '../scalar/branch';
import { scalarWithin, scalarEquals } from '../scalar/query';
import { formatScalar, fmtSnum, fmtUnum } from '../scalar/format';
import { tnumIsConst, tnumIsUnknown, tnumStr } from '../scalar/tnum';
import { S32_MAX, S32_MIN, S64_MAX, S64_MIN, U32_MAX, U64_MAX, fls64, s64, u64 } from '../scalar/int';

export type Scalar = ScalarState;

export const UNKNOWN: Scalar = unknownScalar();
export const known = (v: bigint): Scalar => constScalar(BigInt.asUintN(64, v));
export const isConst = (s: Scalar): boolean => tnumIsConst(s.varOff);
/** The kernel's fls64: bits needed for v (get_reg_width). */
export const bitsOf = (v: bigint): number => fls64(v);
export const constValue = (s: Scalar): bigint => s.varOff.value;
export const isUnknown = (s: Scalar): boolean => scalarEquals(s, UNKNOWN);
export const unknownOfSize = (bytes: number): Scalar => fromLoadSize(bytes as 1 | 2 | 4 | 8);
export const unknownSigned = (bytes: number): Scalar => fromLoadSize(bytes as 1 | 2 | 4 | 8, { signed: true });
export const fromUnsigned = (lo: bigint, hi: bigint): Scalar => rangeScalar(lo, hi);
export const zext32 = (s: Scalar): Scalar => zext32Scalar(s);
/** coerce_reg_to_size (zero-extending) or coerce_reg_to_size_sx after a load narrower than 8 bytes. */
export const coerce = (s: Scalar, bytes: number, signed: boolean): Scalar =>
  (signed ? coerceScalarToSizeSx : coerceScalarToSize)(s, bytes as 1 | 2 | 4);

const OPS: Record<number, AluOp> = {
  0x00: 'add', 0x10: 'sub', 0x20: 'mul', 0x30: 'div', 0x40: 'or', 0x50: 'and', 0x60: 'lsh', 0x70: 'rsh',
  0x80: 'neg', 0x90: 'mod', 0xa0: 'xor', 0xb0: 'mov', 0xc0: 'arsh',
};

export interface AluOut { dst: Scalar; fork?: Scalar }

/** dst = dst <op> src for a BPF ALU opcode (0x00..0xc0); `signed` for sdiv/smod (off=1). */
export function aluStep(opcode: number, is64: boolean, a: Scalar, b: Scalar, signed = false): AluOut {
  let op = OPS[opcode];
  if (signed && op === 'div') op = 'sdiv';
  if (signed && op === 'mod') op = 'smod';
  const r = scalarAluStep(op, a, b, { is64 });
  return r.fork ? { dst: r.dst, fork: r.fork } : { dst: r.dst };
}
export const alu = (opcode: number, is64: boolean, a: Scalar, b: Scalar): Scalar => aluStep(opcode, is64, a, b).dst;

/** BPF_END: `kind` le/be (ALU) or bswap (ALU64), `bits` 16/32/64. */
export function endian(a: Scalar, kind: 'le' | 'be' | 'bswap', bits: number, is64: boolean): Scalar {
  return scalarAluStep(`${kind}${bits}` as AluOp, a, a, { is64 }).dst;
}

/** movsx from `bits` (8/16/32) in either width. */
export function signExtend(a: Scalar, bits: number, is64: boolean): Scalar {
  return scalarAluStep(`movsx${bits}` as AluOp, a, a, { is64 }).dst;
}

const cond = (jop: number): JmpCond => jmpCondFromCode(0x05 | jop) as JmpCond;

/** The kernel's is_scalar_branch_taken: 1 taken, 0 not taken, -1 unknown. */
export const branchTaken = (jop: number, is32: boolean, a: Scalar, b: Scalar, sameReg = false): 1 | 0 | -1 =>
  isBranchTaken(a, b, cond(jop), { is32, sameReg });

/** reg_set_min_max on both edges. */
export function refineBoth(jop: number, is32: boolean, a: Scalar, b: Scalar, sameReg = false): { taken: [Scalar, Scalar]; notTaken: [Scalar, Scalar] } {
  const r = refineBranch(a, b, cond(jop), { is32, sameReg });
  return { taken: [r.taken.a, r.taken.b], notTaken: [r.notTaken.a, r.notTaken.b] };
}

/** `old` covers `cur` (range_within + tnum_in, for state pruning). */
export const covers = (old: Scalar, cur: Scalar): boolean => scalarWithin(old, cur);
export const equal = (a: Scalar, b: Scalar): boolean => scalarEquals(a, b);

export const snum = (v: bigint): string => fmtSnum(v);
export const unum = (v: bigint): string => fmtUnum(v);
export const scalarText = (s: Scalar, id: number, precise: boolean): string => formatScalar(s, { id, precise });

/** print_scalar_ranges for a pointer's variable offset (`smin=...,var_off=...`). */
export function rangesStr(s: Scalar): string[] {
  const m = [
    { n: 'smin', v: u64(s.smin), omit: s.smin === S64_MIN },
    { n: 'smax', v: u64(s.smax), omit: s.smax === S64_MAX },
    { n: 'umin', v: s.umin, omit: s.umin === 0n },
    { n: 'umax', v: s.umax, omit: s.umax === U64_MAX },
    { n: 'smin32', v: u64(s.s32min), omit: s.s32min === S32_MIN },
    { n: 'smax32', v: u64(s.s32max), omit: s.s32max === S32_MAX },
    { n: 'umin32', v: s.u32min, omit: s.u32min === 0n },
    { n: 'umax32', v: s.u32max, omit: s.u32max === U32_MAX },
  ];
  const out: string[] = [];
  for (let i = 0; i < m.length; i++) {
    const m1 = m[i];
    if (m1.omit) continue;
    const neg1 = m1.n[0] === 's' && s64(m1.v) < 0n;
    let text = `${m1.n}=`;
    for (let j = i + 2; j < m.length; j += 2) {
      const m2 = m[j];
      if (m2.omit) continue;
      if (neg1 === (m2.n[0] === 's' && s64(m2.v) < 0n) && m1.v === m2.v) { text += `${m2.n}=`; m2.omit = true; }
    }
    out.push(text + (m1.n[0] === 's' ? fmtSnum(m1.v) : fmtUnum(m1.v)));
  }
  if (!tnumIsUnknown(s.varOff)) out.push(`var_off=${tnumStr(s.varOff)}`);
  return out;
}
