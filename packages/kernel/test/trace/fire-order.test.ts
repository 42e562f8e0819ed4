/**
 * What fires when: a process forked, exec'ed, renamed, exited and reaped, seen by programs on
 * every event it passes (tracepoint, raw_tp and tp_btf), in the kernel's order; each
 * tracepoint program's context is the record the event's format describes (struct
 * trace_entry with common_type = the event id and common_pid, then the fields).
 */
import { SYSCALL_NR_X86_64 as NR } from '../../src/syscalls/table';
import { tracepointFormat, tracepointRecord } from '../../src';
import { clang, cstring, loadTool, ringRecords } from './fire-kit';

const TAGS = ['', 'sys_enter_execve', 'sys_exit_execve', 'task_newtask', 'sched_process_fork', 'task_rename', 'sched_process_exec', 'sched_process_exit', 'sched_process_free', 'raw sys_enter', 'raw sys_exit', 'btf sched_process_exec', 'btf task_rename'];
const comm16 = (s: string) => { const b = new Uint8Array(16); b.set(Buffer.from(s)); return b; };
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

(clang ? describe : describe.skip)('tracepoints fired by the world, in order', () => {
  test('fork, execve, prctl(PR_SET_NAME), exit_group, wait4', () => {
    const t = loadTool('tp_order');
    const { k } = t;
    const init = k.world.init;
    const c = k.syscall(init, 'fork').child!;
    const ex = k.syscall(c, 'execve', ['/bin/ls', ['ls'], []]);
    expect(ex.ret).toBe(0);
    k.syscall(c, 'prctl', [15, 'worker']);
    k.syscall(c, 'exit_group', [2]);
    k.syscall(init, 'wait4', [c.pid, 0, 0, 0]);
    const recs = ringRecords(t).map((b) => {
      const dv = new DataView(b.buffer, b.byteOffset);
      return { tag: TAGS[dv.getUint32(0, true)], pid: dv.getUint32(4, true), data: b.subarray(8) };
    });
    const raw = (r: { data: Uint8Array }) => new DataView(r.data.buffer, r.data.byteOffset).getBigInt64(8, true);
    expect(recs.map((r) => `${r.tag}${r.tag.startsWith('raw') ? `(${raw(r)})` : ''} @${r.pid}`)).toEqual([
      `raw sys_enter(${NR.fork}) @1`, 'task_newtask @1', 'sched_process_fork @1', `raw sys_exit(${c.pid}) @1`,
      `raw sys_enter(${NR.execve}) @${c.pid}`, `sys_enter_execve @${c.pid}`,
      `task_rename @${c.pid}`, `btf task_rename @${c.pid}`, `sched_process_exec @${c.pid}`, `btf sched_process_exec @${c.pid}`,
      `raw sys_exit(0) @${c.pid}`, `sys_exit_execve @${c.pid}`,
      `raw sys_enter(${NR.prctl}) @${c.pid}`, `task_rename @${c.pid}`, `btf task_rename @${c.pid}`, `raw sys_exit(0) @${c.pid}`,
      `raw sys_enter(${NR.exit_group}) @${c.pid}`, `sched_process_exit @${c.pid}`,
      `raw sys_enter(${NR.wait4}) @1`, 'sched_process_free @1', `raw sys_exit(${c.pid}) @1`,
    ]);
    const rec = (tag: string, i = 0) => recs.filter((r) => r.tag === tag)[i].data;
    const fixed = (name: string, values: Record<string, bigint | number | Uint8Array>, n: number) => hex(tracepointRecord(tracepointFormat(name).format, values).subarray(0, n));
    // Fixed parts, byte for byte (the __data_loc strings follow; their slots are checked here).
    expect(hex(rec('task_newtask').subarray(0, 48))).toBe(fixed('task:task_newtask', { common_pid: 1, pid: c.pid, comm: comm16('init'), clone_flags: 0n, oom_score_adj: 0 }, 48));
    expect(hex(rec('sched_process_fork').subarray(0, 24))).toBe(fixed('sched:sched_process_fork', { common_pid: 1, parent_comm: Buffer.from('init\0'), parent_pid: 1, child_comm: Buffer.from('init\0'), child_pid: c.pid }, 24));
    expect(hex(rec('task_rename', 0).subarray(0, 48))).toBe(fixed('task:task_rename', { common_pid: c.pid, pid: c.pid, oldcomm: comm16('init'), newcomm: comm16('ls'), oom_score_adj: 0 }, 48));
    expect(hex(rec('task_rename', 1).subarray(0, 48))).toBe(fixed('task:task_rename', { common_pid: c.pid, pid: c.pid, oldcomm: comm16('ls'), newcomm: comm16('worker'), oom_score_adj: 0 }, 48));
    expect(hex(rec('sched_process_exec').subarray(0, 24))).toBe(fixed('sched:sched_process_exec', { common_pid: c.pid, filename: Buffer.from('/bin/ls\0'), pid: c.pid, old_pid: c.pid }, 24));
    expect(hex(rec('sched_process_exit').subarray(0, 40))).toBe(fixed('sched:sched_process_exit', { common_pid: c.pid, comm: comm16('worker'), pid: c.pid, prio: 120, group_dead: 1 }, 40));
    expect(hex(rec('sched_process_free').subarray(0, 24))).toBe(fixed('sched:sched_process_free', { common_pid: 1, comm: Buffer.from('worker\0'), pid: c.pid, prio: 120 }, 24));
    expect(hex(rec('sys_exit_execve').subarray(0, 24))).toBe(fixed('syscalls:sys_exit_execve', { common_pid: c.pid, __syscall_nr: NR.execve, ret: 0n }, 24));
    // sys_enter_execve: the three argument registers as the caller passed them (pointers into its memory).
    const enter = new DataView(rec('sys_enter_execve').buffer, rec('sys_enter_execve').byteOffset);
    expect(enter.getUint16(0, true)).toBe(tracepointFormat('syscalls:sys_enter_execve').format.id);
    expect([enter.getInt32(4, true), enter.getInt32(8, true)]).toEqual([c.pid, NR.execve]);
    const filenamePtr = enter.getBigUint64(16, true);
    expect(filenamePtr).toBeGreaterThan(0n);
    // tp_btf arguments: old_pid and bprm->filename; (task, comm) before the rename.
    const be = rec('btf sched_process_exec');
    expect([new DataView(be.buffer, be.byteOffset).getUint32(0, true), cstring(be.subarray(4))]).toEqual([c.pid, '/bin/ls']);
    const br = rec('btf task_rename', 1);
    expect([cstring(br.subarray(0, 16)), cstring(br.subarray(16, 32))]).toEqual(['ls', 'worker']);
  });

  test('a syscall that sleeps fires its sys_exit when it completes, in the sleeper\'s name', () => {
    const t = loadTool('tp_order');
    const { k } = t;
    const init = k.world.init;
    const c = k.syscall(init, 'fork').child!;
    const w = k.syscall(init, 'wait4', [c.pid, 0, 0, 0]);
    expect(w.blocked).toBe(true);
    k.syscall(c, 'exit_group', [0]);
    const recs = ringRecords(t).map((b) => {
      const dv = new DataView(b.buffer, b.byteOffset);
      const tag = TAGS[dv.getUint32(0, true)];
      return `${tag}${tag.startsWith('raw') ? `(${dv.getBigInt64(16, true)})` : ''} @${dv.getUint32(4, true)}`;
    });
    // The reaping (sched_process_free) runs from the exiting child's wake-up of its parent in the model.
    expect(recs.slice(4)).toEqual([
      `raw sys_enter(${NR.wait4}) @1`,
      `raw sys_enter(${NR.exit_group}) @${c.pid}`, `sched_process_exit @${c.pid}`, `sched_process_free @${c.pid}`,
      `raw sys_exit(${c.pid}) @1`,
    ]);
  });
});
