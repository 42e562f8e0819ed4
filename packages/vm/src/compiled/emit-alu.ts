/**
 * JavaScript for ALU instructions and conditional jumps. Registers are the
 * locals l0..l10 (low 32 bits) and h0..h10 (high 32 bits), always int32, as
 * wasm-to-JS compilers lower i64. Every operand written into the source is a
 * number decoded from the instruction (num() guarantees it).
 *
 * Semantics mirror interpreter.ts / arith.ts exactly; 64-bit division goes
 * through arith.ts on one-element scratch arrays (R.SL / R.SH).
 */
import { Op } from '../ops';

/** A decoded int32 (or small unsigned) as JavaScript source; refuses anything that is not a plain integer. */
export function num(v: number): string {
  if (!Number.isInteger(v) || Math.abs(v) > 0x1_0000_0000) throw new Error(`compiled engine: non-integer operand ${v}`);
  return v < 0 ? `(${v})` : `${v}`;
}

export const L = (r: number): string => `l${num(r)}`;
export const H = (r: number): string => `h${num(r)}`;

/** Operand (low, high) of a K or X form: K is imm sign-extended to 64 bits. */
function operand(k: boolean, imm: number, src: number): [string, string] {
  return k ? [num(imm | 0), num((imm | 0) >> 31)] : [L(src), H(src)];
}

const bswap32 = (v: string): string =>
  `(((${v} & 255) << 24) | ((${v} & 65280) << 8) | ((${v} >>> 8) & 65280) | (${v} >>> 24))`;

function mul64(d: number, bl: string, bh: string, kSmall: number | undefined): string {
  const l = L(d), h = H(d);
  if (kSmall !== undefined) {
    // lo * K is exact in a double while K < 2^21.
    return `t = (${l} >>> 0) * ${num(kSmall)}; ${h} = (Math.floor(t / 4294967296) + Math.imul(${h}, ${num(kSmall)})) | 0; ${l} = t | 0;`;
  }
  return `a = ${l} & 65535; b = ${l} >>> 16; x = ${bl} & 65535; y = ${bl} >>> 16; t = a * x; u = (t >>> 16) + b * x + a * y; `
    + `${h} = (Math.floor(u / 65536) + b * y + Math.imul(${l}, ${bh}) + Math.imul(${h}, ${bl})) | 0; ${l} = (u << 16) | (t & 65535);`;
}

function shiftK(kind: 'lsh' | 'rsh' | 'arsh', d: number, n: number): string {
  const l = L(d), h = H(d);
  if (n === 0) return '';
  if (kind === 'lsh') {
    return n < 32 ? `${h} = (${h} << ${n}) | (${l} >>> ${32 - n}); ${l} = ${l} << ${n};` : `${h} = ${l} << ${n - 32}; ${l} = 0;`;
  }
  if (kind === 'rsh') {
    return n < 32 ? `${l} = (${l} >>> ${n}) | (${h} << ${32 - n}); ${h} = ${h} >>> ${n};` : `${l} = (${h} >>> ${n - 32}) | 0; ${h} = 0;`;
  }
  return n < 32 ? `${l} = (${l} >>> ${n}) | (${h} << ${32 - n}); ${h} = ${h} >> ${n};` : `${l} = ${h} >> ${n - 32}; ${h} = ${h} >> 31;`;
}

function shiftX(kind: 'lsh' | 'rsh' | 'arsh', d: number, s: number): string {
  const l = L(d), h = H(d);
  const lt = kind === 'lsh' ? `${h} = (${h} << x) | (${l} >>> (32 - x)); ${l} = ${l} << x;`
    : kind === 'rsh' ? `${l} = (${l} >>> x) | (${h} << (32 - x)); ${h} = ${h} >>> x;`
      : `${l} = (${l} >>> x) | (${h} << (32 - x)); ${h} = ${h} >> x;`;
  const ge = kind === 'lsh' ? `${h} = ${l} << (x - 32); ${l} = 0;`
    : kind === 'rsh' ? `${l} = (${h} >>> (x - 32)) | 0; ${h} = 0;`
      : `${l} = ${h} >> (x - 32); ${h} = ${h} >> 31;`;
  return `x = ${L(s)} & 63; if (x !== 0) { if (x < 32) { ${lt} } else { ${ge} } }`;
}

