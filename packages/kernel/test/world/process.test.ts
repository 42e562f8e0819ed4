/** Boot, fork/exec/exit/wait, orphans and subreapers, threads, vfork, signals, sessions, credentials, uts. */
import { Errno } from '@bpfsim/uapi';
import { CLONE, PER_CPU_KTHREADS, SIG, WAIT } from '../../src';
import { cstring, le32, newKernel, spawn } from './helpers';

const PR_SET_NAME = 15, PR_GET_NAME = 16, PR_SET_CHILD_SUBREAPER = 36, PR_SET_PDEATHSIG = 1;
const THREAD_FLAGS = CLONE.VM | CLONE.FS | CLONE.FILES | CLONE.SIGHAND | CLONE.THREAD | CLONE.SYSVSEM;

describe('boot', () => {
  test('init is pid 1, kthreadd pid 2, then the per-CPU kernel threads, all deterministic', () => {
    const k = newKernel({ cpus: 2 });
    const tasks = k.world.allTasks().filter((t) => t.pid > 0);
    expect(tasks.slice(0, 2).map((t) => [t.pid, t.comm, t.realParent.pid])).toEqual([[1, 'init', 0], [2, 'kthreadd', 0]]);
    const names = PER_CPU_KTHREADS.flatMap(() => []).concat(...[0, 1].map((c) => PER_CPU_KTHREADS.map((n) => n.replace('%d', String(c)))));
    expect(tasks.slice(2).map((t) => t.comm)).toEqual(names);
    expect(tasks.slice(2).every((t) => t.kthread && t.realParent.pid === 2)).toBe(true);
    expect(names).toContain('ksoftirqd/1');
    expect(names).toContain('kworker/0:0');
    expect(k.world.init.mm).toBeDefined();
    expect(k.world.kthreadd.mm).toBeUndefined();
  });

  test('kernel threads make no syscalls', () => {
    const k = newKernel();
    expect(() => k.syscall(k.world.kthreadd, 'getpid')).toThrow(/kernel thread/);
  });
});

