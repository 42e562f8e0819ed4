/**
 * Assembler for the kernel verifier-log / LLVM syntax: `r0 = 42`, `w1 += w2`,
 * `r1 = *(u32 *)(r6 + 13)`, `if r1 > r2 goto +3`, `lock *(u64 *)(r1 +0) += r2`,
 * `r1 = 0x1122 ll`, `call bpf_map_lookup_elem`, `exit`, `label:`. Lines pasted from a
 * verifier log (`12: (bf) r1 = r6 ; R1_w=ctx()`) or from llvm-objdump (address and hex
 * bytes columns, `<sym+0x10>` annotations) assemble too.
 */
import * as op from '@bpfsim/uapi';
import { helperIdByName } from '@bpfsim/uapi';
import { Insn } from '../insn';
import { ALU_OP_CODE, ATOMIC_OP_IMM, JUMP_OP_CODE, SIZE_CODE, type AluOp, type AtomicOp, type JumpOp, type Size } from '../opcode';
import { Assembly, parseInteger } from './source';

const NUM = String.raw`[-+]?(?:0x[0-9a-fA-F]+|\d+)`;
const IDENT = String.raw`[A-Za-z_.$][\w.$]*`;

/**
 * A form's regular expression, written with placeholders: `{R:x}` register, `{N:x}` number,
 * `{RN:x}` either, `{M:x}` parenthesised memory operand `(r1 +4)`, `{A:x}` the same without
 * parentheses, `{T:x}` jump target, `{U:x}` u8..u64/s8..s64. A space means optional
 * white space, `~` required white space; everything else is regular-expression syntax.
 */
function pattern(t: string): RegExp {
  const s = t
    .replace(/ /g, String.raw`\s*`)
    .replace(/~/g, String.raw`\s+`)
    .replace(/\{R:(\w+)\}/g, String.raw`(?<$1>[rw]\d+)`)
    .replace(/\{N:(\w+)\}/g, `(?<$1>${NUM})`)
    .replace(/\{RN:(\w+)\}/g, `(?<$1>[rw]\\d+|${NUM})`)
    .replace(/\{M:(\w+)\}/g, String.raw`\(\s*(?<$1>[rw]\d+)\s*(?:(?<$1s>[-+])\s*(?<$1d>0x[0-9a-fA-F]+|\d+))?\s*\)`)
    .replace(/\{A:(\w+)\}/g, String.raw`(?<$1>[rw]\d+)\s*(?:(?<$1s>[-+])\s*(?<$1d>0x[0-9a-fA-F]+|\d+))?`)
    .replace(/\{T:(\w+)\}/g, String.raw`(?<$1>(?:pc)?[-+]\s*(?:0x[0-9a-fA-F]+|\d+)|` + IDENT + ')')
    .replace(/\{U:(\w+)\}/g, '(?<$1>[us](?:8|16|32|64))');
  return new RegExp(`^${s}$`, 'd');
}

type Groups = Record<string, string | undefined>;
interface Ctx {
  m: RegExpExecArray;
  g: Groups;
  asm: Assembly;
  line: number;
  col: number; // column of the instruction text
  hint?: number; // the (xx) opcode of a pasted verifier-log line
  /** Column of a named group. */
  at(name: string): number;
  err(name: string, msg: string): never;
  reg(name: string): { n: number; w: boolean };
  num(name: string, min: bigint, max: bigint, what: string): number;
  imm(name: string, w: boolean): number;
  /**
   * The 32-bit imm of an operation on 32 bits (`w` true: the value's low 32 bits are used,
   * so -2^31..2^32-1 all mean what they say) or on 64 bits (the CPU sign-extends imm, so
   * only -2^31..2^31-1 do; 2147483648 would silently become -2147483648).
   */
  operand(name: string, w: boolean, what: string): number;
  off(memName: string): number;
  target(name: string, field: 'off' | 'imm'): number;
  size(name: string): Size;
}

type Build = (c: Ctx) => Insn[];

