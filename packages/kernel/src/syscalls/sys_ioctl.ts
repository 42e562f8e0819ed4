/**
 * ioctl (fs/ioctl.c) and fadvise64 (mm/fadvise.c) on the model's files. There are no
 * terminals or devices yet, so every terminal request is ENOTTY (vfs_ioctl's answer for a
 * file without unlocked_ioctl); the generic requests do_vfs_ioctl handles itself come first.
 */
import { Errno } from '@bpfsim/uapi';
import { i32, type SysHandler } from './context';
import { sockIoctl } from './sys_socket_ioctl';

const FIOCLEX = 0x5451, FIONCLEX = 0x5450, FIONBIO = 0x5421, FICLONE = 0x40049409;
const O_NONBLOCK = 0o4000;
const POSIX_FADV_MAX = 5;

export const ioctlSyscalls: Record<string, SysHandler> = {
  ioctl: (c, a) => {
    const fd = i32(a[0]);
    const f = c.t.files.get(fd);
    if (!f) return -Errno.EBADF;
    switch (a[1] >>> 0) {
      case FIOCLEX:
        c.t.files.setCloexec(fd, true);
        return 0;
      case FIONCLEX:
        c.t.files.setCloexec(fd, false);
        return 0;
      case FIONBIO:
        f.flags |= O_NONBLOCK;
        return 0;
      case FICLONE:
        // tmpfs has no remap_file_range: reflinks are not supported.
        return f.inode.isReg ? -Errno.EOPNOTSUPP : -Errno.EINVAL;
      default:
        // Socket requests (sys_socket_ioctl.ts); anything else has no unlocked_ioctl here.
        return sockIoctl(c, fd, a[1] >>> 0, a[2]) ?? -Errno.ENOTTY;
    }
  },
  fadvise64: (c, a) => {
    const f = c.t.files.get(i32(a[0]));
    if (!f) return -Errno.EBADF;
    if (f.pipe || f.inode.isFifo) return -Errno.ESPIPE;
    if (a[2] < 0 || a[3] >>> 0 > POSIX_FADV_MAX) return -Errno.EINVAL;
    return 0;
  },
};
