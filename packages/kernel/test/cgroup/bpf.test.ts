/**
 * BPF and cgroups: the cgroup helpers read the current task's real cgroup,
 * CGROUP_ARRAY slots hold opened cgroup directories, and BPF_PROG_ATTACH /
 * DETACH / QUERY on cgroup fds follow the kernel's effective-program rules
 * (kernel/bpf/cgroup.c; expected values worked out from those rules).
 */
import { assemble } from '@bpfsim/isa';
import { BpfAttachType as A, BpfMapType, BpfProgType as T, Errno } from '@bpfsim/uapi';
import { bpfSyscall, ptRegs, type Kernel, type TaskStruct } from '../../src';
import { CG, mkdir, newKernel, spawn, stat, writeFile } from './helpers';

const asm = (t: string) => assemble(t, { dialect: 'kernel' });
const ALLOW_OVERRIDE = 1, ALLOW_MULTI = 2, REPLACE = 4;

function load(k: Kernel, text: string, type: number, expectedAttachType?: number): number {
  const r = k.bpf.progLoad({ progType: type, insns: asm(text), license: 'GPL', name: 't', expectedAttachType });
  if (r.fd < 0) throw new Error(`load: ${r.fd} ${r.error}\n${r.log}`);
  return r.fd;
}
/** Fire a kprobe program once as `t` would (t is current). */
function fireAs(k: Kernel, t: TaskStruct, fd: number): bigint {
  k.current = t;
  const hook = `test-hook-${fd}`;
  const link = k.bpf.linkCreate({ progFd: fd, hook });
  const r0 = k.hooks.fire(hook, () => ({ ctx: { bytes: ptRegs({}) } }))[0].r0;
  k.bpf.linkDetach(link);
  return r0;
}
const ino = (k: Kernel, t: TaskStruct, p: string): bigint => BigInt((stat(k, t, p) as { ino: number }).ino);

