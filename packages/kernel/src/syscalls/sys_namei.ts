/**
 * Name-based syscalls (fs/namei.c, fs/stat.c, fs/open.c, fs/d_path.c): the
 * stat family, mkdir/rmdir, unlink, symlink/readlink, chdir/fchdir/getcwd.
 */
import { utf8Encode } from '../kernel/utf8';
import { Errno } from '@bpfsim/uapi';
import { AT } from '../fs/file';
import { Inode, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, onDeviceOf } from '../fs/inode';
import { checkDevPermission, decodeDev, DEVCG_ACC, DEVCG_DEV } from '../bpf/cgroup';
import { dirPath, walkParent, type WalkStart } from '../fs/namei';
import { MAY_EXEC, MAY_WRITE, permission } from '../fs/permission';
import type { World } from '../kernel/world';
import { i32, pathArg, toUser, type SysCtx, type SysHandler } from './context';
import { lookupAt, startAt, startFor } from './sys_fs';
import { nameTraced, vfsNameOp } from '../trace/kprobe-fs';

/** struct stat as x86-64 lays it out (144 bytes). */
export function encodeStat(w: World, ino: Inode): Uint8Array {
  const b = new Uint8Array(144);
  const dv = new DataView(b.buffer);
  const ts = (o: number, ns: bigint): void => {
    const real = w.clock.realtimeAtBootNs + ns;
    dv.setBigInt64(o, real / 1_000_000_000n, true);
    dv.setBigInt64(o + 8, real % 1_000_000_000n, true);
  };
  dv.setBigUint64(0, BigInt(ino.recorded?.dev ?? ino.sb.dev), true);
  dv.setBigUint64(8, BigInt(ino.ino), true);
  dv.setBigUint64(16, BigInt(ino.nlink), true);
  dv.setUint32(24, ino.mode, true);
  dv.setUint32(28, ino.uid, true);
  dv.setUint32(32, ino.gid, true);
  dv.setBigUint64(40, BigInt(ino.rdev), true);
  dv.setBigInt64(48, BigInt(ino.recorded?.size !== undefined ? ino.recorded.size : ino.isLink ? utf8Encode(ino.target).length : ino.isDir ? 40 + 20 * ino.entries!.size : ino.size), true);
  dv.setBigInt64(56, 4096n, true);
  dv.setBigInt64(64, BigInt(ino.recorded?.blocks ?? ino.blocks), true);
  ts(72, ino.atimeNs);
  ts(88, ino.mtimeNs);
  ts(104, ino.ctimeNs);
  return b;
}

function statAt(c: SysCtx, dirfd: number, pathPtr: number, buf: number, flags: number): number {
  if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH | AT.NO_AUTOMOUNT)) return -Errno.EINVAL;
  const path = pathArg(c, pathPtr);
  if (typeof path === 'number') return path;
  let ino: Inode | number;
  if (path === '' && flags & AT.EMPTY_PATH) {
    const st = startFor(c, dirfd);
    ino = typeof st === 'number' ? st : st.base;
  } else ino = lookupAt(c, dirfd, path, !(flags & AT.SYMLINK_NOFOLLOW));
  if (typeof ino === 'number') return ino;
  return toUser(c, buf, encodeStat(c.w, ino));
}

function parentAt(c: SysCtx, dirfd: number, pathPtr: number): { st: WalkStart; dir: Inode; name: string; trailingSlash: boolean } | number {
  const path = pathArg(c, pathPtr);
  if (typeof path === 'number') return path;
  const st = startAt(c, dirfd, path);
  if (typeof st === 'number') return st;
  if (!st.base.isDir && !path.startsWith('/')) return -Errno.ENOTDIR;
  const pr = walkParent(st, path);
  if (typeof pr === 'number') return pr;
  return { st, ...pr };
}

