/**
 * getdents64 (fs/readdir.c): struct linux_dirent64 records — d_ino, d_off,
 * d_reclen, d_type, the NUL-terminated name, 8-byte aligned — "." and ".."
 * first, then entries in creation order. The position is an index, and d_off
 * is the position after the entry.
 */
import { Errno } from '@bpfsim/uapi';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK, type Inode } from '../fs/inode';
import { i32, toUser, type SysHandler } from './context';

const DT: Record<number, number> = { [S_IFIFO]: 1, [S_IFCHR]: 2, [S_IFDIR]: 4, [S_IFBLK]: 6, [S_IFREG]: 8, [S_IFLNK]: 10, [S_IFSOCK]: 12 };
const enc = new TextEncoder();

const getdents64: SysHandler = (c, a) => {
  const f = c.t.files.get(i32(a[0]));
  if (!f) return -Errno.EBADF;
  if (!f.inode.isDir) return -Errno.ENOTDIR;
  const count = a[2] >>> 0;
  const dir = f.inode;
  const list: [string, Inode][] = [['.', dir], ['..', dir === c.t.fs.root ? dir : dir.parent ?? dir], ...(dir.proc ? dir.proc.list(c.t) : dir.entries!)];
  const out = new Uint8Array(Math.min(count, 1 << 20));
  let used = 0;
  let pos = f.pos;
  for (; pos < list.length; pos++) {
    const [name, ino] = list[pos];
    const nb = enc.encode(name);
    const reclen = (19 + nb.length + 1 + 7) & ~7;
    if (used + reclen > out.length) {
      if (used === 0) return -Errno.EINVAL;
      break;
    }
    const dv = new DataView(out.buffer, used, reclen);
    dv.setBigUint64(0, BigInt(ino.ino), true);
    dv.setBigInt64(8, BigInt(pos + 1), true);
    dv.setUint16(16, reclen, true);
    dv.setUint8(18, DT[ino.type] ?? 0);
    out.set(nb, used + 19);
    used += reclen;
  }
  const e = toUser(c, a[1], out.subarray(0, used));
  if (e) return e;
  f.pos = pos;
  return used;
};

export const readdirSyscalls: Record<string, SysHandler> = { getdents64 };
