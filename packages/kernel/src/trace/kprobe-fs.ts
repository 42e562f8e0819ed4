/**
 * The file system syscalls' modelled kernel functions (kprobe-funcs.ts: open, read, write,
 * unlink, mkdir, rmdir, fsync, close): each wraps the part of the model's syscall handler that the
 * Linux function does, with the function's arguments as kernel objects (file-objects.ts). The
 * handlers in src/syscalls call these at one point each; with no kprobes world (no kernel) they
 * just run the body.
 */
import type { File } from '../fs/file';
import type { Inode } from '../fs/inode';
import { walkParent, type WalkStart } from '../fs/namei';
import type { KObj } from '../mm/kobj';
import type { SysCtx, SysRet } from '../syscalls/context';
import { pathArg } from '../syscalls/context';
import type { KArg, Kprobes, KprobeCallOpts } from './kprobes';

/** `body()` as `fn` when the world has kprobes. */
export function kcall<R>(kp: Kprobes | undefined, fn: string, args: () => readonly KArg[], body: () => R, opts?: KprobeCallOpts<R>): R {
  return kp ? kp.call(fn, args, body, opts) : body();
}

const O_CLOEXEC = 0o2000000;
const O_CREAT = 0o100;
const ACC_MODE = [4, 2, 6, 6]; // MAY_READ, MAY_WRITE, both (ACC_MODE of include/linux/fs.h)

/** A struct file * or ERR_PTR(-errno) as a function returning one gives it. */
const fileRet = (kp: Kprobes) => (r: File | number): bigint => (typeof r === 'number' ? BigInt(r) : kp.taskObjects.files.file(r).addr);

/**
 * do_sys_openat2 → getname_flags, do_filp_open → path_openat → (security_inode_create, vfs_open →
 * security_file_open); then fd_install. `open(path)` is the model's lookup, permission checks and
 * struct file (it calls vfsOpen and securityInodeCreate itself).
 */
export function openTraced(c: SysCtx, dirfd: number, pathPtr: number, flags: number, mode: number, open: (path: string) => File | number): number {
  const kp = c.w.kprobes;
  const install = (f: File | number): number => (typeof f === 'number' ? f : c.t.files.install(f, (flags & O_CLOEXEC) !== 0));
  if (!kp) {
    const path = pathArg(c, pathPtr);
    return typeof path === 'number' ? path : install(open(path));
  }
  const files = kp.taskObjects.files;
  const objs = kp.taskObjects.objs;
  let fname: KObj | undefined;
  let op: KObj | undefined;
  const openFlags = (): KObj => {
    if (op) return op;
    op = kp.temp(objs.alloc('open_flags'));
    op.set('open_flag', flags);
    op.set('mode', flags & O_CREAT ? (mode & 0o7777) | 0o100000 : 0);
    op.set('acc_mode', ACC_MODE[flags & 3]);
    return op;
  };
  return kp.call('do_sys_openat2', () => {
    const how = kp.temp(objs.alloc('open_how'));
    how.set('flags', BigInt(flags));
    how.set('mode', BigInt(flags & O_CREAT ? mode & 0o7777 : 0));
    return [dirfd, pathPtr, how];
  }, () => {
    const path = kp.call('getname_flags', () => [pathPtr, 0], () => pathArg(c, pathPtr), {
      ret: (p) => (typeof p === 'number' ? BigInt(p) : (fname ??= kp.temp(files.filename(p, BigInt(pathPtr)))).addr),
    });
    if (typeof path === 'number') return path;
    const fnameObj = () => (fname ??= kp.temp(files.filename(path, BigInt(pathPtr))));
    const f = kp.call('do_filp_open', () => [dirfd, fnameObj(), openFlags()], () =>
      kp.call('path_openat', () => [kp.temp(objs.alloc('nameidata')), openFlags(), flags], () => open(path), { ret: fileRet(kp), fromRet: Number }),
    { ret: fileRet(kp), fromRet: Number });
    return install(f);
  });
}

/** Where `file` was opened from (its dentry's parent and name), when anything may read it. */
function record(kp: Kprobes, file: File, st: WalkStart, path: string): void {
  const pr = walkParent(st, path);
  if (typeof pr !== 'number') kp.taskObjects.files.recordOpen(file, pr.dir, pr.name || '/');
}

/** vfs_open(&file->f_path, file) → security_file_open(file): 0 or an error (the open fails). */
export function vfsOpen(c: SysCtx, file: File, st: WalkStart, path: string): number {
  const kp = c.w.kprobes;
  if (!kp) return 0;
  if (kp.anyAttached()) record(kp, file, st, path);
  const obj = () => kp.taskObjects.files.file(file);
  return kp.call('vfs_open', () => [obj().addrOf('f_path'), obj()], () => kp.call('security_file_open', () => [obj()], () => 0));
}

/** may_o_create's security_inode_create(dir, dentry, mode) for a new name: 0 or an error. */
export function securityInodeCreate(c: SysCtx, dir: Inode, name: string, mode: number): number {
  const kp = c.w.kprobes;
  if (!kp) return 0;
  const files = kp.taskObjects.files;
  return kp.call('security_inode_create', () => [files.inode(dir), files.entry(dir, name, undefined), (mode & 0o7777) | 0o100000], () => 0);
}

