/**
 * rename/renameat/renameat2 and link/linkat (fs/namei.c do_renameat2,
 * do_linkat), with the kernel's order of checks.
 */
import { Errno } from '@bpfsim/uapi';
import { CAP } from '../kernel/cred';
import { AT } from '../fs/file';
import type { Inode } from '../fs/inode';
import { walkParent, walk } from '../fs/namei';
import { MAY_EXEC, MAY_READ, MAY_WRITE, permission } from '../fs/permission';
import { i32, pathArg, type SysCtx, type SysHandler } from './context';
import { startAt } from './sys_fs';

const RENAME = { NOREPLACE: 1, EXCHANGE: 2, WHITEOUT: 4 } as const;

function parent(c: SysCtx, dirfd: number, ptr: number) {
  const path = pathArg(c, ptr);
  if (typeof path === 'number') return path;
  const st = startAt(c, dirfd, path);
  if (typeof st === 'number') return st;
  if (!st.base.isDir && !path.startsWith('/')) return -Errno.ENOTDIR;
  const pr = walkParent(st, path);
  return typeof pr === 'number' ? pr : { ...pr, st, path };
}

const isNorm = (n: string): boolean => n !== '' && n !== '.' && n !== '..';

function isAncestor(a: Inode, d: Inode): boolean {
  for (let cur = d; ; ) {
    if (cur === a) return true;
    const p = cur.parent;
    if (!p || p === cur) return false;
    cur = p;
  }
}

function mayDelete(c: SysCtx, dir: Inode, victim: Inode): number {
  const p = permission(c.t.cred, dir, MAY_WRITE | MAY_EXEC);
  if (p) return p;
  const fsuid = c.t.cred.fsuid;
  if (dir.mode & 0o1000 && fsuid !== victim.uid && fsuid !== dir.uid && !c.t.cred.capable(CAP.FOWNER)) return -Errno.EPERM;
  return 0;
}

function renameat2(c: SysCtx, olddfd: number, oldPtr: number, newdfd: number, newPtr: number, flags: number): number {
  if (flags & ~(RENAME.NOREPLACE | RENAME.EXCHANGE | RENAME.WHITEOUT)) return -Errno.EINVAL;
  if (flags & RENAME.NOREPLACE && flags & RENAME.EXCHANGE) return -Errno.EINVAL;
  if (flags & RENAME.WHITEOUT) return -Errno.EINVAL; // whiteouts: not modelled
  const o = parent(c, olddfd, oldPtr);
  if (typeof o === 'number') return o;
  const n = parent(c, newdfd, newPtr);
  if (typeof n === 'number') return n;
  if (!isNorm(o.name)) return -Errno.EBUSY;
  if (!isNorm(n.name)) return flags & RENAME.NOREPLACE ? -Errno.EEXIST : -Errno.EBUSY;
  const src = o.dir.entries!.get(o.name);
  if (!src) return -Errno.ENOENT;
  const dst = n.dir.entries!.get(n.name);
  if (dst && flags & RENAME.NOREPLACE) return -Errno.EEXIST;
  if (flags & RENAME.EXCHANGE && !dst) return -Errno.ENOENT;
  if (!src.isDir && (o.trailingSlash || (n.trailingSlash && !(flags & RENAME.EXCHANGE)))) return -Errno.ENOTDIR;
  // Source may not be an ancestor of the target (EINVAL), nor the target of the source (ENOTEMPTY).
  if (src.isDir && isAncestor(src, n.dir)) return -Errno.EINVAL;
  if (dst && dst.isDir && isAncestor(dst, o.dir)) return flags & RENAME.EXCHANGE ? -Errno.EINVAL : -Errno.ENOTEMPTY;
  // vfs_rename: the same inode is a successful no-op before any permission check.
  if (src === dst) return 0;
  let e = mayDelete(c, o.dir, src);
  if (e) return e;
  e = dst ? mayDelete(c, n.dir, dst) : permission(c.t.cred, n.dir, MAY_WRITE | MAY_EXEC);
  if (e) return e;
  const now = c.w.clock.monotonicNs;
  if (flags & RENAME.EXCHANGE) {
    o.dir.entries!.set(o.name, dst!);
    n.dir.entries!.set(n.name, src);
    if (src.isDir) src.parent = n.dir;
    if (dst!.isDir) dst!.parent = o.dir;
    return 0;
  }
  if (dst) {
    if (src.isDir && !dst.isDir) return -Errno.ENOTDIR;
    if (!src.isDir && dst.isDir) return -Errno.EISDIR;
    if (dst.isDir && dst.entries!.size > 0) return -Errno.ENOTEMPTY;
    dst.nlink = dst.isDir ? 0 : dst.nlink - 1;
    if (dst.isDir) n.dir.nlink--;
  }
  o.dir.entries!.delete(o.name);
  n.dir.entries!.set(n.name, src);
  if (src.isDir && o.dir !== n.dir) {
    o.dir.nlink--;
    n.dir.nlink++;
    src.parent = n.dir;
  }
  o.dir.mtimeNs = o.dir.ctimeNs = n.dir.mtimeNs = n.dir.ctimeNs = src.ctimeNs = now;
  return 0;
}

