/**
 * Attribute syscalls (fs/open.c, fs/attr.c): chmod/fchmod/fchmodat, truncate/
 * ftruncate, access/faccessat/faccessat2, and fcntl's descriptor commands.
 */
import { Errno } from '@bpfsim/uapi';
import { CAP, type Cred } from '../kernel/cred';
import { AT, O } from '../fs/file';
import { MAX_FILE_SIZE, S_ISGID, type Inode } from '../fs/inode';
import { MAY_EXEC, MAY_READ, MAY_WRITE, permission } from '../fs/permission';
import { i32, pathArg, type SysCtx, type SysHandler } from './context';
import { lookupAt, startFor } from './sys_fs';

function chmodInode(c: SysCtx, ino: Inode | number, mode: number): number {
  if (typeof ino === 'number') return ino;
  const cred = c.t.cred;
  // inode_owner_or_capable
  if (cred.fsuid !== ino.uid && !cred.capable(CAP.FOWNER)) return -Errno.EPERM;
  let m = mode & 0o7777;
  if (m & S_ISGID && !cred.inGroup(ino.gid) && !cred.capable(CAP.FSETID)) m &= ~S_ISGID;
  ino.mode = (ino.mode & ~0o7777) | m;
  ino.ctimeNs = c.w.clock.monotonicNs;
  return 0;
}

function pathInode(c: SysCtx, dirfd: number, ptr: number, follow: boolean, emptyPath = false, cred: Cred = c.t.cred): Inode | number {
  const path = pathArg(c, ptr);
  if (typeof path === 'number') return path;
  if (path === '' && emptyPath) {
    const st = startFor(c, dirfd, cred);
    return typeof st === 'number' ? st : st.base;
  }
  return lookupAt(c, dirfd, path, follow, cred);
}

function truncateInode(c: SysCtx, ino: Inode, len: number): number {
  if (len > MAX_FILE_SIZE) return -Errno.EFBIG;
  if (ino.sb.readonly) return -Errno.EACCES;
  ino.resize(len);
  ino.mtimeNs = ino.ctimeNs = c.w.clock.monotonicNs;
  return 0;
}

/** do_faccessat: checks with the real uid/gid (unless AT_EACCESS); root keeps its capabilities only when its real uid is 0. */
function faccessat(c: SysCtx, dirfd: number, ptr: number, mode: number, flags: number): number {
  if (mode & ~7) return -Errno.EINVAL;
  if (flags & ~(AT.EACCESS | AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)) return -Errno.EINVAL;
  let cred = c.t.cred;
  if (!(flags & AT.EACCESS)) cred = cred.with({ fsuid: cred.uid, fsgid: cred.gid, capEffective: cred.uid === 0 ? cred.capPermitted : 0n });
  const ino = pathInode(c, dirfd, ptr, !(flags & AT.SYMLINK_NOFOLLOW), (flags & AT.EMPTY_PATH) !== 0, cred);
  if (typeof ino === 'number') return ino;
  if (mode === 0) return 0;
  return permission(cred, ino, (mode & 4 ? MAY_READ : 0) | (mode & 2 ? MAY_WRITE : 0) | (mode & 1 ? MAY_EXEC : 0));
}

/** chown_common: CAP_CHOWN to change the owner; the owner may change the group to one of its own. */
function chownInode(c: SysCtx, ino: Inode | number, uid: number, gid: number): number {
  if (typeof ino === 'number') return ino;
  const cred = c.t.cred;
  const newUid = uid >>> 0 === 0xffffffff ? ino.uid : uid >>> 0;
  const newGid = gid >>> 0 === 0xffffffff ? ino.gid : gid >>> 0;
  const ownerOk = cred.fsuid === ino.uid && newUid === ino.uid && (newGid === ino.gid || cred.inGroup(newGid));
  if (!ownerOk && !cred.capable(CAP.CHOWN)) return -Errno.EPERM;
  // A non-directory loses set-id bits on a chown (setgid only when group-executable).
  if (!ino.isDir && (uid >>> 0 !== 0xffffffff || gid >>> 0 !== 0xffffffff)) {
    ino.mode &= ~0o4000;
    if (ino.mode & 0o010) ino.mode &= ~S_ISGID;
  }
  ino.uid = newUid;
  ino.gid = newGid;
  ino.ctimeNs = c.w.clock.monotonicNs;
  return 0;
}

