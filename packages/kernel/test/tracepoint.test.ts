/** Tracepoint records: format parsing, record layout, and a tracepoint program reading one through a hook. */
import { assemble } from '@bpfsim/isa';
import { parseTracepointFormat, tracepointRecord } from '@bpfsim/kernel';
import { newKernel } from './kit';

// /sys/kernel/tracing/events/syscalls/sys_enter_openat/format of a 6.x x86-64 kernel.
const OPENAT = `name: sys_enter_openat
ID: 700
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;
\tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;
\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;
\tfield:int flags;\toffset:32;\tsize:8;\tsigned:0;
\tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;

print fmt: "dfd: 0x%08lx, filename: 0x%08lx, flags: 0x%08lx, mode: 0x%08lx", ((unsigned long)(REC->dfd)), ((unsigned long)(REC->filename)), ((unsigned long)(REC->flags)), ((unsigned long)(REC->mode))
`;

describe('tracepoint records', () => {
  test('parse a format file and lay a record out by it', () => {
    const fmt = parseTracepointFormat(OPENAT);
    expect(fmt.name).toBe('sys_enter_openat');
    expect(fmt.fields.map((f) => `${f.name}@${f.offset}/${f.size}${f.signed ? 's' : ''}`)).toEqual([
      'common_type@0/2', 'common_flags@2/1', 'common_preempt_count@3/1', 'common_pid@4/4s', '__syscall_nr@8/4s', 'dfd@16/8', 'filename@24/8', 'flags@32/8', 'mode@40/8',
    ]);
    const rec = tracepointRecord(fmt, { common_pid: 1234, __syscall_nr: 257, dfd: -100, flags: 0x241, mode: 0o644 });
    const dv = new DataView(rec.buffer);
    expect(rec.length).toBe(48);
    expect(dv.getUint16(0, true)).toBe(700);
    expect(dv.getInt32(4, true)).toBe(1234);
    expect(dv.getBigInt64(16, true)).toBe(-100n);
    expect(dv.getBigUint64(32, true)).toBe(0x241n);
  });

  test('a tracepoint program reads the record through a hook', () => {
    const k = newKernel();
    const fmt = parseTracepointFormat(OPENAT);
    const r = k.bpf.progLoad({ progType: 5, insns: assemble('r0 = *(u64 *)(r1 + 32)\nexit', { dialect: 'kernel' }), license: 'GPL', name: 'tp' });
    expect(r.fd).toBeGreaterThan(0);
    k.bpf.linkCreate({ progFd: r.fd, hook: 'tracepoint/syscalls/sys_enter_openat' });
    const out = k.hooks.fire('tracepoint/syscalls/sys_enter_openat', () => ({ ctx: { bytes: tracepointRecord(fmt, { flags: 0o1101 }), writable: false } }));
    expect(out.map((o) => o.r0)).toEqual([0o1101n]);
  });

  test('errors name the line and the field', () => {
    expect(() => parseTracepointFormat('name: x\nID: 1\nformat:\n\tfield:int a;\toffset:zero;\n', 'x/format')).toThrow("x/format:4: expected 'field:<decl>; offset:N; size:N; signed:0|1;', got 'field:int a;\toffset:zero;'");
    const fmt = parseTracepointFormat(OPENAT);
    expect(() => tracepointRecord(fmt, { nope: 1 })).toThrow(/tracepoint sys_enter_openat: no field nope \(fields: common_type/);
  });
});
