/** The in-memory file system through its syscalls: data, offsets, descriptors, pipes, directories, stat. */
import { Errno } from '@bpfsim/uapi';
import { O } from '../../src';
import { cstring, le32, newKernel, spawn } from './helpers';

const text = (s: string) => new TextEncoder().encode(s);

test('write, lseek, read, pread64/pwrite64, O_APPEND, ftruncate, O_TRUNC', () => {
  const k = newKernel();
  const sh = spawn(k);
  const fd = k.syscall(sh, 'openat', [-100, '/tmp/f', O.RDWR | O.CREAT, 0o644]).ret;
  expect(k.syscall(sh, 'write', [fd, text('hello world'), 11]).ret).toBe(11);
  expect(k.syscall(sh, 'lseek', [fd, 6, 0]).ret).toBe(6);
  const r = k.syscall(sh, 'read', [fd, { out: 100 }, 100]);
  expect(r.ret).toBe(5);
  expect(cstring(r.outs[0])).toBe('world');
  expect(k.syscall(sh, 'read', [fd, { out: 10 }, 10]).ret).toBe(0);
  expect(k.syscall(sh, 'pwrite64', [fd, text('J'), 1, 0]).ret).toBe(1);
  expect(cstring(k.syscall(sh, 'pread64', [fd, { out: 5 }, 5, 0]).outs[0])).toBe('Jello');
  expect(k.syscall(sh, 'lseek', [fd, 0, 1]).ret).toBe(11);
  expect(k.syscall(sh, 'lseek', [fd, -20, 1]).ret).toBe(-Errno.EINVAL);
  expect(k.syscall(sh, 'lseek', [fd, 0, 7]).ret).toBe(-Errno.EINVAL);
  // A write past the end leaves a hole of zeros.
  k.syscall(sh, 'lseek', [fd, 2, 2]);
  k.syscall(sh, 'write', [fd, text('!'), 1]);
  expect(Array.from(k.syscall(sh, 'pread64', [fd, { out: 3 }, 3, 11]).outs[0])).toEqual([0, 0, 33]);
  expect(k.syscall(sh, 'ftruncate', [fd, 5]).ret).toBe(0);
  const ap = k.syscall(sh, 'open', ['/tmp/f', O.WRONLY | O.APPEND, 0]).ret;
  k.syscall(sh, 'lseek', [ap, 0, 0]);
  k.syscall(sh, 'write', [ap, text('!'), 1]);
  expect(cstring(k.syscall(sh, 'pread64', [fd, { out: 10 }, 10, 0]).outs[0])).toBe('Jello!');
  const ro = k.syscall(sh, 'open', ['/tmp/f', O.RDONLY, 0]).ret;
  expect(k.syscall(sh, 'write', [ro, text('x'), 1]).ret).toBe(-Errno.EBADF);
  expect(k.syscall(sh, 'ftruncate', [ro, 0]).ret).toBe(-Errno.EINVAL);
  expect(k.syscall(sh, 'read', [99, { out: 1 }, 1]).ret).toBe(-Errno.EBADF);
  expect(k.syscall(sh, 'pread64', [fd, 0x10, 1, 0]).ret).toBe(-Errno.EFAULT);
  k.syscall(sh, 'open', ['/tmp/f', O.WRONLY | O.TRUNC, 0]);
  expect(k.syscall(sh, 'fstat', [fd, { out: 144 }]).ret).toBe(0);
  expect(k.syscall(sh, 'pread64', [fd, { out: 10 }, 10, 0]).ret).toBe(0);
});

test('descriptors: lowest free number, dup/dup2/dup3 share the offset, fcntl close-on-exec', () => {
  const k = newKernel();
  const sh = spawn(k);
  const a = k.syscall(sh, 'open', ['/etc/hostname', O.RDONLY, 0]).ret;
  expect(a).toBe(0);
  const b = k.syscall(sh, 'dup', [a]).ret;
  expect(b).toBe(1);
  k.syscall(sh, 'read', [a, { out: 3 }, 3]);
  expect(k.syscall(sh, 'lseek', [b, 0, 1]).ret).toBe(3);
  expect(k.syscall(sh, 'close', [a]).ret).toBe(0);
  expect(k.syscall(sh, 'close', [a]).ret).toBe(-Errno.EBADF);
  expect(k.syscall(sh, 'dup', [b]).ret).toBe(0);
  expect(k.syscall(sh, 'dup2', [b, 10]).ret).toBe(10);
  expect(k.syscall(sh, 'dup2', [b, b]).ret).toBe(b);
  expect(k.syscall(sh, 'dup3', [b, b, 0]).ret).toBe(-Errno.EINVAL);
  expect(k.syscall(sh, 'dup3', [b, 11, 1]).ret).toBe(-Errno.EINVAL);
  expect(k.syscall(sh, 'dup3', [b, 11, O.CLOEXEC]).ret).toBe(11);
  expect(k.syscall(sh, 'fcntl', [11, 1, 0]).ret).toBe(1);
  expect(k.syscall(sh, 'fcntl', [b, 3, 0]).ret).toBe(O.RDONLY | O.LARGEFILE);
  expect(k.syscall(sh, 'fcntl', [b, 1030, 20]).ret).toBe(20);
  k.syscall(sh, 'execve', ['/bin/true', ['true'], []]);
  expect(sh.files.openFds()).toEqual([0, 1, 10]);
});

