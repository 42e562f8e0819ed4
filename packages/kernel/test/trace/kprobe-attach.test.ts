/**
 * Attaching to the modelled kernel functions (src/trace/kprobes.ts checkAttach, through
 * LINK_CREATE): unknown symbols fail with ENOENT as registering a kprobe does; functions Linux 6.18
 * has but bpfsim does not model fail with a typed error naming the nearest modelled ones; the
 * program type must fit the hook; kprobe.multi globs match modelled functions, and explicit
 * symbol lists carry a cookie each (bpf_get_attach_cookie).
 */
import { assemble } from '@bpfsim/isa';
import { BpfAttachType, BpfProgType, Errno } from '@bpfsim/uapi';
import { Kernel, KprobeError, kfuncAddress, parseObject, vmlinuxBtf } from '../../src';
import { buildTool, clang, spawn } from './fire-kit';

const k = new Kernel({ btf: vmlinuxBtf() });
const load = (progType: number, expectedAttachType = 0) => {
  const r = k.bpf.progLoad({ progType, expectedAttachType, insns: assemble('r0 = 0\nexit', { dialect: 'kernel' }), license: 'GPL', name: 'p' });
  expect(r.fd).toBeGreaterThan(0);
  return r.fd;
};
const kprobe = load(BpfProgType.KPROBE);
const multi = load(BpfProgType.KPROBE, BpfAttachType.TRACE_KPROBE_MULTI);
const attach = (progFd: number, hook: string) => k.bpf.linkCreate({ progFd, hook });
const refusal = (progFd: number, hook: string): KprobeError => {
  try { attach(progFd, hook); } catch (e) { return e as KprobeError; }
  throw new Error(`${hook} attached`);
};

describe('attach checks', () => {
  test('modelled functions, syscall wrappers and ksyscall names attach', () => {
    for (const h of ['kprobe/vfs_open', 'kretprobe/do_unlinkat', 'kprobe/__x64_sys_openat', 'ksyscall/execve', 'kretsyscall/openat', 'kprobe/do_exit+0']) {
      expect([h, attach(kprobe, h) > 0]).toEqual([h, true]);
    }
  });

  test('an unknown symbol is ENOENT, as register_kprobe gives', () => {
    expect(attach(kprobe, 'kprobe/no_such_function_anywhere')).toBe(-Errno.ENOENT);
    expect(attach(kprobe, 'ksyscall/no_such_syscall')).toBe(-Errno.ENOENT);
    expect(attach(multi, 'kprobe.multi/zz_no_match_*')).toBe(-Errno.ENOENT);
  });

  test('a Linux function bpfsim does not model: a typed error naming the nearest modelled functions', () => {
    const e = refusal(kprobe, 'kprobe/vfs_getattr');
    expect(e).toBeInstanceOf(KprobeError);
    expect(e.code).toBe('EKPROBE_UNMODELLED');
    expect(e.message).toMatch(/^kprobe\/vfs_getattr: vfs_getattr is a function of Linux 6\.18 that bpfsim does not model .*nearest modelled: vfs_/);
    expect(refusal(multi, 'kprobe.multi/ext4_*').message).toMatch(/matches \d+ function\(s\) of Linux 6\.18 .* but none bpfsim models/);
    expect(refusal(kprobe, 'kprobe/vfs_open+4').code).toBe('EKPROBE_OFFSET');
  });

  test('the program type must fit the hook (EINVAL)', () => {
    expect(attach(kprobe, 'kprobe.multi/vfs_*')).toBe(-Errno.EINVAL);
    expect(attach(multi, 'kprobe/vfs_open')).toBe(-Errno.EINVAL);
    expect(attach(kprobe, 'fentry/vfs_open')).toBe(-Errno.EINVAL);
    expect(attach(multi, 'kprobe.multi/vfs_*')).toBeGreaterThan(0);
  });

  test('the modelled list: the table and one __x64_sys_ wrapper per implemented syscall', () => {
    const m = k.kprobes.modelled();
    expect(m).toContain('vfs_open');
    expect(m).toContain('__x64_sys_openat');
    expect(m).toEqual([...m].sort());
    expect(k.kprobes.nearest('vfs_opn', 1)).toEqual(['vfs_open']);
  });
});

(clang ? describe : describe.skip)('kprobe.multi cookies', () => {
  test('each listed function gets its cookie; a single kprobe its link cookie', () => {
    const kk = new Kernel({ seed: 'cookie', btf: vmlinuxBtf() });
    void kk.world;
    const obj = kk.loadObject(parseObject(buildTool('kprobe_cookie'), 'kprobe_cookie.bpf.o', kk), { file: 'kprobe_cookie.bpf.o' });
    expect(kk.kprobes.attachMulti(obj.program('by_cookie').fd, ['vfs_read', 'vfs_write', 'do_sys_openat2'], { cookies: [11n, 22n, 33n] })).toBeGreaterThan(0);
    obj.program('single').attach('kprobe/vfs_write', 99n);
    const sh = spawn(kk, kk.world.init, '/bin/sh', ['sh']).child;
    const fd = kk.syscall(sh, 'openat', [-100, '/tmp/c', 0o102, 0o600]).ret;
    kk.syscall(sh, 'write', [fd, 'x', 1]);
    kk.syscall(sh, 'pread64', [fd, { out: 1 }, 1, 0]);
    const got = new Map(obj.map('cookies').entries().map(([a, b]) => [new DataView(a.buffer, a.byteOffset).getBigUint64(0, true), new DataView(b.buffer, b.byteOffset).getBigUint64(0, true)]));
    expect(got.get(kfuncAddress('vfs_read'))).toBe(11n);
    expect(got.get(kfuncAddress('vfs_write'))).toBe(22n);
    expect(got.get(kfuncAddress('do_sys_openat2'))).toBe(33n);
    expect(got.get(1n)).toBe(99n);
    expect(got.size).toBe(4);
  });
});
