/**
 * The LLVM BPF assembler syntax, as `llvm-objdump -d --mcpu=v4` (LLVM 19) prints it:
 * `r0 = 0x2a`, `if r1 > r2 goto +0x16`, `*(u32 *)(r10 - 0x4) = w1`, `r1 = 0x1122 ll`.
 * LLVM 19 prints immediates in hex by default; `imm: 'dec'` matches --no-print-imm-hex.
 */
import * as op from '@bpfsim/uapi';
import type { Insn } from '../insn';
import { ALU_OP_NAME, ATOMIC_OP_NAME, JUMP_OP_NAME, JUMP_OP_SYMBOL, SIZE_OF_CODE, SIZE_STYPE, SIZE_UTYPE } from '../opcode';

export interface LlvmFormatOptions {
  /** The second slot of an lddw. */
  next?: Insn;
  /** 'hex' (default, as llvm-objdump 19) or 'dec' (--no-print-imm-hex). */
  imm?: 'hex' | 'dec';
  /** Slot index of the instruction; with `targetLabel`, jumps get llvm-objdump's ` <label>` suffix. */
  pc?: number;
  /** Name of a jump's target slot (`LBB0_2`, `prog+0x290`); undefined prints no suffix. */
  targetLabel?: (slot: number) => string | undefined;
}

/** The slot a jump instruction goes to, or undefined for anything else. */
export function jumpTarget(insn: Insn, pc: number): number | undefined {
  const cls = op.bpfClass(insn.code);
  if (cls !== op.BPF_JMP && cls !== op.BPF_JMP32) return undefined;
  const jop = op.bpfOp(insn.code);
  if (jop === op.BPF_CALL || jop === op.BPF_EXIT) return undefined;
  return pc + 1 + (insn.code === (op.BPF_JMP32 | op.BPF_JA) ? insn.imm : insn.off);
}

const ALU_SYMBOL: Readonly<Record<string, string>> = {
  add: '+=', sub: '-=', mul: '*=', div: '/=', or: '|=', and: '&=', lsh: '<<=', rsh: '>>=',
  mod: '%=', xor: '^=', mov: '=', arsh: 's>>=',
};
const MOVSX_CAST: Readonly<Record<number, string>> = { 8: '(s8)', 16: '(s16)', 32: '(s32)' };

/** One instruction in LLVM syntax (no address, no bytes). */
export function formatLlvm(insn: Insn, opts: LlvmFormatOptions = {}): string {
  const text = llvmText(insn, opts);
  if (opts.pc === undefined || opts.targetLabel === undefined) return text;
  const target = jumpTarget(insn, opts.pc);
  const label = target === undefined ? undefined : opts.targetLabel(target);
  return label === undefined ? text : `${text} <${label}>`;
}

