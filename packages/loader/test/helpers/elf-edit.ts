/** Byte-level edits of an ELF object for error tests and the fuzzer (copies, never in place). */
import { parseElf } from '../../src/elf/parse';

export const SHDR_FIELDS = { name: [0, 4], type: [4, 4], flags: [8, 8], offset: [24, 8], size: [32, 8], link: [40, 4], info: [44, 4], entsize: [56, 8] } as const;
export const SYM_FIELDS = { name: [0, 4], info: [4, 1], shndx: [6, 2], value: [8, 8], size: [16, 8] } as const;

function put(b: Uint8Array, at: number, width: number, v: number | bigint): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (width === 8) dv.setBigUint64(at, BigInt.asUintN(64, BigInt(v)), true);
  else if (width === 4) dv.setUint32(at, Number(BigInt.asUintN(32, BigInt(v))), true);
  else if (width === 2) dv.setUint16(at, Number(BigInt.asUintN(16, BigInt(v))), true);
  else dv.setUint8(at, Number(BigInt.asUintN(8, BigInt(v))));
}

export class ElfEdit {
  readonly bytes: Uint8Array;
  constructor(src: Uint8Array) {
    this.bytes = Uint8Array.from(src);
  }
  private elf() {
    return parseElf(this.bytes, 'edit');
  }
  get shoff(): number {
    return Number(new DataView(this.bytes.buffer).getBigUint64(40, true));
  }
  sectionIndex(name: string): number {
    const i = this.elf().sections.findIndex((s) => s.name === name);
    if (i < 0) throw new Error(`no section ${name}`);
    return i;
  }
  section(name: string) {
    return this.elf().sections[this.sectionIndex(name)];
  }
  /** File offset of a section header field. */
  shdrField(index: number, field: keyof typeof SHDR_FIELDS): number {
    return this.shoff + index * 64 + SHDR_FIELDS[field][0];
  }
  setShdr(index: number, field: keyof typeof SHDR_FIELDS, v: number | bigint): this {
    put(this.bytes, this.shdrField(index, field), SHDR_FIELDS[field][1], v);
    return this;
  }
  symbolOffset(name: string): number {
    const elf = this.elf();
    const sym = elf.symbols.find((s) => s.name === name);
    if (!sym) throw new Error(`no symbol ${name}`);
    return elf.symtabOffset + sym.index * 24;
  }
  setSym(name: string, field: keyof typeof SYM_FIELDS, v: number | bigint): this {
    put(this.bytes, this.symbolOffset(name) + SYM_FIELDS[field][0], SYM_FIELDS[field][1], v);
    return this;
  }
  /** File offset of the k-th relocation entry applying to section `target`. */
  relOffset(target: string, k = 0): number {
    const elf = this.elf();
    const t = elf.sections.findIndex((s) => s.name === target);
    const rels = elf.rels.get(t);
    if (!rels || !rels[k]) throw new Error(`no relocation ${k} for ${target}`);
    return rels[k].fileOffset;
  }
  set(at: number, width: number, v: number | bigint): this {
    put(this.bytes, at, width, v);
    return this;
  }
  /** Replace a string in the section-name table (same length). */
  renameSection(from: string, to: string): this {
    if (from.length !== to.length) throw new Error('same length only');
    const s = this.section(from);
    const elf = this.elf();
    const shstr = elf.sections[new DataView(this.bytes.buffer).getUint16(62, true)];
    const nameOff = new DataView(this.bytes.buffer).getUint32(this.shdrField(s.index, 'name'), true);
    Buffer.from(to).copy(Buffer.from(this.bytes.buffer), shstr.offset + nameOff);
    return this;
  }
}
