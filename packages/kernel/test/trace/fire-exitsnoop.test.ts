/**
 * An exitsnoop-like tool on sched:sched_process_exit: exit_group with a code, death by a signal,
 * and a thread's exit, each read through task->exit_code, task->start_time and
 * task->real_parent->tgid of the current task's task_struct in kernel memory.
 */
import { CLONE, SIG } from '../../src';
import { clang, cstring, loadTool, ringRecords, spawn } from './fire-kit';

interface ExitEvent { duration: bigint; pid: number; tid: number; ppid: number; sig: number; code: number; comm: string }

function decode(b: Uint8Array): ExitEvent {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    duration: dv.getBigUint64(0, true), pid: dv.getUint32(8, true), tid: dv.getUint32(12, true), ppid: dv.getUint32(16, true),
    sig: dv.getUint32(20, true), code: dv.getInt32(24, true), comm: cstring(b.subarray(28, 44)),
  };
}

const THREAD = CLONE.VM | CLONE.FS | CLONE.FILES | CLONE.SIGHAND | CLONE.THREAD;

function run(byProcess: boolean) {
  const t = loadTool('exitsnoop', { globals: { trace_by_process: byProcess } });
  const { k } = t;
  const sh = spawn(k, k.world.init, '/bin/sh', ['sh']).child;
  const tr = spawn(k, sh, '/bin/true', ['true']).child;
  k.syscall(tr, 'getpid');
  k.syscall(tr, 'exit_group', [3]);
  const tStart = tr.startTime;
  const afterTrue = k.clock.monotonicNs;
  k.syscall(sh, 'wait4', [-1, 0, 0, 0]);
  const victim = k.syscall(sh, 'fork').child!;
  k.syscall(sh, 'kill', [victim.pid, SIG.SIGKILL]);
  k.syscall(sh, 'wait4', [-1, 0, 0, 0]);
  const mt = spawn(k, sh, '/bin/cat', ['cat']).child;
  const th = k.syscall(mt, 'clone', [THREAD, 0, 0, 0, 0]).child!;
  k.syscall(th, 'exit', [0]);
  k.syscall(mt, 'exit_group', [0]);
  return { recs: ringRecords(t).map(decode), sh: sh.tgid, tr: tr.tgid, victim: victim.tgid, mt: mt.tgid, th: th.pid, tStart, afterTrue };
}

(clang ? describe : describe.skip)('exitsnoop on sched_process_exit', () => {
  test('exit codes, killing signals and parents of exiting processes, threads skipped', () => {
    const r = run(true);
    expect(r.recs.map(({ duration, ...e }) => e)).toEqual([
      { pid: r.tr, tid: r.tr, ppid: r.sh, sig: 0, code: 3, comm: 'true' },
      { pid: r.victim, tid: r.victim, ppid: r.sh, sig: SIG.SIGKILL, code: 0, comm: 'sh' },
      { pid: r.mt, tid: r.mt, ppid: r.sh, sig: 0, code: 0, comm: 'cat' },
    ]);
    // The lifetime is now - task->start_time (the fork's CLOCK_MONOTONIC): inside the process's real life.
    expect(r.recs[0].duration).toBeGreaterThan(0n);
    expect(r.recs[0].duration).toBeLessThanOrEqual(r.afterTrue - r.tStart);
  });

  test('with trace_by_process off, a thread exit is a record of its own (tid != pid)', () => {
    const r = run(false);
    expect(r.recs.map((e) => [e.pid, e.tid])).toEqual([[r.tr, r.tr], [r.victim, r.victim], [r.mt, r.th], [r.mt, r.mt]]);
  });

  test('deterministic: the same seed gives the same records, durations included', () => {
    expect(run(true).recs).toEqual(run(true).recs);
  });
});
