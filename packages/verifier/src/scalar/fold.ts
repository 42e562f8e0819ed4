/**
 * Constant folding: when every operand of an ALU instruction is a known constant, the kernel's full
 * transfer function (tnum + bounds deduction) ends in a known constant too, so the result is computed
 * directly. Most straight-line code works on constants; this skips the bigint bounds machinery there.
 * test/scalar-fold.test.ts checks, op by op, that folding gives exactly what adjust_scalar_min_max_vals
 * gives; ops whose full result is not a constant (division, out-of-range shifts) are not folded.
 */
import { s32, s64, u32, u64 } from './int';
import type { AluOp } from './alu';

function bswap(x: bigint, bytes: number): bigint {
  let out = 0n;
  for (let i = 0; i < bytes; i++) out = (out << 8n) | ((x >> BigInt(8 * i)) & 0xffn);
  return out;
}

/**
 * The constant result of `dst = dst <op> src` on constants `a` (dst) and `b` (src), both u64, or null
 * when this op is not folded. 32-bit results are zero-extended.
 */
export function foldConst(op: AluOp, a: bigint, b: bigint, is64: boolean): bigint | null {
  if (is64) {
    switch (op) {
      case 'add': return u64(a + b);
      case 'sub': return u64(a - b);
      case 'mul': return u64(a * b);
      case 'or': return a | b;
      case 'and': return a & b;
      case 'xor': return a ^ b;
      case 'lsh': return b < 64n ? u64(a << b) : null;
      case 'rsh': return b < 64n ? a >> b : null;
      case 'arsh': return b < 64n ? u64(s64(a) >> b) : null;
      case 'neg': return u64(-a);
      case 'mov': return b;
      case 'movsx8': return u64(BigInt.asIntN(8, b));
      case 'movsx16': return u64(BigInt.asIntN(16, b));
      case 'movsx32': return u64(BigInt.asIntN(32, b));
      case 'bswap16': return bswap(a, 2);
      case 'bswap32': return bswap(a, 4);
      case 'bswap64': return bswap(a, 8);
      default: return null;
    }
  }
  const x = u32(a), y = u32(b);
  switch (op) {
    case 'add': return u32(x + y);
    case 'sub': return u32(x - y);
    case 'mul': return u32(x * y);
    case 'or': return x | y;
    case 'and': return x & y;
    case 'xor': return x ^ y;
    case 'lsh': return b < 32n ? u32(x << b) : null;
    case 'rsh': return b < 32n ? x >> b : null;
    case 'arsh': return b < 32n ? u32(s32(x) >> b) : null;
    case 'neg': return u32(-x);
    case 'mov': return y;
    case 'movsx8': return u32(BigInt.asIntN(8, y));
    case 'movsx16': return u32(BigInt.asIntN(16, y));
    case 'le16': return a & 0xffffn;
    case 'le32': return x;
    case 'le64': return a;
    case 'be16': return bswap(a, 2);
    case 'be32': return bswap(a, 4);
    case 'be64': return bswap(a, 8);
    default: return null;
  }
}