const F = { DUPFD: 0, GETFD: 1, SETFD: 2, GETFL: 3, SETFL: 4, DUPFD_CLOEXEC: 1030 } as const;
const SETFL_MASK = O.APPEND | O.NONBLOCK | O.NOATIME | O.DIRECT | 0o20000; /* O_ASYNC */

const fcntl: SysHandler = (c, a) => {
  const fd = i32(a[0]);
  const f = c.t.files.get(fd);
  if (!f) return -Errno.EBADF;
  switch (a[1]) {
    case F.DUPFD:
    case F.DUPFD_CLOEXEC: {
      const min = a[2];
      if (min < 0 || min >= c.t.files.limit) return -Errno.EINVAL;
      return c.t.files.install(f, a[1] === F.DUPFD_CLOEXEC, min);
    }
    case F.GETFD:
      return c.t.files.isCloexec(fd) ? 1 : 0;
    case F.SETFD:
      c.t.files.setCloexec(fd, (a[2] & 1) !== 0);
      return 0;
    case F.GETFL:
      return f.flags & ~O.CLOEXEC;
    case F.SETFL:
      f.flags = (f.flags & ~SETFL_MASK) | (a[2] & SETFL_MASK);
      return 0;
    default:
      return -Errno.EINVAL;
  }
};

export const attrSyscalls: Record<string, SysHandler> = {
  chmod: (c, a) => chmodInode(c, pathInode(c, AT.FDCWD, a[0], true), a[1]),
  fchmodat: (c, a) => chmodInode(c, pathInode(c, i32(a[0]), a[1], true), a[2]),
  fchmod: (c, a) => {
    const f = c.t.files.get(i32(a[0]));
    return f ? chmodInode(c, f.inode, a[1]) : -Errno.EBADF;
  },
  truncate: (c, a) => {
    const ino = pathInode(c, AT.FDCWD, a[0], true);
    if (typeof ino === 'number') return ino;
    if (a[1] < 0) return -Errno.EINVAL;
    if (ino.isDir) return -Errno.EISDIR;
    if (!ino.isReg) return -Errno.EINVAL;
    const p = permission(c.t.cred, ino, MAY_WRITE);
    return p || truncateInode(c, ino, a[1]);
  },
  ftruncate: (c, a) => {
    const f = c.t.files.get(i32(a[0]));
    if (!f) return -Errno.EBADF;
    if (a[1] < 0) return -Errno.EINVAL;
    if (!f.inode.isReg || !f.writable) return -Errno.EINVAL;
    return truncateInode(c, f.inode, a[1]);
  },
  access: (c, a) => faccessat(c, AT.FDCWD, a[0], a[1], 0),
  faccessat: (c, a) => faccessat(c, i32(a[0]), a[1], a[2], 0),
  faccessat2: (c, a) => faccessat(c, i32(a[0]), a[1], a[2], a[3]),
  fcntl,
  umask: (c, a) => {
    const old = c.t.fs.umask;
    c.t.fs.umask = a[0] & 0o777;
    return old;
  },
  chown: (c, a) => chownInode(c, pathInode(c, AT.FDCWD, a[0], true), a[1], a[2]),
  lchown: (c, a) => chownInode(c, pathInode(c, AT.FDCWD, a[0], false), a[1], a[2]),
  fchown: (c, a) => {
    const f = c.t.files.get(i32(a[0]));
    return f ? chownInode(c, f.inode, a[1], a[2]) : -Errno.EBADF;
  },
  fchownat: (c, a) => {
    if (a[4] & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)) return -Errno.EINVAL;
    return chownInode(c, pathInode(c, i32(a[0]), a[1], !(a[4] & AT.SYMLINK_NOFOLLOW), (a[4] & AT.EMPTY_PATH) !== 0), a[2], a[3]);
  },
};