test('pipes between processes: data flows, reads sleep until written, EOF when writers close, EPIPE + SIGPIPE', () => {
  const k = newKernel();
  const sh = spawn(k);
  const p = k.syscall(sh, 'pipe2', [{ out: 8 }, 0]);
  expect(p.ret).toBe(0);
  const [rfd, wfd] = [le32(p.outs[0]), le32(p.outs[0].subarray(4))];
  const child = k.syscall(sh, 'fork').child!;
  k.syscall(child, 'close', [rfd]);
  k.syscall(sh, 'close', [wfd]);
  const r = k.syscall(sh, 'read', [rfd, { out: 16 }, 16]);
  expect(r.blocked).toBe(true);
  k.syscall(child, 'write', [wfd, text('ping'), 4]);
  expect(sh.completed).toEqual([{ name: 'read', ret: 4 }]);
  k.syscall(child, 'exit', [0]);
  expect(k.syscall(sh, 'read', [rfd, { out: 16 }, 16]).ret).toBe(0);
  // Writing with no reader left: EPIPE, and SIGPIPE kills by default.
  const q = k.syscall(sh, 'pipe', [{ out: 8 }]).outs[0];
  const writer = k.syscall(sh, 'fork').child!;
  k.syscall(writer, 'close', [le32(q)]);
  k.syscall(sh, 'close', [le32(q)]);
  expect(k.syscall(writer, 'write', [le32(q.subarray(4)), text('x'), 1]).ret).toBe(-Errno.EPIPE);
  expect(writer.alive).toBe(false);
  const w = k.syscall(sh, 'wait4', [writer.pid, { out: 4 }, 0, 0]);
  expect(le32(w.outs[0])).toBe(13);
  expect(k.syscall(sh, 'pipe2', [{ out: 8 }, 0x1]).ret).toBe(-Errno.EINVAL);
  const nb = k.syscall(sh, 'pipe2', [{ out: 8 }, O.NONBLOCK]).outs[0];
  expect(k.syscall(sh, 'read', [le32(nb), { out: 1 }, 1]).ret).toBe(-Errno.EAGAIN);
  expect(k.syscall(sh, 'lseek', [le32(nb), 0, 0]).ret).toBe(-Errno.ESPIPE);
});

