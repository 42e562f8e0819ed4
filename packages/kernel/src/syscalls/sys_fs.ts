/**
 * File descriptor syscalls (fs/open.c, fs/read_write.c, fs/file.c, fs/pipe.c):
 * open/openat/creat, close, read/write/pread64/pwrite64, lseek, dup/dup2/dup3,
 * pipe/pipe2.
 */
import { waitForIo } from '../block/writeback';
import type { BlkRequest } from '../block/blk-mq';
import { Errno } from '@bpfsim/uapi';
import { AT, File, O } from '../fs/file';
import { Inode, MAX_FILE_SIZE, S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK, onDeviceOf } from '../fs/inode';
import { checkDevPermission, decodeDev, DEVCG_ACC, DEVCG_DEV } from '../bpf/cgroup';
import { walk, walkParent, type WalkStart } from '../fs/namei';
import { MAY_READ, MAY_WRITE, permission } from '../fs/permission';
import { Pipe } from '../fs/pipe';
import { SIG } from '../kernel/signal';
import type { Cred } from '../kernel/cred';
import { sendSignal } from '../kernel/signal_send';
import { BLOCK } from '../kernel/task_struct';
import { utf8Decode, utf8Encode } from '../kernel/utf8';
import { fromUser, i32, toUser, type SysCtx, type SysHandler, type SysRet } from './context';
import { closeTraced, fsyncTraced, openTraced, rwTraced, securityInodeCreate, vfsOpen } from '../trace/kprobe-fs';

/** Where a *at() path starts: the cwd for AT_FDCWD, else an open directory (EBADF, ENOTDIR). */
export function startFor(c: SysCtx, dirfd: number, cred: Cred = c.t.cred): WalkStart | number {
  const t = c.t;
  if (dirfd === AT.FDCWD) return { fs: t.fs, base: t.fs.pwd, cred, viewer: t };
  const f = t.files.get(dirfd);
  if (!f) return -Errno.EBADF;
  return { fs: t.fs, base: f.inode, cred, viewer: t };
}

/** Where `path` starts: the root for an absolute path (dirfd is then ignored), else startFor. */
export function startAt(c: SysCtx, dirfd: number, path: string, cred: Cred = c.t.cred): WalkStart | number {
  if (path.startsWith('/')) return { fs: c.t.fs, base: c.t.fs.root, cred, viewer: c.t };
  return startFor(c, dirfd, cred);
}

/** Resolve a path argument relative to dirfd; relative paths against a non-directory fd are ENOTDIR. */
export function lookupAt(c: SysCtx, dirfd: number, path: string, follow: boolean, cred: Cred = c.t.cred): Inode | number {
  const st = startAt(c, dirfd, path, cred);
  if (typeof st === 'number') return st;
  if (!st.base.isDir && !path.startsWith('/')) return -Errno.ENOTDIR;
  return walk(st, path, follow);
}

function doOpen(c: SysCtx, dirfd: number, pathPtr: number, flags: number, mode: number): number {
  return openTraced(c, dirfd, pathPtr, flags, mode, (path) => openFile(c, dirfd, path, flags, mode));
}

