/**
 * The function table of the modelled kernel (src/trace/kprobe-funcs.ts) against the profile
 * kernel and against the model itself: every function exists in the Linux 6.18 BTF with the
 * prototype the table states (generated over the whole table), pt_regs passes arguments where the
 * BTF's struct pt_regs puts di, si, dx, cx, r8, r9, and each modelled syscall walks exactly its
 * graph — seen by a clang-built kprobe.multi/kretprobe.multi program on "*" (fixtures/kprobe_order.bpf.c).
 */
import { Errno } from '@bpfsim/uapi';
import {
  KFUNCS, SYSCALL_GRAPHS, PT_REGS_ARG_REGS, PT_REGS_FIELDS, kfuncAddress, kfuncPrototype, parseGraph, resolveField, syscallGraph, vmlinuxBtf,
  type Kernel, type TaskStruct,
} from '../../src';
import { clang, loadTool, ringRecords, spawn } from './fire-kit';

describe('the function table against the profile BTF', () => {
  test('every modelled function is a FUNC of Linux 6.18 with the prototype the table states', () => {
    const names = Object.keys(KFUNCS);
    expect(names.length).toBeGreaterThan(40);
    for (const fn of names) expect([fn, kfuncPrototype(fn)]).toEqual([fn, KFUNCS[fn].proto]);
  });

  test('every function of every syscall graph is in the table, and every non-socket function is reached by a graph', () => {
    const inGraphs = new Set<string>();
    for (const text of Object.values(SYSCALL_GRAPHS)) for (const l of parseGraph(text)) inGraphs.add(l.fn);
    for (const fn of inGraphs) expect(KFUNCS[fn]).toBeDefined();
    const unreached = Object.entries(KFUNCS).filter(([fn, s]) => s.family !== 'net' && !inGraphs.has(fn)).map(([fn]) => fn);
    expect(unreached).toEqual([]);
  });

  test('pt_regs: every register slot, and the argument registers, sit where the BTF puts them', () => {
    const btf = vmlinuxBtf();
    PT_REGS_FIELDS.forEach((r, i) => expect([r, resolveField(btf, 'pt_regs', r).offset]).toEqual([r, i * 8]));
    expect(PT_REGS_ARG_REGS).toEqual(['di', 'si', 'dx', 'cx', 'r8', 'r9']);
  });
});

const NO_RETURN = new Set(['do_exit', 'do_group_exit']);

/** The enter (+) and return (-) steps the graph of `syscall` gives, without the lines (and callees) of `skip`. */
function expectedWalk(syscall: string, skip: string[] = [], returns = true): string[] {
  const lines = syscallGraph(syscall);
  const out: string[] = [`+__x64_sys_${syscall}`];
  const stack: { fn: string; depth: number }[] = [];
  const close = (depth: number) => {
    while (stack.length && stack[stack.length - 1].depth >= depth) {
      const f = stack.pop()!.fn;
      if (!NO_RETURN.has(f)) out.push(`-${f}`);
    }
  };
  let skipping = -1;
  for (const l of lines) {
    if (skipping >= 0 && l.depth > skipping) continue;
    skipping = -1;
    close(l.depth);
    if (skip.includes(l.fn)) { skipping = l.depth; continue; }
    out.push(`+${l.fn}`);
    stack.push({ fn: l.fn, depth: l.depth });
  }
  close(0);
  if (returns) out.push(`-__x64_sys_${syscall}`);
  return out;
}