const ALU_SYMBOLS: Readonly<Record<string, { op: AluOp; off: number }>> = {
  '+=': { op: 'add', off: 0 }, '-=': { op: 'sub', off: 0 }, '*=': { op: 'mul', off: 0 }, '/=': { op: 'div', off: 0 },
  '|=': { op: 'or', off: 0 }, '&=': { op: 'and', off: 0 }, '<<=': { op: 'lsh', off: 0 }, '>>=': { op: 'rsh', off: 0 },
  '%=': { op: 'mod', off: 0 }, '^=': { op: 'xor', off: 0 }, '=': { op: 'mov', off: 0 }, 's>>=': { op: 'arsh', off: 0 },
  's/=': { op: 'div', off: 1 }, 's%=': { op: 'mod', off: 1 },
};
const JUMP_SYMBOLS: Readonly<Record<string, JumpOp>> = {
  '==': 'JEQ', '>': 'JGT', '>=': 'JGE', '&': 'JSET', '!=': 'JNE', 's>': 'JSGT', 's>=': 'JSGE', '<': 'JLT', '<=': 'JLE', 's<': 'JSLT', 's<=': 'JSLE',
};
const LOCK_SYMBOLS: Readonly<Record<string, AtomicOp>> = { '+=': 'add', '|=': 'or', '&=': 'and', '^=': 'xor' };
const I32_MIN = -(1n << 31n);
const U32_MAX = (1n << 32n) - 1n;

const SIZE_BY_TYPE: Readonly<Record<string, Size>> = { 8: 'B', 16: 'H', 32: 'W', 64: 'DW' };

function sameWidth(c: Ctx, a: string, b: string): boolean {
  const ra = c.reg(a);
  const rb = c.reg(b);
  if (ra.w !== rb.w) c.err(b, `expected ${ra.w ? 'w' : 'r'}${rb.n}: both operands must be ${ra.w ? '32-bit (w)' : '64-bit (r)'} registers`);
  return ra.w;
}

function ldImm64(dst: number, src: number, lo: number, hi: number): Insn[] {
  return [new Insn(op.BPF_LD | op.BPF_IMM | op.BPF_DW, dst, src, 0, lo), new Insn(0, 0, 0, 0, hi)];
}

function value64(c: Ctx, name: string): Insn[] {
  const v = parseInteger(c.g[name] ?? '');
  if (v === undefined || v < -(1n << 63n) || v > (1n << 64n) - 1n) c.err(name, 'expected a 64-bit immediate');
  const u = BigInt.asUintN(64, v);
  return ldImm64(c.reg('dst').n, 0, Number(BigInt.asIntN(32, u)), Number(BigInt.asIntN(32, u >> 32n)));
}

function atomic(c: Ctx, a: AtomicOp, ptr: string, ptrOff: string, src: string, sizeName: string | Size): Insn[] {
  const size = sizeName.length <= 2 && SIZE_CODE[sizeName as Size] !== undefined ? (sizeName as Size) : c.size(sizeName);
  return [new Insn(op.BPF_STX | op.BPF_ATOMIC | SIZE_CODE[size], c.reg(ptr).n, c.reg(src).n, c.off(ptrOff), ATOMIC_OP_IMM[a])];
}