/** do_filp_open's part: lookup (creating under O_CREAT), may_open, vfs_open; the struct file or an error. */
function openFile(c: SysCtx, dirfd: number, path: string, flags: number, mode: number): File | number {
  const t = c.t;
  const st = startAt(c, dirfd, path);
  if (typeof st === 'number') return st;
  if (!st.base.isDir && !path.startsWith('/')) return -Errno.ENOTDIR;
  // O_TMPFILE and O_PATH are not modelled.
  if ((flags & O.TMPFILE) === O.TMPFILE) return -Errno.EOPNOTSUPP;
  let ino: Inode | number;
  if (flags & O.CREAT) {
    const r = openCreate(c, st, path, flags, mode);
    if (typeof r === 'number') return r;
    ino = r;
  } else {
    ino = walk(st, path, !(flags & O.NOFOLLOW));
    if (typeof ino === 'number') return ino;
  }
  if (ino.isLink) return -Errno.ELOOP; // O_NOFOLLOW on a symlink
  if (flags & O.DIRECTORY && !ino.isDir) return -Errno.ENOTDIR;
  const acc = flags & O.ACCMODE;
  if (ino.isDir && (acc !== O.RDONLY || flags & O.TRUNC)) return -Errno.EISDIR;
  const mask = (acc === O.RDONLY ? MAY_READ : acc === O.WRONLY ? MAY_WRITE : MAY_READ | MAY_WRITE) | (flags & O.TRUNC ? MAY_WRITE : 0);
  const p = permission(t.cred, ino, mask);
  if (p) return p;
  // proc and nsfs files are not writable in the model (docs/kernel.md).
  if (ino.sb.readonly && mask & MAY_WRITE) return -Errno.EACCES;
  // devcgroup_inode_permission: a device node's access as the caller's cgroup allows it (cgroup_device programs).
  if (ino.rdev && (ino.type === S_IFCHR || ino.type === S_IFBLK)) {
    const { major, minor } = decodeDev(ino.rdev);
    const e = checkDevPermission(t.cgroup, c.w.runBpf, ino.type === S_IFBLK ? DEVCG_DEV.BLOCK : DEVCG_DEV.CHAR, major, minor, (mask & MAY_READ ? DEVCG_ACC.READ : 0) | (mask & MAY_WRITE ? DEVCG_ACC.WRITE : 0));
    if (e) return e;
  }
  if (flags & O.TRUNC && ino.isReg && acc !== O.RDONLY) {
    ino.resize(0);
    ino.mtimeNs = ino.ctimeNs = c.w.clock.monotonicNs;
  }
  const file = new File(ino, flags & ~(O.CREAT | O.EXCL | O.NOCTTY | O.TRUNC), undefined, path);
  return vfsOpen(c, file, st, path) || file;
}

/**
 * The O_CREAT part of open_last_lookups: an existing name is opened (EEXIST
 * under O_EXCL, which also does not follow a final symlink), a dangling
 * symlink creates its target, a missing name is created.
 */
function openCreate(c: SysCtx, st: WalkStart, path: string, flags: number, mode: number, links = 0): Inode | number {
  const t = c.t;
  const pr = walkParent(st, path);
  if (typeof pr === 'number') return pr;
  if (pr.name === '' || pr.name === '.' || pr.name === '..') return flags & O.EXCL ? -Errno.EEXIST : -Errno.EISDIR;
  if (pr.trailingSlash) return -Errno.EISDIR;
  const existing = pr.dir.entries!.get(pr.name);
  if (existing) {
    if (flags & O.EXCL) return -Errno.EEXIST;
    if (existing.isLink && !(flags & O.NOFOLLOW)) {
      if (links >= 40) return -Errno.ELOOP;
      return openCreate(c, { ...st, base: pr.dir }, existing.target, flags, mode, links + 1);
    }
    if (existing.isDir) return -Errno.EISDIR;
    return existing;
  }
  const p = permission(t.cred, pr.dir, MAY_WRITE | 1);
  if (p) return p;
  const sec = securityInodeCreate(c, pr.dir, pr.name, mode & ~t.fs.umask);
  if (sec) return sec;
  // kernfs directories have no create operation (lookup_open: EACCES).
  if (pr.dir.kernfsDir) return -Errno.EACCES;
  const now = c.w.clock.monotonicNs;
  const ino = new Inode(c.w.sb, S_IFREG | (mode & 0o7777 & ~t.fs.umask), t.cred.fsuid, t.cred.fsgid, now);
  ino.recorded = onDeviceOf(pr.dir);
  pr.dir.entries!.set(pr.name, ino);
  pr.dir.mtimeNs = pr.dir.ctimeNs = now;
  return ino;
}

