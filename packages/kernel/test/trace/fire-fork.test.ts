/**
 * tp_btf/sched_process_fork: BTF-typed (parent, child) task_struct pointers read by direct
 * loads; fired by fork and by thread creation, in the parent's context.
 */
import { CLONE } from '../../src';
import { clang, cstring, loadTool, ringRecords, spawn } from './fire-kit';

function decode(b: Uint8Array) {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u = (i: number) => dv.getUint32(i * 4, true);
  return { parentPid: u(0), parentTgid: u(1), childPid: u(2), childTgid: u(3), childPpid: u(4), current: u(5), parentComm: cstring(b.subarray(24, 40)), childComm: cstring(b.subarray(40, 56)) };
}

(clang ? describe : describe.skip)('tp_btf/sched_process_fork', () => {
  test('parent and child task_structs of forks and clones', () => {
    const t = loadTool('forksnoop');
    const { k } = t;
    const sh = spawn(k, k.world.init, '/bin/sh', ['sh']).child;
    const c = k.syscall(sh, 'fork').child!;
    const th = k.syscall(sh, 'clone', [CLONE.VM | CLONE.FS | CLONE.FILES | CLONE.SIGHAND | CLONE.THREAD, 0, 0, 0, 0]).child!;
    // A thread forks: the child's parent is the thread, its real_parent->tgid the process.
    const gc = k.syscall(th, 'fork').child!;
    const recs = ringRecords(t).map(decode);
    expect(recs).toEqual([
      { parentPid: 1, parentTgid: 1, childPid: sh.pid, childTgid: sh.pid, childPpid: 1, current: 1, parentComm: 'init', childComm: 'init' },
      { parentPid: sh.pid, parentTgid: sh.pid, childPid: c.pid, childTgid: c.pid, childPpid: sh.pid, current: sh.pid, parentComm: 'sh', childComm: 'sh' },
      { parentPid: sh.pid, parentTgid: sh.pid, childPid: th.pid, childTgid: sh.pid, childPpid: 1, current: sh.pid, parentComm: 'sh', childComm: 'sh' },
      { parentPid: th.pid, parentTgid: sh.pid, childPid: gc.pid, childTgid: gc.pid, childPpid: sh.pid, current: th.pid, parentComm: 'sh', childComm: 'sh' },
    ]);
  });
});
