/**
 * An execsnoop-like tool on syscalls:sys_enter_execve + sys_exit_execve, driven by processes
 * forking and exec'ing in the simulated world: file name and argv come from the caller's user
 * memory (bpf_probe_read_user_str), the parent from task->real_parent->tgid (CO-RE), the comm
 * from bpf_get_current_comm after the exec, the result from the sys_exit record.
 */
import { Errno } from '@bpfsim/uapi';
import { clang, cstring, cstrings, loadTool, ringRecords, spawn, type Tool } from './fire-kit';

interface ExecEvent { pid: number; ppid: number; uid: number; retval: number; comm: string; args: string[] }

function decode(b: Uint8Array): ExecEvent {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const count = dv.getUint32(16, true);
  return {
    pid: dv.getUint32(0, true), ppid: dv.getUint32(4, true), uid: dv.getUint32(8, true), retval: dv.getInt32(12, true),
    comm: cstring(b.subarray(24, 40)), args: cstrings(b.subarray(40), count),
  };
}

/** A shell (forked from init, exec'ed /bin/sh) that runs commands; some fail, one as uid 1000. */
function session(t: Tool): { sh: number; pids: number[] } {
  const { k } = t;
  const init = k.world.init;
  const sh = spawn(k, init, '/bin/sh', ['sh']).child;
  const pids: number[] = [];
  const ls = spawn(k, sh, '/bin/ls', ['ls', '-l', '/tmp']);
  pids.push(ls.child.tgid);
  k.syscall(ls.child, 'exit_group', [0]);
  k.syscall(sh, 'wait4', [-1, 0, 0, 0]);
  const bad = spawn(k, sh, '/no/such/prog', ['prog', 'x']);
  expect(bad.execRet).toBe(-Errno.ENOENT);
  pids.push(bad.child.tgid);
  k.syscall(bad.child, 'exit_group', [127]);
  k.syscall(sh, 'wait4', [-1, 0, 0, 0]);
  // A child that drops to uid 1000 before exec'ing, with more arguments than the tool keeps.
  const f = k.syscall(sh, 'fork');
  const u = f.child!;
  expect(k.syscall(u, 'setuid', [1000]).ret).toBe(0);
  expect(k.syscall(u, 'execve', ['/bin/cat', ['cat', 'a', 'b', 'c', 'd'], []]).ret).toBe(0);
  pids.push(u.tgid);
  return { sh: sh.tgid, pids };
}

(clang ? describe : describe.skip)('execsnoop on sys_enter_execve / sys_exit_execve', () => {
  test('each execve of the world is one record: filename, argv, ppid, uid, comm after exec, retval', () => {
    const t = loadTool('execsnoop');
    const { sh, pids } = session(t);
    const recs = ringRecords(t).map(decode);
    expect(recs).toEqual([
      // The shell's own exec from init's child.
      { pid: sh, ppid: 1, uid: 0, retval: 0, comm: 'sh', args: ['/bin/sh'] },
      { pid: pids[0], ppid: sh, uid: 0, retval: 0, comm: 'ls', args: ['/bin/ls', '-l', '/tmp'] },
      // A failed exec: the comm is still the shell's, retval -ENOENT.
      { pid: pids[1], ppid: sh, uid: 0, retval: -Errno.ENOENT, comm: 'sh', args: ['/no/such/prog', 'x'] },
      { pid: pids[2], ppid: sh, uid: 1000, retval: 0, comm: 'cat', args: ['/bin/cat', 'a', 'b', 'c'] },
    ]);
    // Every entry was consumed at exit: nothing left in the tool's hash.
    expect(t.obj.map('execs').keys()).toEqual([]);
  });

  test('const volatile filters set before load (targ_uid) select the records', () => {
    const t = loadTool('execsnoop', { globals: { targ_uid: 1000 } });
    const { pids } = session(t);
    expect(ringRecords(t).map(decode).map((r) => [r.pid, r.uid, r.comm])).toEqual([[pids[2], 1000, 'cat']]);
  });

  test('same seed, same records, byte for byte', () => {
    const runs = [0, 1].map(() => {
      const t = loadTool('execsnoop', { seed: 'det' });
      session(t);
      return ringRecords(t).map((b) => Buffer.from(b).toString('hex'));
    });
    expect(runs[0].length).toBe(4);
    expect(runs[1]).toEqual(runs[0]);
  });
});
