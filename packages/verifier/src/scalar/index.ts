/**
 * The verifier's scalar abstract domain, as Linux 6.18 computes it: tnums,
 * 64/32-bit signed/unsigned ranges, ALU transfer functions, branch
 * prediction and refinement, and the log's text for a scalar. See README.md.
 */
export * from './int';
export * from './tnum';
export type { ScalarState } from './bounds';
export {
  constScalar, immScalar, unknownScalar, fromLoadSize, rangeScalar, isSane, syncScalar, coerceScalarToSize,
  coerceScalarToSizeSx, zext32Scalar,
} from './bounds';
export type { AluOp, AluResult } from './alu';
export { aluOpFromInsn, scalarAlu, scalarAluStep } from './alu';
export type { JmpCond, BranchOpts, RefinedBranch, RefinedEdge } from './branch';
export { jmpCondFromCode, flipCond, isBranchTaken, refineBranch } from './branch';
export type { FormatOpts } from './format';
export { formatScalar, fmtSnum, fmtUnum } from './format';
export { scalarContains, scalarEquals, scalarWithin } from './query';
