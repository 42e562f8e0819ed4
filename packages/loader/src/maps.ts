/**
 * Map definitions, as libbpf's bpf_object__init_maps() finds them: the legacy
 * `maps` section, BTF-defined `.maps`, global data sections (.data, .rodata,
 * .bss and their .* variants) and the `.kconfig` extern area.
 */
import { BpfMapType } from '@bpfsim/uapi';
import type { KconfigExtern, MapInitSlot, MapSpec } from './api';
import { typeName, skipModsAndTypedefs, typeSize } from './btf/query';
import { Btf, BtfType, BTF_INT_BOOL, BTF_INT_SIGNED, BTF_INT_CHAR } from './btf/types';
import { ElfFile, ElfSection, SHT_NOBITS, SHN_UNDEF, STB_WEAK, STT_SECTION, ElfSymbol } from './elf/types';
import { LoaderError } from './errors';

export const BPF_F_NO_PREALLOC = 1;
export const BPF_F_RDONLY_PROG = 1 << 7;
export const BPF_F_MMAPABLE = 1 << 10;

/** Section classes of global data, as libbpf names them. */
export type DataKind = 'data' | 'rodata' | 'bss';

export function dataKind(s: ElfSection): DataKind | undefined {
  const n = s.name;
  if (n === '.data' || n.startsWith('.data.')) return s.type === SHT_NOBITS ? undefined : 'data';
  if (n === '.rodata' || n.startsWith('.rodata.')) return s.type === SHT_NOBITS ? undefined : 'rodata';
  if ((n === '.bss' || n.startsWith('.bss.')) && s.type === SHT_NOBITS) return 'bss';
  return undefined;
}

/** Everything the relocator needs to find a map from a symbol. */
export interface MapTable {
  maps: MapSpec[];
  /** (section index, offset) → map index, for legacy and BTF map symbols. */
  bySymbol: Map<string, number>;
  /** section index → map index, for global data. */
  bySection: Map<number, number>;
  kconfigMap?: number;
  kconfigExterns: KconfigExtern[];
}

const key = (shndx: number, off: number) => `${shndx}:${off}`;

export function collectMaps(elf: ElfFile, btf: Btf | undefined, kconfig: LoadKconfig, objName: string, allowMissing = false): MapTable {
  const t: MapTable = { maps: [], bySymbol: new Map(), bySection: new Map(), kconfigExterns: [] };
  legacyMaps(elf, t);
  btfMaps(elf, btf, t);
  globalData(elf, btf, t);
  kconfigMap(elf, btf, t, kconfig, allowMissing);
  for (const m of t.maps) if (m.source !== 'btf' && m.source !== 'legacy') m.kernelName = internalMapName(objName, m.name);
  return t;
}

const BPF_OBJ_NAME_LEN = 16;

/**
 * libbpf internal_map_name(): the name an internal map is created with —
 * "<obj prefix><section>" within 15 characters ("global_d.rodata"), or the
 * section name alone when it has a second dot (".rodata.cfg"); characters the
 * kernel refuses become '_'.
 */
export function internalMapName(objName: string, section: string): string {
  const sfxLen = Math.max(7, section.length);
  const pfxLen = section.indexOf('.', 1) >= 0 ? 0 : Math.max(0, Math.min(BPF_OBJ_NAME_LEN - sfxLen - 1, objName.length));
  const name = (objName.slice(0, pfxLen) + section.slice(0, sfxLen)).slice(0, BPF_OBJ_NAME_LEN - 1);
  return name.replace(/[^A-Za-z0-9_.]/g, '_');
}

function emptyMap(name: string, section: ElfSection, offset: number, source: MapSpec['source']): MapSpec {
  return {
    // bpf_map_create copies the name with libbpf_strlcpy into the 16-byte map_name: 15 characters reach the kernel.
    name, kernelName: name.slice(0, BPF_OBJ_NAME_LEN - 1), type: 0 as MapSpec['type'], keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, pinning: 0, numaNode: 0,
    mapExtra: 0n, source, btfKeyTypeId: 0, btfValueTypeId: 0, frozen: false, section: section.name, sectionOffset: offset,
  };
}