describe('fork, exec, exit, wait', () => {
  test('a child exits, stays a zombie until its parent reaps it, and reports its status', () => {
    const k = newKernel();
    const sh = spawn(k);
    const r = k.syscall(sh, 'fork');
    const child = r.child!;
    expect(r.ret).toBe(child.pid);
    expect(k.syscall(child, 'getppid').ret).toBe(sh.pid);
    expect(k.syscall(sh, 'wait4', [-1, 0, WAIT.NOHANG, 0]).ret).toBe(0);
    k.syscall(child, 'exit_group', [300]);
    expect(child.state).toBe('zombie');
    const w = k.syscall(sh, 'wait4', [child.pid, { out: 4 }, 0, 0]);
    expect(w.ret).toBe(child.pid);
    expect(le32(w.outs[0])).toBe((300 & 0xff) << 8);
    expect(child.state).toBe('dead');
    expect(k.world.findTask(child.pid)).toBeUndefined();
    expect(k.syscall(sh, 'wait4', [-1, 0, 0, 0]).ret).toBe(-Errno.ECHILD);
    expect(k.syscall(sh, 'wait4', [-1, 0, 0x100, 0]).ret).toBe(-Errno.EINVAL);
  });

  test('wait4 sleeps until a child exits; the result arrives in task.completed', () => {
    const k = newKernel();
    const sh = spawn(k);
    const child = k.syscall(sh, 'fork').child!;
    const w = k.syscall(sh, 'wait4', [-1, 0, 0, 0]);
    expect(w.blocked).toBe(true);
    expect(sh.state).toBe('sleeping');
    expect(() => k.syscall(sh, 'getpid')).toThrow(/blocked in wait4/);
    k.syscall(child, 'exit', [0]);
    expect(sh.completed).toEqual([{ name: 'wait4', ret: child.pid }]);
    expect(sh.state).toBe('running');
  });

  test('execve: comm from the file name, argv and envp on the new stack, close-on-exec descriptors closed', () => {
    const k = newKernel();
    const sh = spawn(k);
    const fd = k.syscall(sh, 'openat', [-100, '/etc/hostname', 0o2000000, 0]).ret;
    const keep = k.syscall(sh, 'openat', [-100, '/etc/hostname', 0, 0]).ret;
    expect(k.syscall(sh, 'execve', ['/usr/bin/env', ['env', 'a-very-long-argument'], ['X=1']]).ret).toBe(0);
    expect(sh.comm).toBe('env');
    expect(sh.files.get(fd)).toBeUndefined();
    expect(sh.files.get(keep)).toBeDefined();
    const mm = sh.mm!;
    const args = k.mem.read(mm.argStart, Number(mm.argEnd - mm.argStart));
    expect(new TextDecoder().decode(args)).toBe('env\0a-very-long-argument\0');
    expect(new TextDecoder().decode(k.mem.read(mm.envStart, Number(mm.envEnd - mm.envStart)))).toBe('X=1\0');
    // argc and argv[] at the initial stack pointer.
    expect(k.mem.readU64(mm.startStack)).toBe(2n);
    const argv1 = k.mem.readU64(mm.startStack + 16n);
    expect(cstring(k.mem.read(argv1, 21))).toBe('a-very-long-argument');
    // A file name longer than 15 bytes is cut in comm.
    k.syscall(sh, 'symlink', ['/bin/true', '/tmp/a-very-long-program-name']);
    k.syscall(sh, 'execve', ['/tmp/a-very-long-program-name', ['x'], []]);
    expect(sh.comm).toBe('a-very-long-pro');
  });

  test('execve errors: ENOENT, EACCES for a directory or a file without x, ENOEXEC, EFAULT', () => {
    const k = newKernel();
    const sh = spawn(k);
    expect(k.syscall(sh, 'execve', ['/bin/nope', ['x'], []]).ret).toBe(-Errno.ENOENT);
    expect(k.syscall(sh, 'execve', ['/tmp', ['x'], []]).ret).toBe(-Errno.EACCES);
    expect(k.syscall(sh, 'execve', ['/etc/hostname', ['x'], []]).ret).toBe(-Errno.EACCES);
    const fd = k.syscall(sh, 'creat', ['/tmp/data', 0o755]).ret;
    k.syscall(sh, 'write', [fd, new Uint8Array([1, 2, 3, 4]), 4]);
    expect(k.syscall(sh, 'execve', ['/tmp/data', ['x'], []]).ret).toBe(-Errno.ENOEXEC);
    expect(k.syscall(sh, 'execve', [0x1234, 0, 0]).ret).toBe(-Errno.EFAULT);
    expect(sh.comm).toBe('sh');
  });

  test('a "#!" script runs its interpreter with the script path in argv, comm stays the script name', () => {
    const k = newKernel();
    const sh = spawn(k);
    const fd = k.syscall(sh, 'openat', [-100, '/tmp/run.sh', 0o101, 0o755]).ret;
    const text = new TextEncoder().encode('#!/bin/sh -e\necho hi\n');
    k.syscall(sh, 'write', [fd, text, text.length]);
    k.syscall(sh, 'close', [fd]);
    expect(k.syscall(sh, 'execve', ['/tmp/run.sh', ['run.sh', 'arg1'], []]).ret).toBe(0);
    expect(sh.comm).toBe('run.sh');
    const mm = sh.mm!;
    expect(new TextDecoder().decode(k.mem.read(mm.argStart, Number(mm.argEnd - mm.argStart)))).toBe('/bin/sh\0-e\0/tmp/run.sh\0arg1\0');
  });

  test('orphans go to init, or to the nearest child subreaper', () => {
    const k = newKernel();
    const sh = spawn(k);
    const mid = k.syscall(sh, 'fork').child!;
    const leaf = k.syscall(mid, 'fork').child!;
    k.syscall(mid, 'exit', [0]);
    expect(leaf.realParent).toBe(k.world.init);
    expect(k.syscall(leaf, 'getppid').ret).toBe(1);

    expect(k.syscall(sh, 'prctl', [PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0]).ret).toBe(0);
    const mid2 = k.syscall(sh, 'fork').child!;
    const leaf2 = k.syscall(mid2, 'fork').child!;
    k.syscall(mid2, 'exit', [0]);
    expect(k.syscall(leaf2, 'getppid').ret).toBe(sh.pid);
  });

  test('a parent that ignores SIGCHLD has its children reaped at exit', () => {
    const k = newKernel();
    const sh = spawn(k);
    const act = new Uint8Array(32);
    act[0] = 1; // SIG_IGN
    expect(k.syscall(sh, 'rt_sigaction', [SIG.SIGCHLD, act, 0, 8]).ret).toBe(0);
    const child = k.syscall(sh, 'fork').child!;
    k.syscall(child, 'exit', [0]);
    expect(child.state).toBe('dead');
    expect(k.syscall(sh, 'wait4', [-1, 0, 0, 0]).ret).toBe(-Errno.ECHILD);
  });

  test('waitid fills siginfo: si_code CLD_EXITED / CLD_KILLED, si_pid, si_status', () => {
    const k = newKernel();
    const sh = spawn(k);
    const a = k.syscall(sh, 'fork').child!;
    const b = k.syscall(sh, 'fork').child!;
    k.syscall(a, 'exit_group', [7]);
    k.syscall(sh, 'kill', [b.pid, SIG.SIGTERM]);
    const info = (r: { outs: Uint8Array[] }) => { const d = new DataView(r.outs[0].buffer); return [d.getInt32(0, true), d.getInt32(8, true), d.getInt32(16, true), d.getInt32(24, true)]; };
    const r1 = k.syscall(sh, 'waitid', [1, a.pid, { out: 128 }, WAIT.EXITED, 0]);
    expect(r1.ret).toBe(0);
    expect(info(r1)).toEqual([SIG.SIGCHLD, 1, a.pid, 7]);
    const r2 = k.syscall(sh, 'waitid', [0, 0, { out: 128 }, WAIT.EXITED, 0]);
    expect(info(r2)).toEqual([SIG.SIGCHLD, 2, b.pid, SIG.SIGTERM]);
    expect(k.syscall(sh, 'waitid', [0, 0, 0, 0, 0]).ret).toBe(-Errno.EINVAL);
  });
});

