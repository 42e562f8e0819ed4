/**
 * The kernel's instruction syntax, as kernel/bpf/disasm.c print_bpf_insn() writes it
 * into the verifier log (Linux 6.18): `(b7) r0 = 42`, `(61) r1 = *(u32 *)(r6 +13)`.
 */
import * as op from '@bpfsim/uapi';
import { HELPER_NAMES } from '@bpfsim/uapi';
import type { Insn } from '../insn';
import { ALU_OP_NAME, ATOMIC_OP_NAME, JUMP_OP_NAME, JUMP_OP_SYMBOL, SIZE_OF_CODE, SIZE_STYPE, SIZE_UTYPE } from '../opcode';

export interface KernelFormatOptions {
  /** The second slot of an lddw (its imm is the high half). */
  next?: Insn;
  /** Name of helper `id` (default: the kernel's table, "bpf_map_lookup_elem"). */
  helperName?: (id: number) => string | undefined;
  /** Name of the kfunc a `src_reg == 2` call refers to (the verifier looks it up in BTF). */
  kfuncName?: (insn: Insn) => string | undefined;
  /**
   * How an lddw's value prints. 'bpftool' (default): map[id:N], map[id:N][0]+off,
   * map[idx:N]+off, subprog[+N], else 0x... as bpftool's print_imm. 'raw': 0x%llx of the
   * 64-bit immediate as disasm.c does without a callback. A function replaces both.
   */
  imm64?: 'bpftool' | 'raw' | ((insn: Insn, next: Insn | undefined) => string);
}

const ALU_SYMBOL: Readonly<Record<string, string>> = {
  add: '+=', sub: '-=', mul: '*=', div: '/=', or: '|=', and: '&=', lsh: '<<=', rsh: '>>=',
  neg: 'neg', mod: '%=', xor: '^=', mov: '=', arsh: 's>>=', end: 'endian',
};
const MOVSX_CAST: Readonly<Record<number, string>> = { 8: '(s8)', 16: '(s16)', 32: '(s32)' };

/** `%+d` */
export const signed = (n: number): string => (n < 0 ? `${n}` : `+${n}`);
const hex2 = (n: number): string => (n & 0xff).toString(16).padStart(2, '0');

/** One instruction in kernel syntax, with the `(xx) ` opcode prefix and no newline. */
export function formatKernel(insn: Insn, opts: KernelFormatOptions = {}): string {
  return `(${hex2(insn.code)}) ${kernelBody(insn, opts)}`;
}