/** The instruction forms, tried in order. */
const FORMS: ReadonlyArray<readonly [RegExp, Build]> = [
  [pattern('exit'), () => [new Insn(op.BPF_JMP | op.BPF_EXIT, 0, 0, 0, 0)]],
  [pattern('nospec'), () => [new Insn(op.BPF_ST | 0xc0, 0, 0, 0, 0)]],
  [pattern('call~pc{N:t}'), (c) => [new Insn(op.BPF_JMP | op.BPF_CALL, 0, op.BPF_PSEUDO_CALL, 0, c.num('t', I32_MIN, U32_MAX, 'a 32-bit call offset'))]],
  [pattern('callx~{R:dst}'), (c) => [new Insn(op.BPF_JMP | op.BPF_CALL | op.BPF_X, c.reg('dst').n, 0, 0, 0)]],
  [pattern('call~{N:id}'), (c) => [new Insn(op.BPF_JMP | op.BPF_CALL, 0, 0, 0, c.num('id', I32_MIN, U32_MAX, 'a helper id'))]],
  [pattern(`call~(?<name>${IDENT}(?:-${IDENT})?)#{N:id}`), (c) => {
    const id = c.num('id', I32_MIN, U32_MAX, 'a helper or BTF id');
    const name = c.g.name ?? '';
    const helper = helperIdByName(name);
    // A helper name or "unknown" is a helper call; any other name is a kfunc (the verifier prints its BTF name).
    const src = helper !== undefined || name === 'unknown' ? 0 : op.BPF_PSEUDO_KFUNC_CALL;
    return [new Insn(op.BPF_JMP | op.BPF_CALL, 0, src, 0, id)];
  }],
  [pattern(`call~(?<name>${IDENT})`), (c) => {
    const name = c.g.name ?? '';
    const id = helperIdByName(name);
    if (id !== undefined) return [new Insn(op.BPF_JMP | op.BPF_CALL, 0, 0, 0, id)];
    // Not a helper: a bpf-to-bpf call to a label.
    return [new Insn(op.BPF_JMP | op.BPF_CALL, 0, op.BPF_PSEUDO_CALL, 0, c.target('name', 'imm'))];
  }],
  [pattern('goto~{T:t}'), (c) => [new Insn(op.BPF_JMP | op.BPF_JA, 0, 0, c.target('t', 'off'), 0)]],
  [pattern('gotol~{T:t}'), (c) => [new Insn(op.BPF_JMP32 | op.BPF_JA, 0, 0, 0, c.target('t', 'imm'))]],
  [pattern('may_goto~{T:t}'), (c) => [new Insn(op.BPF_JMP | op.BPF_JCOND, 0, op.BPF_MAY_GOTO, c.target('t', 'off'), 0)]],
  [pattern('if~{R:dst} (?<op>s?[<>]=?|==|!=|&) {RN:src}~goto~{T:t}'), (c) => {
    const jop = JUMP_SYMBOLS[c.g.op ?? ''];
    if (jop === undefined) c.err('op', `expected a comparison (==, !=, >, >=, <, <=, s>, s>=, s<, s<=, &), not ${c.g.op}`);
    const d = c.reg('dst');
    const cls = d.w ? op.BPF_JMP32 : op.BPF_JMP;
    if (/^[rw]/.test(c.g.src ?? '')) {
      sameWidth(c, 'dst', 'src');
      return [new Insn(cls | JUMP_OP_CODE[jop] | op.BPF_X, d.n, c.reg('src').n, c.target('t', 'off'), 0)];
    }
    return [new Insn(cls | JUMP_OP_CODE[jop] | op.BPF_K, d.n, 0, c.target('t', 'off'), c.operand('src', d.w, d.w ? 'a 32-bit comparison' : 'a 64-bit comparison'))];
  }],
  [pattern(String.raw`lock~\*\({U:t} \*\){M:p} (?<op>[-+|&^]=) {R:src}`), (c) => {
    const a = LOCK_SYMBOLS[c.g.op ?? ''];
    if (a === undefined) c.err('op', `expected +=, |=, &= or ^= after lock, not ${c.g.op}`);
    return atomic(c, a, 'p', 'p', 'src', 't');
  }],
  [pattern(String.raw`{R:dst} = atomic(?:64)?_(?<a>fetch_add|fetch_and|fetch_or|fetch_xor|xchg)\(\({U:t} \*\){M:p}, {R:src}\)`), (c) => {
    if (c.g.dst !== c.g.src) c.err('src', `expected ${c.g.dst}: the fetched value is returned in the source register`);
    return atomic(c, c.g.a as AtomicOp, 'p', 'p', 'src', 't');
  }],
  [pattern(String.raw`{R:dst} = atomic(?:64)?_cmpxchg\(\({U:t} \*\){M:p}, {R:old}, {R:src}\)`), (c) => {
    if (c.reg('dst').n !== 0 || c.reg('old').n !== 0) c.err('dst', 'expected r0: cmpxchg compares with and returns in r0');
    return atomic(c, 'cmpxchg', 'p', 'p', 'src', 't');
  }],
  [pattern(String.raw`{R:dst} = xchg(?<w>32)?_(?:32|64)\({A:p}, {R:src}\)`), (c) => atomic(c, 'xchg', 'p', 'p', 'src', c.g.w ? 'W' : 'DW')],
  [pattern(String.raw`{R:dst} = cmpxchg(?<w>32)?_(?:32|64)\({A:p}, {R:old}, {R:src}\)`), (c) => atomic(c, 'cmpxchg', 'p', 'p', 'src', c.g.w ? 'W' : 'DW')],
  [pattern(String.raw`{R:dst} = load_acquire\(\({U:t} \*\){M:p}\)`), (c) => atomic(c, 'load_acquire', 'p', 'p', 'dst', 't').map((i) => i.with({ dst: c.reg('dst').n, src: c.reg('p').n }))],
  [pattern(String.raw`store_release\(\({U:t} \*\){M:p}, {R:src}\)`), (c) => atomic(c, 'store_release', 'p', 'p', 'src', 't')],
  [pattern(String.raw`\*\({U:t} \*\){M:p} = {RN:src}`), (c) => {
    const size = c.size('t');
    if (/^[rw]/.test(c.g.src ?? '')) {
      return [new Insn(op.BPF_STX | op.BPF_MEM | SIZE_CODE[size], c.reg('p').n, c.reg('src').n, c.off('p'), 0)];
    }
    return [new Insn(op.BPF_ST | op.BPF_MEM | SIZE_CODE[size], c.reg('p').n, 0, c.off('p'), c.operand('src', size !== 'DW', `a ${size === 'DW' ? 64 : 32}-bit store`))];
  }],
  [pattern(String.raw`{R:dst} = \*\({U:t} \*\){M:p}`), (c) => {
    const size = c.size('t');
    const sx = (c.g.t ?? '').startsWith('s');
    if (sx && size === 'DW') c.err('t', 'expected s8, s16 or s32: there is no sign-extending 64-bit load');
    return [new Insn(op.BPF_LDX | (sx ? op.BPF_MEMSX : op.BPF_MEM) | SIZE_CODE[size], c.reg('dst').n, c.reg('p').n, c.off('p'), 0)];
  }],
  [pattern(String.raw`{R:dst} = \*\({U:t} \*\)skb\[{N:imm}\]`), (c) => {
    const size = c.size('t');
    if (size === 'DW' || c.reg('dst').n !== 0) c.err('t', 'expected r0 = *(u8|u16|u32 *)skb[...]');
    return [new Insn(op.BPF_LD | op.BPF_ABS | SIZE_CODE[size], 0, 0, 0, c.num('imm', I32_MIN, U32_MAX, 'a 32-bit offset'))];
  }],
  [pattern(String.raw`{R:dst} = \*\({U:t} \*\)skb\[{R:src}(?: \+ {N:imm})?\]`), (c) => {
    const size = c.size('t');
    if (size === 'DW' || c.reg('dst').n !== 0) c.err('t', 'expected r0 = *(u8|u16|u32 *)skb[...]');
    const imm = c.g.imm === undefined ? 0 : c.num('imm', I32_MIN, U32_MAX, 'a 32-bit offset');
    return [new Insn(op.BPF_LD | op.BPF_IND | SIZE_CODE[size], 0, c.reg('src').n, 0, imm)];
  }],
  [pattern('{R:dst} = {N:imm}~ll'), (c) => value64(c, 'imm')],
  [pattern('ld_pseudo~{R:dst}, {N:src}, {N:imm}'), (c) => ldImm64(c.reg('dst').n, c.num('src', 0n, 15n, 'a pseudo source 0..15'), c.num('imm', I32_MIN, U32_MAX, 'a 32-bit immediate'), 0)],
  [pattern(String.raw`{R:dst} = map\[id:{N:id}\]`), (c) => ldImm64(c.reg('dst').n, op.BPF_PSEUDO_MAP_FD, c.num('id', 0n, U32_MAX, 'a map id'), 0)],
  [pattern(String.raw`{R:dst} = map\[id:{N:id}\]\[0\]\+{N:o}`), (c) => ldImm64(c.reg('dst').n, op.BPF_PSEUDO_MAP_VALUE, c.num('id', 0n, U32_MAX, 'a map id'), c.num('o', 0n, U32_MAX, 'a value offset'))],
  [pattern(String.raw`{R:dst} = map\[idx:{N:id}\]\+{N:o}`), (c) => ldImm64(c.reg('dst').n, op.BPF_PSEUDO_MAP_IDX_VALUE, c.num('id', 0n, U32_MAX, 'a map index'), c.num('o', 0n, U32_MAX, 'a value offset'))],
  [pattern(String.raw`{R:dst} = subprog\[{N:t}\]`), (c) => ldImm64(c.reg('dst').n, op.BPF_PSEUDO_FUNC, c.num('t', I32_MIN, U32_MAX, 'a 32-bit offset'), 0)],
  [pattern('{R:dst} = -{R:src}'), (c) => {
    if (c.g.dst !== c.g.src) c.err('src', `expected ${c.g.dst}: negation is in place`);
    return [new Insn((c.reg('dst').w ? op.BPF_ALU : op.BPF_ALU64) | op.BPF_NEG, c.reg('dst').n, 0, 0, 0)];
  }],
  [pattern('{R:dst} = (?<kind>le|be|bswap)(?<bits>16|32|64)~{R:src}'), (c) => {
    if (c.reg('dst').n !== c.reg('src').n) c.err('src', `expected r${c.reg('dst').n}: byte swaps are in place`);
    const cls = c.g.kind === 'bswap' ? op.BPF_ALU64 : op.BPF_ALU;
    return [new Insn(cls | op.BPF_END | (c.g.kind === 'be' ? op.BPF_TO_BE : op.BPF_TO_LE), c.reg('dst').n, 0, 0, Number(c.g.bits))];
  }],
  [pattern(String.raw`{R:dst} = addr_space_cast\({R:src}, {N:a}, {N:b}\)`), (c) => {
    const imm = (c.num('a', 0n, 0xffffn, 'an address space') << 16) | c.num('b', 0n, 0xffffn, 'an address space');
    return [new Insn(op.BPF_ALU64 | op.BPF_MOV | op.BPF_X, c.reg('dst').n, c.reg('src').n, op.BPF_ADDR_SPACE_CAST, imm)];
  }],
  [pattern(String.raw`{R:dst} = &\(void~__percpu \*\)\({R:src}\)`), (c) => [new Insn(op.BPF_ALU64 | op.BPF_MOV | op.BPF_X, c.reg('dst').n, c.reg('src').n, -1, 0)]],
  [pattern(String.raw`{R:dst} = \((?<cast>s8|s16|s32)\){R:src}`), (c) => {
    const w = sameWidth(c, 'dst', 'src');
    const bits = Number((c.g.cast ?? '').slice(1));
    if (w && bits === 32) c.err('cast', 'expected (s8) or (s16): a 32-bit move has no (s32) form');
    return [new Insn((w ? op.BPF_ALU : op.BPF_ALU64) | op.BPF_MOV | op.BPF_X, c.reg('dst').n, c.reg('src').n, bits, 0)];
  }],
  [pattern(String.raw`{R:dst} (?<op>s?(?:<<|>>|[-+*/|&%^])?=) {RN:src}`), (c) => {
    const a = ALU_SYMBOLS[c.g.op ?? ''];
    if (a === undefined) c.err('op', `expected an ALU operator (+=, -=, *=, /=, s/=, %=, s%=, |=, &=, ^=, <<=, >>=, s>>=, =), not ${c.g.op}`);
    const d = c.reg('dst');
    if (/^[rw]/.test(c.g.src ?? '')) {
      const w = sameWidth(c, 'dst', 'src');
      return [new Insn((w ? op.BPF_ALU : op.BPF_ALU64) | ALU_OP_CODE[a.op] | op.BPF_X, d.n, c.reg('src').n, a.off, 0)];
    }
    // `r1 = 0x1122334455667788` (no `ll`): the verifier log's lddw, when its (18) says so or the value needs 64 bits.
    if (a.op === 'mov' && !d.w) {
      const v = parseInteger(c.g.src ?? '') ?? 0n;
      if (c.hint === (op.BPF_LD | op.BPF_IMM | op.BPF_DW) || v < I32_MIN || v > 0x7fffffffn) return value64(c, 'src');
    }
    return [new Insn((d.w ? op.BPF_ALU : op.BPF_ALU64) | ALU_OP_CODE[a.op] | op.BPF_K, d.n, 0, a.off, c.imm('src', d.w))];
  }],
];