describe('threads and vfork', () => {
  test('threads share the tgid; exit_group takes the whole group; the leader is reported once all are gone', () => {
    const k = newKernel();
    const sh = spawn(k);
    const proc = k.syscall(sh, 'fork').child!;
    const r = k.syscall(proc, 'clone', [THREAD_FLAGS, 0, 0, 0, 0]);
    const th = r.child!;
    expect(k.syscall(th, 'getpid').ret).toBe(proc.pid);
    expect(k.syscall(th, 'gettid').ret).toBe(th.pid);
    expect(k.syscall(th, 'getppid').ret).toBe(sh.pid);
    // The leader exits alone: a zombie, not yet reapable.
    k.syscall(proc, 'exit', [0]);
    expect(proc.state).toBe('zombie');
    expect(k.syscall(sh, 'wait4', [-1, 0, WAIT.NOHANG, 0]).ret).toBe(0);
    k.syscall(th, 'exit', [5]);
    expect(th.state).toBe('dead');
    const w = k.syscall(sh, 'wait4', [-1, { out: 4 }, 0, 0]);
    expect(w.ret).toBe(proc.pid);
    expect(le32(w.outs[0])).toBe(0);
  });

  test('execve from a thread kills the others and takes the leader\'s pid', () => {
    const k = newKernel();
    const sh = spawn(k);
    const proc = k.syscall(sh, 'fork').child!;
    const th = k.syscall(proc, 'clone', [THREAD_FLAGS, 0, 0, 0, 0]).child!;
    const th2 = k.syscall(proc, 'clone', [THREAD_FLAGS, 0, 0, 0, 0]).child!;
    const leaderPid = proc.pid;
    expect(k.syscall(th, 'execve', ['/bin/ls', ['ls'], []]).ret).toBe(0);
    expect(th2.alive).toBe(false);
    expect(proc.alive).toBe(false);
    expect(th.pid).toBe(leaderPid);
    expect(th.isGroupLeader).toBe(true);
    expect(k.syscall(th, 'getpid').ret).toBe(leaderPid);
    expect(k.syscall(th, 'gettid').ret).toBe(leaderPid);
    expect(k.world.findTask(leaderPid)).toBe(th);
    expect(k.syscall(sh, 'wait4', [-1, 0, WAIT.NOHANG, 0]).ret).toBe(0);
    k.syscall(th, 'exit_group', [0]);
    expect(k.syscall(sh, 'wait4', [-1, 0, 0, 0]).ret).toBe(leaderPid);
  });

  test('vfork: the parent sleeps until the child execs', () => {
    const k = newKernel();
    const sh = spawn(k);
    const r = k.syscall(sh, 'vfork');
    expect(r.blocked).toBe(true);
    expect(r.child!.mm).toBe(sh.mm);
    k.syscall(r.child!, 'execve', ['/bin/true', ['true'], []]);
    expect(sh.completed).toEqual([{ name: 'vfork', ret: r.child!.pid }]);
    expect(r.child!.mm).not.toBe(sh.mm);
  });
});

