/**
 * Assembler for the uBPF dialect of the eBPF conformance suite: `mov %r0, 1`,
 * `ldxw %r1, [%r2+4]`, `jeq %r1, 5, label`, `lock fetch add32 [%r10-4], %r1`, `call local f`.
 * Error texts follow the suite's reference assembler ("Invalid register: %r50") and add
 * file:line:col. Like it, the first `exit` also defines the label `exit`.
 */
import * as op from '@bpfsim/uapi';
import { Insn } from '../insn';
import { ALU_OP_CODE, ATOMIC_OP_IMM, JUMP_OP_CODE, SIZE_CODE, type AluOp, type AtomicOp, type JumpOp, type Size } from '../opcode';
import { Assembly, parseInteger } from './source';

interface Tok {
  text: string;
  col: number;
}

const SIZES: Readonly<Record<string, Size>> = { b: 'B', h: 'H', w: 'W', dw: 'DW' };
const ALU_NAMES: Readonly<Record<string, { op: AluOp; off: number }>> = {
  add: { op: 'add', off: 0 }, sub: { op: 'sub', off: 0 }, mul: { op: 'mul', off: 0 }, div: { op: 'div', off: 0 },
  sdiv: { op: 'div', off: 1 }, mod: { op: 'mod', off: 0 }, smod: { op: 'mod', off: 1 }, or: { op: 'or', off: 0 },
  and: { op: 'and', off: 0 }, xor: { op: 'xor', off: 0 }, lsh: { op: 'lsh', off: 0 }, rsh: { op: 'rsh', off: 0 },
  arsh: { op: 'arsh', off: 0 }, mov: { op: 'mov', off: 0 }, neg: { op: 'neg', off: 0 },
};
const JUMP_NAMES: ReadonlySet<string> = new Set(['jeq', 'jgt', 'jge', 'jset', 'jne', 'jsgt', 'jsge', 'jlt', 'jle', 'jslt', 'jsle']);
const LOCK_OPS: ReadonlySet<string> = new Set(['add', 'and', 'or', 'xor', 'xchg', 'cmpxchg']);
const I32_MIN = -(1n << 31n);

function tokenize(text: string): Tok[] {
  const toks: Tok[] = [];
  const re = /\S+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    toks.push({ text: m[0].endsWith(',') ? m[0].slice(0, -1) : m[0], col: m.index + 1 });
  }
  return toks;
}

/** Assemble uBPF-dialect text into slots. */
export function assembleUbpf(text: string, file: string): Insn[] {
  const asm = new Assembly(file);
  let sawExit = false;
  text.split(/\r?\n/).forEach((raw, idx) => {
    const line = idx + 1;
    const hash = raw.indexOf('#');
    const toks = tokenize(hash >= 0 ? raw.slice(0, hash) : raw);
    if (toks.length === 0) return;
    const [mn, ...ops] = toks;
    if (mn.text.endsWith(':') && ops.length === 0) {
      asm.defineLabel(mn.text.slice(0, -1), line, mn.col);
      return;
    }
    if (mn.text === 'exit' && !sawExit) {
      sawExit = true;
      if (!asm.labels.has('exit')) asm.labels.set('exit', asm.slots.length);
    }
    asm.emit(...instruction(asm, line, mn, ops));
  });
  return asm.finish();
}