test('directories: mkdir, chdir, getcwd, getdents64 in creation order, rename, rmdir', () => {
  const k = newKernel();
  const sh = spawn(k);
  expect(k.syscall(sh, 'mkdir', ['/tmp/w', 0o755]).ret).toBe(0);
  expect(k.syscall(sh, 'chdir', ['/tmp/w']).ret).toBe(0);
  for (const n of ['zeta', 'alpha', 'mid']) k.syscall(sh, 'close', [k.syscall(sh, 'creat', [n, 0o644]).ret]);
  k.syscall(sh, 'mkdir', ['sub', 0o700]);
  k.syscall(sh, 'symlink', ['alpha', 'ln']);
  const cwd = k.syscall(sh, 'getcwd', [{ out: 64 }, 64]);
  expect(cwd.ret).toBe(7);
  expect(cstring(cwd.outs[0])).toBe('/tmp/w');
  expect(k.syscall(sh, 'getcwd', [{ out: 4 }, 4]).ret).toBe(-Errno.ERANGE);
  const dfd = k.syscall(sh, 'open', ['.', O.RDONLY | O.DIRECTORY, 0]).ret;
  const d = k.syscall(sh, 'getdents64', [dfd, { out: 1024 }, 1024]);
  const names: [string, number][] = [];
  const dv = new DataView(d.outs[0].buffer);
  for (let off = 0; off < d.ret; ) {
    const reclen = dv.getUint16(off + 16, true);
    names.push([cstring(d.outs[0].subarray(off + 19, off + reclen)), dv.getUint8(off + 18)]);
    off += reclen;
  }
  expect(names).toEqual([['.', 4], ['..', 4], ['zeta', 8], ['alpha', 8], ['mid', 8], ['sub', 4], ['ln', 10]]);
  expect(k.syscall(sh, 'getdents64', [dfd, { out: 1024 }, 1024]).ret).toBe(0);
  expect(k.syscall(sh, 'getdents64', [k.syscall(sh, 'open', ['zeta', 0, 0]).ret, { out: 64 }, 64]).ret).toBe(-Errno.ENOTDIR);
  expect(k.syscall(sh, 'readlink', ['ln', { out: 16 }, 16]).ret).toBe(5);
  expect(k.syscall(sh, 'rename', ['zeta', 'sub/zeta']).ret).toBe(0);
  expect(k.syscall(sh, 'rmdir', ['sub']).ret).toBe(-Errno.ENOTEMPTY);
  expect(k.syscall(sh, 'rename', ['sub', 'sub/inner']).ret).toBe(-Errno.EINVAL);
  expect(k.syscall(sh, 'renameat2', [-100, 'alpha', -100, 'mid', 1]).ret).toBe(-Errno.EEXIST);
  expect(k.syscall(sh, 'renameat2', [-100, 'alpha', -100, 'mid', 2]).ret).toBe(0);
  expect(k.syscall(sh, 'unlink', ['sub/zeta']).ret).toBe(0);
  expect(k.syscall(sh, 'rmdir', ['sub']).ret).toBe(0);
  // A removed working directory: getcwd reports ENOENT.
  k.syscall(sh, 'mkdir', ['gone', 0o755]);
  k.syscall(sh, 'chdir', ['gone']);
  k.syscall(sh, 'rmdir', ['/tmp/w/gone']);
  expect(k.syscall(sh, 'getcwd', [{ out: 64 }, 64]).ret).toBe(-Errno.ENOENT);
});

test('stat: type, mode, owner, size, nlink, inode numbers, timestamps from the virtual clock', () => {
  const k = newKernel();
  const sh = spawn(k);
  k.syscall(sh, 'umask', [0o022]);
  const fd = k.syscall(sh, 'open', ['/tmp/s', O.CREAT | O.WRONLY, 0o666]).ret;
  k.syscall(sh, 'write', [fd, text('12345'), 5]);
  k.syscall(sh, 'link', ['/tmp/s', '/tmp/s2']);
  k.syscall(sh, 'fchown', [fd, 7, 8]);
  const st = new DataView(k.syscall(sh, 'stat', ['/tmp/s2', { out: 144 }]).outs[0].buffer);
  expect(st.getUint32(24, true)).toBe(0o100644);
  expect(st.getBigUint64(16, true)).toBe(2n);
  expect([st.getUint32(28, true), st.getUint32(32, true)]).toEqual([7, 8]);
  expect(st.getBigInt64(48, true)).toBe(5n);
  const fst = new DataView(k.syscall(sh, 'fstat', [fd, { out: 144 }]).outs[0].buffer);
  expect(fst.getBigUint64(8, true)).toBe(st.getBigUint64(8, true));
  // mtime: CLOCK_REALTIME at boot + the monotonic time of the write.
  expect(fst.getBigInt64(88, true)).toBe(k.clock.realtimeAtBootNs / 1_000_000_000n + 1n);
  const lst = new DataView(k.syscall(sh, 'lstat', ['/proc', { out: 144 }]).outs[0].buffer);
  expect(lst.getUint32(24, true) & 0o170000).toBe(0o040000);
  expect(k.syscall(sh, 'chmod', ['/tmp/s', 0o4755]).ret).toBe(0);
  expect(k.syscall(sh, 'newfstatat', [-100, '', { out: 144 }, 0]).ret).toBe(-Errno.ENOENT);
  expect(k.syscall(sh, 'newfstatat', [fd, '', { out: 144 }, 0x1000]).ret).toBe(0);
  expect(k.syscall(sh, 'newfstatat', [-100, '/tmp', { out: 144 }, 0x1]).ret).toBe(-Errno.EINVAL);
});

test('the clock advances by each syscall\'s modelled cost', () => {
  const k = newKernel();
  const sh = spawn(k);
  const t0 = k.clock.monotonicNs;
  k.syscall(sh, 'getpid');
  expect(k.clock.monotonicNs - t0).toBe(100n);
  k.syscall(sh, 'open', ['/etc/hostname', 0, 0]);
  expect(k.clock.monotonicNs - t0).toBe(1600n);
});