function fileRead(c: SysCtx, fd: number, buf: number, count: number, off?: number): SysRet {
  const f = c.t.files.get(fd);
  if (!f) return -Errno.EBADF;
  if (!f.readable) return -Errno.EBADF;
  if (count < 0) return -Errno.EINVAL;
  if (f.ops?.read) return off !== undefined ? -Errno.ESPIPE : f.ops.read(c, buf, count);
  if (f.pipe) {
    if (off !== undefined) return -Errno.ESPIPE;
    const pipe = f.pipe;
    const t = c.t;
    const pass = (): SysRet => {
      if (pipe.len === 0) {
        if (pipe.writers === 0) return 0;
        if (f.flags & O.NONBLOCK) return -Errno.EAGAIN;
        return BLOCK;
      }
      const data = pipe.read(count);
      const e = toUser({ w: c.w, t }, buf, data);
      c.w.wake();
      return e || data.length;
    };
    const r = pass();
    if (r === BLOCK) {
      t.state = 'sleeping';
      t.blocked = { name: 'read', retry: pass };
    }
    return r;
  }
  if (f.inode.isDir) return -Errno.EISDIR;
  if (f.inode.kernfs) return kernfsRead(c, f, buf, count, off);
  if (off !== undefined && (f.inode.mode & S_IFMT) === S_IFSOCK) return -Errno.ESPIPE;
  const pos = off ?? f.pos;
  const n = Math.max(0, Math.min(count, f.inode.size - pos));
  const e = toUser(c, buf, f.inode.data.subarray(pos, pos + n));
  if (e) return e;
  if (off === undefined) f.pos += n;
  return n;
}

function fileWrite(c: SysCtx, fd: number, buf: number, count: number, off?: number): SysRet {
  const f = c.t.files.get(fd);
  if (!f || !f.writable) return -Errno.EBADF;
  if (count < 0) return -Errno.EINVAL;
  if (f.ops?.write) return off !== undefined ? -Errno.ESPIPE : f.ops.write(c, buf, count);
  const data = fromUser(c, buf, count);
  if (typeof data === 'number') return data;
  if (f.pipe) {
    if (off !== undefined) return -Errno.ESPIPE;
    if (f.pipe.readers === 0) {
      sendSignal(c.w, c.t, SIG.SIGPIPE, false);
      return -Errno.EPIPE;
    }
    // Writes that do not fit block in Linux; the model writes what fits (docs/kernel.md).
    const n = f.pipe.write(data);
    c.w.wake();
    return n > 0 || data.length === 0 ? n : -Errno.EAGAIN;
  }
  const ino = f.inode;
  if (ino.kernfs) return kernfsWrite(c, ino, data);
  const pos = off ?? (f.flags & O.APPEND ? ino.size : f.pos);
  if (pos + data.length > MAX_FILE_SIZE) return -Errno.EFBIG;
  if (pos + data.length > ino.size) ino.resize(pos + data.length);
  ino.data.set(data, pos);
  // The page cache: the write dirties pages of a file on the root file system's disk.
  if (ino.sb === c.w.sb) c.w.writeback?.markDirty(ino, pos, data.length);
  ino.mtimeNs = ino.ctimeNs = c.w.clock.monotonicNs;
  if (off === undefined) f.pos = pos + data.length;
  return data.length;
}

/** seq_file read of a kernfs file: generated when reading starts at 0, then served from that copy. */
function kernfsRead(c: SysCtx, f: File, buf: number, count: number, off?: number): SysRet {
  const pos = off ?? f.pos;
  const show = f.inode.kernfs!.show;
  // cgroup_seqfile_show of a file with nothing to show (cgroup.kill): EINVAL.
  if (!show) return -Errno.EINVAL;
  if (pos === 0 || !f.seq) f.seq = utf8Encode(show(c.t));
  const data = f.seq.subarray(Math.min(pos, f.seq.length), Math.min(pos + count, f.seq.length));
  const e = toUser(c, buf, data);
  if (e) return e;
  if (off === undefined) f.pos = pos + data.length;
  return data.length;
}

