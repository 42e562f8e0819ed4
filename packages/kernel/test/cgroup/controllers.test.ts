/**
 * The controllers acting on the model's resources: pids.max refusing forks
 * (EAGAIN), memory.max making the OOM killer kill the largest task of the
 * cgroup, cpu.max throttling compute on virtual time. Expected values are
 * worked out by hand from the rules in docs/kernel.md (Cgroups).
 */
import { Errno } from '@bpfsim/uapi';
import { WAIT, type Kernel, type TaskStruct } from '../../src';
import { AT_FDCWD, CG, O_WRONLY, mkdir, newKernel, readFile, spawn, writeFile } from './helpers';

const PROT_RW = 3, MAP_PRIVATE_ANON = 0x22;
const mmap = (k: Kernel, t: TaskStruct, len: number): number => k.syscall(t, 'mmap', [0, len, PROT_RW, MAP_PRIVATE_ANON, -1, 0]).ret;
const statusOf = (k: Kernel, parent: TaskStruct, pid: number): number => {
  const r = k.syscall(parent, 'wait4', [pid, { out: 4 }, WAIT.ALL, 0]);
  expect(r.ret).toBe(pid);
  return new DataView(r.outs[0].buffer, r.outs[0].byteOffset).getInt32(0, true);
};

function setup(ctrl: string): { k: Kernel; sh: TaskStruct } {
  const k = newKernel(`ctl-${ctrl}`);
  const sh = spawn(k);
  expect(writeFile(k, sh, `${CG}/cgroup.subtree_control`, ctrl)).toBe(ctrl.length);
  return { k, sh };
}

describe('pids', () => {
  test('fork fails with EAGAIN past pids.max; events count where the limit is; zombies count until reaped', () => {
    const { k, sh } = setup('+pids');
    expect(readFile(k, sh, `${CG}/cgroup.subtree_control`)).toBe('pids\n');
    mkdir(k, sh, `${CG}/p`);
    mkdir(k, sh, `${CG}/p/q`);
    expect(readFile(k, sh, `${CG}/p/pids.max`)).toBe('max\n');
    expect(writeFile(k, sh, `${CG}/p/pids.max`, '2')).toBe(1);
    // pids is enabled in p (the root's subtree_control), not in q (p's is empty): q has no pids files.
    expect(readFile(k, sh, `${CG}/p/q/pids.max`)).toBe(-Errno.ENOENT);
    const w = spawn(k, sh);
    writeFile(k, sh, `${CG}/p/q/cgroup.procs`, String(w.tgid));
    expect(readFile(k, sh, `${CG}/p/pids.current`)).toBe('1\n');
    const c1 = k.syscall(w, 'fork');
    expect(c1.ret).toBeGreaterThan(0);
    const failed = k.syscall(w, 'fork');
    expect(failed.ret).toBe(-Errno.EAGAIN);
    expect(readFile(k, sh, `${CG}/p/pids.events`)).toBe('max 1\n');
    expect(readFile(k, sh, `${CG}/p/pids.events.local`)).toBe('max 1\n');
    expect(readFile(k, sh, `${CG}/p/pids.current`)).toBe('2\n');
    expect(readFile(k, sh, `${CG}/p/pids.peak`)).toBe('2\n');
    // A zombie still holds its pid charge; reaping it gives it back.
    k.syscall(c1.child!, 'exit', [0]);
    expect(k.syscall(w, 'fork').ret).toBe(-Errno.EAGAIN);
    expect(readFile(k, sh, `${CG}/p/pids.events`)).toBe('max 2\n');
    statusOf(k, w, c1.ret);
    const c2 = k.syscall(w, 'fork');
    // The refused forks took pid numbers (alloc_pid comes before cgroup_can_fork).
    expect(c2.ret).toBe(c1.ret + 3);
    expect(writeFile(k, sh, `${CG}/p/pids.max`, '-1')).toBe(-Errno.EINVAL);
    expect(writeFile(k, sh, `${CG}/p/pids.max`, '4194305')).toBe(-Errno.EINVAL);
    expect(writeFile(k, sh, `${CG}/p/pids.max`, 'max')).toBe(3);
    expect(k.syscall(w, 'fork').ret).toBeGreaterThan(0);
  });
});

