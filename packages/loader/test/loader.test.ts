/**
 * Loader behaviour not covered by the libbpf comparison: the legacy `maps`
 * section (libbpf >= 1.0 refuses it), objects without BTF, map-in-map and
 * prog-array initialisers, global data contents, per-instruction source lines
 * and fd substitution.
 */
import * as fs from 'fs';
import * as path from 'path';
import { BpfMapType } from '@bpfsim/uapi';
import { LoaderError, loadObject, sourceAnnotations, sourceByInsn, withMapFds } from '../src';
import { corpusObjects, FIXED_KCONFIG, readObject } from './helpers/corpus';
import { ElfEdit } from './helpers/elf-edit';

const fixture = (f: string) => new Uint8Array(fs.readFileSync(path.join(__dirname, 'fixtures', f)));
const load = (bytes: Uint8Array, file = 'x.bpf.o') => loadObject(bytes, { file, kconfig: FIXED_KCONFIG });

describe('legacy maps section', () => {
  const o = load(fixture('legacy_maps.bpf.o'), 'legacy_maps.bpf.o');
  test('struct bpf_map_def entries become maps, before BTF maps', () => {
    expect(o.maps.map((m) => [m.name, m.source, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags, m.sectionOffset])).toEqual([
      ['legacy_counts', 'legacy', BpfMapType.HASH, 4, 8, 64, 0, 0],
      ['legacy_array', 'legacy', BpfMapType.PERCPU_ARRAY, 4, 16, 4, 0, 20],
      ['btf_map', 'btf', BpfMapType.ARRAY, 4, 4, 1, 0, 0],
    ]);
  });
  test('references resolve to the right map', () => {
    const p = o.programs[0];
    expect(p.mapRefs.map((r) => o.maps[r.mapIndex].name)).toEqual(['legacy_counts', 'legacy_array', 'btf_map', 'legacy_counts']);
    for (const r of p.mapRefs) expect([p.insns[r.insn].src, p.insns[r.insn].imm]).toEqual([1, r.mapIndex]);
  });
  test('overlapping or misplaced definitions are refused', () => {
    const dup = new ElfEdit(fixture('legacy_maps.bpf.o')).setSym('legacy_array', 'value', 0);
    expect(() => load(dup.bytes)).toThrow(/maps: 'legacy_counts' and 'legacy_array' share offset 0/);
    const odd = new ElfEdit(fixture('legacy_maps.bpf.o')).setSym('legacy_array', 'value', 12);
    expect(() => load(odd.bytes)).toThrow(LoaderError);
    expect(() => load(odd.bytes)).toThrow(/map 'legacy_array' at offset 12 is not at a 20-byte slot/);
  });
});

describe('objects without BTF', () => {
  test('global data and legacy maps work; .maps needs BTF', () => {
    const ed = new ElfEdit(readObject('global_data.bpf.o')).renameSection('.BTF', '.BTX');
    const o = load(ed.bytes);
    expect(o.btf).toBeUndefined();
    expect(o.programs[0].lineInfo).toBeUndefined();
    expect(o.maps.map((m) => [m.name, m.flags])).toEqual([['.rodata', 0x80], ['.rodata.cfg', 0x80], ['.bss', 0], ['.data', 0], ['.data.stats', 0]]);
    const m = new ElfEdit(readObject('execve_count.bpf.o')).renameSection('.BTF', '.BTX');
    expect(() => load(m.bytes)).toThrow(/\.maps section needs BTF: expected a DATASEC \.maps in \.BTF/);
  });
});

describe('map initialisers', () => {
  test('map-in-map: inner map template and static slots', () => {
    const o = load(readObject('map_in_map.bpf.o'));
    const tenants = o.maps.find((m) => m.name === 'tenants')!;
    expect(tenants.innerMap).toMatchObject({ type: BpfMapType.HASH, keySize: 4, valueSize: 8, maxEntries: 128 });
    expect(tenants.initSlots).toEqual([{ index: 0, kind: 'map', target: 'tenant0' }, { index: 1, kind: 'map', target: 'tenant1' }]);
    const byCpu = o.maps.find((m) => m.name === 'by_cpu')!;
    expect(byCpu.innerMap).toMatchObject({ type: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 8 });
    expect(byCpu.initSlots).toBeUndefined();
  });
  test('global data: initial bytes, .bss zeroed, .rodata frozen', () => {
    const o = load(readObject('global_data.bpf.o'), 'global_data.bpf.o');
    const get = (n: string) => o.maps.find((m) => m.name === n)!;
    expect(Buffer.from(get('.data.stats').initialValue!).readBigUInt64LE(16)).toBe(3n);
    expect(Buffer.from(get('.data').initialValue!).readInt32LE(0)).toBe(-1);
    expect(get('.bss').initialValue).toEqual(new Uint8Array(16));
    expect(Buffer.from(get('.rodata.cfg').initialValue!).toString('latin1')).toBe('bpfsim\0\0');
    expect([get('.rodata').frozen, get('.data').frozen]).toEqual([true, false]);
    expect(get('.rodata').kernelName).toBe('global_d.rodata');
    // Variables by name, at the offsets libbpf gives them (checked against the kernel in libbpf-parity).
    expect(get('.bss').variables!.map((v) => [v.name, v.offset, v.size])).toEqual([['calls', 0, 8], ['matched', 8, 8]]);
    expect(get('.rodata').variables!.map((v) => [v.name, v.offset, v.size])).toEqual([['target_tgid', 0, 4], ['verbose', 4, 1], ['rodata_config.____fmt', 5, 20]]);
    const k = load(readObject('kconfig.bpf.o')).maps.find((m) => m.source === 'kconfig')!;
    expect(k.variables!.map((v) => v.name)).toEqual(['CONFIG_HZ', 'LINUX_KERNEL_VERSION', 'CONFIG_BPFSIM_NOT_A_REAL_OPTION', 'CONFIG_BPF_SYSCALL']);
  });
});

describe('source lines', () => {
  test.each(corpusObjects())('%s: every instruction has a source position after the first record', (f) => {
    const o = load(readObject(f), f);
    for (const p of o.programs) {
      const src = sourceByInsn(p);
      expect(p.lineInfo?.[0]?.insn).toBe(0);
      const missing = src.map((s, i) => (s ? -1 : i)).filter((i) => i >= 0);
      expect({ prog: p.name, missing }).toEqual({ prog: p.name, missing: [] });
      for (const s of src) expect(s!.file).toBe(`./corpus/${f.replace(/\.o$/, '.c')}`);
      // Annotations start a new line where the source text changes.
      const ann = sourceAnnotations(p);
      expect(ann.get(0)).toBe(p.lineInfo![0]);
      for (const [i, l] of ann) expect(src[i]).toBe(l);
    }
  });
});

test('withMapFds puts fds where the map indices were', () => {
  const o = load(readObject('opensnoop.bpf.o'));
  const p = o.programs[1];
  const fds = o.maps.map((_, i) => 100 + i);
  const insns = withMapFds(p, fds);
  for (const r of p.mapRefs) expect(insns[r.insn].imm).toBe(100 + r.mapIndex);
  expect(insns.filter((_, i) => !p.mapRefs.some((r) => r.insn === i))).toEqual(p.insns.filter((_, i) => !p.mapRefs.some((r) => r.insn === i)));
});
