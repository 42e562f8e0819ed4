/**
 * Program code: functions of executable sections, relocations classified the
 * way libbpf's bpf_program__record_reloc() does, bpf-to-bpf call linking
 * (bpf_object__reloc_code: sub-programs appended on first use, depth first),
 * then map/global-data/kconfig relocations and BTF func/line info remapped
 * onto the final slots.
 */
import { Insn } from '@bpfsim/isa';
import type { AppliedRelocation, CoreRelocation, FuncInfo, FunctionRange, KfuncRef, LineInfo, MapRef } from './api';
import type { BtfExt } from './btf/ext';
import type { Btf } from './btf/types';
import { ElfFile, ElfRel, ElfSection, SHF_EXECINSTR, SHN_UNDEF, SHT_PROGBITS, STB_LOCAL, STB_WEAK, STT_FUNC, STT_SECTION } from './elf/types';
import { LoaderError } from './errors';
import { dataKind, MapTable } from './maps';

export const BPF_PSEUDO_MAP_FD = 1;
export const BPF_PSEUDO_MAP_VALUE = 2;
export const BPF_PSEUDO_CALL = 1;
export const BPF_PSEUDO_FUNC = 4;
export const BPF_PSEUDO_KFUNC_CALL = 2;
const CALL = 0x85;
const LD_IMM64 = 0x18;

/** A function symbol in an executable section. */
export interface Func {
  name: string;
  section: ElfSection;
  /** First slot in the section, and slot count. */
  start: number;
  length: number;
  global: boolean;
}

/** One executable section: its slots (mutable copy: CO-RE patches it) and relocations by slot. */
export interface CodeSection {
  section: ElfSection;
  insns: Insn[];
  funcs: Func[];
  relos: Map<number, Relo>;
  /** CO-RE results by slot in this section (filled by the CO-RE pass). */
  core: Map<number, CoreRelocation>;
}

type Relo =
  | { kind: 'call'; symOff: number; symbol: string; type: number; symSection: number }
  | { kind: 'subprog_addr'; symOff: number; symbol: string; type: number; symSection: number }
  | { kind: 'map'; mapIndex: number; symbol: string; type: number }
  | { kind: 'data'; mapIndex: number; symOff: number; symbol: string; type: number }
  | { kind: 'kconfig'; mapIndex: number; offset: number; symbol: string; type: number }
  /** A call to an `extern ... __ksym` function: a kfunc, resolved against the kernel BTF at load. */
  | { kind: 'kfunc'; symbol: string; weak: boolean; type: number };

export function collectCode(elf: ElfFile, maps: MapTable): Map<number, CodeSection> {
  const out = new Map<number, CodeSection>();
  for (const s of elf.sections) {
    if (s.type !== SHT_PROGBITS || !(s.flags & SHF_EXECINSTR) || s.size === 0) continue;
    if (s.size % 8 !== 0) throw new LoaderError('PROG_INVALID', elf.file, s.offset, `section ${s.name}: size ${s.size} is not a multiple of 8 (instruction size)`);
    const insns: Insn[] = [];
    for (let k = 0; k < s.size; k += 8) insns.push(Insn.fromBytes(s.data, k));
    const funcs: Func[] = elf.symbols
      .filter((y) => y.shndx === s.index && y.type === STT_FUNC)
      .sort((a, b) => a.value - b.value || a.index - b.index)
      .map((y) => {
        if (y.value % 8 !== 0 || y.size % 8 !== 0 || y.value + y.size > s.size || y.size === 0) {
          throw new LoaderError('PROG_INVALID', elf.file, s.offset + Math.min(y.value, s.size),
            `section ${s.name}: function '${y.name}' [${y.value}, ${y.value + y.size}) is not a whole number of instructions inside the section (${s.size} bytes)`);
        }
        return { name: y.name, section: s, start: y.value / 8, length: y.size / 8, global: y.bind !== STB_LOCAL };
      });
    if (funcs.length === 0) throw new LoaderError('PROG_INVALID', elf.file, s.offset, `section ${s.name}: code without any function symbol`);
    for (let k = 1; k < funcs.length; k++) {
      if (funcs[k].start < funcs[k - 1].start + funcs[k - 1].length) {
        throw new LoaderError('PROG_INVALID', elf.file, s.offset + funcs[k].start * 8, `section ${s.name}: functions '${funcs[k - 1].name}' and '${funcs[k].name}' overlap`);
      }
    }
    out.set(s.index, { section: s, insns, funcs, relos: collectRelos(elf, s, insns, maps), core: new Map() });
  }
  return out;
}