describe('memory', () => {
  test('memory.max: the OOM killer kills the largest task, the charge then fits; alone, the allocator dies', () => {
    const { k, sh } = setup('+memory');
    mkdir(k, sh, `${CG}/m`);
    expect(writeFile(k, sh, `${CG}/m/memory.max`, '1M')).toBe(2);
    expect(readFile(k, sh, `${CG}/m/memory.max`)).toBe('1048576\n');
    const a = spawn(k, sh);
    const b = spawn(k, sh);
    writeFile(k, sh, `${CG}/m/cgroup.procs`, String(a.tgid));
    writeFile(k, sh, `${CG}/m/cgroup.procs`, String(b.tgid));
    expect(mmap(k, a, 512 * 1024)).toBeGreaterThan(0);
    expect(mmap(k, b, 256 * 1024)).toBeGreaterThan(0);
    expect(readFile(k, sh, `${CG}/m/memory.current`)).toBe(`${768 * 1024}\n`);
    // 768K + 512K > 1M: a (128 pages) outweighs b (64 pages) and is killed; then b's 512K fits.
    expect(mmap(k, b, 512 * 1024)).toBeGreaterThan(0);
    expect(a.state).toBe('zombie');
    expect(statusOf(k, sh, a.tgid) & 0x7f).toBe(9);
    expect(readFile(k, sh, `${CG}/m/memory.current`)).toBe(`${768 * 1024}\n`);
    expect(readFile(k, sh, `${CG}/m/memory.events`)).toBe('low 0\nhigh 0\nmax 1\noom 1\noom_kill 1\noom_group_kill 0\n');
    // b alone: it is the victim of its own allocation, which fails.
    expect(mmap(k, b, 512 * 1024)).toBe(-Errno.ENOMEM);
    expect(b.alive).toBe(false);
    expect(readFile(k, sh, `${CG}/m/memory.current`)).toBe('0\n');
    expect(readFile(k, sh, `${CG}/m/memory.events`)).toBe('low 0\nhigh 0\nmax 2\noom 2\noom_kill 2\noom_group_kill 0\n');
    expect(readFile(k, sh, `${CG}/memory.stat`)).toBe(-Errno.ENOENT); // not modelled: absent
  });

  test('munmap, brk, exec and memory.high', () => {
    const { k, sh } = setup('+memory');
    mkdir(k, sh, `${CG}/m`);
    const t = spawn(k, sh);
    writeFile(k, sh, `${CG}/m/cgroup.procs`, String(t.tgid));
    const cur = (): string | number => readFile(k, sh, `${CG}/m/memory.current`);
    const addr = mmap(k, t, 10000);
    expect(cur()).toBe(`${3 * 4096}\n`);
    expect(k.syscall(t, 'munmap', [addr, 12288]).ret).toBe(0);
    expect(cur()).toBe('0\n');
    const base = k.syscall(t, 'brk', [0]).ret;
    expect(k.syscall(t, 'brk', [base + 65536]).ret).toBe(base + 65536);
    expect(cur()).toBe(`${65536}\n`);
    expect(k.syscall(t, 'brk', [base + 4096]).ret).toBe(base + 4096);
    expect(cur()).toBe('4096\n');
    expect(writeFile(k, sh, `${CG}/m/memory.high`, '8k')).toBe(2);
    mmap(k, t, 8192);
    expect((readFile(k, sh, `${CG}/m/memory.events`) as string).split('\n')[1]).toBe('high 1');
    expect(writeFile(k, sh, `${CG}/m/memory.high`, '12x')).toBe(-Errno.EINVAL);
    expect(k.syscall(t, 'execve', ['/bin/true', ['true'], []]).ret).toBe(0);
    expect(cur()).toBe('0\n');
    expect(readFile(k, sh, `${CG}/m/memory.peak`)).toBe(`${65536}\n`);
    // memory.max lowered below the usage: the OOM killer runs until it fits.
    mmap(k, t, 40960);
    expect(writeFile(k, sh, `${CG}/m/memory.max`, '4096')).toBe(4);
    expect(t.alive).toBe(false);
    expect(cur()).toBe('0\n');
  });
});