(clang ? describe : describe.skip)('each modelled syscall walks its function graph', () => {
  const t = loadTool('kprobe_order', { seed: 'graph' });
  const k: Kernel = t.k;
  const names = new Map(k.kprobes.modelled().map((f) => [kfuncAddress(f), f]));
  const sh: TaskStruct = spawn(k, k.world.init, '/bin/sh', ['sh']).child;
  ringRecords(t, 'steps');
  /** The steps of one syscall of `task`, as +fn / -fn, the task's own only. */
  const walk = (task: TaskStruct, name: string, args: Parameters<Kernel['syscall']>[2]): { ret: number; steps: string[]; others: string[] } => {
    const ret = k.syscall(task, name, args).ret;
    const steps: string[] = [];
    const others: string[] = [];
    for (const b of ringRecords(t, 'steps')) {
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const s = `${dv.getUint32(8, true) ? '-' : '+'}${names.get(dv.getBigUint64(0, true)) ?? '?'}`;
      (dv.getUint32(12, true) === task.pid ? steps : others).push(s);
    }
    return { ret, steps, others };
  };

  test('open, openat and creat: a new file passes security_inode_create, an existing one not, a missing one stops in path_openat', () => {
    const a = walk(sh, 'openat', [-100, '/tmp/g', 0o101, 0o600]);
    expect(a.ret).toBeGreaterThanOrEqual(0);
    expect(a.steps).toEqual(expectedWalk('openat'));
    expect(walk(sh, 'open', ['/tmp/g', 0, 0]).steps).toEqual(expectedWalk('open', ['security_inode_create']));
    const miss = walk(sh, 'openat', [-100, '/tmp/none', 0, 0]);
    expect(miss.ret).toBe(-Errno.ENOENT);
    expect(miss.steps).toEqual(expectedWalk('openat', ['security_inode_create', 'vfs_open']));
    expect(walk(sh, 'creat', ['/tmp/h', 0o644]).steps).toEqual(expectedWalk('creat'));
  });

  test('read, write, pread64, pwrite64, fsync, close; a bad descriptor stops before the vfs_ function', () => {
    const fd = k.syscall(sh, 'openat', [-100, '/tmp/rw', 0o102, 0o600]).ret;
    ringRecords(t, 'steps');
    expect(walk(sh, 'write', [fd, 'xyz', 3]).steps).toEqual(expectedWalk('write'));
    expect(walk(sh, 'pwrite64', [fd, 'q', 1, 5]).steps).toEqual(expectedWalk('pwrite64'));
    expect(walk(sh, 'pread64', [fd, { out: 4 }, 4, 0]).steps).toEqual(expectedWalk('pread64'));
    expect(walk(sh, 'read', [fd, { out: 4 }, 4]).steps).toEqual(expectedWalk('read'));
    expect(walk(sh, 'read', [77, { out: 4 }, 4]).steps).toEqual(expectedWalk('read', ['vfs_read']));
    expect(walk(sh, 'fsync', [fd]).steps).toEqual(expectedWalk('fsync'));
    expect(walk(sh, 'fdatasync', [fd]).steps).toEqual(expectedWalk('fdatasync'));
    expect(walk(sh, 'close', [fd]).steps).toEqual(expectedWalk('close'));
    expect(walk(sh, 'close', [fd]).steps).toEqual(expectedWalk('close', ['filp_flush']));
  });

  test('mkdir, rmdir, unlink, unlinkat; a missing name stops before the vfs_ function', () => {
    expect(walk(sh, 'mkdir', ['/tmp/dd', 0o755]).steps).toEqual(expectedWalk('mkdir'));
    expect(walk(sh, 'mkdirat', [-100, '/tmp/dd', 0o755]).steps).toEqual(expectedWalk('mkdirat', ['vfs_mkdir']));
    expect(walk(sh, 'rmdir', ['/tmp/dd']).steps).toEqual(expectedWalk('rmdir'));
    k.syscall(sh, 'creat', ['/tmp/u', 0o600]);
    ringRecords(t, 'steps');
    expect(walk(sh, 'unlink', ['/tmp/u']).steps).toEqual(expectedWalk('unlink'));
    expect(walk(sh, 'unlinkat', [-100, '/tmp/u', 0]).steps).toEqual(expectedWalk('unlinkat', ['vfs_unlink']));
  });

  test('fork, execve, kill and exit_group; the killed child exits through do_group_exit → do_exit as itself', () => {
    const f = walk(sh, 'fork', []);
    expect(f.steps).toEqual(expectedWalk('fork'));
    const child = k.world.allTasks().find((x) => x.realParent === sh && x.alive)!;
    expect(walk(child, 'execve', ['/bin/true', ['true'], []]).steps).toEqual(expectedWalk('execve'));
    const kill = walk(sh, 'kill', [child.pid, 9]);
    expect(kill.steps).toEqual(expectedWalk('kill'));
    expect(kill.others).toEqual(['+do_group_exit', '+do_exit']);
    const last = spawn(k, sh, '/bin/true', ['true']).child;
    ringRecords(t, 'steps');
    expect(walk(last, 'exit_group', [3]).steps).toEqual(expectedWalk('exit_group', [], false));
  });
});
