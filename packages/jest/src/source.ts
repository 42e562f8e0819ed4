/**
 * Where in the C source something happened, for failure messages: the source
 * line of an instruction (BTF line info), and — since the VM has no
 * instruction trace hook — the places that put a given value in r0, which is
 * where a person looks when a program returned the wrong code.
 */
import { disassemble, isLdImm64, type Insn } from '@bpfsim/isa';
import { sourceByInsn, type LineInfo } from '@bpfsim/loader';

/** A loaded program as the messages need it. */
export interface ProgramSource {
  name: string;
  file: string;
  insns: readonly Insn[];
  lineInfo?: LineInfo[];
}

const base = (f: string): string => f.replace(/^.*\//, '');

/** "xdp_firewall.bpf.c:66  return count(2, XDP_DROP);" or undefined without line info. */
export function sourceLine(src: ProgramSource, insn: number): string | undefined {
  const li = sourceByInsn({ insns: src.insns as Insn[], lineInfo: src.lineInfo })[insn];
  if (!li) return undefined;
  return `${base(li.file)}:${li.line}  ${li.source.trim() || '(no source text)'}`;
}

/** One instruction as the verifier log prints it, with its index. */
export function insnText(src: ProgramSource, i: number): string {
  const insns = src.insns as Insn[];
  return `${i}: ${disassemble(insns.slice(i, isLdImm64(insns[i]) ? i + 2 : i + 1), { withIndex: false })}`;
}

const MOV_K = new Set([0xb7 /* BPF_ALU64|BPF_MOV|BPF_K */, 0xb4 /* BPF_ALU|BPF_MOV|BPF_K */]);
const EXIT = 0x95;

/**
 * The instructions that set r0 to `value` directly (`r0 = 2`), each with its source line, and the
 * program's exits. Clang often moves a `return XDP_PASS;` into such an assignment far from the
 * `exit`, so the source lines say which return statements could have produced the value.
 */
export function retvalPlaces(src: ProgramSource, value: number, limit = 6): string[] {
  const out: string[] = [];
  const insns = src.insns;
  let found = 0;
  for (let i = 0; i < insns.length; i++) {
    const x = insns[i];
    if (MOV_K.has(x.code) && x.dst === 0 && x.imm >>> 0 === value >>> 0) {
      found++;
      if (found <= limit) {
        const s = sourceLine(src, i);
        out.push(`    ${insnText(src, i).padEnd(28)}${s ? `  ; ${s}` : ''}`);
        // The value is often set ahead of the statement that returns it: show where control goes next.
        const nextAt = i + (isLdImm64(x) ? 2 : 1);
        const next = nextAt < insns.length ? sourceLine(src, nextAt) : undefined;
        if (next && next !== s) out.push(`    ${''.padEnd(28)}  ; then ${next}`);
      }
    }
    if (isLdImm64(x)) i++;
  }
  if (found > limit) out.push(`    ... and ${found - limit} more`);
  return out;
}

/** Exit instructions with their source lines (where the run can have ended). */
export function exitPlaces(src: ProgramSource, limit = 4): string[] {
  const out: string[] = [];
  for (let i = 0; i < src.insns.length; i++) {
    if (src.insns[i].code === EXIT && out.length < limit) {
      const s = sourceLine(src, i);
      out.push(`    ${insnText(src, i).padEnd(28)}${s ? `  ; ${s}` : ''}`);
    }
    if (isLdImm64(src.insns[i])) i++;
  }
  return out;
}
