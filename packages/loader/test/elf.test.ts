/**
 * ELF parsing checked against llvm-readelf (JSON output): sections, symbols
 * and relocations of every corpus object, field for field.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { parseElf } from '../src/elf/parse';
import { CORPUS, corpusObjects, readObject } from './helpers/corpus';

const READELF = process.env.LLVM_READELF || 'llvm-readelf-19';
const have = (() => {
  const r = spawnSync(READELF, ['--version'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
})();

interface ReadelfJson {
  Sections: { Section: { Index: number; Name: { Name: string }; Type: { Value: number }; Flags: { Value: number }; Offset: number; Size: number; Link: number; Info: number; AddressAlignment: number; EntrySize: number } }[];
  Relocations: { SectionIndex: number; Relocs: { Relocation: { Offset: number; Type: { Value: number }; Symbol: { Name: string; Value: number } } }[] }[];
  Symbols: { Symbol: { Name: { Name: string }; Value: number; Size: number; Binding: { Value: number }; Type: { Value: number }; Section: { Value: number } } }[];
}

function readelf(f: string): ReadelfJson {
  const r = spawnSync(READELF, ['--elf-output-style=JSON', '-S', '-r', '-s', path.join(CORPUS, f)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return JSON.parse(r.stdout)[0];
}

(have ? describe : describe.skip)('ELF structures equal llvm-readelf', () => {
  describe.each(corpusObjects())('%s', (f) => {
    const elf = parseElf(readObject(f), f);
    const ref = readelf(f);

    test('sections', () => {
      expect(elf.sections.map((s) => ({ index: s.index, name: s.name, type: s.type, flags: s.flags, offset: s.offset, size: s.size, link: s.link, info: s.info, align: s.addralign, entsize: s.entsize })))
        .toEqual(ref.Sections.map(({ Section: s }) => ({ index: s.Index, name: s.Name.Name, type: s.Type.Value, flags: s.Flags.Value, offset: s.Offset, size: s.Size, link: s.Link, info: s.Info, align: s.AddressAlignment, entsize: s.EntrySize })));
    });

    test('symbols', () => {
      // readelf names section symbols after their section.
      const nameOf = (s: (typeof elf.symbols)[number]) => (s.type === 3 && !s.name ? elf.sections[s.shndx]?.name ?? '' : s.name);
      expect(elf.symbols.map((s) => ({ name: nameOf(s), value: s.value, size: s.size, bind: s.bind, type: s.type, shndx: s.shndx })))
        .toEqual(ref.Symbols.map(({ Symbol: s }) => ({ name: s.Name.Name, value: s.Value, size: s.Size, bind: s.Binding.Value, type: s.Type.Value, shndx: s.Section.Value })));
    });

    test('relocations', () => {
      const relSections = elf.sections.filter((s) => s.type === 9);
      const mine = relSections.map((s) => ({
        section: s.index,
        relocs: (elf.rels.get(s.info) ?? []).map((r) => ({ offset: r.offset, type: r.type, sym: r.sym, name: elf.symbols[r.sym].name })),
      }));
      const theirs = ref.Relocations.map((g) => ({
        section: g.SectionIndex,
        relocs: g.Relocs.map(({ Relocation: r }) => ({ offset: r.Offset, type: r.Type.Value, sym: r.Symbol.Value, name: r.Symbol.Name })),
      }));
      // readelf names section symbols by their section; ours keep the (empty) symbol name.
      for (const g of mine) for (const r of g.relocs) if (!r.name) r.name = elf.sections[elf.symbols[r.sym].shndx]?.name ?? '';
      expect(mine).toEqual(theirs);
    });
  });
});