/** struct bpf_map_def in SEC("maps"): type, key_size, value_size, max_entries, map_flags (u32 each). */
function legacyMaps(elf: ElfFile, t: MapTable): void {
  const sec = elf.sections.find((s) => s.name === 'maps');
  if (!sec) return;
  const syms = elf.symbols.filter((s) => s.shndx === sec.index && s.type !== STT_SECTION && s.name).sort((a, b) => a.value - b.value || a.index - b.index);
  if (syms.length === 0) return;
  // libbpf: every definition has the same size, the section size divided by the number of maps.
  const defSize = Math.floor(sec.size / syms.length);
  if (defSize < 20 || sec.size % syms.length !== 0) {
    throw new LoaderError('MAP_INVALID', elf.file, sec.offset,
      `maps: ${syms.length} map symbols in ${sec.size} bytes; expected equal struct bpf_map_def entries of at least 20 bytes`);
  }
  const dv = new DataView(sec.data.buffer, sec.data.byteOffset, sec.data.byteLength);
  for (let k = 1; k < syms.length; k++) {
    if (syms[k].value === syms[k - 1].value) {
      throw new LoaderError('MAP_INVALID', elf.file, sec.offset + syms[k].value, `maps: '${syms[k - 1].name}' and '${syms[k].name}' share offset ${syms[k].value}; expected one definition each`);
    }
  }
  for (const s of syms) {
    if (s.value % defSize !== 0 || s.value + defSize > sec.size) {
      throw new LoaderError('MAP_INVALID', elf.file, sec.offset + s.value, `maps: map '${s.name}' at offset ${s.value} is not at a ${defSize}-byte slot`);
    }
    // Bytes past the 20 known ones must be zero (libbpf refuses unknown set fields).
    for (let k = 20; k < defSize; k++) {
      if (sec.data[s.value + k] !== 0) {
        throw new LoaderError('MAP_INVALID', elf.file, sec.offset + s.value + k, `maps: map '${s.name}' has unknown non-zero bytes in its definition`);
      }
    }
    const m = emptyMap(s.name, sec, s.value, 'legacy');
    m.type = dv.getUint32(s.value, true) as MapSpec['type'];
    m.keySize = dv.getUint32(s.value + 4, true);
    m.valueSize = dv.getUint32(s.value + 8, true);
    m.maxEntries = dv.getUint32(s.value + 12, true);
    m.flags = dv.getUint32(s.value + 16, true);
    t.bySymbol.set(key(sec.index, s.value), t.maps.length);
    t.maps.push(m);
  }
}

function findDatasec(btf: Btf | undefined, name: string): Extract<BtfType, { kind: 15 }> | undefined {
  return btf?.types.find((x): x is Extract<BtfType, { kind: 15 }> => x.kind === 15 && x.name === name);
}

/** `int (*name)[N]` → N (libbpf get_map_field_int). */
function uintField(btf: Btf, file: string, map: string, field: string, typeId: number): number {
  const p = btf.types[typeId];
  const arr = p?.kind === 2 ? skipModsAndTypedefs(btf, p.type) : undefined;
  if (!arr || arr.kind !== 3) {
    throw new LoaderError('MAP_INVALID', file, undefined, `map '${map}': attr '${field}': expected __uint() (a pointer to an array), found ${p ? typeName(btf, typeId) : 'nothing'}`);
  }
  return arr.nelems;
}