function collectRelos(elf: ElfFile, s: ElfSection, insns: Insn[], maps: MapTable): Map<number, Relo> {
  const out = new Map<number, Relo>();
  const file = elf.file;
  for (const r of elf.rels.get(s.index) ?? []) {
    const fail = (what: string): never => {
      throw new LoaderError('ELF_BAD_RELOC', file, r.fileOffset, `${s.name}: relocation at offset ${r.offset}: ${what}`);
    };
    if (r.offset % 8 !== 0) fail('expected an offset that is a multiple of 8 (instruction size)');
    const idx = r.offset / 8;
    const insn = insns[idx];
    const sym = elf.symbols[r.sym];
    const symName = sym.name || elf.sections[sym.shndx]?.name || `#${r.sym}`;
    out.set(idx, classify(elf, r, insn, idx, insns.length, sym, symName, maps, fail));
  }
  return out;
}

function classify(elf: ElfFile, r: ElfRel, insn: Insn, idx: number, count: number, sym: ElfFile['symbols'][number], symName: string, maps: MapTable,
  fail: (what: string) => never): Relo {
  const type = r.type;
  // bpf_program__record_reloc: a call to an extern function is a kfunc call (RELO_EXTERN_CALL)
  if (sym.shndx === SHN_UNDEF && insn.code === CALL && insn.src === BPF_PSEUDO_CALL && sym.name) {
    return { kind: 'kfunc', symbol: sym.name, weak: sym.bind === STB_WEAK, type };
  }
  if (sym.shndx === SHN_UNDEF && !maps.kconfigExterns.some((e) => e.name === sym.name)) {
    fail(`extern '${symName}' is not a .kconfig extern; __ksym variables are not supported yet`);
  }
  if (insn.code === CALL && insn.src === BPF_PSEUDO_CALL) {
    const target = elf.sections[sym.shndx];
    if (sym.shndx === SHN_UNDEF || !target || !(target.flags & SHF_EXECINSTR)) fail(`bpf-to-bpf call to '${symName}', which is not in a code section`);
    if (sym.type !== STT_SECTION && sym.type !== STT_FUNC) fail(`bpf-to-bpf call to '${symName}', which is not a function`);
    return { kind: 'call', symOff: sym.value, symbol: symName, type, symSection: sym.shndx };
  }
  if (insn.code !== LD_IMM64) fail(`expected a call or ld_imm64 instruction, found opcode 0x${insn.code.toString(16)} at insn ${idx}`);
  if (idx + 1 >= count) fail(`ld_imm64 at insn ${idx} has no second slot`);
  if (sym.shndx === SHN_UNDEF) {
    const ext = maps.kconfigExterns.find((e) => e.name === sym.name);
    if (!ext || maps.kconfigMap === undefined) fail(`extern '${symName}' is not a .kconfig extern (__ksym externs are not supported)`);
    return { kind: 'kconfig', mapIndex: maps.kconfigMap!, offset: ext!.offset, symbol: symName, type };
  }
  const target = elf.sections[sym.shndx];
  if (!target) fail(`symbol '${symName}' has no section`);
  if (target.flags & SHF_EXECINSTR) {
    if (sym.value % 8 !== 0 || insn.imm % 8 !== 0) fail(`bad subprog address relocation against '${symName}': offset not instruction-aligned`);
    return { kind: 'subprog_addr', symOff: sym.value, symbol: symName, type, symSection: sym.shndx };
  }
  const mapIdx = maps.bySymbol.get(`${sym.shndx}:${sym.value}`);
  if (target.name === 'maps' || target.name === '.maps') {
    if (mapIdx === undefined) fail(`symbol '${symName}' at offset ${sym.value} of ${target.name} is not a map definition`);
    return { kind: 'map', mapIndex: mapIdx!, symbol: symName, type };
  }
  if (dataKind(target)) {
    const m = maps.bySection.get(sym.shndx);
    if (m === undefined) fail(`global data '${symName}' refers to empty section ${target.name}`);
    return { kind: 'data', mapIndex: m!, symOff: sym.type === STT_SECTION ? 0 : sym.value, symbol: symName, type };
  }
  return fail(`symbol '${symName}' is in section ${target.name}, which is not a map, global data or code section`);
}

