/**
 * ELF64 little-endian EM_BPF parsing with every offset checked: a malformed
 * file yields a LoaderError naming the byte offset and what was expected.
 */
import { LoaderError } from '../errors';
import {
  ElfFile, ElfRel, ElfSection, ElfSymbol, SHN_ABS, SHN_COMMON, SHT_NOBITS, SHT_NULL, SHT_REL, SHT_STRTAB,
  SHT_SYMTAB, RelocTypeName,
} from './types';

const EM_BPF = 247;
const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;
/** Guard against absurd tables in fuzzed headers (a real object has a few hundred sections). */
const MAX_SECTIONS = 65280;

/** Bounds-checked little-endian reads over the file. */
class Reader {
  private readonly dv: DataView;
  constructor(readonly file: string, readonly bytes: Uint8Array) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(at: number, n: number, what: string): void {
    if (at < 0 || n < 0 || at + n > this.bytes.length) {
      throw new LoaderError('ELF_TRUNCATED', this.file, at,
        `expected ${what} (${n} bytes) but the file is ${this.bytes.length} bytes long`);
    }
  }
  u8(at: number, what: string): number { this.need(at, 1, what); return this.dv.getUint8(at); }
  u16(at: number, what: string): number { this.need(at, 2, what); return this.dv.getUint16(at, true); }
  u32(at: number, what: string): number { this.need(at, 4, what); return this.dv.getUint32(at, true); }
  /** A u64 that must fit a JS number (offsets, sizes). */
  u64(at: number, what: string): number {
    this.need(at, 8, what);
    const v = this.dv.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new LoaderError('ELF_BAD_OFFSET', this.file, at, `${what} ${v} is not a usable size or offset`);
    }
    return Number(v);
  }
}

/** NUL-terminated string at `off` inside a string table. */
export function readCString(file: string, table: Uint8Array, tableFileOffset: number, off: number, what: string): string {
  if (off >= table.length) {
    throw new LoaderError('ELF_BAD_STRING', file, tableFileOffset,
      `${what}: string offset ${off} is outside the string table (${table.length} bytes)`);
  }
  const end = table.indexOf(0, off);
  if (end < 0) {
    throw new LoaderError('ELF_BAD_STRING', file, tableFileOffset + off, `${what}: string is not NUL-terminated`);
  }
  return latin1(table, off, end);
}

/** Decode bytes as UTF-8 (names are ASCII in practice). */
export function latin1(b: Uint8Array, from: number, to: number): string {
  return Buffer.from(b.buffer, b.byteOffset + from, to - from).toString('utf8');
}