describe('signals', () => {
  test('default actions: SIGTERM kills (status = signal), SIGCHLD is ignored, SIGSTOP/SIGCONT stop and continue', () => {
    const k = newKernel();
    const sh = spawn(k);
    const c = k.syscall(sh, 'fork').child!;
    expect(k.syscall(sh, 'kill', [c.pid, SIG.SIGCHLD]).ret).toBe(0);
    expect(c.alive).toBe(true);
    k.syscall(sh, 'kill', [c.pid, SIG.SIGSTOP]);
    expect(c.state).toBe('stopped');
    const st = k.syscall(sh, 'wait4', [c.pid, { out: 4 }, WAIT.UNTRACED, 0]);
    expect(le32(st.outs[0])).toBe(0x7f | (SIG.SIGSTOP << 8));
    k.syscall(sh, 'kill', [c.pid, SIG.SIGCONT]);
    expect(c.state).toBe('running');
    k.syscall(sh, 'kill', [c.pid, SIG.SIGTERM]);
    const w = k.syscall(sh, 'wait4', [c.pid, { out: 4 }, 0, 0]);
    expect(le32(w.outs[0])).toBe(SIG.SIGTERM);
  });

  test('errors: EINVAL for a bad signal, ESRCH for no such process, EPERM across users', () => {
    const k = newKernel();
    const sh = spawn(k);
    expect(k.syscall(sh, 'kill', [sh.pid, 65]).ret).toBe(-Errno.EINVAL);
    expect(k.syscall(sh, 'kill', [4000, 0]).ret).toBe(-Errno.ESRCH);
    expect(k.syscall(sh, 'tgkill', [sh.pid, 0, 0]).ret).toBe(-Errno.EINVAL);
    expect(k.syscall(sh, 'tgkill', [1, sh.pid, 0]).ret).toBe(-Errno.ESRCH);
    expect(k.syscall(sh, 'tkill', [sh.pid, 0]).ret).toBe(0);
    const user = k.syscall(sh, 'fork').child!;
    expect(k.syscall(user, 'setuid', [1000]).ret).toBe(0);
    expect(k.syscall(user, 'kill', [1, SIG.SIGTERM]).ret).toBe(-Errno.EPERM);
    expect(k.syscall(user, 'kill', [user.pid, 0]).ret).toBe(0);
  });

  test('kill(0) signals the caller\'s process group; a handled signal interrupts a sleeping wait with EINTR', () => {
    const k = newKernel();
    const sh = spawn(k);
    const a = k.syscall(sh, 'fork').child!;
    const b = k.syscall(sh, 'fork').child!;
    expect(k.syscall(a, 'setpgid', [0, 0]).ret).toBe(0);
    expect(k.syscall(b, 'setpgid', [0, a.pid]).ret).toBe(0);
    k.syscall(sh, 'wait4', [-1, 0, 0, 0]);
    expect(sh.blocked).toBeDefined();
    k.syscall(b, 'kill', [0, SIG.SIGKILL]);
    expect(a.alive || b.alive).toBe(false);
    // The sleeping wait returned the first zombie; the second is there at once.
    expect(sh.completed).toEqual([{ name: 'wait4', ret: a.pid }]);
    expect(k.syscall(sh, 'wait4', [-1, 0, 0, 0]).ret).toBe(b.pid);
    // A signal with a handler ends a sleeping wait with EINTR.
    const act = new Uint8Array(32);
    act[0] = 0x40; // a handler address
    expect(k.syscall(sh, 'rt_sigaction', [SIG.SIGUSR1, act, 0, 8]).ret).toBe(0);
    const c = k.syscall(sh, 'fork').child!;
    expect(k.syscall(sh, 'wait4', [-1, 0, 0, 0]).blocked).toBe(true);
    k.syscall(c, 'kill', [sh.pid, SIG.SIGUSR1]);
    expect(sh.completed[1]).toEqual({ name: 'wait4', ret: -Errno.EINTR });
    expect(sh.alive).toBe(true);
  });
});