describe('helpers', () => {
  test('bpf_get_current_cgroup_id and bpf_get_current_ancestor_cgroup_id read the task\'s cgroup', () => {
    const k = newKernel('bpf-helpers');
    const sh = spawn(k);
    mkdir(k, sh, `${CG}/a`);
    mkdir(k, sh, `${CG}/a/b`);
    writeFile(k, sh, `${CG}/a/b/cgroup.procs`, '0');
    const id = load(k, 'call bpf_get_current_cgroup_id\nexit', T.KPROBE);
    expect(fireAs(k, sh, id)).toBe(ino(k, sh, `${CG}/a/b`));
    const levels = [0, 1, 2, 3, -1].map((l) => fireAs(k, sh, load(k, `r1 = ${l}\ncall bpf_get_current_ancestor_cgroup_id\nexit`, T.KPROBE)));
    expect(levels).toEqual([1n, ino(k, sh, `${CG}/a`), ino(k, sh, `${CG}/a/b`), 0n, 0n]);
    expect(fireAs(k, k.world.init, id)).toBe(1n);
  });

  test('CGROUP_ARRAY: an opened cgroup directory fills a slot; bpf_current_task_under_cgroup answers for the hierarchy', () => {
    const k = newKernel('bpf-array');
    const sh = spawn(k);
    mkdir(k, sh, `${CG}/a`);
    mkdir(k, sh, `${CG}/a/b`);
    mkdir(k, sh, `${CG}/x`);
    writeFile(k, sh, `${CG}/a/b/cgroup.procs`, '0');
    const m = k.bpf.mapCreate({ type: BpfMapType.CGROUP_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
    const key = (i: number) => new Uint8Array([i, 0, 0, 0]);
    const val = (fd: number) => new Uint8Array(new Int32Array([fd]).buffer);
    for (const [i, p] of [[0, '/a'], [1, '/x'], [2, '/a/b']] as const) expect(k.bpf.mapUpdateElem(m, key(i), val(k.bpf.cgroupOpen(`${CG}${p}`)))).toBe(0);
    expect(k.bpf.mapUpdateElem(m, key(3), val(k.bpf.cgroupOpen('/tmp')))).toBe(-Errno.EBADF);
    expect(k.bpf.cgroupOpen('/nonexistent')).toBe(-Errno.ENOENT);
    const under = (i: number) => fireAs(k, sh, load(k, `r1 = map[id:${m}]\nr2 = ${i}\ncall bpf_current_task_under_cgroup\nexit`, T.KPROBE));
    expect([0, 1, 2, 3, 4].map(under)).toEqual([1n, 0n, 1n, BigInt(-Errno.EAGAIN) & 0xffffffffffffffffn, BigInt(-Errno.E2BIG) & 0xffffffffffffffffn]);
  });
});

describe('BPF_PROG_ATTACH / DETACH / QUERY on cgroups', () => {
  function world() {
    const k = newKernel('bpf-attach');
    const sh = spawn(k);
    for (const p of ['/a', '/a/b', '/m', '/m/n', '/m/x']) mkdir(k, sh, `${CG}${p}`);
    const fd = (p: string) => k.bpf.cgroupOpen(`${CG}${p}`);
    const prog = () => load(k, 'r0 = 1\nexit', T.CGROUP_SKB, A.CGROUP_INET_INGRESS);
    const ids = new Map<number, number>();
    const p = [prog(), prog(), prog(), prog()];
    for (const f of p) ids.set(f, k.bpf.progByFd(f)!.id);
    const attach = (cg: string, f: number, flags = 0, replace?: number, at: number = A.CGROUP_INET_INGRESS) =>
      bpfSyscall(k, 'PROG_ATTACH', { targetFd: fd(cg), attachBpfFd: f, attachType: at, attachFlags: flags, replaceBpfFd: replace }).ret;
    const detach = (cg: string, f: number, at: number = A.CGROUP_INET_INGRESS) => bpfSyscall(k, 'PROG_DETACH', { targetFd: fd(cg), attachBpfFd: f, attachType: at }).ret;
    const query = (cg: string, queryFlags = 0, progCnt = 64) => bpfSyscall(k, 'PROG_QUERY', { targetFd: fd(cg), attachType: A.CGROUP_INET_INGRESS, queryFlags, progCnt });
    const eff = (cg: string) => query(cg, 1).query!.progIds!.map((id) => [...ids].find(([, v]) => v === id)![0]);
    return { k, sh, p, attach, detach, query, eff, fd };
  }

  test('no flags, override, and the conflicts the kernel refuses', () => {
    const { p, attach, detach, query, eff } = world();
    expect(attach('/a', p[0])).toBe(0);
    expect(attach('/a/b', p[1])).toBe(-Errno.EPERM); // the parent's program may not be overridden
    expect(attach('/a', p[1])).toBe(0); // without multi, the one program is replaced
    expect(eff('/a/b')).toEqual([p[1]]);
    expect(attach('/a', p[2], ALLOW_MULTI)).toBe(-Errno.EPERM); // other flags than the attached ones
    expect(attach('/a', p[2], ALLOW_OVERRIDE | ALLOW_MULTI)).toBe(-Errno.EINVAL);
    expect(attach('/a', p[2], REPLACE)).toBe(-Errno.EINVAL);
    expect(detach('/a', -1)).toBe(0); // legacy detach without a program fd
    expect(detach('/a', p[1])).toBe(-Errno.ENOENT);
    expect(attach('/a', p[0], ALLOW_OVERRIDE)).toBe(0);
    expect(attach('/a/b', p[1])).toBe(0);
    expect(eff('/a/b')).toEqual([p[1]]);
    expect(eff('/a')).toEqual([p[0]]);
    expect(query('/a').query).toMatchObject({ attachFlags: ALLOW_OVERRIDE, progCnt: 1 });
    expect(query('/a', 1).query).toMatchObject({ attachFlags: 0, progCnt: 1 });
    expect(detach('/a/b', p[1])).toBe(0);
    expect(eff('/a/b')).toEqual([p[0]]);
  });

  test('multi: own programs first, then the ancestors\'; inheritance; replace; ENOSPC', () => {
    const { k, sh, p, attach, detach, query, eff } = world();
    expect(attach('/m', p[0], ALLOW_MULTI)).toBe(0);
    expect(attach('/m', p[1], ALLOW_MULTI)).toBe(0);
    expect(attach('/m', p[0], ALLOW_MULTI)).toBe(-Errno.EINVAL); // the same program twice
    expect(attach('/m/n', p[2], ALLOW_MULTI)).toBe(0);
    expect(eff('/m/n')).toEqual([p[2], p[0], p[1]]);
    // A child made later starts with its parent's effective programs.
    mkdir(k, sh, `${CG}/m/n/o`);
    expect(eff('/m/n/o')).toEqual([p[2], p[0], p[1]]);
    // Below a multi parent, a non-multi program is allowed, and the parent's still run after it.
    expect(attach('/m/x', p[3])).toBe(0);
    expect(eff('/m/x')).toEqual([p[3], p[0], p[1]]);
    expect(attach('/m/n', p[3])).toBe(-Errno.EPERM);
    expect(attach('/m', p[3], ALLOW_MULTI | REPLACE, p[1])).toBe(0);
    expect(eff('/m/n/o')).toEqual([p[2], p[0], p[3]]);
    expect(attach('/m', p[2], ALLOW_MULTI | REPLACE, p[1])).toBe(-Errno.ENOENT);
    const q = query('/m/n/o', 1, 2);
    expect(q.ret).toBe(-Errno.ENOSPC);
    expect(q.query).toMatchObject({ progCnt: 3 });
    expect(q.query!.progIds!.length).toBe(2);
    expect(detach('/m', -1)).toBe(-Errno.EINVAL); // multi needs the program
    expect(detach('/m', p[1])).toBe(-Errno.ENOENT);
    expect(detach('/m', p[0])).toBe(0);
    expect(eff('/m/n')).toEqual([p[2], p[3]]);
    expect(detach('/a', p[0])).toBe(-Errno.ENOENT); // nothing attached
  });

  test('argument checks: attach types, program types, target fds', () => {
    const { k, p, attach, fd } = world();
    const xdp = load(k, 'r0 = 2\nexit', T.XDP);
    expect(attach('/a', xdp)).toBe(-Errno.EINVAL);
    expect(attach('/a', p[0], 0, undefined, A.XDP)).toBe(-Errno.EINVAL);
    expect(attach('/a', 999)).toBe(-Errno.EBADF);
    expect(attach('/a', p[0], 8)).toBe(-Errno.EINVAL); // a flag outside BPF_F_ATTACH_MASK_BASE
    const connect = load(k, 'r0 = 1\nexit', T.CGROUP_SOCK_ADDR, A.CGROUP_INET4_CONNECT);
    expect(attach('/a', connect, 0, undefined, A.CGROUP_INET4_BIND)).toBe(-Errno.EINVAL);
    expect(attach('/a', connect, 0, undefined, A.CGROUP_INET4_CONNECT)).toBe(0);
    const notCg = k.bpf.cgroupOpen('/tmp');
    expect(bpfSyscall(k, 'PROG_ATTACH', { targetFd: notCg, attachBpfFd: p[0], attachType: A.CGROUP_INET_INGRESS }).ret).toBe(-Errno.EBADF);
    expect(bpfSyscall(k, 'PROG_QUERY', { targetFd: fd('/a'), attachType: A.CGROUP_INET_INGRESS, queryFlags: 2 }).ret).toBe(-Errno.EINVAL);
  });
});

test('task->cgroups->dfl_cgrp->kn->id in kernel memory is the cgroup id (what CO-RE readers follow)', () => {
  const k = newKernel('bpf-core');
  const sh = spawn(k);
  mkdir(k, sh, `${CG}/a`);
  mkdir(k, sh, `${CG}/a/b`);
  writeFile(k, sh, `${CG}/a/b/cgroup.procs`, '0');
  const objs = k.world.taskObjects;
  const at = (addr: bigint, struct: string) => {
    const o = objs.objs.objectAt(addr);
    expect(o?.struct).toBe(struct);
    return o!;
  };
  const cg = at(at(objs.sync(sh).get('cgroups'), 'css_set').get('dfl_cgrp'), 'cgroup');
  const kn = at(cg.get('kn'), 'kernfs_node');
  expect([kn.get('id'), cg.get('level')]).toEqual([sh.cgroupId, 2n]);
  expect(at(kn.get('__parent'), 'kernfs_node').get('id')).toBe(ino(k, sh, `${CG}/a`));
  const root = at(cg.get('ancestors[0]'), 'cgroup');
  expect(at(root.get('kn'), 'kernfs_node').get('id')).toBe(1n);
  expect(cg.get('ancestors[2]')).toBe(cg.addr);
});