function instruction(asm: Assembly, line: number, mn: Tok, ops: Tok[]): Insn[] {
  const err = (t: Tok, msg: string): never => asm.error(msg, line, t.col);
  const count = (n: number): void => {
    if (ops.length !== n) err(ops[n] ?? mn, `Invalid number of operands for mnemonic: ${mn.text} (expected ${n}, got ${ops.length})`);
  };
  const reg = (t: Tok): number => {
    const m = /^%r(\d+)$/.exec(t.text);
    const n = m ? Number(m[1]) : NaN;
    if (!(n >= 0 && n <= 10)) err(t, `Invalid register: ${t.text} (expected %r0..%r10)`);
    return n;
  };
  const imm32 = (t: Tok): number => {
    const v = parseInteger(t.text);
    if (v === undefined) return err(t, `expected an immediate, not ${t.text}`);
    const hex = t.text.includes('0x');
    if (hex ? v < -(1n << 32n) + 1n || v > 0xffffffffn : v < I32_MIN || v > 0x7fffffffn) err(t, `Immediate out of 32-bit range: ${t.text}`);
    return Number(BigInt.asIntN(32, v));
  };
  const offset = (t: Tok, text = t.text): number => {
    const v = parseInteger(text);
    if (v === undefined) return err(t, `expected an offset, not ${text}`);
    const hex = text.includes('0x');
    if (hex ? v < -0xffffn || v > 0xffffn : v < -32768n || v > 32767n) err(t, `Offset out of 16-bit range: ${text}`);
    return Number(BigInt.asIntN(16, v));
  };
  const mem = (t: Tok): { r: number; off: number } => {
    const m = /^\[(%r\d+)(?:([-+])(\w+))?\]$/.exec(t.text);
    if (!m) return err(t, `Failed to decode register and offset: ${t.text} (expected [%rN+off])`);
    return { r: reg({ text: m[1], col: t.col + 1 }), off: m[2] === undefined ? 0 : offset({ text: t.text, col: t.col + 1 + m[1].length }, `${m[2]}${m[3]}`) };
  };
  const target = (t: Tok, field: 'off' | 'imm'): number => {
    if (/^[-+]/.test(t.text)) return field === 'off' ? offset(t) : imm32(t);
    if (!/^[A-Za-z_.$][\w.$]*$/.test(t.text)) err(t, `Invalid label: ${t.text}`);
    asm.pending.push({ slot: asm.slots.length, label: t.text, field, line, col: t.col });
    return 0;
  };
  const isReg = (t: Tok): boolean => t.text.startsWith('%');
  const name = mn.text;
  let m: RegExpExecArray | null;

  if (name === 'exit') {
    count(0);
    return [new Insn(op.BPF_JMP | op.BPF_EXIT, 0, 0, 0, 0)];
  }
  if (name === 'lock') {
    if (ops.length === 0) err(mn, 'Invalid number of operands for lock');
    const fetch = ops[0].text === 'fetch';
    const rest = fetch ? ops.slice(1) : ops;
    if (rest.length !== 3) err(mn, 'Invalid number of operands for lock (expected lock [fetch] op [%rX+off], %rY)');
    const am = /^(add|and|or|xor|xchg|cmpxchg)(32)?$/.exec(rest[0].text);
    if (!am || !LOCK_OPS.has(am[1])) return err(rest[0], `Invalid mnemonic: lock ${rest[0].text}`);
    const a = (fetch && (am[1] === 'add' || am[1] === 'and' || am[1] === 'or' || am[1] === 'xor') ? `fetch_${am[1]}` : am[1]) as AtomicOp;
    const p = mem(rest[1]);
    return [new Insn(op.BPF_STX | op.BPF_ATOMIC | (am[2] ? op.BPF_W : op.BPF_DW), p.r, reg(rest[2]), p.off, ATOMIC_OP_IMM[a])];
  }
  if (name === 'call') {
    if (ops.length === 1) {
      if (isReg(ops[0])) return [new Insn(op.BPF_JMP | op.BPF_CALL | op.BPF_X, reg(ops[0]), 0, 0, 0)];
      return [new Insn(op.BPF_JMP | op.BPF_CALL, 0, 0, 0, imm32(ops[0]))];
    }
    count(2);
    switch (ops[0].text) {
      case 'helper':
        if (isReg(ops[1])) return [new Insn(op.BPF_JMP | op.BPF_CALL | op.BPF_X, reg(ops[1]), 0, 0, 0)];
        return [new Insn(op.BPF_JMP | op.BPF_CALL, 0, 0, 0, imm32(ops[1]))];
      case 'local':
        return [new Insn(op.BPF_JMP | op.BPF_CALL, 0, op.BPF_PSEUDO_CALL, 0, target(ops[1], 'imm'))];
      case 'runtime':
        return [new Insn(op.BPF_JMP | op.BPF_CALL, 0, op.BPF_PSEUDO_KFUNC_CALL, 0, imm32(ops[1]))];
      default:
        return err(ops[0], `Invalid call mode: ${ops[0].text} (expected helper, local or runtime)`);
    }
  }
  if (name === 'ja' || name === 'ja32') {
    count(1);
    return name === 'ja'
      ? [new Insn(op.BPF_JMP | op.BPF_JA, 0, 0, target(ops[0], 'off'), 0)]
      : [new Insn(op.BPF_JMP32 | op.BPF_JA, 0, 0, 0, target(ops[0], 'imm'))];
  }
  if ((m = /^(j[a-z]+?)(32)?$/.exec(name)) && JUMP_NAMES.has(m[1])) {
    count(3);
    const cls = (m[2] ? op.BPF_JMP32 : op.BPF_JMP) | JUMP_OP_CODE[m[1].toUpperCase() as JumpOp];
    const dst = reg(ops[0]);
    if (isReg(ops[1])) return [new Insn(cls | op.BPF_X, dst, reg(ops[1]), target(ops[2], 'off'), 0)];
    const imm = imm32(ops[1]);
    return [new Insn(cls | op.BPF_K, dst, 0, target(ops[2], 'off'), imm)];
  }
  if ((m = /^(le|be|swap|bswap)(16|32|64)$/.exec(name))) {
    count(1);
    const cls = m[1] === 'le' || m[1] === 'be' ? op.BPF_ALU : op.BPF_ALU64;
    return [new Insn(cls | op.BPF_END | (m[1] === 'be' ? op.BPF_TO_BE : op.BPF_TO_LE), reg(ops[0]), 0, 0, Number(m[2]))];
  }
  if ((m = /^movsx(8|16|32)(32|64)$/.exec(name)) && !(m[1] === '32' && m[2] === '32')) {
    count(2);
    return [new Insn((m[2] === '32' ? op.BPF_ALU : op.BPF_ALU64) | op.BPF_MOV | op.BPF_X, reg(ops[0]), reg(ops[1]), Number(m[1]), 0)];
  }
  if ((m = /^([a-z]+?)(32|64)?$/.exec(name)) && ALU_NAMES[m[1]] !== undefined) {
    const a = ALU_NAMES[m[1]];
    const cls = m[2] === '32' ? op.BPF_ALU : op.BPF_ALU64;
    if (a.op === 'neg') {
      count(1);
      return [new Insn(cls | op.BPF_NEG, reg(ops[0]), 0, 0, 0)];
    }
    count(2);
    const dst = reg(ops[0]);
    if (isReg(ops[1])) return [new Insn(cls | ALU_OP_CODE[a.op] | op.BPF_X, dst, reg(ops[1]), a.off, 0)];
    return [new Insn(cls | ALU_OP_CODE[a.op] | op.BPF_K, dst, 0, a.off, imm32(ops[1]))];
  }
  if ((m = /^ldx(s)?(b|h|w|dw)$/.exec(name)) && !(m[1] && m[2] === 'dw')) {
    count(2);
    const dst = reg(ops[0]);
    const p = mem(ops[1]);
    return [new Insn(op.BPF_LDX | (m[1] ? op.BPF_MEMSX : op.BPF_MEM) | SIZE_CODE[SIZES[m[2]]], dst, p.r, p.off, 0)];
  }
  if ((m = /^st(x)?(b|h|w|dw)$/.exec(name))) {
    count(2);
    const p = mem(ops[0]);
    if (m[1]) return [new Insn(op.BPF_STX | op.BPF_MEM | SIZE_CODE[SIZES[m[2]]], p.r, reg(ops[1]), p.off, 0)];
    return [new Insn(op.BPF_ST | op.BPF_MEM | SIZE_CODE[SIZES[m[2]]], p.r, 0, p.off, imm32(ops[1]))];
  }
  if (name === 'lddw') {
    count(2);
    const dst = reg(ops[0]);
    const v = parseInteger(ops[1].text);
    if (v === undefined || v < -(1n << 63n) || v > (1n << 64n) - 1n) return err(ops[1], `expected a 64-bit immediate, not ${ops[1].text}`);
    const u = BigInt.asUintN(64, v);
    return [
      new Insn(op.BPF_LD | op.BPF_IMM | op.BPF_DW, dst, 0, 0, Number(BigInt.asIntN(32, u))),
      new Insn(0, 0, 0, 0, Number(BigInt.asIntN(32, u >> 32n))),
    ];
  }
  if ((m = /^ld(abs|ind)(b|h|w)$/.exec(name))) {
    if (m[1] === 'abs') {
      count(1);
      return [new Insn(op.BPF_LD | op.BPF_ABS | SIZE_CODE[SIZES[m[2]]], 0, 0, 0, imm32(ops[0]))];
    }
    count(2);
    return [new Insn(op.BPF_LD | op.BPF_IND | SIZE_CODE[SIZES[m[2]]], 0, reg(ops[0]), 0, imm32(ops[1]))];
  }
  return err(mn, `Invalid mnemonic: ${name}`);
}