describe('cpu', () => {
  test('cpu.max throttles compute to its quota per period; cpu.stat counts it', () => {
    const { k, sh } = setup('+cpu');
    mkdir(k, sh, `${CG}/c`);
    const t = spawn(k, sh);
    writeFile(k, sh, `${CG}/c/cgroup.procs`, String(t.tgid));
    expect(readFile(k, sh, `${CG}/c/cpu.max`)).toBe('max 100000\n');
    const fd = k.syscall(sh, 'openat', [AT_FDCWD, `${CG}/c/cpu.max`, O_WRONLY, 0]).ret;
    const T = k.clock.monotonicNs;
    expect(k.syscall(sh, 'write', [fd, '50000 100000', 12]).ret).toBe(12);
    k.syscall(sh, 'close', [fd]);
    const S = k.clock.monotonicNs;
    k.world.cgroups.compute(t, 200_000_000n);
    // 50 ms per 100 ms period: runs 50, waits to T+100, runs 50, waits to T+200, 50, T+300, 50: ends at T+350 ms.
    expect(k.clock.monotonicNs).toBe(T + 350_000_000n);
    const throttled = (150_000_000n - (S - T)) / 1000n;
    expect(readFile(k, sh, `${CG}/c/cpu.stat`)).toBe(
      `usage_usec 200000\nuser_usec 200000\nsystem_usec 0\nnice_usec 0\nnr_periods 4\nnr_throttled 3\nthrottled_usec ${throttled}\nnr_bursts 0\nburst_usec 0\n`,
    );
    expect(readFile(k, sh, `${CG}/c/cpu.stat.local`)).toBe(`throttled_usec ${throttled}\n`);
    // Syscalls are system time of the caller's cgroup.
    for (let i = 0; i < 10; i++) k.syscall(t, 'getpid');
    expect((readFile(k, sh, `${CG}/c/cpu.stat`) as string).split('\n')[2]).toBe('system_usec 1');
    expect(readFile(k, sh, `${CG}/c/cpu.max`)).toBe('50000 100000\n');
  });

  test('cpu.max and cpu.weight writes', () => {
    const { k, sh } = setup('+cpu');
    mkdir(k, sh, `${CG}/c`);
    const f = `${CG}/c/cpu.max`;
    expect(writeFile(k, sh, f, 'max 500')).toBe(-Errno.EINVAL);
    expect(writeFile(k, sh, f, '100 100000')).toBe(-Errno.EINVAL);
    expect(writeFile(k, sh, f, 'abc')).toBe(-Errno.EINVAL);
    expect(writeFile(k, sh, f, '20000 2000000')).toBe(-Errno.EINVAL);
    expect(writeFile(k, sh, f, '20000')).toBe(5);
    expect(readFile(k, sh, f)).toBe('20000 100000\n');
    expect(writeFile(k, sh, f, 'max')).toBe(3);
    expect(readFile(k, sh, f)).toBe('max 100000\n');
    const w = `${CG}/c/cpu.weight`;
    expect(readFile(k, sh, w)).toBe('100\n');
    expect(writeFile(k, sh, w, '0')).toBe(-Errno.ERANGE);
    expect(writeFile(k, sh, w, '10001')).toBe(-Errno.ERANGE);
    expect(writeFile(k, sh, w, 'x')).toBe(-Errno.EINVAL);
    expect(writeFile(k, sh, w, '200')).toBe(3);
    expect(readFile(k, sh, w)).toBe('200\n');
  });
});

describe('subtree_control', () => {
  test('the "no internal processes" rule, enabling below, and disabling with users', () => {
    const { k, sh } = setup('+memory +pids');
    mkdir(k, sh, `${CG}/a`);
    mkdir(k, sh, `${CG}/a/b`);
    const t = spawn(k, sh);
    writeFile(k, sh, `${CG}/a/cgroup.procs`, String(t.tgid));
    expect(readFile(k, sh, `${CG}/a/cgroup.controllers`)).toBe('memory pids\n');
    // A domain controller cannot be enabled beside processes; a threaded one can.
    expect(writeFile(k, sh, `${CG}/a/cgroup.subtree_control`, '+memory')).toBe(-Errno.EBUSY);
    expect(writeFile(k, sh, `${CG}/a/cgroup.subtree_control`, '+pids')).toBe(5);
    expect(writeFile(k, sh, `${CG}/a/cgroup.subtree_control`, '+cpu')).toBe(-Errno.ENOENT);
    expect(readFile(k, sh, `${CG}/a/b/pids.current`)).toBe('0\n');
    writeFile(k, sh, `${CG}/a/b/cgroup.procs`, String(t.tgid));
    expect(writeFile(k, sh, `${CG}/a/cgroup.subtree_control`, '+memory')).toBe(7);
    // Processes cannot join a cgroup that hands domain controllers to its children.
    expect(writeFile(k, sh, `${CG}/a/cgroup.procs`, String(t.tgid))).toBe(-Errno.EBUSY);
    expect(readFile(k, sh, `${CG}/a/b/cgroup.controllers`)).toBe('memory pids\n');
    writeFile(k, sh, `${CG}/a/b/cgroup.subtree_control`, '+pids');
    expect(writeFile(k, sh, `${CG}/a/cgroup.subtree_control`, '-pids')).toBe(-Errno.EBUSY);
    writeFile(k, sh, `${CG}/a/b/cgroup.subtree_control`, '-pids');
    expect(writeFile(k, sh, `${CG}/a/cgroup.subtree_control`, '-pids -memory')).toBe(13);
    expect(readFile(k, sh, `${CG}/a/b/pids.current`)).toBe(-Errno.ENOENT);
    expect(readFile(k, sh, `${CG}/a/cgroup.stat`)).toBe(
      'nr_descendants 1\nnr_subsys_cpu 0\nnr_subsys_memory 1\nnr_subsys_perf_event 2\nnr_subsys_pids 1\nnr_dying_descendants 0\nnr_dying_subsys_cpu 0\nnr_dying_subsys_memory 0\nnr_dying_subsys_perf_event 0\nnr_dying_subsys_pids 0\n',
    );
  });
});
