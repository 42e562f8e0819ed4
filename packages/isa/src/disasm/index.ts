/** Disassembly in three syntaxes: the kernel verifier log, llvm-objdump, and the uBPF dialect. */
import { isLdImm64, type Insn, type Program } from '../insn';
import { formatKernel, type KernelFormatOptions } from './kernel';
import { formatLlvm, hexBytes } from './llvm';
import { formatUbpf } from './ubpf';

export type Flavour = 'kernel' | 'llvm' | 'ubpf';

export interface DisassembleOptions extends Omit<KernelFormatOptions, 'next'> {
  /** Which syntax (default 'kernel'). */
  flavour?: Flavour;
  /**
   * Prefix each line with its slot index: `0: ` (kernel, as the verifier log), or
   * llvm-objdump's `       0:\t<hex bytes>\t` columns (llvm). Default false.
   */
  withIndex?: boolean;
  /** llvm flavour: immediates in 'hex' (default, as llvm-objdump 19) or 'dec'. */
  imm?: 'hex' | 'dec';
  /** llvm flavour: name of a jump's target slot, printed as llvm-objdump's ` <LBB0_2>` suffix. */
  targetLabel?: (slot: number) => string | undefined;
}

/** The text of one instruction; for an lddw pass its second slot as `opts.next`. */
export function formatInsn(insn: Insn, opts: DisassembleOptions & { next?: Insn; pc?: number } = {}): string {
  switch (opts.flavour ?? 'kernel') {
    case 'llvm': return formatLlvm(insn, opts);
    case 'ubpf': return formatUbpf(insn, opts);
    default: return formatKernel(insn, opts);
  }
}

/**
 * One line per instruction (an lddw is one line, and the next line's index skips its
 * second slot, as in the verifier log and llvm-objdump). Lines are joined with '\n'.
 */
export function disassemble(prog: Program, opts: DisassembleOptions = {}): string {
  const lines: string[] = [];
  for (let i = 0; i < prog.length; i++) {
    const insn = prog[i];
    const wide = isLdImm64(insn);
    const next = wide ? prog[i + 1] : undefined;
    const text = formatInsn(insn, { ...opts, next, pc: i });
    if (!opts.withIndex) lines.push(text);
    else if ((opts.flavour ?? 'kernel') === 'llvm') {
      lines.push(`${String(i).padStart(8)}:\t${hexBytes(wide && next ? [insn, next] : [insn])}\t${text}`);
    } else lines.push(`${i}: ${text}`);
    if (wide) i++;
  }
  return lines.join('\n');
}