export function parseElf(bytes: Uint8Array, file: string): ElfFile {
  const r = new Reader(file, bytes);
  if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    if (bytes.length < 4) r.need(0, 4, 'the ELF magic \\x7fELF');
    throw new LoaderError('ELF_BAD_MAGIC', file, 0, 'expected the ELF magic \\x7fELF');
  }
  r.need(0, EHDR_SIZE, 'an ELF64 header');
  const cls = r.u8(4, 'EI_CLASS');
  if (cls !== 2) throw new LoaderError('ELF_BAD_CLASS', file, 4, `expected ELFCLASS64 (2), found ${cls}`);
  const data = r.u8(5, 'EI_DATA');
  if (data !== 1) throw new LoaderError('ELF_BAD_ENDIAN', file, 5, `expected ELFDATA2LSB (1, little-endian), found ${data}`);
  const machine = r.u16(18, 'e_machine');
  if (machine !== EM_BPF) throw new LoaderError('ELF_BAD_MACHINE', file, 18, `expected e_machine EM_BPF (247), found ${machine}`);
  const shoff = r.u64(40, 'e_shoff');
  const shentsize = r.u16(58, 'e_shentsize');
  const shnum = r.u16(60, 'e_shnum');
  const shstrndx = r.u16(62, 'e_shstrndx');
  if (shnum === 0) throw new LoaderError('ELF_BAD_HEADER', file, 60, 'expected at least one section (e_shnum is 0)');
  if (shentsize !== SHDR_SIZE) throw new LoaderError('ELF_BAD_HEADER', file, 58, `expected e_shentsize ${SHDR_SIZE}, found ${shentsize}`);
  if (shnum > MAX_SECTIONS) throw new LoaderError('ELF_BAD_HEADER', file, 60, `e_shnum ${shnum} is larger than supported`);
  if (shstrndx >= shnum) throw new LoaderError('ELF_BAD_HEADER', file, 62, `e_shstrndx ${shstrndx} is not a section index (< ${shnum})`);
  if (shoff < EHDR_SIZE) throw new LoaderError('ELF_BAD_OFFSET', file, 40, `e_shoff ${shoff} overlaps the ELF header`);
  r.need(shoff, shnum * SHDR_SIZE, `${shnum} section headers at e_shoff ${shoff}`);

  // Section headers, then their bytes.
  const raw: { at: number; nameOff: number; type: number; flags: number; offset: number; size: number; link: number; info: number; addralign: number; entsize: number }[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * SHDR_SIZE;
    const h = {
      at,
      nameOff: r.u32(at, 'sh_name'),
      type: r.u32(at + 4, 'sh_type'),
      flags: r.u64(at + 8, 'sh_flags'),
      offset: r.u64(at + 24, 'sh_offset'),
      size: r.u64(at + 32, 'sh_size'),
      link: r.u32(at + 40, 'sh_link'),
      info: r.u32(at + 44, 'sh_info'),
      addralign: r.u64(at + 48, 'sh_addralign'),
      entsize: r.u64(at + 56, 'sh_entsize'),
    };
    if (h.type !== SHT_NOBITS && h.type !== SHT_NULL && h.offset + h.size > bytes.length) {
      throw new LoaderError('ELF_BAD_OFFSET', file, at + 24,
        `section ${i}: expected its ${h.size} bytes at offset ${h.offset} to lie inside the file (${bytes.length} bytes)`);
    }
    raw.push(h);
  }
  // Overlap: no two sections with file bytes share a byte, none overlaps the headers.
  const extents = raw
    .map((h, i) => ({ i, from: h.offset, to: h.offset + h.size }))
    .filter((e, i) => raw[i].type !== SHT_NOBITS && raw[i].type !== SHT_NULL && e.to > e.from);
  extents.push({ i: -1, from: 0, to: EHDR_SIZE }, { i: -2, from: shoff, to: shoff + shnum * SHDR_SIZE });
  extents.sort((a, b) => a.from - b.from || a.to - b.to || a.i - b.i);
  for (let k = 1; k < extents.length; k++) {
    const a = extents[k - 1];
    const b = extents[k];
    if (b.from < a.to) {
      const label = (e: { i: number }) => (e.i === -1 ? 'the ELF header' : e.i === -2 ? 'the section header table' : `section ${e.i}`);
      throw new LoaderError('ELF_OVERLAP', file, b.from,
        `${label(b)} [${b.from}, ${b.to}) overlaps ${label(a)} [${a.from}, ${a.to}); expected disjoint sections`);
    }
  }
  const shstr = raw[shstrndx];
  if (shstr.type !== SHT_STRTAB) {
    throw new LoaderError('ELF_BAD_HEADER', file, shstr.at + 4, `e_shstrndx ${shstrndx} names a section of type ${shstr.type}, expected SHT_STRTAB (3)`);
  }
  const shstrBytes = bytes.subarray(shstr.offset, shstr.offset + shstr.size);
  const sections: ElfSection[] = raw.map((h, i) => ({
    index: i,
    name: i === 0 ? '' : readCString(file, shstrBytes, shstr.offset, h.nameOff, `name of section ${i}`),
    type: h.type,
    flags: h.flags,
    offset: h.offset,
    size: h.size,
    link: h.link,
    info: h.info,
    addralign: h.addralign,
    entsize: h.entsize,
    data: h.type === SHT_NOBITS || h.type === SHT_NULL ? new Uint8Array(0) : bytes.subarray(h.offset, h.offset + h.size),
  }));

  // Symbol table (at most one in a relocatable object).
  const symtabs = sections.filter((s) => s.type === SHT_SYMTAB);
  if (symtabs.length > 1) throw new LoaderError('ELF_BAD_HEADER', file, shoff + symtabs[1].index * SHDR_SIZE, 'expected a single SHT_SYMTAB section');
  const symbols: ElfSymbol[] = [];
  let symtabOffset = 0;
  if (symtabs.length === 1) {
    const st = symtabs[0];
    symtabOffset = st.offset;
    if (st.size % SYM_SIZE !== 0) {
      throw new LoaderError('ELF_BAD_SYMBOL', file, st.offset, `symbol table size ${st.size} is not a multiple of ${SYM_SIZE}`);
    }
    if (st.link >= shnum || sections[st.link].type !== SHT_STRTAB) {
      throw new LoaderError('ELF_BAD_SYMBOL', file, shoff + st.index * SHDR_SIZE + 40, `symbol table sh_link ${st.link} is not a string table`);
    }
    const strtab = sections[st.link];
    for (let k = 0; k < st.size / SYM_SIZE; k++) {
      const at = st.offset + k * SYM_SIZE;
      const info = r.u8(at + 4, 'st_info');
      const shndx = r.u16(at + 6, 'st_shndx');
      if (shndx >= shnum && shndx !== SHN_ABS && shndx !== SHN_COMMON) {
        throw new LoaderError('ELF_BAD_SYMBOL', file, at + 6, `symbol ${k}: st_shndx ${shndx} is not a section index (< ${shnum})`);
      }
      symbols.push({
        index: k,
        name: readCString(file, strtab.data, strtab.offset, r.u32(at, 'st_name'), `name of symbol ${k}`),
        bind: info >> 4,
        type: info & 0xf,
        visibility: r.u8(at + 5, 'st_other') & 3,
        shndx,
        value: r.u64(at + 8, 'st_value'),
        size: r.u64(at + 16, 'st_size'),
      });
    }
  }

  // Relocation sections.
  const rels = new Map<number, ElfRel[]>();
  for (const s of sections) {
    if (s.type !== SHT_REL) continue;
    const hdr = shoff + s.index * SHDR_SIZE;
    if (s.size % REL_SIZE !== 0) throw new LoaderError('ELF_BAD_RELOC', file, s.offset, `${s.name}: size ${s.size} is not a multiple of ${REL_SIZE}`);
    if (s.info >= shnum || s.info === 0) throw new LoaderError('ELF_BAD_RELOC', file, hdr + 44, `${s.name}: sh_info ${s.info} is not a section index`);
    const target = sections[s.info];
    const list: ElfRel[] = rels.get(s.info) ?? [];
    for (let k = 0; k < s.size / REL_SIZE; k++) {
      const at = s.offset + k * REL_SIZE;
      const offset = r.u64(at, 'r_offset');
      const type = r.u32(at + 8, 'r_info type');
      const sym = r.u32(at + 12, 'r_info symbol');
      if (!(type in RelocTypeName)) {
        throw new LoaderError('ELF_BAD_RELOC', file, at + 8,
          `${s.name}: relocation ${k} has unknown type ${type}; expected R_BPF_64_64, R_BPF_64_ABS64, R_BPF_64_ABS32, R_BPF_64_NODYLD32 or R_BPF_64_32`);
      }
      if (sym >= symbols.length) throw new LoaderError('ELF_BAD_RELOC', file, at + 12, `${s.name}: relocation ${k} names symbol ${sym}, expected < ${symbols.length}`);
      if (target.type !== SHT_NOBITS && offset >= target.size) {
        throw new LoaderError('ELF_BAD_RELOC', file, at, `${s.name}: relocation ${k} at offset ${offset} is outside ${target.name} (${target.size} bytes)`);
      }
      list.push({ fileOffset: at, offset, type, sym });
    }
    rels.set(s.info, list);
  }
  return { file, sections, symbols, rels, symtabOffset };
}