/** The result of linking one entry function. */
export interface Linked {
  insns: Insn[];
  functions: FunctionRange[];
  mapRefs: MapRef[];
  relocations: AppliedRelocation[];
  funcInfo?: FuncInfo[];
  lineInfo?: LineInfo[];
  coreRelos: CoreRelocation[];
  kfuncRefs: KfuncRef[];
}

/** Link an entry function with the sub-programs it reaches, as libbpf does for one main program. */
export function linkProgram(file: string, code: Map<number, CodeSection>, textIndex: number | undefined, entry: Func, btf: Btf | undefined, ext: BtfExt | undefined): Linked {
  const main = code.get(entry.section.index)!;
  const out: Linked = { insns: main.insns.slice(entry.start, entry.start + entry.length), functions: [], mapRefs: [], relocations: [], coreRelos: [], kfuncRefs: [] };
  const placed = new Map<Func, number>();
  placed.set(entry, 0);
  out.functions.push({ name: entry.name, section: entry.section.name, start: 0, length: entry.length });

  const relocCode = (fn: Func, at: number): void => {
    const cs = code.get(fn.section.index)!;
    for (let k = 0; k < fn.length; k++) {
      const insn = out.insns[at + k];
      const isCall = insn.code === CALL && insn.src === BPF_PSEUDO_CALL;
      const isFunc = insn.code === LD_IMM64 && insn.src === BPF_PSEUDO_FUNC;
      const relo = cs.relos.get(fn.start + k);
      if (relo?.kind === 'kfunc') continue;
      const isSubAddr = relo?.kind === 'subprog_addr';
      if (!isCall && !isFunc && !isSubAddr) continue;
      let subIdx: number;
      let subSection: number;
      if (relo && relo.kind === 'call') {
        subIdx = relo.symOff / 8 + insn.imm + 1;
        subSection = relo.symSection;
      } else if (relo && relo.kind === 'subprog_addr') {
        subIdx = (relo.symOff + insn.imm) / 8;
        subSection = relo.symSection;
      } else if (relo) {
        throw new LoaderError('PROG_INVALID', file, fn.section.offset + (fn.start + k) * 8, `prog '${entry.name}': unexpected relocation for insn #${fn.start + k}`);
      } else if (isFunc) {
        throw new LoaderError('PROG_INVALID', file, fn.section.offset + (fn.start + k) * 8, `prog '${entry.name}': missing subprog addr relocation for insn #${fn.start + k}`);
      } else {
        subIdx = fn.start + k + insn.imm + 1;
        subSection = fn.section.index;
      }
      // libbpf: sub-programs live in .text.
      if (subSection !== textIndex) {
        throw new LoaderError('PROG_INVALID', file, fn.section.offset + (fn.start + k) * 8,
          `prog '${entry.name}': insn #${fn.start + k} calls into ${code.get(subSection)?.section.name ?? `section ${subSection}`}; expected a sub-program in .text`);
      }
      const text = code.get(subSection);
      if (!text) {
        throw new LoaderError('PROG_INVALID', file, fn.section.offset + (fn.start + k) * 8, `prog '${entry.name}': insn #${fn.start + k} calls into .text, which has no code`);
      }
      const sub = text.funcs.find((f) => subIdx >= f.start && subIdx < f.start + f.length);
      if (!sub) {
        throw new LoaderError('PROG_INVALID', file, fn.section.offset + (fn.start + k) * 8, `prog '${entry.name}': insn #${fn.start + k} calls .text insn ${subIdx}, which is in no function`);
      }
      let subAt = placed.get(sub);
      if (subAt === undefined) {
        subAt = out.insns.length;
        placed.set(sub, subAt);
        out.functions.push({ name: sub.name, section: sub.section.name, start: subAt, length: sub.length });
        for (let j = 0; j < sub.length; j++) out.insns.push(text.insns[sub.start + j]);
        relocCode(sub, subAt);
      }
      const imm = subAt - (at + k) - 1;
      out.insns[at + k] = out.insns[at + k].with({ imm, src: isCall ? BPF_PSEUDO_CALL : BPF_PSEUDO_FUNC });
      out.relocations.push({ insn: at + k, type: relo?.type ?? 10, symbol: relo?.symbol ?? sub.name, kind: isCall ? 'call' : 'subprog_addr', target: subAt });
    }
  };
  relocCode(entry, 0);

  // Data relocations, CO-RE results and BTF info, function by function in final order.
  const order = [...placed.entries()].sort((a, b) => a[1] - b[1]);
  const funcInfo: FuncInfo[] = [];
  const lineInfo: LineInfo[] = [];
  for (const [fn, at] of order) {
    const cs = code.get(fn.section.index)!;
    for (let k = 0; k < fn.length; k++) {
      const relo = cs.relos.get(fn.start + k);
      const core = cs.core.get(fn.start + k);
      if (core) out.coreRelos.push({ ...core, insn: at + k });
      if (!relo || relo.kind === 'call' || relo.kind === 'subprog_addr') continue;
      const i = at + k;
      if (relo.kind === 'kfunc') {
        // BPF_PSEUDO_KFUNC_CALL; the kernel BTF id is filled in at load (bpf_object__resolve_externs)
        out.insns[i] = out.insns[i].with({ src: BPF_PSEUDO_KFUNC_CALL, imm: 0, off: 0 });
        out.kfuncRefs.push({ insn: i, name: relo.symbol, weak: relo.weak });
        continue;
      }
      const lo = out.insns[i];
      const hi = out.insns[i + 1];
      if (relo.kind === 'map') {
        out.insns[i] = lo.with({ src: BPF_PSEUDO_MAP_FD, imm: relo.mapIndex });
        out.mapRefs.push({ insn: i, mapIndex: relo.mapIndex, kind: 'map', offset: 0 });
      } else {
        const offset = relo.kind === 'data' ? lo.imm + relo.symOff : relo.offset;
        out.insns[i] = lo.with({ src: BPF_PSEUDO_MAP_VALUE, imm: relo.mapIndex });
        out.insns[i + 1] = hi.with({ imm: offset | 0 });
        out.mapRefs.push({ insn: i, mapIndex: relo.mapIndex, kind: 'value', offset });
      }
      out.relocations.push({ insn: i, type: relo.type, symbol: relo.symbol, kind: relo.kind === 'data' ? 'map_value' : relo.kind, target: relo.mapIndex });
    }
    if (ext && btf) {
      const name = fn.section.name;
      for (const f of ext.funcInfo.get(name) ?? []) {
        const idx = f.insnOff / 8;
        if (idx >= fn.start && idx < fn.start + fn.length) {
          const t = btf.types[f.typeId];
          funcInfo.push({ insn: at + idx - fn.start, typeId: f.typeId, name: t?.name ?? '' });
        }
      }
      for (const l of ext.lineInfo.get(name) ?? []) {
        const idx = l.insnOff / 8;
        if (idx >= fn.start && idx < fn.start + fn.length) {
          lineInfo.push({ insn: at + idx - fn.start, file: btf.str(l.fileNameOff), line: l.line, column: l.column, source: btf.str(l.lineOff) });
        }
      }
    }
  }
  out.relocations.sort((a, b) => a.insn - b.insn);
  out.mapRefs.sort((a, b) => a.insn - b.insn);
  out.coreRelos.sort((a, b) => a.insn - b.insn);
  if (ext && btf) {
    out.funcInfo = funcInfo.sort((a, b) => a.insn - b.insn);
    out.lineInfo = lineInfo.sort((a, b) => a.insn - b.insn);
  }
  return out;
}
