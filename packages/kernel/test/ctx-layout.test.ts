/**
 * Context layouts against the profile kernel's BTF (bpftool's raw dump of the
 * bundled vmlinux.btf.br, the recording kernel's /sys/kernel/btf/vmlinux): every field bpfsim lays out sits at the offset and
 * width the kernel's struct gives, and the struct sizes agree.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  PERF_EVENT_DATA_LAYOUT, PT_REGS_LAYOUT, SK_BUFF_SIZE, TRACE_ENTRY_FIELDS, XDP_MD_SIZE, parseTracepointFormat, skBuffLayout, xdpMdLayout, type CtxLayout,
} from '@bpfsim/kernel';

interface BtfMember { name: string; type: number; bitsOffset: number }
interface BtfType { id: number; kind: string; name: string; size?: number; type?: number; members: BtfMember[]; nelems?: number }

/** The profile kernel's BTF (the bundled vmlinux.btf.br) as bpftool dumps it; undefined without bpftool. */
function loadBtf(): Map<number, BtfType> | undefined {
  let text: string;
  try {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-ctx-layout-')), 'vmlinux.btf');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    fs.writeFileSync(file, require('../../../tools/oracle/profile').profileBtfBytes());
    text = execFileSync('bpftool', ['btf', 'dump', 'file', file, 'format', 'raw'], { maxBuffer: 1 << 30, encoding: 'utf8' });
  } catch {
    return undefined;
  }
  const types = new Map<number, BtfType>();
  let cur: BtfType | undefined;
  for (const line of text.split('\n')) {
    const t = /^\[(\d+)\] (\w+) '([^']*)'(.*)$/.exec(line);
    if (t) {
      const rest = t[4];
      cur = {
        id: Number(t[1]), kind: t[2], name: t[3], members: [],
        size: /size=(\d+)/.exec(rest) ? Number(/size=(\d+)/.exec(rest)![1]) : undefined,
        type: /type_id=(\d+)/.exec(rest) ? Number(/type_id=(\d+)/.exec(rest)![1]) : undefined,
        nelems: /nr_elems=(\d+)/.exec(rest) ? Number(/nr_elems=(\d+)/.exec(rest)![1]) : undefined,
      };
      types.set(cur.id, cur);
      continue;
    }
    const m = /^\s+'([^']*)' type_id=(\d+) bits_offset=(\d+)/.exec(line);
    if (m && cur) cur.members.push({ name: m[1], type: Number(m[2]), bitsOffset: Number(m[3]) });
  }
  return types;
}

const btf = loadBtf();
const maybe = btf ? describe : describe.skip;
if (!btf) console.warn('no kernel BTF or bpftool: context layouts not checked against the kernel');

/** Flattened named members: "cb" of an array becomes cb[0]..; anonymous unions give their members. */
function flatten(types: Map<number, BtfType>, structName: string): { fields: Map<string, { off: number; size: number }>; size: number } {
  const st = [...types.values()].find((t) => t.kind === 'STRUCT' && t.name === structName)!;
  const sizeOf = (id: number): number => {
    const t = types.get(id)!;
    if (t.size !== undefined) return t.size;
    if (t.kind === 'ARRAY') return t.nelems! * sizeOf(Number(/* elem */ t.type));
    return sizeOf(t.type!);
  };
  const resolve = (id: number): BtfType => {
    let t = types.get(id)!;
    while (['TYPEDEF', 'CONST', 'VOLATILE'].includes(t.kind)) t = types.get(t.type!)!;
    return t;
  };
  const fields = new Map<string, { off: number; size: number }>();
  const walk = (t: BtfType, base: number): void => {
    for (const m of t.members) {
      const off = base + m.bitsOffset / 8;
      const mt = resolve(m.type);
      if (m.name === '(anon)' && (mt.kind === 'UNION' || mt.kind === 'STRUCT')) {
        // An anonymous union: its first member names the slot.
        const first = mt.members[0];
        fields.set(first.name, { off, size: mt.size! });
        continue;
      }
      if (mt.kind === 'ARRAY') {
        const elem = sizeOf(mt.type!);
        for (let i = 0; i < mt.nelems!; i++) fields.set(`${m.name}[${i}]`, { off: off + i * elem, size: elem });
        if (mt.nelems === 0) fields.set(m.name, { off, size: 0 });
        continue;
      }
      fields.set(m.name, { off, size: sizeOf(m.type) });
    }
  };
  walk(st, 0);
  return { fields, size: st.size! };
}

