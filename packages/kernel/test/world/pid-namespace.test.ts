/** Pid allocation (alloc_pid over idr_alloc_cyclic) and nested pid namespaces. */
import { Errno } from '@bpfsim/uapi';
import { CLONE, InumAllocator, NS_INIT_INO, PROC_DYNAMIC_FIRST, PidNamespace, RESERVED_PIDS, allocPid } from '../../src';
import { newKernel, spawn } from './helpers';

describe('the cyclic pid allocator', () => {
  test('hands out the number after the last one, skipping numbers in use', () => {
    const ns = PidNamespace.initial(1);
    expect(ns.pidMax).toBe(32768);
    expect([ns.allocNr(), ns.allocNr(), ns.allocNr()]).toEqual([1, 2, 3]);
    ns.freeNr(2);
    // Freed numbers are not reused until the counter wraps.
    expect(ns.allocNr()).toBe(4);
    expect(ns.allocNr(10)).toBe(10);
    expect(ns.allocNr(10)).toBe(-Errno.EEXIST);
    expect([ns.allocNr(), ns.allocNr(), ns.allocNr(), ns.allocNr(), ns.allocNr(), ns.allocNr()]).toEqual([5, 6, 7, 8, 9, 11]);
  });

  test('wraps at pid_max to RESERVED_PIDS, and reports EAGAIN when full', () => {
    const ns = new PidNamespace(0, undefined, 400, undefined);
    const got: number[] = [];
    for (let i = 0; i < 399; i++) got.push(ns.allocNr());
    expect(got[0]).toBe(1);
    expect(got[398]).toBe(399);
    for (const nr of [5, 299, 300, 301, 350]) ns.freeNr(nr);
    // After the wrap the search starts at 300: 5 and 299 stay free.
    expect([ns.allocNr(), ns.allocNr(), ns.allocNr(), ns.allocNr()]).toEqual([300, 301, 350, -Errno.EAGAIN]);
    expect(ns.has(5)).toBe(false);
    expect(RESERVED_PIDS).toBe(300);
  });

  test('pid_max grows with the CPU count (1024 per CPU) as pid_idr_init sets it', () => {
    expect(PidNamespace.initial(64).pidMax).toBe(65536);
  });

  test('a pid has a number in its namespace and in every ancestor', () => {
    const inums = new InumAllocator();
    const root = PidNamespace.initial(2);
    root.allocNr();
    const child = root.createChild(inums) as PidNamespace;
    const grandchild = child.createChild(inums) as PidNamespace;
    const p = allocPid(grandchild);
    if (typeof p === 'number') throw new Error(String(p));
    expect(p.numbers.map((u) => u.nr)).toEqual([2, 1, 1]);
    expect(p.nrIn(grandchild)).toBe(1);
    expect(p.nrIn(root)).toBe(2);
    // set_tid: the innermost level first, only as deep as the namespaces go.
    expect(allocPid(grandchild, [1])).toBe(-Errno.EEXIST);
    expect(allocPid(grandchild, [5, 6, 7, 8])).toBe(-Errno.EINVAL);
  });
});

describe('namespace inode numbers', () => {
  test('the initial namespaces have the fixed numbers /proc/self/ns shows', () => {
    const k = newKernel();
    const ns = k.world.init.nsproxy;
    expect(ns.pidForChildren.inum).toBe(0xeffffffc);
    expect(ns.uts.inum).toBe(4026531838);
    expect(ns.mnt.inum).toBe(NS_INIT_INO.mnt);
    expect(ns.net.inum).toBe(4026531833);
  });

  test('new ones come from the lowest free proc inode number and are reused', () => {
    const a = new InumAllocator(333);
    expect(a.alloc()).toBe(4026532173);
    expect(a.alloc()).toBe(PROC_DYNAMIC_FIRST + 334);
    a.free(4026532173);
    expect(a.alloc()).toBe(4026532173);
  });
});

