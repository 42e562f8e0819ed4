/**
 * `bpfsim inspect <obj.o>`: what the loader makes of an object file —
 * programs (section, type, attach point, size), maps (type, key/value sizes
 * and BTF types, max entries, flags), relocations, CO-RE relocations and
 * .kconfig externs; `--json` for the same as JSON, `--btf` adds the BTF dump.
 */
import {
  BpfObject, CoreReloKindName, formatBtfRaw, loadObject, parseBtf, type AttachTarget, type Btf, type MapSpec, type ProgramSpec,
} from '@bpfsim/loader';
import { BpfAttachTypeName, BpfMapTypeName, BpfProgTypeName } from '@bpfsim/uapi';
import { unmodelledCoreReads, vmlinuxBtf, type UnmodelledRead } from '@bpfsim/kernel';
import type { Command } from '../command';
import { readFileBytes } from '../program-file';

const RELOC_NAME: Readonly<Record<number, string>> = { 1: 'R_BPF_64_64', 2: 'R_BPF_64_ABS64', 3: 'R_BPF_64_ABS32', 10: 'R_BPF_64_32' };

const short = (table: Readonly<Record<number, string>>, prefix: string, v: number | undefined) =>
  v === undefined ? '-' : (table[v] ?? String(v)).replace(prefix, '').toLowerCase();

/** "kprobe do_unlinkat+0", "tracepoint syscalls/sys_enter_openat", … */
export function formatAttachTarget(t: AttachTarget | undefined): string {
  if (!t) return '-';
  switch (t.kind) {
    case 'kprobe': return `${t.retprobe ? 'kretprobe' : 'kprobe'} ${t.fn}${t.offset ? `+${t.offset}` : ''}`;
    case 'ksyscall': return `${t.retprobe ? 'kretsyscall' : 'ksyscall'} ${t.syscall}`;
    case 'uprobe': return `${t.retprobe ? 'uretprobe' : 'uprobe'} ${t.path}:${t.fn}${t.offset ? `+${t.offset}` : ''}`;
    case 'tracepoint': return `tracepoint ${t.category}/${t.name}`;
    case 'raw_tracepoint': return `raw_tracepoint${t.writable ? '.w' : ''} ${t.name}`;
    case 'tp_btf': return `tp_btf ${t.name}`;
    case 'tracing': return `${t.mode} ${t.fn}`;
    case 'lsm': return `lsm ${t.hook}`;
    case 'iter': return `iter ${t.target}`;
    case 'usdt': return `usdt ${t.path}:${t.provider}:${t.name}`;
  }
}

function table(rows: string[][]): string[] {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => '  ' + r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(w[c]))).join('  ').trimEnd());
}

const hex = (n: number) => `0x${n.toString(16)}`;
const kv = (size: number, name: string | undefined) => (name ? `${size} (${name})` : String(size));

function mapRow(m: MapSpec, i: number): string[] {
  return [String(i), m.name, short(BpfMapTypeName, 'BPF_MAP_TYPE_', m.type), kv(m.keySize, m.keyTypeName), kv(m.valueSize, m.valueTypeName),
    String(m.maxEntries), hex(m.flags), m.pinning ? 'by_name' : '-', m.innerMap ? `inner ${short(BpfMapTypeName, 'BPF_MAP_TYPE_', m.innerMap.type)}` : m.source];
}

export function formatInspect(obj: BpfObject): string {
  const out: string[] = [];
  out.push(`${obj.file}: license "${obj.license}" (${obj.gplCompatible ? 'GPL-compatible' : 'not GPL-compatible: GPL-only helpers refused'})` +
    `${obj.kernVersion !== undefined ? `, version ${hex(obj.kernVersion)}` : ''}, ${obj.programs.length} programs, ${obj.maps.length} maps` +
    `${obj.btf ? `, BTF ${obj.btf.types.length - 1} types` : ', no BTF'}`);
  out.push('', 'Programs:');
  out.push(...table([['NAME', 'SECTION', 'TYPE', 'EXPECTED ATTACH', 'ATTACH POINT', 'INSNS', 'BYTES', 'FUNCS'],
    ...obj.programs.map((p) => [p.name, p.section, short(BpfProgTypeName, 'BPF_PROG_TYPE_', p.progType), short(BpfAttachTypeName, 'BPF_', p.expectedAttachType),
      formatAttachTarget(p.attachTarget) + (p.sleepable ? ' (sleepable)' : ''), String(p.insns.length), String(p.insns.length * 8), String(p.functions.length)])]));
  if (obj.maps.length) {
    out.push('', 'Maps:');
    out.push(...table([['#', 'NAME', 'TYPE', 'KEY', 'VALUE', 'MAX', 'FLAGS', 'PIN', 'SOURCE'], ...obj.maps.map(mapRow)]));
    for (const m of obj.maps) {
      for (const s of m.initSlots ?? []) out.push(`  ${m.name}[${s.index}] = ${s.kind} ${s.target}`);
    }
  }
  const relocated = obj.programs.filter((p) => p.relocations.length || p.coreRelos.length);
  if (relocated.length) {
    out.push('', 'Relocations:');
    for (const p of relocated) out.push(...formatRelocations(obj, p));
  }
  if (obj.kconfigExterns.length) {
    out.push('', 'Kconfig externs (.kconfig):');
    out.push(...table([['NAME', 'TYPE', 'OFFSET', 'SIZE', 'WEAK', 'VALUE'],
      ...obj.kconfigExterns.map((e) => [e.name, e.type, String(e.offset), String(e.size), e.weak ? 'weak' : '-', e.value === undefined ? '(unset)' : String(e.value)])]));
  }
  return out.join('\n');
}

