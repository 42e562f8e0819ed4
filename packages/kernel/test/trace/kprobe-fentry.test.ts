/**
 * fentry/fexit/fmod_ret on the modelled kernel functions, which bpfsim verifies and runs as Linux
 * 6.18 with BPF trampolines does (the reference machine refuses them with EPERM: KernelOptions
 * .trampolines false keeps that refusal). fixtures/kprobe_fentry.bpf.c reads the same vfs_read call
 * through fentry (BTF-typed arguments, direct loads) and through a kprobe (pt_regs, BPF_CORE_READ):
 * both must see the same file, name, inode, count and function address; fexit and the kretprobe
 * the same return value; an fmod_ret program on security_inode_create makes open(O_CREAT) fail.
 */
import { assemble } from '@bpfsim/isa';
import { BpfAttachType, BpfProgType, Errno } from '@bpfsim/uapi';
import { Kernel, ProgLoadError, kfuncAddress, parseObject, vmlinuxBtf } from '../../src';
import { buildTool, clang, cstring, loadTool, spawn } from './fire-kit';

const O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0o100, AT_FDCWD = -100;

interface Seen { file: bigint; ino: bigint; count: bigint; ip: bigint; ret: bigint; name: string }
function seen(t: ReturnType<typeof loadTool>, i: number): Seen {
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, i, true);
  const b = t.obj.map('seen').lookup(k)!;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { file: dv.getBigUint64(0, true), ino: dv.getBigUint64(8, true), count: dv.getBigUint64(16, true), ip: dv.getBigUint64(24, true), ret: dv.getBigInt64(32, true), name: cstring(b.subarray(40, 72)) };
}

(clang ? describe : describe.skip)('fentry, fexit and fmod_ret on modelled functions', () => {
  test('fentry and kprobe on vfs_read see the same arguments; fexit and kretprobe the same return', () => {
    const t = loadTool('kprobe_fentry', { seed: 'fentry' });
    const { k } = t;
    const sh = spawn(k, k.world.init, '/bin/sh', ['sh']).child;
    const fd = k.syscall(sh, 'openat', [AT_FDCWD, '/tmp/data.bin', O_WRONLY | O_CREAT, 0o600]).ret;
    k.syscall(sh, 'write', [fd, 'abcdefgh', 8]);
    k.syscall(sh, 'close', [fd]);
    const rd = k.syscall(sh, 'openat', [AT_FDCWD, '/tmp/data.bin', O_RDONLY, 0]).ret;
    expect(k.syscall(sh, 'read', [rd, { out: 100 }, 100]).ret).toBe(8);
    const [fe, kp, fx, kr] = [0, 1, 2, 3].map((i) => seen(t, i));
    expect(fe.name).toBe('data.bin');
    expect(fe.count).toBe(100n);
    expect(fe.ino).toBeGreaterThan(0n);
    expect(fe.ip).toBe(kfuncAddress('vfs_read'));
    expect(kp).toEqual({ ...fe, ret: 0n });
    expect(fx).toMatchObject({ file: fe.file, count: 100n, ret: 8n });
    expect(kr.ret).toBe(8n);
  });

  test('fmod_ret on security_inode_create: a non-zero return fails the creation with it, nothing is created', () => {
    const t = loadTool('kprobe_fentry', { seed: 'fmodret', globals: { deny_create: 1 } });
    const { k } = t;
    const sh = spawn(k, k.world.init, '/bin/sh', ['sh']).child;
    expect(k.syscall(sh, 'openat', [AT_FDCWD, '/tmp/denied', O_WRONLY | O_CREAT, 0o600]).ret).toBe(-Errno.EPERM);
    expect(k.syscall(sh, 'openat', [AT_FDCWD, '/tmp/denied', O_RDONLY, 0]).ret).toBe(-Errno.ENOENT);
    const s = seen(t, 4);
    expect(s).toMatchObject({ count: 1n, name: 'denied' });
    // without the flag the same program lets the creation through
    const t2 = loadTool('kprobe_fentry', { seed: 'fmodret' });
    const sh2 = spawn(t2.k, t2.k.world.init, '/bin/sh', ['sh']).child;
    expect(t2.k.syscall(sh2, 'openat', [AT_FDCWD, '/tmp/allowed', O_WRONLY | O_CREAT, 0o600]).ret).toBeGreaterThanOrEqual(0);
  });

  test('a kernel without trampolines (the reference machine) refuses them with EPERM', () => {
    const k = new Kernel({ btf: vmlinuxBtf(), trampolines: false });
    const parsed = parseObject(buildTool('kprobe_fentry'), 'kprobe_fentry.bpf.o', k);
    let err: unknown;
    try { k.loadObject(parsed, { file: 'kprobe_fentry.bpf.o', programs: ['fentry_read'] }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ProgLoadError);
    expect((err as ProgLoadError).errno).toBe(Errno.EPERM);
  });
});

describe('the verifier on fentry/fexit/fmod_ret (btf_ctx_access with trampolines)', () => {
  const k = new Kernel({ btf: vmlinuxBtf() });
  const funcId = (fn: string) => vmlinuxBtf().types.findIndex((t) => t.kind === 12 && t.name === fn);
  const load = (fn: string, eat: number, text: string) =>
    k.bpf.progLoad({ progType: BpfProgType.TRACING, expectedAttachType: eat, attachBtfId: funcId(fn), insns: assemble(text, { dialect: 'kernel' }), license: 'GPL', name: 't' });

  test('arguments by slot, pointer arguments typed; the return value only for fexit and fmod_ret', () => {
    // vfs_read(file, buf, count, pos): slot 0 is struct file *, a direct load of f_flags is fine
    expect(load('vfs_read', BpfAttachType.TRACE_FENTRY, 'r2 = *(u64 *)(r1 +0)\nr0 = *(u32 *)(r2 +0)\nr0 = 0\nexit').fd).toBeGreaterThan(0);
    const beyond = load('vfs_read', BpfAttachType.TRACE_FENTRY, 'r0 = *(u64 *)(r1 +32)\nr0 = 0\nexit');
    expect(beyond).toMatchObject({ fd: -Errno.EACCES, error: 'invalid bpf_context access off=32 size=8' });
    expect(beyond.log).toContain("func 'vfs_read' doesn't have 5-th argument");
    expect(load('vfs_read', BpfAttachType.TRACE_FEXIT, 'r0 = *(u64 *)(r1 +32)\nr0 = 0\nexit').fd).toBeGreaterThan(0);
    expect(load('security_file_open', BpfAttachType.MODIFY_RETURN, 'r0 = *(u64 *)(r1 +8)\nexit').fd).toBeGreaterThan(0);
  });

  test('fentry and fexit return 0; fmod_ret only where the kernel allows modifying the return', () => {
    const ret1 = load('vfs_read', BpfAttachType.TRACE_FENTRY, 'r0 = 1\nexit');
    expect(ret1.fd).toBe(-Errno.EINVAL);
    expect(ret1.log).toMatch(/should have been in \[0, 0\]/);
    const notMod = load('vfs_read', BpfAttachType.MODIFY_RETURN, 'r0 = 0\nexit');
    expect(notMod).toMatchObject({ fd: -Errno.EINVAL, error: 'vfs_read() is not modifiable' });
    expect(load('__x64_sys_openat', BpfAttachType.MODIFY_RETURN, 'r0 = 0\nexit').fd).toBeGreaterThan(0);
  });
});
