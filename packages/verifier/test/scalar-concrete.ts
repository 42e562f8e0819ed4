/**
 * Concrete BPF semantics (what the interpreter computes on a little-endian
 * host), used as the reference in the scalar domain's soundness tests.
 */
import { AluOp, JmpCond } from '../src/scalar';

const M64 = (1n << 64n) - 1n;
const u64 = (x: bigint) => BigInt.asUintN(64, x);
const s64 = (x: bigint) => BigInt.asIntN(64, x);
const u32 = (x: bigint) => BigInt.asUintN(32, x);
const s32 = (x: bigint) => BigInt.asIntN(32, x);

function bswap(x: bigint, bytes: number): bigint {
  let out = 0n;
  for (let i = 0; i < bytes; i++) out = (out << 8n) | ((x >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** Truncating signed division as C does it (BPF sdiv), with BPF's rules for 0 and overflow. */
function sdiv(a: bigint, b: bigint, bits: 32 | 64): bigint {
  if (b === 0n) return 0n;
  const q = a / b; // bigint division truncates toward zero
  return BigInt.asUintN(bits, q);
}

function smod(a: bigint, b: bigint, bits: 32 | 64): bigint {
  if (b === 0n) return BigInt.asUintN(bits, a);
  return BigInt.asUintN(bits, a % b); // sign follows the dividend, as in C
}

/** The value of `dst` after `dst = dst <op> src` (u64 in, u64 out). */
export function concreteAlu(op: AluOp, dst: bigint, src: bigint, is64: boolean): bigint {
  if (op.startsWith('le') || op.startsWith('be') || op.startsWith('bswap')) {
    const w = Number(op.replace(/\D/g, ''));
    if (op.startsWith('le')) return w === 64 ? dst : dst & ((1n << BigInt(w)) - 1n);
    return bswap(dst, w / 8);
  }
  if (is64) {
    const a = u64(dst);
    const b = u64(src);
    switch (op) {
      case 'add': return u64(a + b);
      case 'sub': return u64(a - b);
      case 'mul': return u64(a * b);
      case 'div': return b === 0n ? 0n : a / b;
      case 'mod': return b === 0n ? a : a % b;
      case 'sdiv': return sdiv(s64(a), s64(b), 64);
      case 'smod': return smod(s64(a), s64(b), 64);
      case 'or': return a | b;
      case 'and': return a & b;
      case 'xor': return a ^ b;
      case 'lsh': return u64(a << (b & 63n));
      case 'rsh': return a >> (b & 63n);
      case 'arsh': return u64(s64(a) >> (b & 63n));
      case 'neg': return u64(-a);
      case 'mov': return b;
      case 'movsx8': return u64(BigInt.asIntN(8, b));
      case 'movsx16': return u64(BigInt.asIntN(16, b));
      case 'movsx32': return u64(BigInt.asIntN(32, b));
      default: throw new Error(`no 64-bit ${op}`);
    }
  }
  const a = u32(dst);
  const b = u32(src);
  switch (op) {
    case 'add': return u32(a + b);
    case 'sub': return u32(a - b);
    case 'mul': return u32(a * b);
    case 'div': return b === 0n ? 0n : a / b;
    case 'mod': return b === 0n ? a : a % b;
    case 'sdiv': return sdiv(s32(a), s32(b), 32);
    case 'smod': return smod(s32(a), s32(b), 32);
    case 'or': return a | b;
    case 'and': return a & b;
    case 'xor': return a ^ b;
    case 'lsh': return u32(a << (b & 31n));
    case 'rsh': return a >> (b & 31n);
    case 'arsh': return u32(s32(a) >> (b & 31n));
    case 'neg': return u32(-a);
    case 'mov': return b;
    case 'movsx8': return u32(BigInt.asIntN(8, b));
    case 'movsx16': return u32(BigInt.asIntN(16, b));
    default: throw new Error(`no 32-bit ${op}`);
  }
}

/** Does `a <cond> b` hold (JMP compares 64 bits, JMP32 the low 32)? */
export function concreteCond(cond: JmpCond, a: bigint, b: bigint, is32: boolean): boolean {
  const ua = is32 ? u32(a) : u64(a);
  const ub = is32 ? u32(b) : u64(b);
  const sa = is32 ? s32(a) : s64(a);
  const sb = is32 ? s32(b) : s64(b);
  switch (cond) {
    case 'jeq': return ua === ub;
    case 'jne': return ua !== ub;
    case 'jgt': return ua > ub;
    case 'jge': return ua >= ub;
    case 'jlt': return ua < ub;
    case 'jle': return ua <= ub;
    case 'jsgt': return sa > sb;
    case 'jsge': return sa >= sb;
    case 'jslt': return sa < sb;
    case 'jsle': return sa <= sb;
    case 'jset': return (ua & ub) !== 0n;
  }
}

export { M64 };