describe('sessions, process groups, credentials, names', () => {
  test('setsid makes a new session (EPERM for a group leader); setpgid and getpgid', () => {
    const k = newKernel();
    const sh = spawn(k);
    expect(k.syscall(sh, 'getsid', [0]).ret).toBe(1);
    expect(k.syscall(sh, 'setsid').ret).toBe(sh.pid);
    expect(k.syscall(sh, 'setsid').ret).toBe(-Errno.EPERM);
    const c = k.syscall(sh, 'fork').child!;
    expect(k.syscall(c, 'getpgid', [0]).ret).toBe(sh.pid);
    expect(k.syscall(sh, 'setpgid', [c.pid, c.pid]).ret).toBe(0);
    expect(k.syscall(c, 'getpgrp').ret).toBe(c.pid);
    expect(k.syscall(sh, 'setpgid', [c.pid, 4242]).ret).toBe(-Errno.EPERM);
    k.syscall(c, 'execve', ['/bin/ls', ['ls'], []]);
    expect(k.syscall(sh, 'setpgid', [c.pid, sh.pid]).ret).toBe(-Errno.EACCES);
    expect(k.syscall(sh, 'setpgid', [sh.pid, 0]).ret).toBe(-Errno.EPERM);
    expect(k.syscall(sh, 'getpgid', [9999]).ret).toBe(-Errno.ESRCH);
  });

  test('setuid: root drops to a user for good; a user cannot become root', () => {
    const k = newKernel();
    const sh = spawn(k);
    expect(k.syscall(sh, 'setuid', [-1 >>> 0]).ret).toBe(-Errno.EINVAL);
    expect(k.syscall(sh, 'setgid', [100]).ret).toBe(0);
    expect(k.syscall(sh, 'setuid', [1000]).ret).toBe(0);
    expect([k.syscall(sh, 'getuid').ret, k.syscall(sh, 'geteuid').ret, k.syscall(sh, 'getgid').ret, k.syscall(sh, 'getegid').ret]).toEqual([1000, 1000, 100, 100]);
    expect(sh.cred.capEffective).toBe(0n);
    expect(k.syscall(sh, 'setuid', [0]).ret).toBe(-Errno.EPERM);
    expect(k.syscall(sh, 'setgid', [0]).ret).toBe(-Errno.EPERM);
    expect(k.syscall(sh, 'sethostname', ['x', 1]).ret).toBe(-Errno.EPERM);
    expect(k.syscall(sh, 'unshare', [CLONE.NEWUTS]).ret).toBe(-Errno.EPERM);
  });

  test('prctl: PR_SET_NAME cuts at 15 bytes and names one thread; PR_GET_NAME; unknown options EINVAL', () => {
    const k = newKernel();
    const sh = spawn(k);
    expect(k.syscall(sh, 'prctl', [PR_SET_NAME, 'worker-with-a-long-name', 0, 0, 0]).ret).toBe(0);
    expect(sh.comm).toBe('worker-with-a-l');
    const g = k.syscall(sh, 'prctl', [PR_GET_NAME, { out: 16 }, 0, 0, 0]);
    expect(cstring(g.outs[0])).toBe('worker-with-a-l');
    expect(k.syscall(sh, 'prctl', [9999, 0, 0, 0, 0]).ret).toBe(-Errno.EINVAL);
    expect(k.syscall(sh, 'prctl', [PR_SET_PDEATHSIG, 99, 0, 0, 0]).ret).toBe(-Errno.EINVAL);
  });

  test('PR_SET_PDEATHSIG: the child is signalled when its parent dies', () => {
    const k = newKernel();
    const sh = spawn(k);
    const c = k.syscall(sh, 'fork').child!;
    k.syscall(c, 'prctl', [PR_SET_PDEATHSIG, SIG.SIGTERM, 0, 0, 0]);
    k.syscall(sh, 'exit', [0]);
    expect(c.alive).toBe(false);
  });

  test('uname and sethostname, per UTS namespace', () => {
    const k = newKernel({ release: '6.18.0' });
    const sh = spawn(k);
    const field = (b: Uint8Array, i: number) => cstring(b.subarray(i * 65, i * 65 + 65));
    const u = k.syscall(sh, 'uname', [{ out: 390 }]).outs[0];
    expect([0, 1, 2, 4, 5].map((i) => field(u, i))).toEqual(['Linux', 'bpfsim', '6.18.0', 'x86_64', '(none)']);
    const c = k.syscall(sh, 'fork').child!;
    expect(k.syscall(c, 'unshare', [CLONE.NEWUTS]).ret).toBe(0);
    expect(k.syscall(c, 'sethostname', ['container', 9]).ret).toBe(0);
    expect(k.syscall(c, 'sethostname', ['x'.repeat(65), 65]).ret).toBe(-Errno.EINVAL);
    expect(field(k.syscall(c, 'uname', [{ out: 390 }]).outs[0], 1)).toBe('container');
    expect(field(k.syscall(sh, 'uname', [{ out: 390 }]).outs[0], 1)).toBe('bpfsim');
    expect(c.nsproxy.uts.inum).not.toBe(sh.nsproxy.uts.inum);
  });

  test('unshare: unknown flags EINVAL, CLONE_THREAD in a multi-threaded process EINVAL', () => {
    const k = newKernel();
    const sh = spawn(k);
    expect(k.syscall(sh, 'unshare', [0x1]).ret).toBe(-Errno.EINVAL);
    expect(k.syscall(sh, 'unshare', [CLONE.THREAD]).ret).toBe(0);
    k.syscall(sh, 'clone', [THREAD_FLAGS, 0, 0, 0, 0]);
    expect(k.syscall(sh, 'unshare', [CLONE.THREAD]).ret).toBe(-Errno.EINVAL);
    expect(k.syscall(sh, 'unshare', [CLONE.NEWNS | CLONE.NEWIPC | CLONE.NEWNET]).ret).toBe(0);
  });
});