function kernelBody(insn: Insn, opts: KernelFormatOptions): string {
  const { code, dst, src, off, imm } = insn;
  const cls = op.bpfClass(code);
  const size = SIZE_OF_CODE[op.bpfSize(code)];
  const mem = (base: number): string => `(r${base} ${signed(off)})`;
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
        return `r${dst} = addr_space_cast(r${src}, ${(imm >>> 16)}, ${imm & 0xffff})`;
      }
      if (code === (op.BPF_ALU64 | op.BPF_MOV | op.BPF_X) && off === -1) return `r${dst} = &(void __percpu *)(r${src})`;
      const sdiv = (aop === op.BPF_DIV || aop === op.BPF_MOD) && off === 1;
      const sym = sdiv ? (aop === op.BPF_DIV ? 's/=' : 's%=') : ALU_SYMBOL[ALU_OP_NAME[aop]];
      if (op.bpfSrc(code) === op.BPF_X) {
        const cast = aop === op.BPF_MOV ? MOVSX_CAST[off] ?? '' : '';
        return `${r}${dst} ${sym} ${cast}${r}${src}`;
      }
      return `${r}${dst} ${sym} ${imm}`;
    }
    case op.BPF_STX: {
      const mode = op.bpfMode(code);
      const t = SIZE_UTYPE[size];
      if (mode === op.BPF_MEM) return `*(${t} *)${mem(dst)} = r${src}`;
      if (mode !== op.BPF_ATOMIC) return `BUG_${hex2(code)}`;
      const a = ATOMIC_OP_NAME[imm];
      const w64 = size === 'DW' ? '64' : '';
      switch (a) {
        case 'add': case 'and': case 'or': case 'xor':
          return `lock *(${t} *)${mem(dst)} ${ALU_SYMBOL[a]} r${src}`;
        case 'fetch_add': case 'fetch_and': case 'fetch_or': case 'fetch_xor':
          return `r${src} = atomic${w64}_${a}((${t} *)${mem(dst)}, r${src})`;
        case 'cmpxchg':
          return `r0 = atomic${w64}_cmpxchg((${t} *)${mem(dst)}, r0, r${src})`;
        case 'xchg':
          return `r${src} = atomic${w64}_xchg((${t} *)${mem(dst)}, r${src})`;
        case 'load_acquire':
          return `r${dst} = load_acquire((${t} *)${mem(src)})`;
        case 'store_release':
          return `store_release((${t} *)${mem(dst)}, r${src})`;
        default:
          return `BUG_${hex2(code)}`;
      }
    }
    case op.BPF_ST:
      if (op.bpfMode(code) === op.BPF_MEM) return `*(${SIZE_UTYPE[size]} *)${mem(dst)} = ${imm}`;
      if (op.bpfMode(code) === 0xc0) return 'nospec';
      return `BUG_st_${hex2(code)}`;
    case op.BPF_LDX: {
      const mode = op.bpfMode(code);
      if (mode !== op.BPF_MEM && mode !== op.BPF_MEMSX) return `BUG_ldx_${hex2(code)}`;
      return `r${dst} = *(${mode === op.BPF_MEM ? SIZE_UTYPE[size] : SIZE_STYPE[size]} *)${mem(src)}`;
    }
    case op.BPF_LD: {
      const mode = op.bpfMode(code);
      if (mode === op.BPF_ABS) return `r0 = *(${SIZE_UTYPE[size]} *)skb[${imm}]`;
      if (mode === op.BPF_IND) return `r0 = *(${SIZE_UTYPE[size]} *)skb[r${src} + ${imm}]`;
      if (mode === op.BPF_IMM && size === 'DW') return `r${dst} = ${imm64Text(insn, opts)}`;
      return `BUG_ld_${hex2(code)}`;
    }
    default: {
      // BPF_JMP, BPF_JMP32
      const jop = op.bpfOp(code);
      const r = cls === op.BPF_JMP32 ? 'w' : 'r';
      if (jop === op.BPF_CALL) {
        // callx never reaches the kernel's printer (its insn table refuses 0x8d); print it as LLVM does.
        if (op.bpfSrc(code) === op.BPF_X) return `callx r${dst}`;
        if (src === op.BPF_PSEUDO_CALL) return `call pc${signed(imm)}`;
        return `call ${callName(insn, opts)}#${imm}`;
      }
      if (code === (op.BPF_JMP | op.BPF_JA)) return `goto pc${signed(off)}`;
      if (code === (op.BPF_JMP | op.BPF_JCOND) && src === op.BPF_MAY_GOTO) return `may_goto pc${signed(off)}`;
      if (code === (op.BPF_JMP32 | op.BPF_JA)) return `gotol pc${signed(imm)}`;
      if (code === (op.BPF_JMP | op.BPF_EXIT)) return 'exit';
      const name = JUMP_OP_NAME[jop];
      const sym = name !== undefined ? JUMP_OP_SYMBOL[name] : jop === op.BPF_JA ? 'jmp' : jop === op.BPF_EXIT ? 'exit' : '(null)';
      if (op.bpfSrc(code) === op.BPF_X) return `if ${r}${dst} ${sym} ${r}${src} goto pc${signed(off)}`;
      return `if ${r}${dst} ${sym} 0x${(imm >>> 0).toString(16)} goto pc${signed(off)}`;
    }
  }
}

function callName(insn: Insn, opts: KernelFormatOptions): string {
  const { src, imm } = insn;
  if (src === 0) {
    const name = opts.helperName ? opts.helperName(imm) : HELPER_NAMES[imm];
    if (name !== undefined) return name;
  }
  if (src === op.BPF_PSEUDO_KFUNC_CALL) return opts.kfuncName?.(insn) ?? 'kernel-function';
  return 'unknown';
}

function imm64Text(insn: Insn, opts: KernelFormatOptions): string {
  const next = opts.next;
  const style = opts.imm64 ?? 'bpftool';
  if (typeof style === 'function') return style(insn, next);
  const hi = next?.imm ?? 0;
  if (style === 'bpftool') {
    switch (insn.src) {
      case op.BPF_PSEUDO_MAP_FD: return `map[id:${insn.imm >>> 0}]`;
      case op.BPF_PSEUDO_MAP_VALUE: return `map[id:${insn.imm >>> 0}][0]+${hi >>> 0}`;
      case op.BPF_PSEUDO_MAP_IDX_VALUE: return `map[idx:${insn.imm >>> 0}]+${hi >>> 0}`;
      case op.BPF_PSEUDO_FUNC: return `subprog[${signed(insn.imm)}]`;
      default: break;
    }
  }
  const full = (BigInt(hi >>> 0) << 32n) | BigInt(insn.imm >>> 0);
  return `0x${full.toString(16)}`;
}
