/**
 * An independent, deliberately naive BigInt model of eBPF ALU and jump
 * semantics (the kernel's, with the verifier's run-time fixups for division),
 * used to check the interpreter on random operands.
 */
export const M64 = (1n << 64n) - 1n;
export const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
export const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
export const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);
export const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);

/** dst op= src on 64-bit values; off = 1 selects signed div/mod. */
export function alu64(op: string, a: bigint, b: bigint, off = 0): bigint {
  const sa = s64(a), sb = s64(b);
  switch (op) {
    case 'add': return u64(a + b);
    case 'sub': return u64(a - b);
    case 'mul': return u64(a * b);
    case 'div':
      if (b === 0n) return 0n;
      return off ? u64(sa / sb) : a / b;
    case 'mod':
      if (b === 0n) return a;
      return off ? u64(sa % sb) : a % b;
    case 'or': return a | b;
    case 'and': return a & b;
    case 'xor': return a ^ b;
    case 'lsh': return u64(a << (b & 63n));
    case 'rsh': return a >> (b & 63n);
    case 'arsh': return u64(sa >> (b & 63n));
    case 'neg': return u64(-a);
    case 'mov': return b;
  }
  throw new Error(op);
}

/** dst op= src on the low 32 bits, zero-extended. */
export function alu32(op: string, a: bigint, b: bigint, off = 0): bigint {
  const a32 = u32(a), b32 = u32(b), sa = s32(a), sb = s32(b);
  switch (op) {
    case 'add': return u32(a32 + b32);
    case 'sub': return u32(a32 - b32);
    case 'mul': return u32(a32 * b32);
    case 'div':
      if (b32 === 0n) return 0n;
      return off ? u32(sa / sb) : a32 / b32;
    case 'mod':
      if (b32 === 0n) return a32;
      return off ? u32(sa % sb) : a32 % b32;
    case 'or': return a32 | b32;
    case 'and': return a32 & b32;
    case 'xor': return a32 ^ b32;
    case 'lsh': return u32(a32 << (b32 & 31n));
    case 'rsh': return a32 >> (b32 & 31n);
    case 'arsh': return u32(sa >> (b32 & 31n));
    case 'neg': return u32(-a32);
    case 'mov': return b32;
  }
  throw new Error(op);
}

export function cond(op: string, a: bigint, b: bigint, wide: boolean): boolean {
  const ua = wide ? u64(a) : u32(a), ub = wide ? u64(b) : u32(b);
  const sa = wide ? s64(a) : s32(a), sb = wide ? s64(b) : s32(b);
  switch (op) {
    case 'jeq': return ua === ub;
    case 'jne': return ua !== ub;
    case 'jset': return (ua & ub) !== 0n;
    case 'jgt': return ua > ub;
    case 'jge': return ua >= ub;
    case 'jlt': return ua < ub;
    case 'jle': return ua <= ub;
    case 'jsgt': return sa > sb;
    case 'jsge': return sa >= sb;
    case 'jslt': return sa < sb;
    case 'jsle': return sa <= sb;
  }
  throw new Error(op);
}

export function bswap(v: bigint, bits: number): bigint {
  let out = 0n;
  for (let i = 0; i < bits / 8; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** Sign-extend the low `bits` of v to 64 bits. */
export const sext = (v: bigint, bits: number): bigint => u64(BigInt.asIntN(bits, v));
