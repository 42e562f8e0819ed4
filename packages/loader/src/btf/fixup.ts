/**
 * libbpf's btf_fixup_datasec(): clang leaves DATASEC sizes and variable
 * offsets at zero in an object; libbpf fills them from the ELF (section sizes,
 * symbol values), marks hidden globals static, lays out .kconfig externs, and
 * sorts each DATASEC's variables by offset — and that is the BTF the kernel
 * gets. Returns a new Btf; the input is not modified.
 */
import type { KconfigExtern } from '../api';
import { ElfFile, STB_GLOBAL, STB_WEAK, STT_FUNC, STT_OBJECT, STV_HIDDEN, STV_INTERNAL } from '../elf/types';
import { LoaderError } from '../errors';
import { Btf, BtfType, BtfVarSecinfo } from './types';

const BTF_VAR_STATIC = 0;
const BTF_FUNC_STATIC = 0;
const BTF_VAR_GLOBAL_ALLOCATED = 1;
const BTF_VAR_GLOBAL_EXTERN = 2;

/**
 * `pass` 'data' fixes every DATASEC but .kconfig (before maps are built: the
 * mmapable decision reads the fixed linkage); 'kconfig' then lays out .kconfig
 * from the externs the map pass placed.
 */
export function fixupDatasecs(btf: Btf, elf: ElfFile, pass: 'data' | 'kconfig', kconfig: readonly KconfigExtern[] = []): Btf {
  const types = btf.types.slice() as BtfType[];
  const fail = (what: string): never => {
    throw new LoaderError('BTF_INVALID', elf.file, undefined, `.BTF: ${what}`);
  };
  const setVar = (id: number, linkage: number) => {
    const v = types[id];
    if (v.kind === 14 && v.linkage !== linkage) types[id] = { ...v, linkage };
  };
  for (const t of btf.types) {
    if (t.kind !== 15 || (pass === 'kconfig') !== (t.name === '.kconfig')) continue;
    let size = t.size;
    let vars: BtfVarSecinfo[] = t.vars.map((v) => ({ ...v }));
    if (t.name === '.kconfig') {
      // Laid out by the extern pass; externs become allocated globals.
      for (const v of vars) {
        const vt = types[v.type];
        const ext = vt.kind === 14 ? kconfig.find((e) => e.name === vt.name) : undefined;
        if (ext) {
          v.offset = ext.offset;
          setVar(v.type, BTF_VAR_GLOBAL_ALLOCATED);
        }
      }
      size = kconfig.reduce((m, e) => Math.max(m, e.offset + e.size), 0);
    } else if (t.name === '.ksyms') {
      // no layout: ksym externs are resolved against kernel BTF, not stored
    } else {
      const fixOffsets = size === 0;
      if (fixOffsets) {
        const sec = elf.sections.find((s) => s.name === t.name);
        if (!sec || sec.size === 0) fail(`sec '${t.name}': failed to determine size from ELF`);
        size = sec!.size;
      }
      for (const v of vars) {
        const vt = types[v.type];
        if (vt.kind !== 14) fail(`sec '${t.name}': unexpected non-VAR type [${v.type}] found`);
        const linkage = (vt as { linkage: number }).linkage;
        if (linkage === BTF_VAR_STATIC || linkage === BTF_VAR_GLOBAL_EXTERN) continue;
        // libbpf find_elf_var_sym: a global or weak STT_OBJECT of that name.
        const sym = elf.symbols.find((s) => s.name === vt.name && s.type === STT_OBJECT && (s.bind === STB_GLOBAL || s.bind === STB_WEAK));
        if (!sym) fail(`sec '${t.name}': failed to find ELF symbol for VAR '${vt.name}'`);
        if (fixOffsets) v.offset = sym!.value;
        if (sym!.visibility === STV_HIDDEN || sym!.visibility === STV_INTERNAL) setVar(v.type, BTF_VAR_STATIC);
      }
    }
    vars = vars.map((v, i) => ({ v, i })).sort((a, b) => a.v.offset - b.v.offset || a.i - b.i).map((x) => x.v);
    types[t.id] = { ...t, size, vars };
  }
  if (pass === 'data') markHiddenFuncsStatic(types, elf);
  return { types, strings: btf.strings, str: (off: number) => btf.str(off) };
}

/**
 * libbpf (prog->mark_btf_static): a global or weak function with hidden or internal visibility
 * (`__hidden`, e.g. usdt.bpf.h's bpf_usdt_arg) gets a static BTF FUNC, so the kernel verifies it
 * inline with its caller's context instead of on its own as a global function.
 */
function markHiddenFuncsStatic(types: BtfType[], elf: ElfFile): void {
  const hidden = new Set(elf.symbols
    .filter((s) => s.type === STT_FUNC && (s.bind === STB_GLOBAL || s.bind === STB_WEAK) && (s.visibility === STV_HIDDEN || s.visibility === STV_INTERNAL))
    .map((s) => s.name));
  if (!hidden.size) return;
  for (let id = 1; id < types.length; id++) {
    const t = types[id];
    if (t.kind === 12 && t.linkage !== BTF_FUNC_STATIC && hidden.has(t.name)) types[id] = { ...t, linkage: BTF_FUNC_STATIC };
  }
}
