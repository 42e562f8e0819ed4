/**
 * Records built from the profile's tracepoint formats are what clang-built tracepoint programs,
 * written against the emitted vmlinux.h (struct trace_event_raw_*), expect: syscall args at the
 * format's offsets, and a __data_loc string where its slot points.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { formatBtfC } from '@bpfsim/loader';
import { Kernel, tracepointFormat, tracepointRecord, vmlinuxBtf } from '@bpfsim/kernel';

const clang = ['clang-19', 'clang'].find((c) => spawnSync(c, ['--version']).status === 0);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-tp-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('a __data_loc field is laid out after the fixed part, its slot holding length << 16 | offset', () => {
  const fmt = tracepointFormat('sched:sched_process_exec').format;
  const rec = tracepointRecord(fmt, { filename: Buffer.from('/bin/sh\0'), pid: 7, old_pid: 7 });
  const dv = new DataView(rec.buffer);
  const slot = dv.getUint32(fmt.fields.find((f) => f.name === 'filename')!.offset, true);
  expect([slot >>> 16, slot & 0xffff]).toEqual([8, fmt.dataOffset]);
  expect(Buffer.from(rec.subarray(fmt.dataOffset, fmt.dataOffset + 7)).toString()).toBe('/bin/sh');
  expect(rec.length % 8).toBe(0);
});

(clang ? test : test.skip)('clang-built tracepoint programs read the records as the kernel lays them out', () => {
  const dir = tmp;
  fs.writeFileSync(path.join(dir, 'vmlinux.h'), formatBtfC(vmlinuxBtf()));
  const obj = path.join(dir, 'tp_read.bpf.o');
  const r = spawnSync(clang!, ['-g', '-O2', '-target', 'bpf', '-I', dir, '-c', path.join(__dirname, 'fixtures', 'tp_read.bpf.c'), '-o', obj], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  const k = new Kernel({ seed: 3, btf: vmlinuxBtf() });
  const lo = k.loadObject(new Uint8Array(fs.readFileSync(obj)), { file: 'tp_read.bpf.o' });
  const open = tracepointFormat('syscalls:sys_enter_openat').format;
  lo.program('enter_openat').exercise({ ctxIn: tracepointRecord(open, { common_pid: 321, __syscall_nr: 257, dfd: -100, filename: 0x7f0000001000n, flags: 0o101, mode: 0o644 }) });
  const exec = tracepointFormat('sched:sched_process_exec').format;
  lo.program('exec').exercise({ ctxIn: tracepointRecord(exec, { filename: Buffer.from('/usr/bin/curl\0'), pid: 99, old_pid: 98 }) });
  const slot = (i: number) => {
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, i, true);
    return new DataView(lo.map('out').lookup(key)!.buffer).getBigUint64(0, true);
  };
  expect([0, 1, 2, 3, 4, 5, 6, 7].map(slot)).toEqual([257n, BigInt.asUintN(64, -100n), 0o101n, 0o644n, 0x7f0000001000n, 99n, 98n, 14n]);
  const name = lo.map('fname').lookup(new Uint8Array(4))!;
  expect(Buffer.from(name.subarray(0, name.indexOf(0))).toString()).toBe('/usr/bin/curl');
});
