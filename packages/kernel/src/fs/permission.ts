/**
 * generic_permission (fs/namei.c): owner, group or other mode bits, with
 * CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH as the capability checks.
 */
import { Errno } from '@bpfsim/uapi';
import { CAP, type Cred } from '../kernel/cred';
import type { Inode } from './inode';

export const MAY_EXEC = 1;
export const MAY_WRITE = 2;
export const MAY_READ = 4;

/** 0 when `cred` may access `inode` as `mask` asks, else -EACCES. */
export function permission(cred: Cred, inode: Inode, mask: number): number {
  const mode = inode.mode;
  let bits: number;
  if (cred.fsuid === inode.uid) bits = (mode >> 6) & 7;
  else if (cred.inGroup(inode.gid)) bits = (mode >> 3) & 7;
  else bits = mode & 7;
  if ((mask & ~bits & 7) === 0) return 0;
  // DAC override: everything on directories; read/write on files; exec only if some x bit is set.
  if (cred.capable(CAP.DAC_OVERRIDE)) {
    if (!(mask & MAY_EXEC) || inode.isDir || mode & 0o111) return 0;
  }
  if (cred.capable(CAP.DAC_READ_SEARCH)) {
    if (mask === MAY_READ || (inode.isDir && !(mask & MAY_WRITE))) return 0;
  }
  return -Errno.EACCES;
}
