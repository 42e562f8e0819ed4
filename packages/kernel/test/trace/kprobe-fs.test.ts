/**
 * kprobes, kretprobes, ksyscall and kprobe.multi on the modelled VFS and process functions
 * (src/trace/kprobes.ts, kprobe-funcs.ts): a clang-built tracer in the style of libbpf-tools
 * (fixtures/kprobe_fs.bpf.c: BPF_KPROBE, BPF_KRETPROBE, BPF_KSYSCALL, BPF_CORE_READ chains through
 * file, path, dentry, inode) attached by SEC() name and driven only by syscalls of simulated processes.
 */
import { kfuncAddress, resolveField, vmlinuxBtf } from '../../src';
import { clang, cstring, loadTool, ringRecords, spawn } from './fire-kit';

const K = { OPEN: 1, OPEN_RET: 2, VFS_OPEN: 3, READ: 4, READ_RET: 5, UNLINK_SYS: 6, UNLINK: 7, MKDIR: 8, EXIT: 9, FORK: 10, KILL: 11, CREATE: 12 } as const;

interface Ev { kind: number; pid: number; ret: bigint; a0: bigint; a1: bigint; ip: bigint; cookie: bigint; ino: bigint; mode: number; flags: number; name: string; parent: string }

function decode(b: Uint8Array): Ev {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    kind: dv.getUint32(0, true), pid: dv.getUint32(4, true), ret: dv.getBigInt64(8, true), a0: dv.getBigUint64(16, true), a1: dv.getBigUint64(24, true),
    ip: dv.getBigUint64(32, true), cookie: dv.getBigUint64(40, true), ino: dv.getBigUint64(48, true), mode: dv.getUint32(56, true), flags: dv.getUint32(60, true),
    name: cstring(b.subarray(64, 96)), parent: cstring(b.subarray(96, 128)),
  };
}

const O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0o100;
const AT_FDCWD = -100;

function session(seed = 'kprobe') {
  const t = loadTool('kprobe_fs', { seed });
  const { k } = t;
  const sh = spawn(k, k.world.init, '/bin/sh', ['sh']).child;
  ringRecords(t);
  return { t, k, sh };
}

