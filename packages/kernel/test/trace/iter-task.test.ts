/**
 * BPF task iterators (iter/task) over the simulated world, read as bpf_seq_read reads them: every
 * task by pid number in the reader's pid namespace, a NULL-task call at the end, the 32 KiB
 * seq_file buffer (an object that overflowed is shown again by the next read, an object bigger than
 * the buffer is E2BIG), a program returning 1 (EAGAIN), tid/pid link filters, session ids.
 */
import { BpfAttachType, Errno } from '@bpfsim/uapi';
import { Kernel, parseObject, vmlinuxBtf, type TaskStruct } from '../../src';
import { buildTool, clang, setGlobal } from './fire-kit';

const CLONE_THREAD_FLAGS = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000; // VM|FS|FILES|SIGHAND|THREAD|SYSVSEM
const CLONE_NEWPID = 0x20000000;

interface Iter {
  k: Kernel;
  link: number;
  open(): number;
  read(fd: number, size?: number): Uint8Array | number;
  all(size?: number): string;
}

function iterKernel(globals: Record<string, number> = {}, k = new Kernel({ seed: 'iter', cpus: 2, btf: vmlinuxBtf() })): Iter {
  void k.world;
  const parsed = parseObject(buildTool('iter_task'), 'iter_task.bpf.o', k);
  for (const [n, v] of Object.entries(globals)) setGlobal(parsed, n, v);
  const obj = k.loadObject(parsed, { file: 'iter_task.bpf.o' });
  const link = obj.program('dump_task').attach('iter/task');
  const iter: Iter = {
    k, link,
    open: () => k.bpfSyscall('ITER_CREATE', { linkFd: link }).ret,
    read: (fd, size = 4096) => k.bpf.iterRead(fd, size),
    all: (size = 4096) => {
      const fd = iter.open();
      expect(fd).toBeGreaterThan(0);
      let out = '';
      for (;;) {
        const r = iter.read(fd, size);
        if (typeof r === 'number') throw new Error(`read: ${r}`);
        if (!r.length) return out;
        out += Buffer.from(r).toString('latin1');
      }
    },
  };
  return iter;
}

/** A world with processes, threads, a zombie and a child pid namespace. */
function populate(k: Kernel): { sh: TaskStruct; thread: TaskStruct; zombie: TaskStruct; nsInit: TaskStruct; nsChild: TaskStruct } {
  const init = k.world.init;
  const sh = k.syscall(init, 'fork').child!;
  expect(k.syscall(sh, 'execve', ['/bin/sh', ['sh'], []]).ret).toBe(0);
  const thread = k.syscall(sh, 'clone', [CLONE_THREAD_FLAGS, 0, 0, 0, 0]).child!;
  const zombie = k.syscall(sh, 'fork').child!;
  k.syscall(zombie, 'exit_group', [3]);
  const nsInit = k.syscall(sh, 'clone', [CLONE_NEWPID | 17, 0, 0, 0, 0]).child!;
  const nsChild = k.syscall(nsInit, 'fork').child!;
  k.current = init; // the reader: a task of the initial pid namespace (tests below change it)
  return { sh, thread, zombie, nsInit, nsChild };
}

/** What the program prints for each task, from the model (pid order in `ns`). */
function expected(k: Kernel, reader: TaskStruct, session: number): string {
  const ns = reader.pidNamespace;
  const tasks = k.world.tasksIn(ns).sort((a, b) => a.pidIn(ns) - b.pidIn(ns));
  const STATE: Record<string, number> = { running: 0, sleeping: 1, stopped: 4, zombie: 0x80, dead: 0x80 };
  const pad = (v: string | number) => String(v).padEnd(8);
  const lines = [`${pad('PID')} ${pad('TGID')} ${pad('PPID')} ${'STATE'.padEnd(5)} COMM`];
  for (const t of tasks) {
    const ppid = t.pid === 1 || t.pid === 2 ? 0 : t.realParent.tgid;
    lines.push(`${pad(t.pid)} ${pad(t.tgid)} ${pad(ppid)} ${String(STATE[t.state] ?? 0).padEnd(5)} ${t.comm}`);
  }
  lines.push(`end session=${session} seq_num=${tasks.length - 1}`);
  return lines.join('\n') + '\n';
}