/** The instruction text of one source line, with its label and the pasted-log prefixes removed. */
interface LineParts {
  label?: { name: string; col: number };
  text: string;
  col: number;
  hint?: number;
  /** llvm-objdump's hex bytes column: authoritative where the text is lossy (`call -0x1`, `ld_pseudo`). */
  bytes?: Uint8Array;
}

// `12: (bf) ` (verifier log), `      0: .......... (b7) ` (6.18's live-registers dump), and
// `      12:\tbf 61 00 00 00 00 00 00\t` (llvm-objdump).
const LOG_PREFIX = /^(\s*(\d+):\s*)(?:[.0-9]{10}\s+)?(?:([0-9a-f]{2}(?: [0-9a-f]{2}){7}(?: [0-9a-f]{2}(?: [0-9a-f]{2}){7})?)\s+)?(?:\(([0-9a-f]{2})\)\s*)?/;
const LOG_LINE = /^\s*\d+:\s*(?:[.0-9]{10}\s+)?\([0-9a-f]{2}\)/;
const LISTING_LINE = /^\s*\d+:\t[0-9a-f]{2}(?: [0-9a-f]{2}){7}/;

function splitLine(raw: string): LineParts & { index?: number } {
  // Comments: `;` (LLVM, and the verifier's register state), `//`, and `#` at a word start.
  let text = raw.replace(/(;|\/\/|(?:^|\s)#).*$/, '');
  text = text.replace(/\s*<[^<>]*>\s*$/, ''); // llvm-objdump's <sym+off> annotation
  let col = 1;
  let hint: number | undefined;
  let index: number | undefined;
  let bytes: Uint8Array | undefined;
  const pre = /^\s*\d+:/.test(text) ? LOG_PREFIX.exec(text) : null;
  if (pre) {
    index = Number(pre[2]);
    hint = pre[4] !== undefined ? parseInt(pre[4], 16) : undefined;
    bytes = pre[3] !== undefined ? Uint8Array.from(pre[3].split(' '), (h) => parseInt(h, 16)) : undefined;
    col += pre[0].length;
    text = text.slice(pre[0].length);
  }
  const code = /^\(([0-9a-f]{2})\)\s*/.exec(text); // `(b7) r0 = 1` without an index
  if (code) {
    hint = parseInt(code[1], 16);
    col += code[0].length;
    text = text.slice(code[0].length);
  }
  let label: LineParts['label'];
  const lab = new RegExp(`^(\\s*)(${IDENT}):`).exec(text);
  if (lab) {
    label = { name: lab[2], col: col + lab[1].length };
    col += lab[0].length;
    text = text.slice(lab[0].length);
  }
  const lead = /^\s*/.exec(text)?.[0].length ?? 0;
  return { label, text: text.slice(lead).trimEnd(), col: col + lead, hint, index, bytes };
}

/**
 * Assemble kernel/LLVM-syntax text into slots. Text that contains verifier-log lines
 * (`N: (xx) ...`) or llvm-objdump lines (`N:\t<hex bytes>\t...`, one section) is read as
 * such: only those lines count, each index once (the log repeats instructions it visits
 * again), and the indices must cover the program.
 */
export function assembleKernel(text: string, file: string): Insn[] {
  const asm = new Assembly(file);
  const lines = text.split(/\r?\n/).map((raw, i) => ({ line: i + 1, parts: splitLine(raw) }));
  const raw = text.split(/\r?\n/);
  // A verifier log or an llvm-objdump listing: only its numbered instruction lines count.
  const isLog = raw.some((l) => LOG_LINE.test(l)) || raw.some((l) => LISTING_LINE.test(l));
  let todo = lines;
  if (isLog) {
    const byIndex = new Map<number, (typeof lines)[number]>();
    for (const l of lines) {
      if (l.parts.index !== undefined && (l.parts.hint !== undefined || l.parts.bytes !== undefined) && !byIndex.has(l.parts.index)) byIndex.set(l.parts.index, l);
    }
    todo = [...byIndex.keys()].sort((a, b) => a - b).map((k) => byIndex.get(k)!);
  }
  for (const { line, parts } of todo) {
    if (parts.label) asm.defineLabel(parts.label.name, line, parts.label.col);
    if (parts.text === '') continue;
    // A pasted excerpt may start at any index, but must not skip one.
    if (isLog && parts.index !== asm.slots.length + (todo[0].parts.index ?? 0)) {
      asm.error(`the log has no instruction ${asm.slots.length + (todo[0].parts.index ?? 0)} (next is ${parts.index})`, line, 1);
    }
    assembleLine(asm, line, parts);
  }
  return asm.finish();
}

function assembleLine(asm: Assembly, line: number, parts: LineParts): void {
  for (const [re, build] of FORMS) {
    const m = re.exec(parts.text);
    if (!m) continue;
    const insns = build(context(asm, m, line, parts));
    const said = parts.hint ?? parts.bytes?.[0];
    if (said !== undefined && insns[0].code !== said) {
      asm.error(`the instruction text is opcode (${hex2(insns[0].code)}) but the line says (${hex2(said)})`, line, parts.col);
    }
    if (parts.bytes !== undefined) {
      if (parts.bytes.length !== insns.length * 8) asm.error(`the line has ${parts.bytes.length} bytes for a ${insns.length * 8}-byte instruction`, line, 1);
      const raw = parts.bytes;
      asm.emit(...insns.map((_, k) => Insn.fromBytes(raw, k * 8)));
      return;
    }
    asm.emit(...insns);
    return;
  }
  asm.error(`expected an instruction (like "r0 = 1", "if r1 > r2 goto +3", "exit"), not "${parts.text}"`, line, parts.col);
}

/** At most 40 characters of user text in a message. */
const clip = (t: string): string => (t.length > 40 ? `${t.slice(0, 40)}…` : t);

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

function context(asm: Assembly, m: RegExpExecArray, line: number, parts: LineParts): Ctx {
  const g: Groups = m.groups ?? {};
  const c: Ctx = {
    m, g, asm, line, col: parts.col, hint: parts.hint,
    at: (name) => parts.col + (m.indices?.groups?.[name]?.[0] ?? 0),
    err: (name, msg) => asm.error(msg, line, c.at(name)),
    reg: (name) => {
      const t = g[name] ?? '';
      const n = Number(t.slice(1));
      if (!(n >= 0 && n <= 10)) c.err(name, `Invalid register: ${t} (expected r0..r10 or w0..w10)`);
      return { n, w: t[0] === 'w' };
    },
    num: (name, min, max, what) => {
      const v = parseInteger(g[name] ?? '');
      if (v === undefined || v < min || v > max) c.err(name, `expected ${what}, not ${clip(g[name] ?? "")}`);
      return Number(BigInt.asIntN(32, v));
    },
    operand: (name, w, what) => {
      const v = parseInteger(g[name] ?? '');
      // The verifier log prints a comparison's imm as the raw field, `0x%x` (`if r1 == 0xffffffff`
      // is imm -1), so a 64-bit comparison takes unsigned hex as that bit pattern; decimal is a value.
      const rawHex = !w && what.endsWith('comparison') && /^0x/i.test(g[name] ?? '');
      const max = w || rawHex ? U32_MAX : 0x7fffffffn;
      if (v === undefined || v < I32_MIN || v > max) {
        const why = w ? 'its immediate is 32 bits' : 'its 32-bit immediate is sign-extended to 64 bits; load larger values with "ll" into a register';
        c.err(name, `immediate ${clip(g[name] ?? '')} is out of range for ${what}: expected ${I32_MIN}..${max} (${why})`);
      }
      return Number(BigInt.asIntN(32, v));
    },
    imm: (name, w) => c.num(name, I32_MIN, w ? U32_MAX : 0x7fffffffn, w ? 'a 32-bit immediate' : 'a signed 32-bit immediate (use "ll" for 64-bit values)'),
    off: (mem) => {
      const d = g[`${mem}d`];
      if (d === undefined) return 0;
      const v = parseInteger(`${g[`${mem}s`]}${d}`);
      if (v === undefined || v < -32768n || v > 32767n) c.err(`${mem}d`, `Offset out of 16-bit range: ${g[`${mem}s`]}${d}`);
      return Number(v);
    },
    target: (name, field) => {
      const t = (g[name] ?? '').replace(/\s+/g, '');
      const num = /^(?:pc)?([-+].*)$/.exec(t);
      if (num) {
        const v = parseInteger(num[1]);
        const [min, max] = field === 'off' ? [-32768n, 32767n] : [I32_MIN, 0x7fffffffn];
        if (v === undefined || v < min || v > max) c.err(name, `expected a ${field === 'off' ? '16' : '32'}-bit jump offset, not ${t}`);
        return Number(v);
      }
      asm.pending.push({ slot: asm.slots.length, label: t, field, line, col: c.at(name) });
      return 0;
    },
    size: (name) => {
      const s = SIZE_BY_TYPE[(g[name] ?? '').slice(1)];
      if (s === undefined) c.err(name, `expected u8, u16, u32 or u64, not ${g[name]}`);
      return s;
    },
  };
  return c;
}
