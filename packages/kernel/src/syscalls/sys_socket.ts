/**
 * socket and connect (net/socket.c, net/unix/af_unix.c) as far as the model has sockets:
 * a socket is a descriptor on sockfs; nothing listens yet, so connecting to a unix path that
 * does not exist is ENOENT (unix_find_bsd's path walk), to one that exists ECONNREFUSED, and
 * to an inet address ECONNREFUSED. Data transfer, bind/listen/accept are not modelled.
 */
import { Errno } from '@bpfsim/uapi';
import { AT, File, O } from '../fs/file';
import { Inode, S_IFMT, S_IFSOCK, SuperBlock } from '../fs/inode';
import { i32, fromUser, type SysHandler } from './context';
import { lookupAt } from './sys_fs';
import type { World } from '../kernel/world';

const AF = { UNIX: 1, INET: 2, INET6: 10, NETLINK: 16, PACKET: 17 } as const;
const SOCK = { STREAM: 1, DGRAM: 2, RAW: 3, SEQPACKET: 5, TYPE_MASK: 0xf, CLOEXEC: O.CLOEXEC, NONBLOCK: O.NONBLOCK } as const;
/** sockfs's anonymous device (0:9 on the 6.18 machine the recordings come from). */
export const SOCKFS_DEV = 9;

/** EAFNOSUPPORT (asm-generic/errno.h), not in the uapi Errno table. */
const EAFNOSUPPORT = 97;

const sockfs = new WeakMap<World, SuperBlock>();

export const socketSyscalls: Record<string, SysHandler> = {
  socket: (c, a) => {
    const [domain, type] = [a[0], a[1]];
    if (type & ~(SOCK.TYPE_MASK | SOCK.CLOEXEC | SOCK.NONBLOCK)) return -Errno.EINVAL;
    const kind = type & SOCK.TYPE_MASK;
    if (![AF.UNIX, AF.INET, AF.INET6, AF.NETLINK, AF.PACKET].includes(domain as never)) return -EAFNOSUPPORT;
    if (![SOCK.STREAM, SOCK.DGRAM, SOCK.RAW, SOCK.SEQPACKET].includes(kind as never)) return -Errno.EINVAL;
    let sb = sockfs.get(c.w);
    if (!sb) sockfs.set(c.w, (sb = new SuperBlock(SOCKFS_DEV)));
    const ino = new Inode(sb, S_IFSOCK | 0o777, c.t.cred.fsuid, c.t.cred.fsgid, c.w.clock.monotonicNs);
    return c.t.files.install(new File(ino, O.RDWR | (type & SOCK.NONBLOCK), undefined, 'socket:'), (type & SOCK.CLOEXEC) !== 0);
  },
  connect: (c, a) => {
    const f = c.t.files.get(i32(a[0]));
    if (!f) return -Errno.EBADF;
    if ((f.inode.mode & S_IFMT) !== S_IFSOCK) return -Errno.ENOTSOCK;
    const len = a[2] | 0;
    if (len < 2 || len > 128) return -Errno.EINVAL;
    const b = fromUser(c, a[1], len);
    if (typeof b === 'number') return b;
    const family = b[0] | (b[1] << 8);
    if (family === AF.UNIX) {
      const end = b.indexOf(0, 2);
      const path = Buffer.from(b.subarray(2, end < 0 ? len : end)).toString('utf8');
      if (path === '') return -Errno.EINVAL; // abstract names: not modelled as bound
      const target = lookupAt(c, AT.FDCWD, path, true);
      if (typeof target === 'number') return target;
      return -Errno.ECONNREFUSED;
    }
    if (family === AF.INET || family === AF.INET6) return -Errno.ECONNREFUSED;
    return -EAFNOSUPPORT;
  },
};
