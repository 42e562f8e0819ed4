/** `bpfsim tracepoints`: listing, filters, format text as tracefs prints it, JSON, no match. */
import * as fs from 'fs';
import { tracepointFormat } from '@bpfsim/kernel';
import { cli } from './helpers';

describe('bpfsim tracepoints', () => {
  test('lists events by substring and glob', async () => {
    const r = await cli('tracepoints', 'sys_enter_open');
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n').every((l) => l.startsWith('syscalls:sys_enter_open'))).toBe(true);
    expect(r.out.split('\n')).toEqual(expect.arrayContaining(['syscalls:sys_enter_open', 'syscalls:sys_enter_openat', 'syscalls:sys_enter_openat2']));
    const g = await cli('tracepoints', 'sched:sched_wakeu?*');
    expect(g.out.trim().split('\n')).toEqual(['sched:sched_wakeup', 'sched:sched_wakeup_new']);
    const all = await cli('tracepoints');
    expect(all.out.trim().split('\n').length).toBeGreaterThan(2300);
  });

  test('--format prints the format file byte for byte', async () => {
    const r = await cli('tracepoints', 'syscalls:sys_enter_openat2', '--format');
    expect(r.code).toBe(0);
    expect(r.out).toBe(tracepointFormat('syscalls:sys_enter_openat2').text);
    expect(r.out).toMatch(/^name: sys_enter_openat2\nID: \d+\nformat:\n\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n/);
    const host = '/sys/kernel/tracing/events/syscalls/sys_enter_openat2/format';
    const hostText = fs.existsSync(host) ? fs.readFileSync(host, 'utf8') : undefined;
    if (hostText && /name: sys_enter_openat2\nID: /.test(hostText)) {
      // Byte-for-byte against the host only when the host is the profile (the ID is host-specific otherwise).
      const id = /ID: (\d+)/.exec(hostText)![1];
      if (id === String(tracepointFormat('syscalls:sys_enter_openat2').format.id)) expect(r.out).toBe(hostText);
    }
  });

  test('--json gives the parsed fields', async () => {
    const r = await cli('tracepoints', 'sched:sched_process_exec', '--json');
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ name: 'sched:sched_process_exec', system: 'sched', event: 'sched_process_exec' });
    expect(j.fields.find((f: { name: string }) => f.name === 'filename')).toEqual({ name: 'filename', type: '__data_loc char[]', offset: 8, size: 4, signed: false, dynamic: 'data_loc' });
    expect(j.fields.find((f: { name: string }) => f.name === 'pid')).toMatchObject({ type: 'pid_t', size: 4, signed: true });
  });

  test('no match is an error naming the filter', async () => {
    const r = await cli('tracepoints', 'no_such_event_anywhere');
    expect(r.code).toBe(1);
    expect(r.err).toBe("bpfsim: no tracepoint matches 'no_such_event_anywhere'\n");
  });
});