(clang ? describe : describe.skip)('iter/task', () => {
  test('one line per task in pid order (threads, zombies, kernel threads, namespaced tasks), then the NULL-task call', () => {
    const it = iterKernel();
    const w = populate(it.k);
    const text = it.all();
    expect(text).toBe(expected(it.k, it.k.world.init, 1));
    const pids = text.split('\n').slice(1, -2).map((l) => Number(l.split(/\s+/)[0]));
    expect(pids).toEqual([...pids].sort((a, b) => a - b));
    for (const t of [w.sh, w.thread, w.zombie, w.nsInit, w.nsChild, it.k.world.kthreadd]) expect(pids).toContain(t.pid);
    expect(pids).not.toContain(0); // the idle task has no pid in the pid table
  });

  test('a reader inside a pid namespace walks that namespace only, in its own numbering', () => {
    const it = iterKernel();
    const w = populate(it.k);
    it.k.current = w.nsChild;
    const text = it.all();
    const pids = text.split('\n').slice(1, -2).map((l) => Number(l.split(/\s+/)[0]));
    expect(pids).toEqual([w.nsInit.pid, w.nsChild.pid]);
    expect(text).toBe(expected(it.k, w.nsChild, 1));
  });

  test('sessions count up; each session walks afresh; after the end a read gives 0 bytes', () => {
    const it = iterKernel();
    populate(it.k);
    expect(it.all()).toContain('end session=1 ');
    expect(it.all()).toContain('end session=2 ');
    const fd = it.open();
    expect(fd).toBeGreaterThan(0);
    let total = 0;
    for (let r = it.read(fd, 1 << 20); typeof r !== 'number' && r.length; r = it.read(fd, 1 << 20)) total += r.length;
    expect(total).toBeGreaterThan(0);
    expect(it.read(fd, 4096)).toEqual(new Uint8Array(0));
    expect(it.k.bpf.close(fd)).toBe(0);
    expect(it.read(fd, 4096)).toBe(-Errno.EBADF);
  });

  test('small reads and a full buffer: every task exactly once, in order, whatever the read size', () => {
    for (const pad of [0, 700, 3000]) {
      const it = iterKernel({ pad_bytes: pad });
      const init = it.k.world.init;
      for (let i = 0; i < 40; i++) it.k.syscall(init, 'fork');
      it.k.current = init;
      const whole = it.all(1 << 20);
      for (const size of [1, 7, 100, 4096, 40000]) {
        const text = it.all(size);
        expect(text.replace(/session=\d+/, '')).toBe(whole.replace(/session=\d+/, ''));
      }
      const lines = whole.replace(/\0/g, '').split('\n').filter((l) => /^\d/.test(l));
      expect(lines.length).toBe(it.k.world.tasksIn(init.pidNamespace).length);
      expect(whole).toContain(`seq_num=${lines.length - 1}`);
    }
  });

  test('an object whose output does not fit the 32 KiB buffer on its own is E2BIG; one that fits with the header is shown', () => {
    const big = iterKernel({ pad_bytes: 4096, pad_writes: 8 }); // 32 KiB of padding: with its line, past the buffer
    big.k.current = big.k.world.init;
    expect(big.read(big.open(), 1 << 20)).toBe(-Errno.E2BIG);
    const fits = iterKernel({ pad_bytes: 4096, pad_writes: 7 });
    fits.k.current = fits.k.world.init;
    const text = fits.all(1 << 20);
    expect(text.replace(/\0/g, '').split('\n').filter((l) => /^\d/.test(l)).length).toBe(fits.k.world.tasksIn(fits.k.world.init.pidNamespace).length);
  });

  test('a program returning 1 for the first task: the read fails with EAGAIN and shows it again next time', () => {
    const it = iterKernel({ retry_pid: 1 });
    const fd = it.open();
    expect(it.read(fd)).toBe(-Errno.EAGAIN);
    expect(it.read(fd)).toBe(-Errno.EAGAIN);
  });

  test('returning 1 after some output: the read returns what came before; the next read retries that task', () => {
    const it = iterKernel({ retry_pid: 2 });
    it.k.current = it.k.world.init;
    const fd = it.open();
    const r = it.read(fd, 1 << 20);
    expect(typeof r).not.toBe('number');
    const text = Buffer.from(r as Uint8Array).toString('latin1');
    expect(text.split('\n').filter((l) => /^\d/.test(l)).map((l) => Number(l.split(/\s+/)[0]))).toEqual([1]);
    expect(it.read(fd, 1 << 20)).toBe(-Errno.EAGAIN);
  });

  test('link filters: tid picks one thread-group leader, pid walks the threads of one process', () => {
    const base = iterKernel();
    const w = populate(base.k);
    const k = base.k;
    const prog = k.bpf.progById(k.bpf.allProgs().find((p) => p.name === 'dump_task')!.id)!;
    const progFd = k.bpf.installProg(prog);
    const linkWith = (iterInfo: object) => k.bpfSyscall('LINK_CREATE', { progFd, hook: 'iter/task', attachType: BpfAttachType.TRACE_ITER, iterInfo });
    const pidsOf = (link: number) => {
      const fd = k.bpfSyscall('ITER_CREATE', { linkFd: link }).ret;
      const r = k.bpf.iterRead(fd, 1 << 20) as Uint8Array;
      return Buffer.from(r).toString('latin1').split('\n').filter((l) => /^\d/.test(l)).map((l) => Number(l.split(/\s+/)[0]));
    };
    expect(pidsOf(linkWith({ tid: w.sh.pid }).ret)).toEqual([w.sh.pid]);
    expect(pidsOf(linkWith({ tid: w.thread.pid }).ret)).toEqual([]); // PIDTYPE_TGID of a non-leader: no task
    expect(pidsOf(linkWith({ pid: w.sh.pid }).ret)).toEqual([w.sh.pid, w.thread.pid]);
    expect(linkWith({ tid: 1, pid: 1 }).ret).toBe(-Errno.EINVAL);
    expect(k.bpfSyscall('LINK_CREATE', { progFd, hook: 'iter/task', targetFd: 3 }).ret).toBe(-Errno.EINVAL);
    expect(k.bpfSyscall('LINK_DETACH', { linkFd: base.link }).ret).toBe(-Errno.EOPNOTSUPP);
    expect(k.bpfSyscall('ITER_CREATE', { linkFd: progFd }).ret).toBe(-Errno.EBADF);
  });

  test('the same world and seed give the same bytes', () => {
    const a = iterKernel();
    populate(a.k);
    const b = iterKernel();
    populate(b.k);
    expect(a.all()).toBe(b.all());
  });
});