/** kernfs_fop_write_iter: one write is one operation, at most a page (atomic_write_len), whatever the offset. */
function kernfsWrite(c: SysCtx, ino: Inode, data: Uint8Array): SysRet {
  if (data.length > 4096) return -Errno.E2BIG;
  // An empty write reaches no file operation.
  if (data.length === 0) return 0;
  const w = ino.kernfs!.write;
  if (!w) return -Errno.EINVAL;
  const r = w(utf8Decode(data), c.t);
  return r < 0 ? r : data.length;
}

/** vfs_fsync_range: EBADF without a descriptor, EINVAL where the file has no fsync (pipes, sockets). */
function fsyncOf(c: SysCtx, fd: number): number {
  const f = c.t.files.get(fd);
  if (!f) return -Errno.EBADF;
  if (f.pipe || (f.inode.mode & S_IFMT) === S_IFSOCK) return -Errno.EINVAL;
  // Its dirty pages are written back and the caller waits for the disk.
  const wb = c.w.writeback;
  if (wb) syncWait(c, wb.flushInode(f.inode, c.t, c.w.rq?.taskCpu(c.t) ?? 0));
  return 0;
}

/** The caller sleeps while its requests are served (its CPU runs something else meanwhile). */
export function syncWait(c: SysCtx, reqs: readonly BlkRequest[]): void {
  waitForIo(reqs, c.w.clock, () => c.w.rq?.sleep(c.t), () => c.w.rq?.wake(c.t));
}

/** pipefs's anonymous device number. */
export const PIPEFS_DEV = 15;

const SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2;
const lseek: SysHandler = (c, a) => {
  const f = c.t.files.get(i32(a[0]));
  if (!f) return -Errno.EBADF;
  // Pipes, fifos and sockets have no_llseek.
  if (f.pipe || f.inode.isFifo || (f.inode.mode & S_IFMT) === S_IFSOCK) return -Errno.ESPIPE;
  const off = a[1];
  let pos: number;
  switch (a[2]) {
    case SEEK_SET: pos = off; break;
    case SEEK_CUR: pos = f.pos + off; break;
    case SEEK_END: pos = f.inode.size + off; break;
    default: return -Errno.EINVAL;
  }
  if (pos < 0) return -Errno.EINVAL;
  f.pos = pos;
  return pos;
};

function doDup3(c: SysCtx, oldfd: number, newfd: number, flags: number): number {
  if (flags & ~O.CLOEXEC) return -Errno.EINVAL;
  if (oldfd === newfd) return -Errno.EINVAL;
  const f = c.t.files.get(oldfd);
  if (!f) return -Errno.EBADF;
  return c.t.files.installAt(newfd, f, (flags & O.CLOEXEC) !== 0);
}

function doPipe2(c: SysCtx, fdsPtr: number, flags: number): number {
  if (flags & ~(O.CLOEXEC | O.NONBLOCK | O.DIRECT)) return -Errno.EINVAL;
  const ino = new Inode(c.w.sb, S_IFIFO | 0o600, c.t.cred.fsuid, c.t.cred.fsgid, c.w.clock.monotonicNs);
  // Pipes live on pipefs (its anonymous device: 0:15 on the 6.18 machine the recordings come from).
  ino.recorded = { dev: PIPEFS_DEV };
  const pipe = new Pipe(ino.ino);
  const r = new File(ino, O.RDONLY | (flags & O.NONBLOCK), pipe, 'pipe:');
  const wr = new File(ino, O.WRONLY | (flags & O.NONBLOCK), pipe, 'pipe:');
  pipe.readers = 1;
  pipe.writers = 1;
  const cloexec = (flags & O.CLOEXEC) !== 0;
  const fr = c.t.files.install(r, cloexec);
  if (fr < 0) return fr;
  const fw = c.t.files.install(wr, cloexec);
  if (fw < 0) {
    c.t.files.close(fr);
    return fw;
  }
  const out = new Uint8Array(8);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, fr, true);
  dv.setInt32(4, fw, true);
  const e = toUser(c, fdsPtr, out);
  if (e) {
    c.t.files.close(fr);
    c.t.files.close(fw);
    return e;
  }
  return 0;
}

