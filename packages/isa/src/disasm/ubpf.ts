/**
 * The uBPF assembler dialect of the conformance suite (see /work/shared/conformance/README.md):
 * `mov %r0, 42`, `add32 %r1, %r2`, `ldxw %r1, [%r2+4]`, `jeq %r1, 5, +3`, `lock fetch add [%r10-8], %r1`.
 * Targets print as relative offsets (+N/-N). Encodings the dialect cannot express (pseudo
 * lddw sources, may_goto, load-acquire/store-release) throw a BpfsimError with code 'EUBPF'.
 */
import * as op from '@bpfsim/uapi';
import { BpfsimError } from '@bpfsim/uapi';
import type { Insn } from '../insn';
import { ALU_OP_NAME, ATOMIC_OP_NAME, JUMP_OP_NAME, SIZE_OF_CODE } from '../opcode';

export interface UbpfFormatOptions {
  next?: Insn;
}

const SIZE_SUFFIX: Readonly<Record<string, string>> = { B: 'b', H: 'h', W: 'w', DW: 'dw' };

/** One instruction in the uBPF dialect. */
export function formatUbpf(insn: Insn, opts: UbpfFormatOptions = {}): string {
  const { code, dst, src, off, imm } = insn;
  const cls = op.bpfClass(code);
  const size = SIZE_OF_CODE[op.bpfSize(code)];
  const rel = (n: number): string => (n < 0 ? `${n}` : `+${n}`);
  const mem = (base: number): string => `[%r${base}${off < 0 ? '-' : '+'}${Math.abs(off)}]`;
  const fail = (what: string): never => {
    throw new BpfsimError('EUBPF', `the uBPF dialect has no syntax for ${what}`);
  };
  switch (cls) {
    case op.BPF_ALU:
    case op.BPF_ALU64: {
      const s32 = cls === op.BPF_ALU ? '32' : '';
      const aop = op.bpfOp(code);
      if (aop === op.BPF_END) {
        if (cls === op.BPF_ALU64) return `bswap${imm} %r${dst}`;
        return `${op.bpfSrc(code) === op.BPF_TO_BE ? 'be' : 'le'}${imm} %r${dst}`;
      }
      if (aop === op.BPF_NEG) return `neg${s32} %r${dst}`;
      if (aop === op.BPF_MOV && op.bpfSrc(code) === op.BPF_X && off !== 0) {
        if (off === 8 || off === 16 || off === 32) return `movsx${off}${cls === op.BPF_ALU ? '32' : '64'} %r${dst}, %r${src}`;
        return fail(`mov with offset ${off}`);
      }
      const signed = (aop === op.BPF_DIV || aop === op.BPF_MOD) && off === 1 ? 's' : '';
      const name = `${signed}${ALU_OP_NAME[aop]}${s32}`;
      return op.bpfSrc(code) === op.BPF_X ? `${name} %r${dst}, %r${src}` : `${name} %r${dst}, ${imm}`;
    }
    case op.BPF_LDX:
      return `ldx${op.bpfMode(code) === op.BPF_MEMSX ? 's' : ''}${SIZE_SUFFIX[size]} %r${dst}, ${mem(src)}`;
    case op.BPF_ST:
      return `st${SIZE_SUFFIX[size]} ${mem(dst)}, ${imm}`;
    case op.BPF_STX: {
      if (op.bpfMode(code) === op.BPF_MEM) return `stx${SIZE_SUFFIX[size]} ${mem(dst)}, %r${src}`;
      const a = ATOMIC_OP_NAME[imm];
      if (a === undefined || a === 'load_acquire' || a === 'store_release') return fail(`atomic operation 0x${imm.toString(16)}`);
      const s32 = size === 'W' ? '32' : '';
      const fetch = a.startsWith('fetch_');
      return `lock ${fetch ? 'fetch ' : ''}${fetch ? a.slice(6) : a}${s32} ${mem(dst)}, %r${src}`;
    }
    case op.BPF_LD: {
      const mode = op.bpfMode(code);
      if (mode === op.BPF_ABS) return `ldabs${SIZE_SUFFIX[size]} ${imm}`;
      if (mode === op.BPF_IND) return `ldind${SIZE_SUFFIX[size]} %r${src}, ${imm}`;
      if (src !== 0) return fail(`lddw with pseudo source ${src}`);
      const full = (BigInt((opts.next?.imm ?? 0) >>> 0) << 32n) | BigInt(imm >>> 0);
      return `lddw %r${dst}, 0x${full.toString(16)}`;
    }
    default: {
      const jop = op.bpfOp(code);
      if (jop === op.BPF_CALL) {
        if (op.bpfSrc(code) === op.BPF_X) return `call %r${dst}`;
        if (src === op.BPF_PSEUDO_CALL) return `call local ${rel(imm)}`;
        if (src === op.BPF_PSEUDO_KFUNC_CALL) return `call runtime ${imm}`;
        return `call ${imm}`;
      }
      if (code === (op.BPF_JMP | op.BPF_JA)) return `ja ${rel(off)}`;
      if (code === (op.BPF_JMP32 | op.BPF_JA)) return `ja32 ${rel(imm)}`;
      if (code === (op.BPF_JMP | op.BPF_EXIT)) return 'exit';
      if (code === (op.BPF_JMP | op.BPF_JCOND)) return fail('may_goto');
      const name = `${JUMP_OP_NAME[jop].toLowerCase()}${cls === op.BPF_JMP32 ? '32' : ''}`;
      const rhs = op.bpfSrc(code) === op.BPF_X ? `%r${src}` : `${imm}`;
      return `${name} %r${dst}, ${rhs}, ${rel(off)}`;
    }
  }
}
