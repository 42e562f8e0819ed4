/**
 * Source positions per instruction, from BTF line info: a line_info record
 * covers its slot and every following slot up to the next record, as in the
 * kernel's verifier log and bpftool's `prog dump xlated linum`.
 */
import type { Insn } from '@bpfsim/isa';
import type { LineInfo, ProgramSpec } from './api';

/** The source position of every slot of `prog` (undefined before the first record or without line info). */
export function sourceByInsn(prog: Pick<ProgramSpec, 'insns' | 'lineInfo'>): (LineInfo | undefined)[] {
  const out: (LineInfo | undefined)[] = new Array(prog.insns.length).fill(undefined);
  const recs = prog.lineInfo ?? [];
  for (let k = 0; k < recs.length; k++) {
    const end = k + 1 < recs.length ? recs[k + 1].insn : prog.insns.length;
    for (let i = recs[k].insn; i < end && i < out.length; i++) out[i] = recs[k];
  }
  return out;
}

/**
 * The slots where a source line should be printed before the instruction
 * (`disasm --source`): where a line_info record starts and its text differs
 * from the one printed last.
 */
export function sourceAnnotations(prog: Pick<ProgramSpec, 'insns' | 'lineInfo'>): Map<number, LineInfo> {
  const out = new Map<number, LineInfo>();
  let last: LineInfo | undefined;
  for (const r of prog.lineInfo ?? []) {
    if (last && last.file === r.file && last.line === r.line && last.source === r.source) continue;
    out.set(r.insn, r);
    last = r;
  }
  return out;
}

/** `prog.insns` with each map reference's index replaced by the fd the kernel created for that map (as libbpf does). */
export function withMapFds(prog: Pick<ProgramSpec, 'insns' | 'mapRefs'>, fdOfMap: readonly number[]): Insn[] {
  const out = prog.insns.slice();
  for (const r of prog.mapRefs) {
    const fd = fdOfMap[r.mapIndex];
    if (fd === undefined) throw new RangeError(`no fd for map index ${r.mapIndex}`);
    out[r.insn] = out[r.insn].with({ imm: fd });
  }
  return out;
}