export const fsSyscalls: Record<string, SysHandler> = {
  open: (c, a) => doOpen(c, AT.FDCWD, a[0], a[1] | O.LARGEFILE, a[2]),
  openat: (c, a) => doOpen(c, i32(a[0]), a[1], a[2] | O.LARGEFILE, a[3]),
  creat: (c, a) => doOpen(c, AT.FDCWD, a[0], O.CREAT | O.WRONLY | O.TRUNC | O.LARGEFILE, a[1]),
  close: (c, a) => closeTraced(c, i32(a[0]), () => c.t.files.close(i32(a[0]))),
  read: (c, a) => rwTraced(c, 'read', i32(a[0]), a[1], a[2], undefined, c.t.files.get(i32(a[0])), () => fileRead(c, i32(a[0]), a[1], a[2])),
  write: (c, a) => rwTraced(c, 'write', i32(a[0]), a[1], a[2], undefined, c.t.files.get(i32(a[0])), () => fileWrite(c, i32(a[0]), a[1], a[2])),
  pread64: (c, a) => (a[3] < 0 ? -Errno.EINVAL : rwTraced(c, 'read', i32(a[0]), a[1], a[2], a[3], c.t.files.get(i32(a[0])), () => fileRead(c, i32(a[0]), a[1], a[2], a[3]))),
  pwrite64: (c, a) => (a[3] < 0 ? -Errno.EINVAL : rwTraced(c, 'write', i32(a[0]), a[1], a[2], a[3], c.t.files.get(i32(a[0])), () => fileWrite(c, i32(a[0]), a[1], a[2], a[3]))),
  // fs/sync.c: the in-memory file system has nothing to write back; pipes and sockets have no fsync (EINVAL)
  fsync: (c, a) => fsyncTraced(c, i32(a[0]), 0, c.t.files.get(i32(a[0])), () => fsyncOf(c, i32(a[0]))),
  fdatasync: (c, a) => fsyncTraced(c, i32(a[0]), 1, c.t.files.get(i32(a[0])), () => fsyncOf(c, i32(a[0]))),
  // ksys_sync: every dirty file is written back and waited for; sync returns nothing (0 in rax).
  sync: (c) => {
    if (c.w.writeback) syncWait(c, c.w.writeback.flushAll(c.t, c.w.rq?.taskCpu(c.t) ?? 0));
    return 0;
  },
  // syncfs(fd): EBADF without a descriptor; the root file system's dirty files otherwise.
  syncfs: (c, a) => {
    const f = c.t.files.get(i32(a[0]));
    if (!f) return -Errno.EBADF;
    if (c.w.writeback && f.inode.sb === c.w.sb) syncWait(c, c.w.writeback.flushAll(c.t, c.w.rq?.taskCpu(c.t) ?? 0));
    return 0;
  },
  lseek,
  dup: (c, a) => {
    const f = c.t.files.get(i32(a[0]));
    return f ? c.t.files.install(f, false) : -Errno.EBADF;
  },
  // dup2(fd, fd) checks fd and returns it.
  dup2: (c, a) => (i32(a[0]) === i32(a[1]) ? (c.t.files.get(i32(a[0])) ? i32(a[0]) : -Errno.EBADF) : doDup3(c, i32(a[0]), i32(a[1]), 0)),
  dup3: (c, a) => doDup3(c, i32(a[0]), i32(a[1]), a[2]),
  pipe: (c, a) => doPipe2(c, a[0], 0),
  pipe2: (c, a) => doPipe2(c, a[0], a[1]),
};
