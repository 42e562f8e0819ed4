/**
 * loadObject(): ELF → BpfObject, the open + relocate half of libbpf's
 * bpf_object__open()/bpf_object__load() (no kernel objects are created).
 */
import type { BpfObject, LoadOptions, MapVariable, ProgramSpec } from './api';
import { parseBtfExt, BtfExt } from './btf/ext';
import { parseBtf } from './btf/parse';
import { fixupDatasecs } from './btf/fixup';
import type { Btf } from './btf/types';
import { applyCoreRelo, CoreError } from './core/apply';
import { parseElf } from './elf/parse';
import { ElfFile, SHT_PROGBITS } from './elf/types';
import { LoaderError } from './errors';
import { isGplCompatible } from '@bpfsim/uapi';
import { collectMaps } from './maps';
import { CodeSection, collectCode, linkProgram } from './relocate';
import { findSectionDef } from './section-defs';

/** Parse and relocate an eBPF object file. Throws LoaderError on bad input. */
export function loadObject(bytes: Uint8Array, opts: LoadOptions): BpfObject {
  const file = opts.file;
  const elf = parseElf(bytes, file);
  const license = readLicense(elf);
  const kernVersion = readVersion(elf);

  const btfSec = elf.sections.find((s) => s.name === '.BTF' && s.type === SHT_PROGBITS);
  const rawBtf = btfSec ? parseBtf(btfSec.data, file, btfSec.offset) : undefined;
  const extSec = elf.sections.find((s) => s.name === '.BTF.ext' && s.type === SHT_PROGBITS);
  const ext = extSec && rawBtf ? parseBtfExt(extSec.data, rawBtf, file, extSec.offset) : undefined;

  // libbpf's DATASEC fixups, in its order: data sections before maps, .kconfig after the externs are placed.
  let btf = rawBtf ? fixupDatasecs(rawBtf, elf, 'data') : undefined;
  const maps = collectMaps(elf, btf, opts.kconfig, objectName(file), opts.allowMissingKconfig);
  if (btf) btf = fixupDatasecs(btf, elf, 'kconfig', maps.kconfigExterns);
  for (const m of maps.maps) {
    if (btf && m.source !== 'btf' && m.source !== 'legacy' && m.btfValueTypeId) m.variables = datasecVariables(btf, m.btfValueTypeId);
  }
  const code = collectCode(elf, maps);
  if (ext && btf) applyCore(file, btf, ext, code, opts.targetBtf);

  const text = elf.sections.find((s) => s.name === '.text');
  const programs: ProgramSpec[] = [];
  // libbpf orders programs by section index, then offset; .text functions are sub-programs.
  for (const cs of [...code.values()].sort((a, b) => a.section.index - b.section.index)) {
    if (cs.section.name === '.text') continue;
    const info = findSectionDef(cs.section.name);
    for (const fn of cs.funcs) {
      if (!fn.global) {
        throw new LoaderError('PROG_INVALID', file, cs.section.offset + fn.start * 8, `sec '${cs.section.name}': program '${fn.name}' is static and not supported; expected a global function`);
      }
      if (!info) {
        throw new LoaderError('SEC_UNKNOWN', file, cs.section.offset,
          `prog '${fn.name}': unrecognised SEC("${cs.section.name}"); expected a libbpf section name such as xdp, tc, kprobe/FN, tracepoint/CAT/NAME`);
      }
      // linkProgram's errors already name the program.
      const linked = linkProgram(file, code, text?.index, fn, btf, ext);
      programs.push({
        name: fn.name,
        section: cs.section.name,
        sectionOffset: fn.start * 8,
        progType: info.progType as ProgramSpec['progType'],
        expectedAttachType: info.expectedAttachType as ProgramSpec['expectedAttachType'],
        attachTarget: info.attachTarget,
        sleepable: info.sleepable,
        progFlags: info.progFlags,
        ...linked,
      });
    }
  }
  // Prog-array slots must name programs of this object (libbpf: "prog '%s' not found").
  for (const m of maps.maps) {
    for (const s of m.initSlots ?? []) {
      if (s.kind === 'prog' && !programs.some((p) => p.name === s.target)) {
        throw new LoaderError('MAP_INVALID', file, undefined, `map '${m.name}': slot [${s.index}] refers to '${s.target}', which is not a program of this object`);
      }
      if (s.kind === 'map' && !maps.maps.some((x) => x.name === s.target)) {
        throw new LoaderError('MAP_INVALID', file, undefined, `map '${m.name}': slot [${s.index}] refers to '${s.target}', which is not a map of this object`);
      }
    }
  }
  return {
    file,
    name: objectName(file),
    license,
    gplCompatible: isGplCompatible(license),
    kernVersion,
    programs,
    maps: maps.maps,
    btf,
    kconfigExterns: maps.kconfigExterns,
    coreResolved: opts.targetBtf !== undefined,
  };
}

/** The variables of a (fixed-up) DATASEC, for reading global data by name. */
function datasecVariables(btf: Btf, id: number): MapVariable[] {
  const t = btf.types[id];
  if (t?.kind !== 15) return [];
  return t.vars.map((v) => ({ name: btf.types[v.type].name, offset: v.offset, size: v.size, typeId: (btf.types[v.type] as { type?: number }).type ?? 0 }));
}

/** libbpf bpf_object__new: the basename copied into obj->name[16] (15 characters), then cut at its first '.'. */
function objectName(file: string): string {
  const base = (file.split('/').pop() ?? file).slice(0, 15);
  const dot = base.indexOf('.');
  return dot >= 0 ? base.slice(0, dot) : base;
}

function readLicense(elf: ElfFile): string {
  const s = elf.sections.find((x) => x.name === 'license');
  if (!s) return '';
  const end = s.data.indexOf(0);
  // libbpf copies at most sizeof(obj->license) - 1 = 63 bytes, up to the first NUL.
  return Buffer.from(s.data.subarray(0, Math.min(end < 0 ? s.data.length : end, 63))).toString('latin1');
}

function readVersion(elf: ElfFile): number | undefined {
  const s = elf.sections.find((x) => x.name === 'version');
  if (!s) return undefined;
  if (s.size !== 4) throw new LoaderError('ELF_BAD_HEADER', elf.file, s.offset, `section version: expected 4 bytes, found ${s.size}`);
  return new DataView(s.data.buffer, s.data.byteOffset, 4).getUint32(0, true);
}

function applyCore(file: string, btf: Btf, ext: BtfExt, code: Map<number, CodeSection>, target: Btf | undefined): void {
  const byName = new Map([...code.values()].map((c) => [c.section.name, c]));
  // In .BTF.ext order (Map insertion order is file order), as libbpf walks them.
  for (const [secName, recs] of ext.coreRelos) {
    const cs = byName.get(secName);
    if (!cs) throw new LoaderError('CORE_FAILED', file, undefined, `.BTF.ext: CO-RE relocations for section '${secName}', which has no code`);
    recs.forEach((rec, i) => {
      try {
        const r = applyCoreRelo(btf, rec, cs.insns, target);
        cs.core.set(r.insn, r);
      } catch (e) {
        if (e instanceof CoreError) {
          throw new LoaderError('CORE_FAILED', file, cs.section.offset + rec.insnOff, `sec '${secName}': CO-RE relo #${i}: ${e.message}`);
        }
        throw e;
      }
    });
  }
}
