/**
 * BTF parsing checked against bpftool: the raw dump of every corpus object and
 * of the running kernel's /sys/kernel/btf/vmlinux must equal
 * `bpftool btf dump file X` text, type for type (which checks every kind, name,
 * member, bitfield, enum value and linkage), plus the per-kind counts.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { formatBtfRaw, loadObject, parseBtf, BtfKindName } from '../src';
import { parseElf } from '../src/elf/parse';
import { CORPUS, corpusObjects, FIXED_KCONFIG, readObject } from './helpers/corpus';

const bpftool = spawnSync('bpftool', ['version'], { encoding: 'utf8' });
const haveBpftool = !bpftool.error && bpftool.status === 0;
const VMLINUX = '/sys/kernel/btf/vmlinux';

function bpftoolDump(file: string): string {
  const r = spawnSync('bpftool', ['btf', 'dump', 'file', file], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`bpftool failed on ${file}: ${r.stderr}`);
  return r.stdout;
}

(haveBpftool ? describe : describe.skip)('BTF raw dump equals bpftool', () => {
  test.each(corpusObjects())('%s', (f) => {
    // The object's .BTF as the file holds it (loadObject's BTF has libbpf's DATASEC fixups on top).
    const bytes = readObject(f);
    const sec = parseElf(bytes, f).sections.find((s) => s.name === '.BTF')!;
    const btf = parseBtf(sec.data, f, sec.offset);
    expect(formatBtfRaw(btf)).toEqual(bpftoolDump(path.join(CORPUS, f)));
    // The fixups change DATASECs only.
    const fixed = loadObject(bytes, { file: f, kconfig: FIXED_KCONFIG }).btf!;
    expect(fixed.types.length).toBe(btf.types.length);
    for (const t of fixed.types) if (t.kind !== 15 && t.kind !== 14) expect(t).toEqual(btf.types[t.id]);
  });

  (fs.existsSync(VMLINUX) ? test : test.skip)('/sys/kernel/btf/vmlinux: every type, and counts per kind', () => {
    const btf = parseBtf(fs.readFileSync(VMLINUX), VMLINUX);
    const theirs = bpftoolDump(VMLINUX);
    const counts = (text: string) => {
      const c: Record<string, number> = {};
      for (const m of text.matchAll(/^\[\d+\] ([A-Z_0-9]+) /gm)) c[m[1]] = (c[m[1]] ?? 0) + 1;
      return c;
    };
    const ours = formatBtfRaw(btf);
    const mine: Record<string, number> = {};
    for (const t of btf.types.slice(1)) mine[BtfKindName[t.kind]] = (mine[BtfKindName[t.kind]] ?? 0) + 1;
    expect(mine).toEqual(counts(theirs));
    // Whole-text comparison, line by line, reporting the first difference only (the dump is ~300k lines).
    const a = ours.split('\n');
    const b = theirs.split('\n');
    const first = a.findIndex((l, i) => l !== b[i]);
    expect({ line: first, ours: a[first], bpftool: b[first] }).toEqual({ line: -1, ours: undefined, bpftool: undefined });
    expect(a.length).toBe(b.length);
  });
});
