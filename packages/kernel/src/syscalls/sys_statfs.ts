/**
 * statfs/fstatfs (fs/statfs.c): struct statfs of the file system a path or descriptor is on.
 * The model's file systems are tmpfs-like (TMPFS_MAGIC), proc (PROC_SUPER_MAGIC), cgroup2 and nsfs;
 * sizes are those of an empty tmpfs of the default size.
 */
import { Errno } from '@bpfsim/uapi';
import { AT } from '../fs/file';
import type { Inode } from '../fs/inode';
import { i32, pathArg, toUser, type SysCtx, type SysHandler } from './context';
import { lookupAt } from './sys_fs';
import { CGROUP2_SUPER_MAGIC } from '../cgroup/kernfs';

const TMPFS_MAGIC = 0x01021994;
const PROC_SUPER_MAGIC = 0x9fa0;
const NSFS_MAGIC = 0x6e736673;
/** ST_VALID | ST_RELATIME: what statfs reports for a default mount. */
const ST_FLAGS = 0x20 | 0x1000;

function encodeStatfs(c: SysCtx, ino: Inode): Uint8Array {
  const b = new Uint8Array(120);
  const dv = new DataView(b.buffer);
  // cgroup2 (simple_statfs, like proc): no blocks or files.
  const cgroup2 = ino.sb === c.w.cgroups?.kernfs.sb;
  const proc = ino.sb === c.w.procfs.sb || cgroup2;
  const type = cgroup2 ? CGROUP2_SUPER_MAGIC : proc ? PROC_SUPER_MAGIC : ino.sb.readonly ? NSFS_MAGIC : TMPFS_MAGIC;
  dv.setBigInt64(0, BigInt(type), true);
  dv.setBigInt64(8, 4096n, true); // f_bsize
  const blocks = proc ? 0n : 262_144n; // half of 2 GiB of simulated RAM, in pages
  dv.setBigUint64(16, blocks, true);
  dv.setBigUint64(24, blocks, true);
  dv.setBigUint64(32, blocks, true);
  dv.setBigUint64(40, proc ? 0n : 131_072n, true); // f_files
  dv.setBigUint64(48, proc ? 0n : 131_072n, true);
  dv.setInt32(56, ino.sb.dev, true); // f_fsid
  dv.setBigInt64(64, 255n, true); // f_namelen
  dv.setBigInt64(72, 4096n, true); // f_frsize
  dv.setBigInt64(80, BigInt(ST_FLAGS), true);
  return b;
}

export const statfsSyscalls: Record<string, SysHandler> = {
  statfs: (c, a) => {
    const path = pathArg(c, a[0]);
    if (typeof path === 'number') return path;
    const ino = lookupAt(c, AT.FDCWD, path, true);
    if (typeof ino === 'number') return ino;
    return toUser(c, a[1], encodeStatfs(c, ino));
  },
  fstatfs: (c, a) => {
    const f = c.t.files.get(i32(a[0]));
    if (!f) return -Errno.EBADF;
    return toUser(c, a[1], encodeStatfs(c, f.inode));
  },
};