function mkdirAt(c: SysCtx, dirfd: number, pathPtr: number, mode: number): number {
  return nameTraced(c, 'do_mkdirat', dirfd, pathPtr, mode, () => {
    const pr = parentAt(c, dirfd, pathPtr);
    if (typeof pr === 'number') return pr;
    if (pr.name === '' || pr.name === '.' || pr.name === '..' || pr.dir.entries!.has(pr.name)) return -Errno.EEXIST;
    // vfs_mkdir: may_create, security_inode_mkdir, then the file system's mkdir
    return vfsNameOp(c, 'mkdir', pr.dir, pr.name, undefined, mode, () => permission(c.t.cred, pr.dir, MAY_WRITE | MAY_EXEC), () => mkdirApply(c, pr, mode));
  });
}

function mkdirApply(c: SysCtx, pr: { dir: Inode; name: string }, mode: number): number {
  // A kernfs directory makes its own children (cgroupfs: cgroup_mkdir).
  if (pr.dir.kernfsDir) return pr.dir.kernfsDir.mkdir(pr.name, mode & 0o7777 & ~c.t.fs.umask, c.t);
  const now = c.w.clock.monotonicNs;
  const d = new Inode(c.w.sb, S_IFDIR | (mode & 0o7777 & ~c.t.fs.umask), c.t.cred.fsuid, c.t.cred.fsgid, now);
  d.parent = pr.dir;
  d.recorded = onDeviceOf(pr.dir);
  pr.dir.entries!.set(pr.name, d);
  pr.dir.nlink++;
  pr.dir.mtimeNs = pr.dir.ctimeNs = now;
  return 0;
}

/** CAP_MKNOD. */
const CAP_MKNOD = 27;

/**
 * do_mknodat: may_mknod's type check (a directory is EPERM, an unknown type EINVAL), the name,
 * the umask, then vfs_mknod's checks — create permission, CAP_MKNOD for device nodes, and the
 * device cgroup (cgroup_device programs, MKNOD access).
 */
function mknodAt(c: SysCtx, dirfd: number, pathPtr: number, mode: number, dev: number): number {
  const type = mode & S_IFMT;
  if (type === S_IFDIR) return -Errno.EPERM;
  if (![0, S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK].includes(type)) return -Errno.EINVAL;
  const pr = parentAt(c, dirfd, pathPtr);
  if (typeof pr === 'number') return pr;
  if (pr.name === '' || pr.name === '.' || pr.name === '..' || pr.dir.entries!.has(pr.name)) return -Errno.EEXIST;
  if (pr.trailingSlash) return -Errno.ENOENT;
  const p = permission(c.t.cred, pr.dir, MAY_WRITE | MAY_EXEC);
  if (p) return p;
  const device = type === S_IFCHR || type === S_IFBLK;
  if (device && !c.t.cred.capable(CAP_MKNOD)) return -Errno.EPERM;
  // kernfs directories have neither create (EACCES) nor mknod (EPERM).
  if (pr.dir.kernfsDir) return type === 0 || type === S_IFREG ? -Errno.EACCES : -Errno.EPERM;
  if (device) {
    const { major, minor } = decodeDev(dev >>> 0);
    const e = checkDevPermission(c.t.cgroup, c.w.runBpf, type === S_IFBLK ? DEVCG_DEV.BLOCK : DEVCG_DEV.CHAR, major, minor, DEVCG_ACC.MKNOD);
    if (e) return e;
  }
  const now = c.w.clock.monotonicNs;
  const ino = new Inode(c.w.sb, (type || S_IFREG) | (mode & 0o7777 & ~c.t.fs.umask), c.t.cred.fsuid, c.t.cred.fsgid, now);
  if (device) ino.rdev = dev >>> 0;
  ino.recorded = onDeviceOf(pr.dir);
  pr.dir.entries!.set(pr.name, ino);
  pr.dir.mtimeNs = pr.dir.ctimeNs = now;
  return 0;
}