/** Parse one BTF map definition struct (libbpf parse_btf_map_def). */
function parseBtfMapDef(btf: Btf, file: string, name: string, structId: number, section: ElfSection, offset: number, isInner: boolean): { map: MapSpec; valuesType?: number; valuesMemberOff?: number } {
  const def = skipModsAndTypedefs(btf, structId);
  if (def.kind !== 4) throw new LoaderError('MAP_INVALID', file, undefined, `map '${name}': expected a struct definition, found ${typeName(btf, structId)}`);
  const m = emptyMap(name, section, offset, 'btf');
  let valuesType: number | undefined;
  let valuesMemberOff: number | undefined;
  for (const mem of def.members) {
    const f = mem.name;
    switch (f) {
      case 'type': m.type = uintField(btf, file, name, f, mem.type) as MapSpec['type']; break;
      case 'max_entries': m.maxEntries = uintField(btf, file, name, f, mem.type); break;
      case 'map_flags': m.flags = uintField(btf, file, name, f, mem.type); break;
      case 'numa_node': m.numaNode = uintField(btf, file, name, f, mem.type); break;
      case 'pinning': {
        m.pinning = uintField(btf, file, name, f, mem.type);
        if (isInner) throw new LoaderError('MAP_INVALID', file, undefined, `map '${name}': inner map definition can't be pinned`);
        if (m.pinning > 1) throw new LoaderError('MAP_INVALID', file, undefined, `map '${name}': invalid pinning value ${m.pinning}; expected LIBBPF_PIN_NONE (0) or LIBBPF_PIN_BY_NAME (1)`);
        break;
      }
      case 'map_extra': m.mapExtra = BigInt(uintField(btf, file, name, f, mem.type)); break;
      case 'key_size': case 'value_size': {
        const v = uintField(btf, file, name, f, mem.type);
        const cur = f === 'key_size' ? m.keySize : m.valueSize;
        if (cur && cur !== v) throw new LoaderError('MAP_INVALID', file, undefined, `map '${name}': conflicting ${f} ${cur} != ${v}`);
        if (f === 'key_size') m.keySize = v; else m.valueSize = v;
        break;
      }
      case 'key': case 'value': {
        const p = btf.types[mem.type];
        if (p?.kind !== 2) throw new LoaderError('MAP_INVALID', file, undefined, `map '${name}': ${f} spec is not PTR: ${typeName(btf, mem.type)}`);
        const sz = typeSize(btf, p.type, file);
        if (f === 'key') {
          if (m.keySize && m.keySize !== sz) throw new LoaderError('MAP_INVALID', file, undefined, `map '${name}': conflicting key size ${m.keySize} != ${sz}`);
          m.keySize = sz; m.btfKeyTypeId = p.type; m.keyTypeName = typeName(btf, p.type);
        } else {
          if (m.valueSize && m.valueSize !== sz) throw new LoaderError('MAP_INVALID', file, undefined, `map '${name}': conflicting value size ${m.valueSize} != ${sz}`);
          m.valueSize = sz; m.btfValueTypeId = p.type; m.valueTypeName = typeName(btf, p.type);
        }
        break;
      }
      case 'values': {
        // __array(values, T): a zero-length array of pointers to T, last member.
        const a = btf.types[mem.type];
        if (a?.kind !== 3 || a.nelems !== 0) throw new LoaderError('MAP_INVALID', file, undefined, `map '${name}': values spec is not a zero-sized array`);
        const p = skipModsAndTypedefs(btf, a.elemType);
        if (p.kind !== 2) throw new LoaderError('MAP_INVALID', file, undefined, `map '${name}': values spec is not an array of pointers`);
        valuesType = p.type;
        valuesMemberOff = mem.bitOffset / 8;
        break;
      }
      default:
        throw new LoaderError('MAP_INVALID', file, undefined, `map '${name}': unknown field '${f}'`);
    }
  }
  if (m.type === 0) throw new LoaderError('MAP_INVALID', file, undefined, `map '${name}': missing map type`);
  if (m.type === BpfMapType.RINGBUF || m.type === BpfMapType.USER_RINGBUF) m.maxEntries = adjustRingbufSize(m.maxEntries);
  return { map: m, valuesType, valuesMemberOff };
}

/** The profile's page size (x86-64). */
const PAGE_SIZE = 4096;

/**
 * libbpf adjust_ringbuf_sz (at open, for RINGBUF and USER_RINGBUF): the kernel wants a
 * power-of-2 multiple of the page size, so libbpf rounds a size that is not one up to the
 * smallest such multiple above it; 0 and sizes it cannot round stay as declared.
 */