describe('pid namespaces of processes', () => {
  test('unshare(CLONE_NEWPID): the next child is pid 1 inside, getppid 0, and seen by its outer pid outside', () => {
    const k = newKernel();
    const sh = spawn(k);
    expect(k.syscall(sh, 'unshare', [CLONE.NEWPID]).ret).toBe(0);
    // The caller itself stays where it was.
    expect(k.syscall(sh, 'getpid').ret).toBe(sh.pid);
    // A second CLONE_NEWPID while pid_ns_for_children differs is EINVAL.
    expect(k.syscall(sh, 'unshare', [CLONE.NEWPID]).ret).toBe(-Errno.EINVAL);
    const r = k.syscall(sh, 'fork');
    const init = r.child!;
    expect(r.ret).toBe(init.pid);
    expect(k.syscall(init, 'getpid').ret).toBe(1);
    expect(k.syscall(init, 'getppid').ret).toBe(0);
    const inner = k.syscall(init, 'fork').child!;
    expect(k.syscall(inner, 'getpid').ret).toBe(2);
    expect(k.syscall(inner, 'getppid').ret).toBe(1);
    expect(inner.pidNs.map((n) => n.pid)).toEqual([inner.pid, 2]);
    expect(inner.pidNs[1].ino).toBe(BigInt(init.pidNamespace.inum));
    expect(init.pidNamespace.inum).toBeGreaterThanOrEqual(PROC_DYNAMIC_FIRST);
  });

  test('the death of a namespace init kills the namespace, and no pid can be allocated there any more', () => {
    const k = newKernel();
    const sh = spawn(k);
    const init = k.syscall(sh, 'clone', [CLONE.NEWPID | 17, 0, 0, 0, 0]).child!;
    const a = k.syscall(init, 'fork').child!;
    const b = k.syscall(a, 'fork').child!;
    const thread = k.syscall(a, 'clone', [CLONE.VM | CLONE.SIGHAND | CLONE.THREAD, 0, 0, 0, 0]).child!;
    expect(k.syscall(init, 'exit_group', [0]).ret).toBe(0);
    for (const t of [a, b, thread]) expect(t.alive).toBe(false);
    expect(init.state).toBe('zombie');
    // The host shell reaps its child: exit status 0.
    const st = k.syscall(sh, 'wait4', [-1, { out: 4 }, 0, 0]);
    expect(st.ret).toBe(init.pid);
    expect(init.pidNamespace.adding).toBe(false);
    expect(allocPid(init.pidNamespace)).toBe(-Errno.ENOMEM);
  });

  test('an init ignores default-action signals from inside its namespace but not SIGKILL from outside', () => {
    const k = newKernel();
    const sh = spawn(k);
    const init = k.syscall(sh, 'clone', [CLONE.NEWPID | 17, 0, 0, 0, 0]).child!;
    const inner = k.syscall(init, 'fork').child!;
    expect(k.syscall(inner, 'kill', [1, 9]).ret).toBe(0);
    expect(init.alive).toBe(true);
    expect(k.syscall(sh, 'kill', [init.pid, 15]).ret).toBe(0);
    expect(init.alive).toBe(true);
    expect(k.syscall(sh, 'kill', [init.pid, 9]).ret).toBe(0);
    expect(init.alive).toBe(false);
    expect(inner.alive).toBe(false);
  });

  test('nesting stops at MAX_PID_NS_LEVEL (32) with ENOSPC', () => {
    const k = newKernel();
    let t = spawn(k);
    for (let level = 1; level <= 32; level++) {
      const r = k.syscall(t, 'clone', [CLONE.NEWPID | 17, 0, 0, 0, 0]);
      expect(r.ret).toBeGreaterThan(0);
      t = r.child!;
    }
    expect(t.pidStruct.level).toBe(32);
    expect(k.syscall(t, 'getpid').ret).toBe(1);
    expect(k.syscall(t, 'clone', [CLONE.NEWPID | 17, 0, 0, 0, 0]).ret).toBe(-Errno.ENOSPC);
  });
});
