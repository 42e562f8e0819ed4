/**
 * statx (fs/stat.c) and the extended-attribute reads (fs/xattr.c). statx fills struct statx
 * from the same inode fields stat uses. The model's files carry no extended attributes, so a
 * read of one, after the path walk and name checks, is ENODATA (as tmpfs answers for an
 * absent security.* or system.posix_acl_* attribute).
 */
import { Errno } from '@bpfsim/uapi';
import { AT } from '../fs/file';
import type { Inode } from '../fs/inode';
import { i32, pathArg, toUser, type SysCtx, type SysHandler } from './context';
import { lookupAt, startFor } from './sys_fs';
import { encodeStat } from './sys_namei';

const XATTR_NAME_MAX = 255;
const STATX_BASIC_STATS = 0x7ff;
const STATX__RESERVED = 0x8000_0000;
const AT_STATX_SYNC_TYPE = 0x6000;

function inodeAt(c: SysCtx, dirfd: number, pathPtr: number, flags: number): Inode | number {
  const path = pathArg(c, pathPtr);
  if (typeof path === 'number') return path;
  if (path === '' && flags & AT.EMPTY_PATH) {
    const st = startFor(c, dirfd);
    return typeof st === 'number' ? st : st.base;
  }
  return lookupAt(c, dirfd, path, !(flags & AT.SYMLINK_NOFOLLOW));
}

/** struct statx (256 bytes) from the stat fields: mask STATX_BASIC_STATS, dev split into major/minor. */
function encodeStatx(c: SysCtx, ino: Inode): Uint8Array {
  const st = new DataView(encodeStat(c.w, ino).buffer);
  const b = new Uint8Array(256);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, STATX_BASIC_STATS, true);
  dv.setUint32(4, 4096, true); // stx_blksize
  dv.setUint32(16, Number(st.getBigUint64(16, true)), true); // stx_nlink
  dv.setUint32(20, st.getUint32(28, true), true); // stx_uid
  dv.setUint32(24, st.getUint32(32, true), true); // stx_gid
  dv.setUint16(28, st.getUint32(24, true), true); // stx_mode
  dv.setBigUint64(32, st.getBigUint64(8, true), true); // stx_ino
  dv.setBigUint64(40, st.getBigUint64(48, true), true); // stx_size
  dv.setBigUint64(48, st.getBigUint64(64, true), true); // stx_blocks
  for (const [i, off] of [[64, 72], [96, 104], [112, 88]] as const) {
    dv.setBigInt64(i, st.getBigInt64(off, true), true);
    dv.setUint32(i + 8, Number(st.getBigInt64(off + 8, true)), true);
  }
  const dev = Number(st.getBigUint64(0, true));
  dv.setUint32(136, (dev >> 8) & 0xfff, true); // stx_dev_major
  dv.setUint32(140, (dev & 0xff) | ((dev >> 12) & ~0xff), true); // stx_dev_minor
  return b;
}

function getxattr(c: SysCtx, ino: Inode | number, namePtr: number): number {
  const name = pathArg(c, namePtr);
  if (typeof name === 'number') return name === -Errno.ENAMETOOLONG ? -Errno.ERANGE : name;
  if (name.length === 0 || name.length > XATTR_NAME_MAX) return -Errno.ERANGE;
  if (typeof ino === 'number') return ino;
  return -Errno.ENODATA;
}

export const xattrSyscalls: Record<string, SysHandler> = {
  statx: (c, a) => {
    const [dirfd, pathPtr, flags, mask, buf] = [i32(a[0]), a[1], a[2], a[3] >>> 0, a[4]];
    if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.NO_AUTOMOUNT | AT.EMPTY_PATH | AT_STATX_SYNC_TYPE)) return -Errno.EINVAL;
    if ((flags & AT_STATX_SYNC_TYPE) === AT_STATX_SYNC_TYPE) return -Errno.EINVAL;
    if (mask & STATX__RESERVED) return -Errno.EINVAL;
    const ino = inodeAt(c, dirfd, pathPtr, flags);
    if (typeof ino === 'number') return ino;
    return toUser(c, buf, encodeStatx(c, ino));
  },
  getxattr: (c, a) => getxattr(c, inodeAt(c, AT.FDCWD, a[0], 0), a[1]),
  lgetxattr: (c, a) => getxattr(c, inodeAt(c, AT.FDCWD, a[0], AT.SYMLINK_NOFOLLOW), a[1]),
  fgetxattr: (c, a) => {
    const f = c.t.files.get(i32(a[0]));
    return getxattr(c, f ? f.inode : -Errno.EBADF, a[1]);
  },
};
