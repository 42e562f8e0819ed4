/**
 * An open file description (struct file): what open(2) returns a descriptor
 * to, shared by dup() and fork(). Holds the position and the status flags.
 */
import type { Inode } from './inode';
import type { Pipe } from './pipe';

/** open(2) flags (include/uapi/asm-generic/fcntl.h, x86-64 values). */
export const O = {
  RDONLY: 0, WRONLY: 1, RDWR: 2, ACCMODE: 3,
  CREAT: 0o100, EXCL: 0o200, NOCTTY: 0o400, TRUNC: 0o1000, APPEND: 0o2000, NONBLOCK: 0o4000,
  DSYNC: 0o10000, DIRECT: 0o40000, LARGEFILE: 0o100000, DIRECTORY: 0o200000, NOFOLLOW: 0o400000,
  NOATIME: 0o1000000, CLOEXEC: 0o2000000, SYNC: 0o4010000, PATH: 0o10000000, TMPFILE: 0o20200000,
} as const;

export const AT = {
  FDCWD: -100,
  SYMLINK_NOFOLLOW: 0x100,
  REMOVEDIR: 0x200,
  EACCESS: 0x200,
  SYMLINK_FOLLOW: 0x400,
  NO_AUTOMOUNT: 0x800,
  EMPTY_PATH: 0x1000,
} as const;

/** file_operations a file provides itself (a socket's): each returns what the syscall returns (a count, -errno, or the BLOCK symbol). */
export interface FileOps {
  read?(c: import('../syscalls/context').SysCtx, buf: number, count: number): import('../syscalls/context').SysRet;
  write?(c: import('../syscalls/context').SysCtx, buf: number, count: number): import('../syscalls/context').SysRet;
  /** The last descriptor went (->release). */
  release?(): void;
}

export class File {
  /** Set by the code that made the file (sockets: syscalls/sys_socket.ts). */
  ops?: FileOps;
  pos = 0;
  /** Open file descriptions are shared; closed when the last descriptor goes. */
  refs = 0;
  /** A kernfs file's contents as generated when reading started at offset 0 (seq_file). */
  seq: Uint8Array | undefined;
  constructor(
    readonly inode: Inode,
    public flags: number,
    readonly pipe?: Pipe,
    /** The path it was opened by (for /proc/PID/fd and error messages). */
    readonly path = '',
  ) {}

  get readable(): boolean {
    return (this.flags & O.PATH) === 0 && (this.flags & O.ACCMODE) !== O.WRONLY;
  }
  get writable(): boolean {
    return (this.flags & O.PATH) === 0 && (this.flags & O.ACCMODE) !== O.RDONLY;
  }
}