/** 64-bit division/modulo through arith.ts (exact; BigInt only on its wide path). */
function divCall(fn: string, d: number, bl: string, bh: string): string {
  return `SL[0] = ${L(d)}; SH[0] = ${H(d)}; R.${fn}(SL, SH, 0, ${bl}, ${bh}); ${L(d)} = SL[0]; ${H(d)} = SH[0];`;
}

/** Source of one ALU instruction, or undefined when `op` is not an ALU op. */
export function emitAlu(op: Op, d: number, s: number, imm: number): string | undefined {
  const l = L(d), h = H(d);
  const K = num(imm | 0), Kh = (imm | 0) >> 31;
  switch (op) {
    // ---- ALU64 ----
    case Op.ADD64_K: return `t = (${l} >>> 0) + ${num(imm >>> 0)}; ${h} = (${h} + ${num(Kh)} + (t >= 4294967296 ? 1 : 0)) | 0; ${l} = t | 0;`;
    case Op.ADD64_X: return `t = (${l} >>> 0) + (${L(s)} >>> 0); ${h} = (${h} + ${H(s)} + (t >= 4294967296 ? 1 : 0)) | 0; ${l} = t | 0;`;
    case Op.SUB64_K: return `a = ${l} >>> 0; ${h} = (${h} - ${num(Kh)} - (a < ${num(imm >>> 0)} ? 1 : 0)) | 0; ${l} = (a - ${num(imm >>> 0)}) | 0;`;
    case Op.SUB64_X: return `a = ${l} >>> 0; b = ${L(s)} >>> 0; ${h} = (${h} - ${H(s)} - (a < b ? 1 : 0)) | 0; ${l} = (a - b) | 0;`;
    case Op.MUL64_K: return mul64(d, K, num(Kh), imm >= 0 && imm < 0x200000 ? imm : undefined);
    case Op.MUL64_X: return mul64(d, L(s), H(s), undefined);
    case Op.DIV64_K: case Op.DIV64_X: return divCall('udiv64', d, ...operand(op === Op.DIV64_K, imm, s));
    case Op.SDIV64_K: case Op.SDIV64_X: return divCall('sdiv64', d, ...operand(op === Op.SDIV64_K, imm, s));
    case Op.MOD64_K: case Op.MOD64_X: return divCall('umod64', d, ...operand(op === Op.MOD64_K, imm, s));
    case Op.SMOD64_K: case Op.SMOD64_X: return divCall('smod64', d, ...operand(op === Op.SMOD64_K, imm, s));
    case Op.OR64_K: return `${l} |= ${K};` + (Kh ? ` ${h} = -1;` : '');
    case Op.OR64_X: return `${l} |= ${L(s)}; ${h} |= ${H(s)};`;
    case Op.AND64_K: return `${l} &= ${K};` + (Kh ? '' : ` ${h} = 0;`);
    case Op.AND64_X: return `${l} &= ${L(s)}; ${h} &= ${H(s)};`;
    case Op.XOR64_K: return `${l} ^= ${K};` + (Kh ? ` ${h} = ~${h};` : '');
    case Op.XOR64_X: return `${l} ^= ${L(s)}; ${h} ^= ${H(s)};`;
    case Op.LSH64_K: return shiftK('lsh', d, imm & 63);
    case Op.LSH64_X: return shiftX('lsh', d, s);
    case Op.RSH64_K: return shiftK('rsh', d, imm & 63);
    case Op.RSH64_X: return shiftX('rsh', d, s);
    case Op.ARSH64_K: return shiftK('arsh', d, imm & 63);
    case Op.ARSH64_X: return shiftX('arsh', d, s);
    case Op.NEG64: return `${h} = (~${h} + (${l} === 0 ? 1 : 0)) | 0; ${l} = (-${l}) | 0;`;
    case Op.MOV64_K: return `${l} = ${K}; ${h} = ${num(Kh)};`;
    case Op.MOV64_X: return d === s ? '' : `${l} = ${L(s)}; ${h} = ${H(s)};`;
    case Op.MOVSX64_8: return `${l} = (${L(s)} << 24) >> 24; ${h} = ${l} >> 31;`;
    case Op.MOVSX64_16: return `${l} = (${L(s)} << 16) >> 16; ${h} = ${l} >> 31;`;
    case Op.MOVSX64_32: return `${l} = ${L(s)}; ${h} = ${l} >> 31;`;
    case Op.BSWAP16: return `${l} = ((${l} & 255) << 8) | ((${l} >>> 8) & 255); ${h} = 0;`;
    case Op.BSWAP32: return `${l} = ${bswap32(l)}; ${h} = 0;`;
    case Op.BSWAP64: return `t = ${bswap32(l)}; ${l} = ${bswap32(h)}; ${h} = t;`;

    // ---- ALU32: results zero-extend ----
    case Op.ADD32_K: return `${l} = (${l} + ${K}) | 0; ${h} = 0;`;
    case Op.ADD32_X: return `${l} = (${l} + ${L(s)}) | 0; ${h} = 0;`;
    case Op.SUB32_K: return `${l} = (${l} - ${K}) | 0; ${h} = 0;`;
    case Op.SUB32_X: return `${l} = (${l} - ${L(s)}) | 0; ${h} = 0;`;
    case Op.MUL32_K: return `${l} = Math.imul(${l}, ${K}); ${h} = 0;`;
    case Op.MUL32_X: return `${l} = Math.imul(${l}, ${L(s)}); ${h} = 0;`;
    case Op.DIV32_K: case Op.DIV32_X:
      return `x = ${op === Op.DIV32_K ? num(imm >>> 0) : `${L(s)} >>> 0`}; ${l} = x === 0 ? 0 : Math.floor((${l} >>> 0) / x) | 0; ${h} = 0;`;
    case Op.MOD32_K: case Op.MOD32_X:
      return `x = ${op === Op.MOD32_K ? num(imm >>> 0) : `${L(s)} >>> 0`}; if (x !== 0) ${l} = ((${l} >>> 0) % x) | 0; ${h} = 0;`;
    case Op.SDIV32_K: case Op.SDIV32_X:
      return `x = ${op === Op.SDIV32_K ? K : L(s)}; ${l} = x === 0 ? 0 : Math.trunc(${l} / x) | 0; ${h} = 0;`;
    case Op.SMOD32_K: case Op.SMOD32_X:
      return `x = ${op === Op.SMOD32_K ? K : L(s)}; if (x !== 0) ${l} = (${l} % x) | 0; ${h} = 0;`;
    case Op.OR32_K: return `${l} |= ${K}; ${h} = 0;`;
    case Op.OR32_X: return `${l} |= ${L(s)}; ${h} = 0;`;
    case Op.AND32_K: return `${l} &= ${K}; ${h} = 0;`;
    case Op.AND32_X: return `${l} &= ${L(s)}; ${h} = 0;`;
    case Op.XOR32_K: return `${l} ^= ${K}; ${h} = 0;`;
    case Op.XOR32_X: return `${l} ^= ${L(s)}; ${h} = 0;`;
    case Op.LSH32_K: return `${l} = ${l} << ${imm & 31}; ${h} = 0;`;
    case Op.LSH32_X: return `${l} = ${l} << (${L(s)} & 31); ${h} = 0;`;
    case Op.RSH32_K: return `${l} = (${l} >>> ${imm & 31}) | 0; ${h} = 0;`;
    case Op.RSH32_X: return `${l} = (${l} >>> (${L(s)} & 31)) | 0; ${h} = 0;`;
    case Op.ARSH32_K: return `${l} = ${l} >> ${imm & 31}; ${h} = 0;`;
    case Op.ARSH32_X: return `${l} = ${l} >> (${L(s)} & 31); ${h} = 0;`;
    case Op.NEG32: return `${l} = (-${l}) | 0; ${h} = 0;`;
    case Op.MOV32_K: return `${l} = ${K}; ${h} = 0;`;
    case Op.MOV32_X: return `${l} = ${L(s)}; ${h} = 0;`;
    case Op.MOVSX32_8: return `${l} = (${L(s)} << 24) >> 24; ${h} = 0;`;
    case Op.MOVSX32_16: return `${l} = (${L(s)} << 16) >> 16; ${h} = 0;`;
    case Op.LE16: return `${l} &= 65535; ${h} = 0;`;
    case Op.LE32: return `${h} = 0;`;
    case Op.LE64: return '';
  }
  return undefined;
}