/** may_delete: write+search on the directory, and the sticky bit's owner rule. */
function mayDelete(c: SysCtx, dir: Inode, victim: Inode): number {
  const p = permission(c.t.cred, dir, MAY_WRITE | MAY_EXEC);
  if (p) return p;
  const fsuid = c.t.cred.fsuid;
  if (dir.mode & 0o1000 && fsuid !== victim.uid && fsuid !== dir.uid && !c.t.cred.capable(3)) return -Errno.EPERM;
  return 0;
}

function unlinkAt(c: SysCtx, dirfd: number, pathPtr: number, flags: number): number {
  if (flags & ~AT.REMOVEDIR) return -Errno.EINVAL;
  return nameTraced(c, flags & AT.REMOVEDIR ? 'do_rmdir' : 'do_unlinkat', dirfd, pathPtr, undefined, () => unlinkLookup(c, dirfd, pathPtr, flags));
}

function unlinkLookup(c: SysCtx, dirfd: number, pathPtr: number, flags: number): number {
  const pr = parentAt(c, dirfd, pathPtr);
  if (typeof pr === 'number') return pr;
  if (flags & AT.REMOVEDIR) {
    if (pr.name === '.' ) return -Errno.EINVAL;
    if (pr.name === '..' ) return -Errno.ENOTEMPTY;
    if (pr.name === '') return -Errno.EBUSY;
  } else if (pr.name === '' || pr.name === '.' || pr.name === '..' ) return -Errno.EISDIR;
  const victim = pr.dir.entries!.get(pr.name);
  if (!victim) return -Errno.ENOENT;
  // unlink's trailing-slash check comes before any permission check.
  if (!(flags & AT.REMOVEDIR) && pr.trailingSlash) return victim.isDir ? -Errno.EISDIR : -Errno.ENOTDIR;
  // vfs_unlink/vfs_rmdir: may_delete (permission and the sticky rule first, then the type), the security hook, the change
  return vfsNameOp(c, flags & AT.REMOVEDIR ? 'rmdir' : 'unlink', pr.dir, pr.name, victim, 0, () => {
    const e = mayDelete(c, pr.dir, victim);
    if (e) return e;
    if (flags & AT.REMOVEDIR) return victim.isDir ? 0 : -Errno.ENOTDIR;
    return victim.isDir ? -Errno.EISDIR : 0;
  }, () => unlinkApply(c, pr, victim, flags));
}

function unlinkApply(c: SysCtx, pr: { dir: Inode; name: string }, victim: Inode, flags: number): number {
  if (flags & AT.REMOVEDIR) {
    if (!victim.isDir) return -Errno.ENOTDIR;
    // cgroupfs: cgroup_rmdir decides (its interface files do not make it "not empty"); its mount point is busy.
    if (pr.dir.kernfsDir) return pr.dir.kernfsDir.rmdir(pr.name, c.t);
    if (victim.kernfsDir) return -Errno.EBUSY;
    if (victim.entries!.size > 0) return -Errno.ENOTEMPTY;
    if (victim === c.t.fs.root) return -Errno.EBUSY;
    pr.dir.nlink--;
    victim.nlink = 0;
  } else {
    if (victim.isDir) return -Errno.EISDIR;
    // kernfs has no unlink operation.
    if (pr.dir.kernfsDir) return -Errno.EPERM;
    victim.nlink--;
    victim.ctimeNs = c.w.clock.monotonicNs;
  }
  pr.dir.entries!.delete(pr.name);
  pr.dir.mtimeNs = pr.dir.ctimeNs = c.w.clock.monotonicNs;
  return 0;
}

