/** The assembler: kernel/LLVM syntax and the uBPF dialect, with labels. */
import type { Insn } from '../insn';
import { AsmError } from '../errors';
import { assembleKernel } from './kernel';
import { assembleUbpf } from './ubpf';

export type Dialect = 'auto' | 'kernel' | 'ubpf';

export interface AssembleOptions {
  /** Named in error messages (default "<asm>"). */
  file?: string;
  /** 'auto' (default): uBPF when the text uses `%r` registers, else kernel/LLVM syntax. */
  dialect?: Dialect;
}

/**
 * Assemble text into slots (an lddw yields two). Throws AsmError (code 'EASM') with
 * `file:line:col: what was expected`.
 */
export function assemble(text: string, opts: AssembleOptions = {}): Insn[] {
  const file = opts.file ?? '<asm>';
  const dialect = opts.dialect ?? 'auto';
  if (dialect === 'kernel') return assembleKernel(text, file);
  if (dialect === 'ubpf') return assembleUbpf(text, file);
  const code = text.replace(/#.*$/gm, '');
  if (/%r\d/.test(code)) return assembleUbpf(text, file);
  try {
    return assembleKernel(text, file);
  } catch (e) {
    // Register-free uBPF lines ("ja +1", "ja32 L1", "call local f") are not kernel syntax.
    if (!(e instanceof AsmError)) throw e;
    try {
      return assembleUbpf(text, file);
    } catch (u) {
      if (!(u instanceof AsmError)) throw u;
      throw moreRelevant(e, u);
    }
  }
}

/** Of two dialects' errors, the one that got further; on a tie the uBPF one unless it does not know the mnemonic. */
function moreRelevant(kernel: AsmError, ubpf: AsmError): AsmError {
  if (kernel.line !== ubpf.line) return kernel.line > ubpf.line ? kernel : ubpf;
  if (kernel.col !== ubpf.col) return kernel.col > ubpf.col ? kernel : ubpf;
  return /Invalid mnemonic/.test(ubpf.message) ? kernel : ubpf;
}
