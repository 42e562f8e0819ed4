/**
 * The SEC() table against the system libbpf (libbpf_prog_type_by_name through
 * tools/libbpf-load --sec): for section names generated from every pattern —
 * exact, with a "/target" suffix, with junk appended, truncated — bpfsim and
 * libbpf agree on known/unknown, program type and attach type. Entries newer
 * than the installed libbpf are listed here by version.
 */
import { spawnSync } from 'child_process';
import { findSectionDef, SECTION_DEFS } from '../src';
import { libbpfTool } from './helpers/corpus';

/** Patterns libbpf 1.1 (Debian 12's libbpf-dev) does not have yet; they come from newer libbpf. */
const NEWER_LIBBPF = new Set([
  'kprobe.session+', // 1.5
  'uprobe.multi+', 'uretprobe.multi+', 'uprobe.multi.s+', 'uretprobe.multi.s+', // 1.2
  'tc/ingress', 'tc/egress', 'tcx/ingress', 'tcx/egress', 'netkit/primary', 'netkit/peer', // 1.3
  'cgroup/connect_unix', 'cgroup/sendmsg_unix', 'cgroup/recvmsg_unix', 'cgroup/getpeername_unix', 'cgroup/getsockname_unix', // 1.3
  'netfilter', // 1.2
  'struct_ops.s+', // 1.2
  'usdt.s+', // 1.2
  'sk_skb/verdict', // 1.2
]);

function names(): string[] {
  const out = new Set<string>();
  for (const d of SECTION_DEFS) {
    const base = d.pattern.replace(/[+/]$/, '');
    out.add(base);
    out.add(`${base}x`);
    out.add(base.slice(0, -1));
    if (d.pattern.endsWith('+') || d.pattern.endsWith('/')) {
      out.add(`${base}/target`);
      out.add(`${base}/a/b:c+0x10`);
    } else {
      out.add(`${base}/x`);
    }
  }
  return [...out].filter(Boolean).sort();
}

const tool = libbpfTool();
(tool.path ? describe : describe.skip)('SEC() names: bpfsim vs libbpf_prog_type_by_name', () => {
  const all = names();
  const r = spawnSync(tool.path!, ['--sec', ...all], { encoding: 'utf8' });
  const theirs = new Map<string, { known: boolean; type: number; expected_attach_type: number }>(
    r.stdout.split('\n').filter(Boolean).map((l) => {
      const j = JSON.parse(l);
      return [j.sec, j];
    }),
  );

  test.each(all)('%s', (sec) => {
    const ours = findSectionDef(sec);
    const lib = theirs.get(sec)!;
    if (ours && NEWER_LIBBPF.has(ours.def.pattern) && !lib.known) return; // libbpf 1.1 predates it
    expect({ sec, known: ours !== undefined, type: ours?.progType ?? 0, attach: ours ? ours.def.attachType : 0 })
      .toEqual({ sec, known: lib.known, type: lib.type, attach: lib.expected_attach_type });
  });

  test('the list of newer entries is exact (no entry the installed libbpf knows is excused)', () => {
    const excusedButKnown = SECTION_DEFS.filter((d) => NEWER_LIBBPF.has(d.pattern) && theirs.get(d.pattern.replace(/[+/]$/, ''))?.known);
    expect(excusedButKnown.map((d) => d.pattern)).toEqual([]);
  });
});

describe('attach targets from section names', () => {
  test.each([
    ['kprobe/do_unlinkat', { kind: 'kprobe', fn: 'do_unlinkat', offset: 0, retprobe: false }],
    ['kprobe/tcp_connect+0x1a', { kind: 'kprobe', fn: 'tcp_connect', offset: 26, retprobe: false }],
    ['kretprobe/__x64_sys_execve', { kind: 'kprobe', fn: '__x64_sys_execve', offset: 0, retprobe: true }],
    ['ksyscall/execve', { kind: 'ksyscall', syscall: 'execve', retprobe: false }],
    ['kretsyscall/openat', { kind: 'ksyscall', syscall: 'openat', retprobe: true }],
    ['uprobe//bin/bash:readline', { kind: 'uprobe', path: '/bin/bash', fn: 'readline', offset: 0, retprobe: false }],
    ['uretprobe//usr/lib/libc.so.6:malloc+16', { kind: 'uprobe', path: '/usr/lib/libc.so.6', fn: 'malloc', offset: 16, retprobe: true }],
    ['tracepoint/syscalls/sys_enter_openat', { kind: 'tracepoint', category: 'syscalls', name: 'sys_enter_openat' }],
    ['tp/sched/sched_switch', { kind: 'tracepoint', category: 'sched', name: 'sched_switch' }],
    ['raw_tracepoint/sched_switch', { kind: 'raw_tracepoint', name: 'sched_switch', writable: false }],
    ['raw_tp.w/bpf_test_finish', { kind: 'raw_tracepoint', name: 'bpf_test_finish', writable: true }],
    ['tp_btf/sched_wakeup', { kind: 'tp_btf', name: 'sched_wakeup' }],
    ['fentry/do_unlinkat', { kind: 'tracing', fn: 'do_unlinkat', mode: 'fentry' }],
    ['fexit.s/do_unlinkat', { kind: 'tracing', fn: 'do_unlinkat', mode: 'fexit' }],
    ['fmod_ret/security_file_open', { kind: 'tracing', fn: 'security_file_open', mode: 'fmod_ret' }],
    ['lsm/file_open', { kind: 'lsm', hook: 'file_open' }],
    ['iter/task', { kind: 'iter', target: 'task' }],
    ['usdt//usr/bin/python3:python:function__entry', { kind: 'usdt', path: '/usr/bin/python3', provider: 'python', name: 'function__entry' }],
    ['xdp', undefined],
    ['kprobe', undefined],
  ])('%s', (sec, target) => {
    expect(findSectionDef(sec)?.attachTarget).toEqual(target);
  });

  test('sleepable and frags flags', () => {
    expect(findSectionDef('fentry.s/x')).toMatchObject({ sleepable: true, progFlags: 1 << 4 });
    expect(findSectionDef('xdp.frags')).toMatchObject({ sleepable: false, progFlags: 1 << 5 });
    expect(findSectionDef('xdp')).toMatchObject({ sleepable: false, progFlags: 0, expectedAttachType: 37 });
    expect(findSectionDef('kprobe/x')?.expectedAttachType).toBeUndefined();
  });
});