function llvmText(insn: Insn, opts: LlvmFormatOptions): string {
  const hex = (opts.imm ?? 'hex') === 'hex';
  const num = (n: number | bigint): string => {
    const neg = n < 0;
    const abs = neg ? -BigInt(n) : BigInt(n);
    return `${neg ? '-' : ''}${hex ? `0x${abs.toString(16)}` : abs.toString()}`;
  };
  const rel = (n: number): string => (n < 0 ? num(n) : `+${num(n)}`);
  const { code, dst, src, off, imm } = insn;
  const cls = op.bpfClass(code);
  const size = SIZE_OF_CODE[op.bpfSize(code)];
  const addr = (base: number): string => `r${base} ${off < 0 ? '-' : '+'} ${num(Math.abs(off))}`;
  // LLVM's alu32 register class: 32-bit stores and loads use w registers.
  const wr = (r: number): string => `${size === 'DW' ? 'r' : 'w'}${r}`;
  switch (cls) {
    case op.BPF_ALU:
    case op.BPF_ALU64: {
      const r = cls === op.BPF_ALU ? 'w' : 'r';
      const aop = op.bpfOp(code);
      if (aop === op.BPF_END) {
        if (cls === op.BPF_ALU64) return `r${dst} = bswap${imm} r${dst}`;
        return `r${dst} = ${op.bpfSrc(code) === op.BPF_TO_BE ? 'be' : 'le'}${imm} r${dst}`;
      }
      if (aop === op.BPF_NEG) return `${r}${dst} = -${r}${dst}`;
      if (code === (op.BPF_ALU64 | op.BPF_MOV | op.BPF_X) && off === op.BPF_ADDR_SPACE_CAST) {
        return `r${dst} = addr_space_cast(r${src}, ${num(imm >>> 16)}, ${num(imm & 0xffff)})`;
      }
      const sdiv = (aop === op.BPF_DIV || aop === op.BPF_MOD) && off === 1;
      const sym = sdiv ? (aop === op.BPF_DIV ? 's/=' : 's%=') : ALU_SYMBOL[ALU_OP_NAME[aop]];
      if (op.bpfSrc(code) === op.BPF_X) {
        const cast = aop === op.BPF_MOV ? MOVSX_CAST[off] ?? '' : '';
        return `${r}${dst} ${sym} ${cast}${r}${src}`;
      }
      return `${r}${dst} ${sym} ${num(imm)}`;
    }
    case op.BPF_STX: {
      const t = SIZE_UTYPE[size];
      if (op.bpfMode(code) === op.BPF_MEM) return `*(${t} *)(${addr(dst)}) = ${wr(src)}`;
      const a = ATOMIC_OP_NAME[imm];
      const r = size === 'DW' ? 'r' : 'w';
      switch (a) {
        case 'add': case 'and': case 'or': case 'xor':
          return `lock *(${t} *)(${addr(dst)}) ${ALU_SYMBOL[a]} ${r}${src}`;
        case 'fetch_add': case 'fetch_and': case 'fetch_or': case 'fetch_xor':
          return `${r}${src} = atomic_${a}((${t} *)(${addr(dst)}), ${r}${src})`;
        case 'xchg':
          return size === 'DW' ? `r${src} = xchg_64(${addr(dst)}, r${src})` : `w${src} = xchg32_32(${addr(dst)}, w${src})`;
        case 'cmpxchg':
          return size === 'DW' ? `r0 = cmpxchg_64(${addr(dst)}, r0, r${src})` : `w0 = cmpxchg32_32(${addr(dst)}, w0, w${src})`;
        case 'load_acquire':
          return `${wr(dst)} = load_acquire((${t} *)(${addr(src)}))`;
        case 'store_release':
          return `store_release((${t} *)(${addr(dst)}), ${wr(src)})`;
        default:
          return '<unknown>';
      }
    }
    case op.BPF_ST:
      return `*(${SIZE_UTYPE[size]} *)(${addr(dst)}) = ${num(imm)}`;
    case op.BPF_LDX: {
      const sx = op.bpfMode(code) === op.BPF_MEMSX;
      return `${sx ? 'r' : wr(dst)[0]}${dst} = *(${sx ? SIZE_STYPE[size] : SIZE_UTYPE[size]} *)(${addr(src)})`;
    }
    case op.BPF_LD: {
      const mode = op.bpfMode(code);
      if (mode === op.BPF_ABS) return `r0 = *(${SIZE_UTYPE[size]} *)skb[${num(imm)}]`;
      if (mode === op.BPF_IND) return `r0 = *(${SIZE_UTYPE[size]} *)skb[r${src}]`;
      if (src !== 0) return `ld_pseudo\tr${dst}, ${num(src)}, ${num(imm >>> 0)}`;
      const full = BigInt.asIntN(64, (BigInt((opts.next?.imm ?? 0) >>> 0) << 32n) | BigInt(imm >>> 0));
      return `r${dst} = ${num(full)} ll`;
    }
    default: {
      const jop = op.bpfOp(code);
      const r = cls === op.BPF_JMP32 ? 'w' : 'r';
      if (jop === op.BPF_CALL) return op.bpfSrc(code) === op.BPF_X ? `callx r${dst}` : `call ${num(imm)}`;
      if (code === (op.BPF_JMP | op.BPF_JA)) return `goto ${rel(off)}`;
      if (code === (op.BPF_JMP32 | op.BPF_JA)) return `gotol ${rel(imm)}`;
      if (code === (op.BPF_JMP | op.BPF_JCOND)) return `may_goto ${rel(off)}`;
      if (code === (op.BPF_JMP | op.BPF_EXIT)) return 'exit';
      const sym = JUMP_OP_SYMBOL[JUMP_OP_NAME[jop]];
      const rhs = op.bpfSrc(code) === op.BPF_X ? `${r}${src}` : num(imm);
      return `if ${r}${dst} ${sym} ${rhs} goto ${rel(off)}`;
    }
  }
}

/** The instruction's bytes as llvm-objdump's hex column prints them (`b7 00 00 00 2a 00 00 00`). */
export function hexBytes(insns: readonly Insn[]): string {
  const out: string[] = [];
  for (const i of insns) {
    const b = new Uint8Array(8);
    i.encodeInto(b, 0);
    for (const x of b) out.push(x.toString(16).padStart(2, '0'));
  }
  return out.join(' ');
}