export function adjustRingbufSize(sz: number): number {
  if (sz === 0) return 0;
  const pages = sz / PAGE_SIZE;
  if (sz % PAGE_SIZE === 0 && (pages & (pages - 1)) === 0) return sz;
  for (let mul = 1; mul <= Math.floor(0xffffffff / PAGE_SIZE); mul *= 2) if (mul * PAGE_SIZE > sz) return mul * PAGE_SIZE;
  return sz;
}

const isMapInMap = (t: number) => t === BpfMapType.ARRAY_OF_MAPS || t === BpfMapType.HASH_OF_MAPS;

function btfMaps(elf: ElfFile, btf: Btf | undefined, t: MapTable): void {
  const sec = elf.sections.find((s) => s.name === '.maps');
  if (!sec) return;
  const ds = findDatasec(btf, '.maps');
  if (!btf || !ds) throw new LoaderError('MAP_INVALID', elf.file, sec.offset, '.maps section needs BTF: expected a DATASEC .maps in .BTF (compile with -g)');
  const file = elf.file;
  const inits: { mapIndex: number; valuesOff: number; kind: 'map' | 'prog' }[] = [];
  for (const v of ds.vars) {
    const vt = btf.types[v.type];
    if (vt.kind !== 14) throw new LoaderError('MAP_INVALID', file, undefined, `.maps: DATASEC entry ${v.type} is not a VAR`);
    const sym = elf.symbols.find((s) => s.shndx === sec.index && s.name === vt.name);
    if (!sym) throw new LoaderError('MAP_INVALID', file, undefined, `.maps: no ELF symbol for map '${vt.name}'`);
    const { map, valuesType, valuesMemberOff } = parseBtfMapDef(btf, file, vt.name, vt.type, sec, sym.value, false);
    if (valuesType !== undefined) {
      if (isMapInMap(map.type)) {
        const inner = parseBtfMapDef(btf, file, `${vt.name}.inner`, valuesType, sec, sym.value, true);
        map.innerMap = inner.map;
        if (map.valueSize && map.valueSize !== 4) throw new LoaderError('MAP_INVALID', file, undefined, `map '${vt.name}': map-in-map value size must be 4`);
        map.valueSize = 4;
        inits.push({ mapIndex: t.maps.length, valuesOff: sym.value + (valuesMemberOff ?? 0), kind: 'map' });
      } else if (map.type === BpfMapType.PROG_ARRAY) {
        const fp = skipModsAndTypedefs(btf, valuesType);
        if (fp.kind !== 13) throw new LoaderError('MAP_INVALID', file, undefined, `map '${vt.name}': prog-array value def is of unexpected kind`);
        map.valueSize = 4;
        inits.push({ mapIndex: t.maps.length, valuesOff: sym.value + (valuesMemberOff ?? 0), kind: 'prog' });
      } else {
        throw new LoaderError('MAP_INVALID', file, undefined, `map '${vt.name}': 'values' is only for map-in-map and prog arrays`);
      }
    }
    t.bySymbol.set(key(sec.index, sym.value), t.maps.length);
    t.maps.push(map);
  }
  // `.values = { ... }`: R_BPF_64_ABS64 relocations inside .maps at the values slots.
  const rels = elf.rels.get(sec.index) ?? [];
  for (const r of rels) {
    const init = [...inits].reverse().find((i) => r.offset >= i.valuesOff);
    const sym = elf.symbols[r.sym];
    if (!init) throw new LoaderError('MAP_INVALID', file, r.fileOffset, `.maps: relocation at offset ${r.offset} is not inside a 'values' initialiser`);
    const idx = (r.offset - init.valuesOff) / 8;
    if (!Number.isInteger(idx)) throw new LoaderError('MAP_INVALID', file, r.fileOffset, `.maps: relocation at offset ${r.offset} is not 8-byte aligned in 'values'`);
    const m = t.maps[init.mapIndex];
    if (idx >= m.maxEntries) throw new LoaderError('MAP_INVALID', file, r.fileOffset, `map '${m.name}': values slot ${idx} is beyond max_entries ${m.maxEntries}`);
    const slot: MapInitSlot = { index: idx, kind: init.kind, target: sym.name };
    (m.initSlots ??= []).push(slot);
  }
  for (const m of t.maps) m.initSlots?.sort((a, b) => a.index - b.index);
}

