/**
 * Generated comparison against the system libbpf and the real kernel: every
 * corpus object is opened and loaded by tools/libbpf-load (libbpf, never
 * attaching), and bpfsim's loader must agree on programs (names, sections,
 * types), maps (types, sizes, flags, BTF ids) and the final relocated
 * instructions — sub-program linking, map and global-data references, kconfig
 * and CO-RE values against this kernel's BTF — slot for slot. And every corpus
 * program must be accepted by the kernel (corpus/kernel-refusals.json lists the
 * documented exceptions, checked both ways).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Insn, encodeProgram } from '@bpfsim/isa';
import { BpfObject, loadObject } from '../src';
import { CORPUS, corpusObjects, hostBtf, hostKconfig, libbpfLoad, readObject, runLibbpfLoad, LibbpfProg, LibbpfMap } from './helpers/corpus';

const tool = libbpfLoad();
const btf = hostBtf();
const refusals: Record<string, Record<string, { errno: number; why: string }>> = JSON.parse(
  fs.readFileSync(path.join(CORPUS, 'kernel-refusals.json'), 'utf8'),
);

/** Can this machine load programs at all? (bpf() present and permitted.) */
function probe(): string | undefined {
  if (!tool.path) return tool.reason;
  if (!btf) return 'no /sys/kernel/btf/vmlinux';
  const r = runLibbpfLoad(tool.path, 'xdp_drop_icmp.bpf.o');
  if (!r.progs.length || !r.progs[0].accepted) return `the kernel refuses a trivial XDP program (errno ${r.progs[0]?.errno}): bpf() unavailable here`;
  return undefined;
}
const skipReason = probe();
const maybe = skipReason ? describe.skip : describe;
if (skipReason) {
  // eslint-disable-next-line no-console
  console.warn(`libbpf/kernel parity tests skipped: ${skipReason}`);
}

/** Slots as comparable strings; map references by map name (fds and indices differ). */
function normalise(slots: Insn[], mapName: (imm: number) => string): string[] {
  const out: string[] = [];
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i];
    if (s.code === 0x18 && (s.src === 1 || s.src === 2) && i + 1 < slots.length) {
      const hi = slots[i + 1];
      out.push(`lddw r${s.dst} src=${s.src} map=${mapName(s.imm)} off=${s.src === 2 ? hi.imm : 0}`, 'lddw-hi');
      i++;
      continue;
    }
    out.push(Buffer.from(encodeProgram([s])).toString('hex'));
  }
  return out;
}

function decodeHex(hex: string): Insn[] {
  const b = Buffer.from(hex, 'hex');
  const out: Insn[] = [];
  for (let k = 0; k < b.length; k += 8) out.push(Insn.fromBytes(b, k));
  return out;
}