/** Compare a layout (or the `prefix`ed part of one) with the kernel's struct. */
function check(layout: CtxLayout, structName: string, prefix = ''): void {
  const { fields, size } = flatten(btf!, structName);
  if (!prefix) expect({ struct: structName, size: layout.size }).toEqual({ struct: structName, size });
  for (const f of layout.fields) {
    const name = f.name.startsWith(prefix) ? f.name.slice(prefix.length) : f.name;
    if (prefix && !f.name.startsWith(prefix)) continue;
    const k = fields.get(name);
    expect({ field: `${structName}.${name}`, found: k !== undefined }).toEqual({ field: `${structName}.${name}`, found: true });
    // Pointers widened by the ctx rewrite keep their uapi __u32 width here.
    expect({ field: `${structName}.${name}`, off: f.off, size: f.size }).toEqual({ field: `${structName}.${name}`, off: k!.off, size: Math.min(k!.size, 8) });
  }
  // And nothing the kernel has is missing.
  const named = new Set(layout.fields.map((f) => (f.name.startsWith(prefix) ? f.name.slice(prefix.length) : f.name)));
  for (const [n] of fields) if (!prefix) expect({ struct: structName, missing: named.has(n) ? '' : n }).toEqual({ struct: structName, missing: '' });
}

maybe('context layouts vs the kernel BTF', () => {
  const dummyPkt = { len: 0, data: 0, end: 0, meta: 0, addr: () => 0n } as never;
  test('struct xdp_md', () => {
    expect(XDP_MD_SIZE).toBe(24);
    check(xdpMdLayout({ pkt: dummyPkt, frameSz: 0, tailroom: 0, ingressIfindex: 0, rxQueueIndex: 0, egressIfindex: 0, frags: [] }), 'xdp_md');
  });
  test('struct __sk_buff', () => {
    expect(SK_BUFF_SIZE).toBe(192);
    check(skBuffLayout({ pkt: dummyPkt } as never), '__sk_buff');
  });
  test('struct pt_regs (x86-64)', () => check(PT_REGS_LAYOUT, 'pt_regs'));
  test('struct bpf_perf_event_data', () => {
    const { fields, size } = flatten(btf!, 'bpf_perf_event_data');
    expect(PERF_EVENT_DATA_LAYOUT.size).toBe(size);
    expect(PERF_EVENT_DATA_LAYOUT.fields.find((f) => f.name === 'sample_period')!.off).toBe(fields.get('sample_period')!.off);
    expect(PERF_EVENT_DATA_LAYOUT.fields.find((f) => f.name === 'addr')!.off).toBe(fields.get('addr')!.off);
    check(PERF_EVENT_DATA_LAYOUT, 'pt_regs', 'regs.');
  });
  test('tracepoint records start with struct trace_entry', () => {
    const { fields } = flatten(btf!, 'trace_entry');
    const fmt = parseTracepointFormat('name: t\nID: 1\nformat:\n' + TRACE_ENTRY_FIELDS.map((n, i) => `\tfield:int ${n};\toffset:${[0, 2, 3, 4][i]};\tsize:${[2, 1, 1, 4][i]};\tsigned:0;`).join('\n'));
    for (const f of fmt.fields) expect({ f: f.name, off: f.offset, size: f.size }).toEqual({ f: f.name, ...fields.get(f.name.replace('common_', ''))! });
  });
  test('struct bpf_raw_tracepoint_args is a flexible array of u64', () => {
    const { fields, size } = flatten(btf!, 'bpf_raw_tracepoint_args');
    expect(size).toBe(0);
    expect(fields.get('args')).toEqual({ off: 0, size: 0 });
  });
});
