/**
 * Runs conformance `.data` files on the interpreter with the suite's
 * convention (run-convention.ts). No verifier: the suite tests the
 * instruction set, and the VM checks every memory access at run time.
 */
import { Insn, type Program, assemble } from '@bpfsim/isa';
import { runConvention } from '../run-convention';
import { isBpfsimError } from '@bpfsim/uapi';
import { parseDataFile } from './data-file';
import { requiredCpuVersion, type CpuVersion } from './cpu-version';

export type Outcome = 'pass' | 'fail' | 'skip';

export interface ConformanceResult {
  file: string;
  outcome: Outcome;
  /** What was expected: "r0 = 0x..." or "error: ...". */
  expected?: string;
  /** What happened. */
  actual?: string;
  /** Why it was skipped. */
  reason?: string;
  insns?: number;
}

const hex64 = (v: bigint) => '0x' + BigInt.asUintN(64, v).toString(16).padStart(16, '0');

export function programFromWords(words: readonly bigint[]): Program {
  const bytes = new Uint8Array(words.length * 8);
  const dv = new DataView(bytes.buffer);
  words.forEach((w, i) => dv.setBigUint64(i * 8, w, true));
  return words.map((_, i) => Insn.fromBytes(bytes, i * 8));
}

export interface RunConformanceOptions {
  cpu?: CpuVersion;
  maxInsns?: number;
}

/** Run one file's text; never throws for a bad file: that is a failed test. */
export function runConformanceText(text: string, file: string, opts: RunConformanceOptions = {}): ConformanceResult {
  let expected: string | undefined;
  try {
    const data = parseDataFile(text, file);
    expected = data.error !== undefined ? `error: ${data.error}` : `r0 = ${hex64(data.result!)}`;
    const prog = data.raw
      ? programFromWords(data.raw)
      // Leading blank lines keep the assembler's line numbers those of the .data file.
      : assemble('\n'.repeat(data.asm!.line - 1) + data.asm!.text, { file, dialect: 'ubpf' });
    if (prog.length === 0) return { file, outcome: 'fail', expected, actual: 'error: the program is empty' };
    const need = requiredCpuVersion(prog);
    const cpu = opts.cpu ?? 4;
    if (need > cpu) return { file, outcome: 'skip', expected, reason: `needs cpu v${need}, running v${cpu}` };

    const { r0, insns } = runConvention(prog, data.mem, { maxInsns: opts.maxInsns ?? 1_000_000 });
    const actual = `r0 = ${hex64(r0)}`;
    const pass = data.error === undefined && r0 === data.result;
    return { file, outcome: pass ? 'pass' : 'fail', expected, actual, insns };
  } catch (e) {
    if (!isBpfsimError(e)) throw e;
    // Refused or faulted: passes only where the file expects exactly this error.
    const actual = `error: ${e.message}`;
    const pass = expected !== undefined && expected.startsWith('error: ') && expected === actual;
    return { file, outcome: pass ? 'pass' : 'fail', expected, actual };
  }
}