/**
 * The condition of a conditional jump as a JavaScript expression, or
 * undefined when `op` is not one. 64-bit compares work on the halves
 * (K sign-extended), 32-bit ones on the low half.
 */
export function jumpCondition(op: Op, d: number, s: number, imm: number): string | undefined {
  const l = L(d), h = H(d);
  const k = num(imm | 0), kh = num((imm | 0) >> 31), ku = num(imm >>> 0), khu = num(((imm | 0) >> 31) >>> 0);
  const x = [L(s), H(s), `(${L(s)} >>> 0)`, `(${H(s)} >>> 0)`];
  const [bh, blu, bhu] = [kh, ku, khu];
  // Unsigned/signed 64-bit orders: decide on the high halves, then the unsigned low halves.
  const u64 = (rel: string, strict: string, oh: string, olu: string, ohu: string) =>
    `((${h} >>> 0) ${strict} ${ohu} || (${h} === ${oh} && (${l} >>> 0) ${rel} ${olu}))`;
  const s64 = (rel: string, strict: string, oh: string, olu: string) =>
    `(${h} ${strict} ${oh} || (${h} === ${oh} && (${l} >>> 0) ${rel} ${olu}))`;
  switch (op) {
    case Op.JEQ_K: return `(${l} === ${k} && ${h} === ${kh})`;
    case Op.JEQ_X: return `(${l} === ${x[0]} && ${h} === ${x[1]})`;
    case Op.JNE_K: return `(${l} !== ${k} || ${h} !== ${kh})`;
    case Op.JNE_X: return `(${l} !== ${x[0]} || ${h} !== ${x[1]})`;
    case Op.JSET_K: return `((${l} & ${k}) !== 0 || (${h} & ${kh}) !== 0)`;
    case Op.JSET_X: return `((${l} & ${x[0]}) !== 0 || (${h} & ${x[1]}) !== 0)`;
    case Op.JGT_K: return u64('>', '>', bh, blu, bhu);
    case Op.JGT_X: return u64('>', '>', x[1], x[2], x[3]);
    case Op.JGE_K: return u64('>=', '>', bh, blu, bhu);
    case Op.JGE_X: return u64('>=', '>', x[1], x[2], x[3]);
    case Op.JLT_K: return u64('<', '<', bh, blu, bhu);
    case Op.JLT_X: return u64('<', '<', x[1], x[2], x[3]);
    case Op.JLE_K: return u64('<=', '<', bh, blu, bhu);
    case Op.JLE_X: return u64('<=', '<', x[1], x[2], x[3]);
    case Op.JSGT_K: return s64('>', '>', bh, blu);
    case Op.JSGT_X: return s64('>', '>', x[1], x[2]);
    case Op.JSGE_K: return s64('>=', '>', bh, blu);
    case Op.JSGE_X: return s64('>=', '>', x[1], x[2]);
    case Op.JSLT_K: return s64('<', '<', bh, blu);
    case Op.JSLT_X: return s64('<', '<', x[1], x[2]);
    case Op.JSLE_K: return s64('<=', '<', bh, blu);
    case Op.JSLE_X: return s64('<=', '<', x[1], x[2]);
    case Op.JEQ32_K: return `${l} === ${k}`;
    case Op.JEQ32_X: return `${l} === ${x[0]}`;
    case Op.JNE32_K: return `${l} !== ${k}`;
    case Op.JNE32_X: return `${l} !== ${x[0]}`;
    case Op.JSET32_K: return `(${l} & ${k}) !== 0`;
    case Op.JSET32_X: return `(${l} & ${x[0]}) !== 0`;
    case Op.JGT32_K: return `(${l} >>> 0) > ${ku}`;
    case Op.JGT32_X: return `(${l} >>> 0) > ${x[2]}`;
    case Op.JGE32_K: return `(${l} >>> 0) >= ${ku}`;
    case Op.JGE32_X: return `(${l} >>> 0) >= ${x[2]}`;
    case Op.JLT32_K: return `(${l} >>> 0) < ${ku}`;
    case Op.JLT32_X: return `(${l} >>> 0) < ${x[2]}`;
    case Op.JLE32_K: return `(${l} >>> 0) <= ${ku}`;
    case Op.JLE32_X: return `(${l} >>> 0) <= ${x[2]}`;
    case Op.JSGT32_K: return `${l} > ${k}`;
    case Op.JSGT32_X: return `${l} > ${x[0]}`;
    case Op.JSGE32_K: return `${l} >= ${k}`;
    case Op.JSGE32_X: return `${l} >= ${x[0]}`;
    case Op.JSLT32_K: return `${l} < ${k}`;
    case Op.JSLT32_X: return `${l} < ${x[0]}`;
    case Op.JSLE32_K: return `${l} <= ${k}`;
    case Op.JSLE32_X: return `${l} <= ${x[0]}`;
  }
  return undefined;
}