describe('kill to many', () => {
  test('kill(-1): everyone else, EPERM failures ignored (0), ESRCH with no one to try; kill(-pgrp) with zombies', () => {
    const k = newKernel();
    const sh = spawn(k);
    const user = k.syscall(sh, 'fork').child!;
    k.syscall(user, 'setuid', [65534]);
    // Every other process belongs to root: nothing is signalled, yet the call succeeds.
    expect(k.syscall(user, 'kill', [-1, SIG.SIGTERM]).ret).toBe(0);
    expect(sh.alive).toBe(true);
    expect(k.syscall(user, 'kill', [-99999, 0]).ret).toBe(-Errno.ESRCH);
    // A group whose only members are zombies still exists for kill and wait.
    const a = k.syscall(sh, 'fork').child!;
    k.syscall(a, 'setpgid', [0, 0]);
    k.syscall(a, 'exit', [3]);
    expect(k.syscall(sh, 'kill', [-a.pid, 0]).ret).toBe(0);
    expect(k.syscall(sh, 'wait4', [-a.pid, 0, 0, 0]).ret).toBe(a.pid);
    expect(k.syscall(sh, 'kill', [-a.pid, 0]).ret).toBe(-Errno.ESRCH);
    // Kernel threads take signals without effect.
    expect(k.syscall(sh, 'kill', [2, SIG.SIGKILL]).ret).toBe(0);
    expect(k.world.kthreadd.alive).toBe(true);
  });
});

describe('set-id programs', () => {
  test('a set-user-ID root file runs with euid 0, full capabilities and AT_SECURE; a plain one drops a user\'s nothing', () => {
    const k = newKernel();
    const sh = spawn(k);
    const fd = k.syscall(sh, 'open', ['/bin/su', 0o101, 0o755]).ret;
    k.syscall(sh, 'write', [fd, new Uint8Array([0x7f, 0x45, 0x4c, 0x46]), 4]);
    k.syscall(sh, 'close', [fd]);
    expect(k.syscall(sh, 'chmod', ['/bin/su', 0o4755]).ret).toBe(0);
    const user = k.syscall(sh, 'fork').child!;
    k.syscall(user, 'setgid', [100]);
    k.syscall(user, 'setuid', [1000]);
    k.syscall(user, 'prctl', [PR_SET_PDEATHSIG, SIG.SIGTERM, 0, 0, 0]);
    expect(k.syscall(user, 'execve', ['/bin/ls', ['ls'], []]).ret).toBe(0);
    expect(user.cred.capEffective).toBe(0n);
    expect(user.pdeathSignal).toBe(SIG.SIGTERM);
    expect(k.syscall(user, 'execve', ['/bin/su', ['su'], []]).ret).toBe(0);
    expect([k.syscall(user, 'getuid').ret, k.syscall(user, 'geteuid').ret, k.syscall(user, 'getgid').ret]).toEqual([1000, 0, 100]);
    expect(user.cred.capEffective).toBe(user.cred.capBset);
    expect(user.pdeathSignal).toBe(0);
    // AT_SECURE (23) in the auxiliary vector after argc, argv[], NULL, envp[], NULL.
    const mm = user.mm!;
    let p = mm.startStack + 8n * 4n; // argc, argv[0], NULL, (no envp) NULL
    const aux = new Map<bigint, bigint>();
    for (let key = k.mem.readU64(p); key !== 0n; p += 16n, key = k.mem.readU64(p)) aux.set(key, k.mem.readU64(p + 8n));
    expect(aux.get(23n)).toBe(1n);
    expect(aux.get(11n)).toBe(1000n);
    expect(aux.get(12n)).toBe(0n);
  });
});