/**
 * ksys_read/ksys_write → vfs_read/vfs_write(file, buf, count, &file->f_pos); ksys_pread64/ksys_pwrite64
 * → vfs_read/vfs_write with a pointer to their own position (not modelled: NULL). `io` is the model's call.
 */
export function rwTraced(c: SysCtx, dir: 'read' | 'write', fd: number, buf: number, count: number, pos: number | undefined, file: File | undefined, io: () => SysRet): SysRet {
  const positional = pos !== undefined;
  const kp = c.w.kprobes;
  if (!kp) return io();
  const inner = (): SysRet => {
    if (!file) return io();
    const obj = () => kp.taskObjects.files.file(file);
    // file_ppos: NULL for a stream (pipes), &file->f_pos otherwise; pread's own loff_t is not modelled (NULL)
    return kp.call(`vfs_${dir}`, () => [obj(), buf, count, file.pipe || positional ? 0n : obj().addrOf('f_pos')], io);
  };
  return positional ? kp.call(`ksys_p${dir}64`, () => [fd >>> 0, buf, count, pos], inner) : kp.call(`ksys_${dir}`, () => [fd >>> 0, buf, count], inner);
}

/**
 * do_unlinkat/do_mkdirat/do_rmdir(dfd, struct filename *, [mode]): `body` is the model's syscall,
 * which calls nameOp for the vfs_ step.
 */
export function nameTraced(c: SysCtx, fn: 'do_unlinkat' | 'do_mkdirat' | 'do_rmdir', dirfd: number, pathPtr: number, mode: number | undefined, body: () => number): number {
  const kp = c.w.kprobes;
  if (!kp) return body();
  return kp.call(fn, () => {
    const p = c.t.mm?.strFromUser(BigInt(pathPtr), 4096);
    const name = kp.temp(kp.taskObjects.files.filename(typeof p === 'string' ? p : '', BigInt(pathPtr)));
    return mode === undefined ? [dirfd, name] : [dirfd, name, mode];
  }, body);
}

/**
 * vfs_unlink/vfs_rmdir(idmap, dir, dentry[, delegated]) → security_inode_unlink/rmdir(dir, dentry), or
 * vfs_mkdir(idmap, dir, dentry, mode) → security_inode_mkdir(dir, dentry, mode): `check` is the
 * vfs_ function's own permission step (may_delete, may_create), `act` the change.
 */
export function vfsNameOp(c: SysCtx, op: 'unlink' | 'rmdir' | 'mkdir', dir: Inode, name: string, victim: Inode | undefined, mode: number, check: () => number, act: () => number): number {
  const kp = c.w.kprobes;
  const run = (): number => {
    const e = check();
    if (e) return e;
    const sec = kcall(kp, `security_inode_${op}`, () => {
      const files = kp!.taskObjects.files;
      return op === 'mkdir' ? [files.inode(dir), files.entry(dir, name, victim), mode] : [files.inode(dir), files.entry(dir, name, victim)];
    }, () => 0);
    return sec || act();
  };
  if (!kp) return run();
  const files = kp.taskObjects.files;
  const args = (): KArg[] => {
    const d = [0n, files.inode(dir), files.entry(dir, name, victim)] as KArg[];
    return op === 'mkdir' ? [...d, mode] : op === 'unlink' ? [...d, 0n] : d;
  };
  // vfs_mkdir returns the new dentry or ERR_PTR
  const ret = op === 'mkdir' ? { ret: (r: number) => (r < 0 ? BigInt(r) : files.entry(dir, name, dir.entries?.get(name)).addr) } : undefined;
  return kp.call(`vfs_${op}`, args, run, ret);
}

/** do_fsync(fd, datasync) → vfs_fsync(file, datasync) → vfs_fsync_range(file, 0, LLONG_MAX, datasync). */
export function fsyncTraced(c: SysCtx, fd: number, datasync: number, file: File | undefined, body: () => number): number {
  const kp = c.w.kprobes;
  if (!kp) return body();
  return kp.call('do_fsync', () => [fd >>> 0, datasync], () => {
    if (!file) return body();
    const obj = () => kp.taskObjects.files.file(file);
    return kp.call('vfs_fsync', () => [obj(), datasync], () => kp.call('vfs_fsync_range', () => [obj(), 0n, 0x7fffffffffffffffn, datasync], body));
  });
}

/** close(2): file_close_fd(fd) takes the file out of the table, then filp_flush(file, current->files). */
export function closeTraced(c: SysCtx, fd: number, body: () => number): number {
  const kp = c.w.kprobes;
  const f = c.t.files.get(fd);
  if (!kp) return body();
  const files = kp.taskObjects.files;
  const r = kp.call('file_close_fd', () => [fd >>> 0], body, { ret: (r) => (r < 0 || !f ? 0n : files.file(f).addr) });
  if (r < 0 || !f) return r;
  return kp.call('filp_flush', () => [files.file(f), files.filesStruct(c.t.files)], () => 0) || r;
}