function globalData(elf: ElfFile, btf: Btf | undefined, t: MapTable): void {
  for (const s of elf.sections) {
    const kind = dataKind(s);
    if (!kind || s.size === 0) continue;
    if (s.size > MAX_GLOBAL_DATA) {
      throw new LoaderError('MAP_INVALID', elf.file, s.offset,
        `section ${s.name}: ${s.size} bytes of global data; expected at most ${MAX_GLOBAL_DATA} (bpfsim's limit; the kernel's KMALLOC_MAX_SIZE is lower)`);
    }
    const m = emptyMap(s.name, s, 0, kind);
    m.type = BpfMapType.ARRAY;
    m.keySize = 4;
    m.valueSize = s.size;
    m.maxEntries = 1;
    const ds = findDatasec(btf, s.name);
    if (ds) m.btfValueTypeId = ds.id;
    // libbpf map_is_mmapable(): only when the section holds a non-static variable.
    const mmapable = ds !== undefined && ds.vars.some((v) => {
      const vt = btf!.types[v.type];
      return vt.kind === 14 && vt.linkage !== 0;
    });
    m.flags = (kind === 'rodata' ? BPF_F_RDONLY_PROG : 0) | (mmapable ? BPF_F_MMAPABLE : 0);
    m.frozen = kind === 'rodata';
    m.initialValue = kind === 'bss' ? new Uint8Array(s.size) : Uint8Array.from(s.data);
    t.bySection.set(s.index, t.maps.length);
    t.maps.push(m);
  }
}

/** Largest global-data section bpfsim materialises (a .bss of absurd size must not exhaust memory). */
const MAX_GLOBAL_DATA = 1 << 26;

export type LoadKconfig = Readonly<Record<string, import('./api').KconfigValue>> | undefined;

