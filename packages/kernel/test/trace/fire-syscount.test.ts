/**
 * A raw_tracepoint counter on raw_syscalls:sys_enter: the arguments are (struct pt_regs *regs,
 * long id); regs lives in kernel memory with the x86-64 syscall registers the program reads
 * through CO-RE (orig_ax = the number, di = the first argument).
 */
import { SYSCALL_NR_X86_64 } from '../../src/syscalls/table';
import { clang, loadTool, spawn } from './fire-kit';

const le32 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset).getUint32(0, true);
const le64 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset).getBigUint64(0, true);

(clang ? describe : describe.skip)('raw_tracepoint/sys_enter syscall counter', () => {
  test('counts every syscall the world makes, by number; pt_regs holds orig_ax and the arguments', () => {
    const t = loadTool('syscount');
    const { k } = t;
    const made = new Map<number, number>();
    const call = (task: Parameters<typeof k.syscall>[0], name: string, args: Parameters<typeof k.syscall>[2] = []) => {
      const nr = SYSCALL_NR_X86_64[name];
      made.set(nr, (made.get(nr) ?? 0) + 1);
      return k.syscall(task, name, args);
    };
    const f = call(k.world.init, 'fork');
    const c = f.child!;
    call(c, 'execve', ['/bin/sh', ['sh'], []]);
    for (let i = 0; i < 3; i++) call(c, 'getpid');
    call(c, 'getppid');
    call(c, 'umask', [0o27]);
    call(c, 'kill', [c.pid, 0]);
    call(c, 'exit_group', [0]);
    call(k.world.init, 'wait4', [-1, 0, 0, 0]);
    const counts = new Map(t.obj.map('counts').entries().map(([kk, v]) => [le32(kk), Number(le64(v))]));
    expect([...counts].sort((a, b) => a[0] - b[0])).toEqual([...made].sort((a, b) => a[0] - b[0]));
    expect(le64(t.obj.map('mismatches').lookup(new Uint8Array(4))!)).toBe(0n);
    const arg0 = new Map(t.obj.map('last_arg0').entries().map(([kk, v]) => [le32(kk), le64(v)]));
    expect(arg0.get(SYSCALL_NR_X86_64.umask)).toBe(0o27n);
    expect(arg0.get(SYSCALL_NR_X86_64.kill)).toBe(BigInt(c.pid));
    expect(arg0.get(SYSCALL_NR_X86_64.wait4)).toBe(BigInt.asUintN(64, -1n));
  });

  test('a const volatile tgid filter counts one process only', () => {
    const probe = loadTool('syscount');
    const a = spawn(probe.k, probe.k.world.init, '/bin/sh', ['sh']).child;
    // The same world again, filtering on the pid the shell will get.
    const t = loadTool('syscount', { globals: { filter_tgid: a.tgid } });
    const sh = spawn(t.k, t.k.world.init, '/bin/sh', ['sh']).child;
    expect(sh.tgid).toBe(a.tgid);
    t.k.syscall(sh, 'getpid');
    t.k.syscall(t.k.world.init, 'getpid');
    const counts = new Map(t.obj.map('counts').entries().map(([kk, v]) => [le32(kk), Number(le64(v))]));
    // init's fork is not counted; the child's execve and getpid are (it is the filtered tgid from fork's return on).
    expect(counts.get(SYSCALL_NR_X86_64.getpid)).toBe(1);
    expect(counts.get(SYSCALL_NR_X86_64.execve)).toBe(1);
    expect(counts.has(SYSCALL_NR_X86_64.fork)).toBe(false);
  });
});