function formatRelocations(obj: BpfObject, p: ProgramSpec): string[] {
  const rows: [number, string][] = [];
  for (const r of p.relocations) {
    const what = r.kind === 'call' || r.kind === 'subprog_addr'
      ? `${r.kind === 'call' ? 'call' : 'address of'} ${p.functions.find((f) => f.start === r.target)?.name ?? `insn ${r.target}`} (insn ${r.target})`
      : `${r.kind === 'map' ? 'map' : 'value of'} ${obj.maps[r.target]?.name ?? `#${r.target}`}${r.kind === 'map' ? '' : ` + ${p.mapRefs.find((m) => m.insn === r.insn)?.offset ?? 0}`}`;
    rows.push([r.insn, `    insn ${String(r.insn).padStart(4)}  ${(RELOC_NAME[r.type] ?? String(r.type)).padEnd(12)}  ${r.symbol.padEnd(20)}  ${what}`]);
  }
  for (const c of p.coreRelos) {
    const res = c.resolved ? (c.resolved.poisoned ? 'poisoned' : `${c.localValue} -> ${c.resolved.value}`) : `${c.localValue} (unresolved)`;
    rows.push([c.insn, `    insn ${String(c.insn).padStart(4)}  CO-RE ${CoreReloKindName[c.kind].padEnd(14)}  ${c.spec}  ${res}`]);
  }
  // One list in instruction order (sort is stable: ELF relocations before CO-RE at the same slot).
  return [`  ${p.name}:`, ...rows.sort((a, b) => a[0] - b[0]).map((r) => r[1])];
}

/** JSON-safe view (bigints as strings, instructions as hex). */
export function inspectJson(obj: BpfObject): unknown {
  const mapJson = (m: MapSpec): unknown => ({
    ...m, typeName: BpfMapTypeName[m.type], mapExtra: m.mapExtra.toString(), initialValue: m.initialValue ? Buffer.from(m.initialValue).toString('hex') : undefined,
    innerMap: m.innerMap ? mapJson(m.innerMap) : undefined,
  });
  return {
    file: obj.file, name: obj.name, license: obj.license, gplCompatible: obj.gplCompatible, kernVersion: obj.kernVersion,
    coreResolved: obj.coreResolved, btfTypes: obj.btf ? obj.btf.types.length - 1 : 0,
    programs: obj.programs.map((p) => ({
      name: p.name, section: p.section, progType: p.progType, progTypeName: BpfProgTypeName[p.progType],
      expectedAttachType: p.expectedAttachType, expectedAttachTypeName: p.expectedAttachType === undefined ? undefined : BpfAttachTypeName[p.expectedAttachType],
      attachTarget: p.attachTarget, sleepable: p.sleepable, progFlags: p.progFlags, insnCount: p.insns.length, bytes: p.insns.length * 8,
      functions: p.functions, relocations: p.relocations, mapRefs: p.mapRefs, coreRelos: p.coreRelos,
      funcInfo: p.funcInfo, lineInfoCount: p.lineInfo?.length ?? 0,
    })),
    maps: obj.maps.map(mapJson),
    kconfigExterns: obj.kconfigExterns.map((e) => ({ ...e, value: typeof e.value === 'bigint' ? e.value.toString() : e.value })),
  };
}

/** `--unmodelled`: one line per program and field, or a line saying there is none. */
function formatUnmodelled(reads: readonly UnmodelledRead[]): string {
  if (!reads.length) return 'Every kernel field the programs read (CO-RE) is written by the model.';
  return ['Kernel fields the programs read (CO-RE) that the model leaves zero:',
    ...table([['PROGRAM', 'INSN', 'FIELD'], ...reads.map((r) => [r.program, String(r.insn), `struct ${r.struct}.${r.path}`])])].join('\n');
}

export const inspectCommand: Command = {
  command: 'inspect <object>',
  describe: 'Show the programs, maps and relocations the loader finds in an eBPF object file',
  builder: (y) =>
    y
      .positional('object', { type: 'string', describe: 'a clang-built eBPF ELF object (.bpf.o)' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .option('btf', { type: 'boolean', default: false, describe: "also dump the object's BTF (bpftool's raw format)" })
      .option('target-btf', { type: 'string', describe: 'resolve CO-RE relocations against this raw BTF file (e.g. /sys/kernel/btf/vmlinux)' })
      .option('unmodelled', { type: 'boolean', default: false, describe: "list the kernel fields the programs read (CO-RE) that bpfsim's model leaves zero; resolves against the profile BTF unless --target-btf" }),
  async run(args, io) {
    const file = String(args.object);
    const bytes = readFileBytes(file);
    let targetBtf: Btf | undefined;
    if (args['target-btf']) {
      const t = String(args['target-btf']);
      targetBtf = parseBtf(readFileBytes(t), t);
    } else if (args.unmodelled) targetBtf = vmlinuxBtf();
    const obj = loadObject(bytes, { file, targetBtf, allowMissingKconfig: true });
    if (args.json) {
      const j = inspectJson(obj) as Record<string, unknown>;
      if (args.btf && obj.btf) j.btf = formatBtfRaw(obj.btf);
      if (args.unmodelled) j.unmodelled = unmodelledCoreReads(obj);
      io.out(JSON.stringify(j, null, 2));
    } else if (args.unmodelled) {
      io.out(formatUnmodelled(unmodelledCoreReads(obj)));
    } else {
      io.out(formatInspect(obj));
      if (args.btf && obj.btf) io.out('\nBTF:\n' + formatBtfRaw(obj.btf).trimEnd());
    }
    return 0;
  },
};