/** libbpf's extern layout: kcfg externs sorted by alignment (desc), size (asc), name. */
function kconfigMap(elf: ElfFile, btf: Btf | undefined, t: MapTable, values: LoadKconfig, allowMissing: boolean): void {
  const ds = findDatasec(btf, '.kconfig');
  if (!btf || !ds) return;
  const file = elf.file;
  const exts: (KconfigExtern & { align: number })[] = [];
  for (const v of ds.vars) {
    const vt = btf.types[v.type];
    if (vt.kind !== 14) continue;
    const sym: ElfSymbol | undefined = elf.symbols.find((s) => s.shndx === SHN_UNDEF && s.name === vt.name);
    if (!sym) throw new LoaderError('MAP_INVALID', file, undefined, `.kconfig: extern '${vt.name}' has no ELF symbol`);
    const ty = skipModsAndTypedefs(btf, vt.type);
    const size = typeSize(btf, vt.type, file);
    let type: KconfigExtern['type'];
    let signed = false;
    let align = size;
    if (ty.kind === 1) {
      if (ty.encoding & BTF_INT_BOOL || (ty.name === '_Bool' && size === 1)) type = 'bool';
      else if (ty.encoding & BTF_INT_CHAR && size === 1) type = 'char';
      else type = 'int';
      signed = (ty.encoding & BTF_INT_SIGNED) !== 0;
    } else if (ty.kind === 6 && ty.name === 'libbpf_tristate') {
      type = 'tristate';
    } else if (ty.kind === 3) {
      const el = skipModsAndTypedefs(btf, ty.elemType);
      if (el.kind !== 1 || el.size !== 1) throw new LoaderError('MAP_INVALID', file, undefined, `extern (kcfg) '${vt.name}': unsupported array type`);
      type = 'char_array';
      align = 1;
    } else {
      throw new LoaderError('MAP_INVALID', file, undefined, `extern (kcfg) '${vt.name}': type is not bool, tristate, char, int or char array`);
    }
    if (type === 'int' && ![1, 2, 4, 8].includes(size)) throw new LoaderError('MAP_INVALID', file, undefined, `extern (kcfg) '${vt.name}': unsupported size ${size}`);
    exts.push({ name: vt.name, offset: 0, size, type, signed, weak: sym.bind === STB_WEAK, align });
  }
  exts.sort((a, b) => b.align - a.align || a.size - b.size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let off = 0;
  for (const e of exts) {
    off = Math.ceil(off / e.align) * e.align;
    e.offset = off;
    off += e.size;
  }
  const data = new Uint8Array(off);
  const dv = new DataView(data.buffer);
  for (const e of exts) {
    const v = values?.[e.name];
    if (v === undefined) {
      if (!e.weak && !allowMissing) throw new LoaderError('KCONFIG_MISSING', file, undefined, `extern (kcfg) '${e.name}': value not found (strong extern needs the simulated kernel to provide it)`);
      continue;
    }
    e.value = v;
    writeKconfig(file, e, v, data, dv);
  }
  const sec: ElfSection = { index: -1, name: '.kconfig', type: SHT_NOBITS, flags: 0, offset: 0, size: off, link: 0, info: 0, addralign: 8, entsize: 0, data: new Uint8Array(0) };
  const m = emptyMap('.kconfig', sec, 0, 'kconfig');
  m.type = BpfMapType.ARRAY;
  m.keySize = 4;
  m.valueSize = off;
  m.maxEntries = 1;
  m.flags = BPF_F_RDONLY_PROG | BPF_F_MMAPABLE;
  m.frozen = true;
  m.initialValue = data;
  m.btfValueTypeId = ds.id;
  t.kconfigMap = t.maps.length;
  t.maps.push(m);
  t.kconfigExterns = exts.map(({ align: _a, ...e }) => e);
}

/** libbpf set_kcfg_value_{tri,str,num}. */
function writeKconfig(file: string, e: KconfigExtern, v: import('./api').KconfigValue, data: Uint8Array, dv: DataView): void {
  const bad = (why: string): never => {
    throw new LoaderError('MAP_INVALID', file, undefined, `extern (kcfg) '${e.name}': ${why}`);
  };
  const tri = v === true ? 'y' : v === false ? 'n' : v;
  switch (e.type) {
    case 'bool':
      if (tri === 'm') bad("value 'm' for a bool");
      if (tri !== 'y' && tri !== 'n') bad(`expected y/n, got ${String(v)}`);
      data[e.offset] = tri === 'y' ? 1 : 0;
      return;
    case 'tristate':
      if (tri !== 'y' && tri !== 'n' && tri !== 'm') bad(`expected y/n/m, got ${String(v)}`);
      data[e.offset] = tri === 'y' ? 1 : tri === 'm' ? 2 : 0;
      return;
    case 'char':
      if (tri !== 'y' && tri !== 'n' && tri !== 'm') bad(`expected y/n/m for a char, got ${String(v)}`);
      data[e.offset] = (tri as string).charCodeAt(0);
      return;
    case 'char_array': {
      if (typeof v !== 'string') bad('expected a string');
      const b = Buffer.from(v as string, 'utf8');
      data.set(b.subarray(0, e.size - 1), e.offset);
      return;
    }
    case 'int': {
      if (typeof v !== 'number' && typeof v !== 'bigint') bad(`expected a number, got ${String(v)}`);
      const n = BigInt(v as number | bigint);
      const bits = BigInt(e.size * 8);
      const fits = e.signed ? n >= -(1n << (bits - 1n)) && n < 1n << (bits - 1n) : n >= 0n && n < 1n << bits;
      if (!fits) bad(`value ${n} does not fit in ${e.size} bytes`);
      const u = BigInt.asUintN(64, n);
      if (e.size === 8) dv.setBigUint64(e.offset, u, true);
      else if (e.size === 4) dv.setUint32(e.offset, Number(u & 0xffffffffn), true);
      else if (e.size === 2) dv.setUint16(e.offset, Number(u & 0xffffn), true);
      else dv.setUint8(e.offset, Number(u & 0xffn));
      return;
    }
  }
}