function linkat(c: SysCtx, olddfd: number, oldPtr: number, newdfd: number, newPtr: number, flags: number): number {
  if (flags & ~(AT.SYMLINK_FOLLOW | AT.EMPTY_PATH)) return -Errno.EINVAL;
  const oldPath = pathArg(c, oldPtr);
  if (typeof oldPath === 'number') return oldPath;
  const st = startAt(c, olddfd, oldPath);
  if (typeof st === 'number') return st;
  const src = walk(st, oldPath, (flags & AT.SYMLINK_FOLLOW) !== 0);
  if (typeof src === 'number') return src;
  const n = parent(c, newdfd, newPtr);
  if (typeof n === 'number') return n;
  if (!isNorm(n.name) || n.dir.entries!.has(n.name)) return -Errno.EEXIST;
  if (n.trailingSlash) return -Errno.ENOENT;
  // may_linkat (fs.protected_hardlinks = 1), then vfs_link's may_create and the directory rule.
  if (PROTECTED_HARDLINKS && !safeHardlinkSource(c, src)) return -Errno.EPERM;
  const p = permission(c.t.cred, n.dir, MAY_WRITE | MAY_EXEC);
  if (p) return p;
  if (src.isDir) return -Errno.EPERM;
  src.nlink++;
  n.dir.entries!.set(n.name, src);
  src.ctimeNs = n.dir.mtimeNs = n.dir.ctimeNs = c.w.clock.monotonicNs;
  return 0;
}

/** The sysctl fs.protected_hardlinks as systemd sets it (the kernel default is 0). */
export const PROTECTED_HARDLINKS = true;

/** may_linkat: the owner, CAP_FOWNER, or a plain regular file the caller may read and write. */
function safeHardlinkSource(c: SysCtx, src: Inode): boolean {
  const cred = c.t.cred;
  if (cred.fsuid === src.uid || cred.capable(CAP.FOWNER)) return true;
  if (!src.isReg) return false;
  if (src.mode & 0o4000) return false;
  if ((src.mode & 0o2010) === 0o2010) return false;
  return permission(cred, src, MAY_READ | MAY_WRITE) === 0;
}

export const renameSyscalls: Record<string, SysHandler> = {
  rename: (c, a) => renameat2(c, AT.FDCWD, a[0], AT.FDCWD, a[1], 0),
  renameat: (c, a) => renameat2(c, i32(a[0]), a[1], i32(a[2]), a[3], 0),
  renameat2: (c, a) => renameat2(c, i32(a[0]), a[1], i32(a[2]), a[3], a[4]),
  link: (c, a) => linkat(c, AT.FDCWD, a[0], AT.FDCWD, a[1], 0),
  linkat: (c, a) => linkat(c, i32(a[0]), a[1], i32(a[2]), a[3], a[4]),
};
