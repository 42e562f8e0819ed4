/**
 * The profile's tracepoint formats (data/tracepoints.json.br): every one parses, its fields
 * are laid out consistently, it agrees with the profile BTF where the BTF describes the same
 * record, and, on a host running the profile kernel, equals tracefs byte for byte.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { hasTracepoint, listTracepoints, tracepointFormat, vmlinuxBtf, TracepointError } from '@bpfsim/kernel';
import type { Btf } from '@bpfsim/loader';

const DATA = path.resolve(__dirname, '..', '..', 'data');
const meta = JSON.parse(fs.readFileSync(path.join(DATA, 'tracepoints.json'), 'utf8'));
const names = listTracepoints();

type Struct = { members: { name: string; type: number; bitOffset: number }[]; size: number };
function struct(btf: Btf, name: string): Struct | undefined {
  for (const t of btf.types) if ((t.kind === 4 || t.kind === 5) && t.name === name) return t as unknown as Struct;
  return undefined;
}

describe('tracepoint formats as data', () => {
  test('the data holds every event of the profile kernel, as its sidecar says', () => {
    expect(names.length).toBe(meta.count);
    expect(names.length).toBeGreaterThan(2300);
    expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    const raw = require('zlib').brotliDecompressSync(fs.readFileSync(path.join(DATA, 'tracepoints.json.br')));
    expect(crypto.createHash('sha256').update(raw).digest('hex')).toBe(meta.sha256);
  });

  test('every format parses; fields lie within the record, in order, without overlapping', () => {
    const problems: string[] = [];
    let dynamic = 0;
    let arrays = 0;
    for (const n of names) {
      const { format: f, event } = tracepointFormat(n);
      if (f.name !== event) problems.push(`${n}: name ${f.name}`);
      if (!(f.id > 0)) problems.push(`${n}: ID ${f.id}`);
      if (!f.printFmt) problems.push(`${n}: no print fmt`);
      // struct trace_entry first, at its fixed place.
      const head = f.fields.slice(0, 4).map((x) => `${x.name}@${x.offset}/${x.size}${x.common ? '' : '!'}`).join(' ');
      if (head !== 'common_type@0/2 common_flags@2/1 common_preempt_count@3/1 common_pid@4/4') problems.push(`${n}: header ${head}`);
      let end = 0;
      for (const x of f.fields) {
        if (x.offset < end) problems.push(`${n}: ${x.name} at ${x.offset} overlaps the previous field (ends at ${end})`);
        end = x.offset + x.size;
        if (end > f.size) problems.push(`${n}: ${x.name} ends past the record (${f.size})`);
        if (x.dynamic) {
          dynamic++;
          if (x.size !== 4) problems.push(`${n}: ${x.dynamic} ${x.name} is ${x.size} bytes`);
        }
        if (x.arrayLen !== undefined) {
          arrays++;
          if (x.arrayLen > 0 && x.size % x.arrayLen) problems.push(`${n}: ${x.name}[${x.arrayLen}] size ${x.size}`);
        }
        if (!x.dynamic && x.arrayLen === undefined && /\*\s*$/.test(x.type) && x.size !== 8) problems.push(`${n}: pointer ${x.name} is ${x.size} bytes`);
      }
    }
    expect(problems).toEqual([]);
    expect(dynamic).toBeGreaterThan(100);
    expect(arrays).toBeGreaterThan(100);
  });

  test('lookup by any spelling, listing by substring and glob, unknown names are typed errors', () => {
    const a = tracepointFormat('syscalls:sys_enter_openat');
    expect(tracepointFormat('syscalls/sys_enter_openat')).toBe(a);
    expect(tracepointFormat('tracepoint/syscalls/sys_enter_openat')).toBe(a);
    expect(a.format.fields.map((f) => `${f.name}@${f.offset}/${f.size}`).slice(4)).toEqual([
      '__syscall_nr@8/4', 'dfd@16/8', 'filename@24/8', 'flags@32/8', 'mode@40/8',
    ]);
    const comm = tracepointFormat('sched:sched_switch').format.fields.find((f) => f.name === 'prev_comm')!;
    expect([comm.type, comm.arrayLen, comm.size]).toEqual(['char', 16, 16]);
    const fn = tracepointFormat('sched:sched_process_exec').format.fields.find((f) => f.name === 'filename')!;
    expect([fn.dynamic, fn.type, fn.size]).toEqual(['data_loc', '__data_loc char[]', 4]);
    expect(hasTracepoint('sched:sched_switch')).toBe(true);
    expect(hasTracepoint('sched:nope')).toBe(false);
    expect(listTracepoints('sys_enter_openat')).toEqual(['syscalls:sys_enter_openat', 'syscalls:sys_enter_openat2']);
    expect(listTracepoints('sched:sched_process_*')).toEqual(expect.arrayContaining(['sched:sched_process_exec', 'sched:sched_process_exit', 'sched:sched_process_fork']));
    expect(listTracepoints('sched:sched_process_*').every((n) => n.startsWith('sched:sched_process_'))).toBe(true);
    expect(listTracepoints('sys_e?it_read')).toEqual(['syscalls:sys_exit_read']);
    expect(listTracepoints('syscalls:sys_exit_read')).toEqual(['syscalls:sys_exit_read']);
    expect(listTracepoints('syscalls/sys_exit_read')).toEqual(['syscalls:sys_exit_read']);
    expect(listTracepoints('syscalls:sys_exit_rea').length).toBeGreaterThan(3);
    expect(() => tracepointFormat('syscalls:sys_enter_opnat')).toThrow(TracepointError);
    expect(() => tracepointFormat('sched:sched_swich')).toThrow(/no tracepoint sched:sched_swich/);
  });

  describe('agreement with the profile BTF', () => {
    const btf = vmlinuxBtf();

    test('common fields are struct trace_entry', () => {
      const te = struct(btf, 'trace_entry')!;
      const f = tracepointFormat('sched:sched_switch').format.fields;
      expect(te.members.map((m) => `common_${m.name}@${m.bitOffset / 8}`)).toEqual(f.slice(0, 4).map((x) => `${x.name}@${x.offset}`));
    });

    test('syscalls records are syscall_trace_enter/exit and trace_event_raw_sys_enter/exit: nr at 8, args from 16, 8 bytes each', () => {
      const at = (s: Struct, n: string) => s.members.find((m) => m.name === n)!.bitOffset / 8;
      const ste = struct(btf, 'syscall_trace_enter')!;
      const stx = struct(btf, 'syscall_trace_exit')!;
      const raw = struct(btf, 'trace_event_raw_sys_enter')!;
      const rawx = struct(btf, 'trace_event_raw_sys_exit')!;
      expect([at(ste, 'nr'), at(ste, 'args'), at(raw, 'id'), at(raw, 'args')]).toEqual([8, 16, 8, 16]);
      expect([at(stx, 'nr'), at(stx, 'ret'), at(rawx, 'ret')]).toEqual([8, 16, 16]);
      const bad: string[] = [];
      let n = 0;
      for (const name of listTracepoints('syscalls:sys_*')) {
        const { format: f, event } = tracepointFormat(name);
        const own = f.fields.filter((x) => !x.common);
        if (own[0].name !== '__syscall_nr' || own[0].offset !== at(ste, 'nr') || own[0].size !== 4) bad.push(`${name}: ${own[0].name}`);
        if (event.startsWith('sys_enter_')) {
          own.slice(1).forEach((x, i) => {
            if (x.offset !== at(ste, 'args') + 8 * i || x.size !== 8) bad.push(`${name}: ${x.name}@${x.offset}/${x.size}`);
          });
          if (own.length > 7) bad.push(`${name}: ${own.length - 1} args`);
        } else {
          const r = own.slice(1).map((x) => `${x.name}@${x.offset}/${x.size}`);
          if (r.join() !== `ret@${at(stx, 'ret')}/8`) bad.push(`${name}: ${r.join()}`);
        }
        n++;
      }
      expect(bad).toEqual([]);
      expect(n).toBeGreaterThan(600);
    });

    test('events with a trace_event_raw_<event> struct have their fields where the struct puts them', () => {
      const bad: string[] = [];
      let checked = 0;
      let structs = 0;
      const byName = new Map<string, Struct>();
      for (const t of btf.types) if (t.kind === 4 && t.name.startsWith('trace_event_raw_')) byName.set(t.name, t as unknown as Struct);
      for (const name of names) {
        const { format: f, event } = tracepointFormat(name);
        const s = byName.get(`trace_event_raw_${event}`);
        if (!s) continue;
        for (const x of f.fields) {
          if (x.common) continue;
          const m = s.members.find((mm) => mm.name === x.name || mm.name === `__data_loc_${x.name}` || mm.name === `__rel_loc_${x.name}`);
          if (!m) continue;
          checked++;
          if (m.bitOffset !== x.offset * 8) bad.push(`${name}: ${x.name} at ${x.offset}, BTF says ${m.bitOffset / 8}`);
        }
        // Variable-length data starts at sizeof(struct trace_event_raw_<event>).
        if (f.dataOffset !== s.size) bad.push(`${name}: data at ${f.dataOffset}, sizeof(struct) ${s.size}`);
        structs++;
      }
      expect(bad).toEqual([]);
      expect(checked).toBeGreaterThan(1000);
      expect(structs).toBeGreaterThan(300);
    });
  });

  test('on the profile kernel, every format equals the host tracefs file byte for byte', () => {
    const btfMeta = JSON.parse(fs.readFileSync(path.join(DATA, 'vmlinux.btf.json'), 'utf8'));
    let hostSha = '';
    try {
      hostSha = crypto.createHash('sha256').update(fs.readFileSync('/sys/kernel/btf/vmlinux')).digest('hex');
    } catch { /* no BTF on this host */ }
    const events = ['/sys/kernel/tracing/events', '/sys/kernel/debug/tracing/events'].find((d) => fs.existsSync(path.join(d, 'sched')));
    if (hostSha !== btfMeta.sha256 || !events) {
      console.log(`skipped: host is not the profile kernel (${meta.kernel}) or tracefs is not mounted`);
      return;
    }
    const diff: string[] = [];
    for (const n of names) {
      const [sys, ev] = n.split(':');
      let host: string | undefined;
      try {
        host = fs.readFileSync(path.join(events, sys, ev, 'format'), 'utf8');
      } catch { /* missing on host */ }
      if (host !== tracepointFormat(n).text) diff.push(n);
    }
    expect(diff).toEqual([]);
  });
});