(clang ? describe : describe.skip)('kprobes on the VFS and process paths, driven by syscalls', () => {
  function run(seed = 'kprobe') {
    const { t, k, sh } = session(seed);
    const tmp = k.world.root.entries!.get('tmp')!;
    const fd = k.syscall(sh, 'openat', [AT_FDCWD, '/tmp/notes.txt', O_WRONLY | O_CREAT, 0o640]).ret;
    const file = tmp.entries!.get('notes.txt')!;
    k.syscall(sh, 'write', [fd, 'hello\n', 6]);
    k.syscall(sh, 'close', [fd]);
    const fd2 = k.syscall(sh, 'openat', [AT_FDCWD, '/tmp/notes.txt', O_RDONLY, 0]).ret;
    k.syscall(sh, 'read', [fd2, { out: 64 }, 64]);
    k.syscall(sh, 'mkdir', ['/tmp/d', 0o755]);
    const dir = tmp.entries!.get('d')!;
    k.syscall(sh, 'unlinkat', [AT_FDCWD, '/tmp/notes.txt', 0]);
    const child = k.syscall(sh, 'fork').child!;
    k.syscall(sh, 'kill', [child.pid, 15]);
    k.syscall(sh, 'exit_group', [2]);
    const ev = ringRecords(t).map(decode);
    const calls = new Map(t.obj.map('calls').entries().map(([key, v]) => [new DataView(key.buffer, key.byteOffset).getBigUint64(0, true), new DataView(v.buffer, v.byteOffset).getBigUint64(0, true)]));
    return { k, sh, ev, calls, fd, fd2, tmp, file, dir, child };
  }

  test('open with O_CREAT: do_sys_openat2 reads the user path and open_how, security_inode_create a negative dentry, vfs_open the new file', () => {
    const r = run();
    const [open, create, vopen, ret] = r.ev.slice(0, 4);
    expect(open).toMatchObject({ kind: K.OPEN, pid: r.sh.pid, a0: BigInt.asUintN(64, -100n), flags: O_WRONLY | O_CREAT | 0o100000, mode: 0o640, name: '/tmp/notes.txt' });
    expect(open.ip).toBe(kfuncAddress('do_sys_openat2'));
    expect(create).toMatchObject({ kind: K.CREATE, a0: BigInt(r.tmp.ino), ino: 0n, mode: 0o100640, name: 'notes.txt' });
    // vfs_open(&file->f_path, file): path points into the file; the dentry names the file and its parent
    expect(vopen).toMatchObject({ kind: K.VFS_OPEN, ino: BigInt(r.file.ino), mode: 0o100640, flags: O_WRONLY | 0o100000, name: 'notes.txt', parent: 'tmp' });
    expect(vopen.a0 - vopen.a1).toBe(BigInt(resolveField(vmlinuxBtf(), 'file', 'f_path').offset));
    expect(ret).toMatchObject({ kind: K.OPEN_RET, ret: BigInt(r.fd), ip: kfuncAddress('do_sys_openat2') });
  });

  test('read: vfs_read gets the file, the count and &file->f_pos; its kretprobe the bytes read', () => {
    const r = run();
    const i = r.ev.findIndex((e) => e.kind === K.READ);
    const [rd, rret] = r.ev.slice(i, i + 2);
    expect(rd).toMatchObject({ a0: 64n, ino: BigInt(r.file.ino), name: 'notes.txt' });
    expect(rret).toMatchObject({ kind: K.READ_RET, ret: 6n });
    // the second open's vfs_open saw the same struct file vfs_read gets; pos is its f_pos
    const vopen = r.ev.filter((e) => e.kind === K.VFS_OPEN)[1];
    expect(rd.a1 - vopen.a1).toBe(BigInt(resolveField(vmlinuxBtf(), 'file', 'f_pos').offset));
  });

  test('mkdir returns the new dentry; unlinkat: ksyscall reads the user registers, vfs_unlink the victim and its parent', () => {
    const r = run();
    expect(r.ev.find((e) => e.kind === K.MKDIR)).toMatchObject({ name: 'd', ino: BigInt(r.dir.ino) });
    expect(r.ev.find((e) => e.kind === K.MKDIR)!.ret).toBeLessThan(0n); // a kernel address
    expect(r.ev.find((e) => e.kind === K.UNLINK_SYS)).toMatchObject({ a0: BigInt.asUintN(64, -100n), flags: 0, name: '/tmp/notes.txt' });
    expect(r.ev.find((e) => e.kind === K.UNLINK)).toMatchObject({ ino: BigInt(r.file.ino), a0: BigInt(r.tmp.ino), name: 'notes.txt', parent: 'tmp' });
  });

  test('fork, kill, exit: kernel_clone returns the child pid, group_send_sig_info sees the target task, do_exit the wait status', () => {
    const r = run();
    expect(r.ev.filter((e) => [K.FORK, K.KILL, K.EXIT].includes(e.kind as 9)).map((e) => [e.kind, e.pid, e.ret, e.a0, e.a1, e.name])).toEqual([
      [K.FORK, r.sh.pid, BigInt(r.child.pid), 0n, 0n, ''],
      [K.KILL, r.sh.pid, 0n, 15n, BigInt(r.child.pid), 'sh'],
      [K.EXIT, r.child.pid, 0n, 15n, 0n, ''], // the child dies of SIGTERM as itself
      [K.EXIT, r.sh.pid, 0n, 2n << 8n, 0n, ''],
    ]);
  });

  test('kprobe.multi/vfs_*: one program on every modelled vfs_ function, bpf_get_func_ip telling them apart', () => {
    const r = run();
    const byName = Object.fromEntries(r.k.kprobes.modelled().filter((f) => r.calls.has(kfuncAddress(f))).map((f) => [f, Number(r.calls.get(kfuncAddress(f)))]));
    expect(byName).toEqual({ vfs_open: 2, vfs_write: 1, vfs_read: 1, vfs_mkdir: 1, vfs_unlink: 1 });
  });

  test('deterministic: the same seed gives the same records, addresses included', () => {
    expect(run('det').ev).toEqual(run('det').ev);
  });
});