function symlinkAt(c: SysCtx, targetPtr: number, dirfd: number, pathPtr: number): number {
  const target = pathArg(c, targetPtr);
  if (typeof target === 'number') return target;
  const pr = parentAt(c, dirfd, pathPtr);
  if (typeof pr === 'number') return pr;
  if (pr.name === '' || pr.name === '.' || pr.name === '..' || pr.dir.entries!.has(pr.name)) return -Errno.EEXIST;
  if (target === '') return -Errno.ENOENT;
  const p = permission(c.t.cred, pr.dir, MAY_WRITE | MAY_EXEC);
  if (p) return p;
  const l = new Inode(c.w.sb, S_IFLNK | 0o777, c.t.cred.fsuid, c.t.cred.fsgid, c.w.clock.monotonicNs);
  l.target = target;
  l.recorded = onDeviceOf(pr.dir);
  pr.dir.entries!.set(pr.name, l);
  return 0;
}

function readlinkAt(c: SysCtx, dirfd: number, pathPtr: number, buf: number, size: number): number {
  if (size <= 0) return -Errno.EINVAL;
  const path = pathArg(c, pathPtr);
  if (typeof path === 'number') return path;
  const ino = lookupAt(c, dirfd, path, false);
  if (typeof ino === 'number') return ino;
  if (!ino.isLink) return -Errno.EINVAL;
  const b = utf8Encode(ino.target).subarray(0, size);
  return toUser(c, buf, b) || b.length;
}

function chdirTo(c: SysCtx, ino: Inode | number): number {
  if (typeof ino === 'number') return ino;
  if (!ino.isDir) return -Errno.ENOTDIR;
  const p = permission(c.t.cred, ino, MAY_EXEC);
  if (p) return p;
  c.t.fs.pwd = ino;
  return 0;
}

const getcwd: SysHandler = (c, a) => {
  const p = dirPath(c.t.fs.root, c.t.fs.pwd);
  // A removed cwd reads "(unreachable)"-style paths in Linux only through /proc; getcwd says ENOENT.
  if (p === undefined) return -Errno.ENOENT;
  const b = utf8Encode(p + '\0');
  if (b.length > a[1]) return -Errno.ERANGE;
  return toUser(c, a[0], b) || b.length;
};

export const nameiSyscalls: Record<string, SysHandler> = {
  stat: (c, a) => statAt(c, AT.FDCWD, a[0], a[1], 0),
  lstat: (c, a) => statAt(c, AT.FDCWD, a[0], a[1], AT.SYMLINK_NOFOLLOW),
  newfstatat: (c, a) => statAt(c, i32(a[0]), a[1], a[2], a[3]),
  fstat: (c, a) => {
    const f = c.t.files.get(i32(a[0]));
    return f ? toUser(c, a[1], encodeStat(c.w, f.inode)) : -Errno.EBADF;
  },
  mkdir: (c, a) => mkdirAt(c, AT.FDCWD, a[0], a[1]),
  mknod: (c, a) => mknodAt(c, AT.FDCWD, a[0], a[1], a[2]),
  mknodat: (c, a) => mknodAt(c, i32(a[0]), a[1], a[2], a[3]),
  mkdirat: (c, a) => mkdirAt(c, i32(a[0]), a[1], a[2]),
  rmdir: (c, a) => unlinkAt(c, AT.FDCWD, a[0], AT.REMOVEDIR),
  unlink: (c, a) => unlinkAt(c, AT.FDCWD, a[0], 0),
  unlinkat: (c, a) => unlinkAt(c, i32(a[0]), a[1], a[2]),
  symlink: (c, a) => symlinkAt(c, a[0], AT.FDCWD, a[1]),
  symlinkat: (c, a) => symlinkAt(c, a[0], i32(a[1]), a[2]),
  readlink: (c, a) => readlinkAt(c, AT.FDCWD, a[0], a[1], i32(a[2])),
  readlinkat: (c, a) => readlinkAt(c, i32(a[0]), a[1], a[2], i32(a[3])),
  chdir: (c, a) => {
    const path = pathArg(c, a[0]);
    return typeof path === 'number' ? path : chdirTo(c, lookupAt(c, AT.FDCWD, path, true));
  },
  fchdir: (c, a) => {
    const f = c.t.files.get(i32(a[0]));
    return f ? chdirTo(c, f.inode) : -Errno.EBADF;
  },
  getcwd,
};