maybe('corpus vs libbpf and the real kernel', () => {
  const objects = corpusObjects();
  const cache = new Map<string, { ours: BpfObject; progs: LibbpfProg[]; maps: LibbpfMap[] }>();
  const get = (f: string) => {
    let c = cache.get(f);
    if (!c) {
      const ours = loadObject(readObject(f), { file: `corpus/${f}`, targetBtf: btf, kconfig: hostKconfig() });
      // SEC() names the system libbpf does not know yet get our table's types.
      const sets = ours.programs.map((p) => `${p.name}=${p.progType}:${p.expectedAttachType ?? 0}`);
      const first = runLibbpfLoad(tool.path!, f);
      const unknown = first.progs.filter((p) => p.type === 0).map((p) => p.name);
      const r = unknown.length ? runLibbpfLoad(tool.path!, f, sets.filter((s) => unknown.includes(s.split('=')[0]))) : first;
      c = { ours, progs: r.progs, maps: r.maps };
      cache.set(f, c);
    }
    return c;
  };

  test('the corpus has at least 40 programs', () => {
    const n = objects.reduce((k, f) => k + get(f).ours.programs.length, 0);
    expect(n).toBeGreaterThanOrEqual(40);
  });

  describe.each(objects)('%s', (f) => {
    test('programs: names, sections, order, types as libbpf', () => {
      const { ours, progs } = get(f);
      expect(ours.programs.map((p) => [p.name, p.section])).toEqual(progs.map((p) => [p.name, p.section]));
      for (const p of ours.programs) {
        const lp = progs.find((x) => x.name === p.name)!;
        expect({ name: p.name, type: p.progType, attach: p.expectedAttachType ?? 0 }).toEqual({ name: p.name, type: lp.type, attach: lp.expected_attach_type });
      }
    });

    test('maps: types, sizes, flags, BTF ids as libbpf', () => {
      const { ours, maps } = get(f);
      const mine = ours.maps.map((m) => ({
        map: m.kernelName, type: m.type, key_size: m.keySize, value_size: m.valueSize, max_entries: m.maxEntries,
        map_flags: m.flags, btf_key_type_id: m.btfKeyTypeId, btf_value_type_id: m.btfValueTypeId,
      }));
      expect(mine).toEqual(maps);
    });

    test('the real kernel accepts every program (or refuses exactly as documented)', () => {
      const { progs } = get(f);
      const expected = refusals[f] ?? {};
      for (const p of progs) {
        const why = expected[p.name];
        const got = { name: p.name, accepted: p.accepted, errno: p.errno, log: p.accepted ? '' : p.log };
        expect(got).toEqual({ name: p.name, accepted: !why, errno: why ? why.errno : 0, log: why ? got.log : '' });
      }
    });

    test('relocated instructions equal libbpf\'s, slot for slot', () => {
      const { ours, progs } = get(f);
      for (const p of ours.programs) {
        const lp = progs.find((x) => x.name === p.name)!;
        if (!lp.insns) continue; // refused by the kernel: libbpf keeps no final insns
        const byFd = new Map(Object.entries(lp.map_fds ?? {}).map(([n, fd]) => [fd, n]));
        const theirs = normalise(decodeHex(lp.insns), (fd) => byFd.get(fd) ?? `fd${fd}`);
        const mine = normalise(p.insns, (idx) => ours.maps[idx]?.kernelName ?? `idx${idx}`);
        expect({ prog: p.name, insns: mine }).toEqual({ prog: p.name, insns: theirs });
      }
    });

    test('DATASECs after libbpf\'s fixups equal the BTF the kernel received', () => {
      const { ours, progs } = get(f);
      const lp = progs.find((x) => x.datasecs);
      if (!lp || !ours.btf) return;
      const btf = ours.btf;
      const mine = btf.types.filter((t) => t.kind === 15).map((t) => [t.name, (t as { size: number }).size,
        (t as { vars: { type: number; offset: number; size: number }[] }).vars.map((v) => [btf.types[v.type].name, v.offset, v.size, (btf.types[v.type] as { linkage?: number }).linkage ?? 99])]);
      // The kernel lists types in id order, as ours.
      expect(mine).toEqual(lp.datasecs);
    });

    test('BTF func_info and line_info equal what the kernel reports for the loaded program', () => {
      const { ours, progs } = get(f);
      for (const p of ours.programs) {
        const lp = progs.find((x) => x.name === p.name)!;
        if (!lp.insns) continue;
        // The kernel reports offsets in its rewritten program, and drops the records of code its
        // verifier removed as dead: when the length changed, its records must be an in-order
        // subsequence of ours; otherwise equal, offsets included.
        const mineF = (p.funcInfo ?? []).map((x) => [x.insn, x.typeId]);
        const mineL = (p.lineInfo ?? []).map((l) => [l.insn, l.file, l.line, l.column, l.source]);
        if (lp.xlated_len === p.insns.length) {
          expect({ prog: p.name, func: mineF, lines: mineL }).toEqual({ prog: p.name, func: lp.func_info, lines: lp.line_info });
        } else {
          const strip = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r.slice(1)));
          const isSubsequence = (sub: string[], all: string[]) => {
            let k = 0;
            for (const x of all) if (k < sub.length && sub[k] === x) k++;
            return k === sub.length;
          };
          expect({ prog: p.name, func: strip(mineF) }).toEqual({ prog: p.name, func: strip(lp.func_info ?? []) });
          expect({ prog: p.name, linesSubsequence: isSubsequence(strip(lp.line_info ?? []), strip(mineL)), kernel: lp.line_info?.length })
            .toEqual({ prog: p.name, linesSubsequence: true, kernel: lp.line_info?.length });
        }
      }
    });
  });
});
