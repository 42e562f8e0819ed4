/** Helpers for the cgroup tests: cgroupfs used the way a shell uses it, through syscalls. */
import { Kernel, type TaskStruct } from '../../src';

export const CG = '/sys/fs/cgroup';
const O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0o100, O_DIRECTORY = 0o200000, AT_FDCWD = -100;
export { O_CREAT, O_DIRECTORY, O_RDONLY, O_WRONLY, AT_FDCWD };

export function newKernel(seed = 'cgroup'): Kernel {
  return new Kernel({ seed, cpus: 2 });
}

/** fork + execve /bin/sh from `parent` (default init). */
export function spawn(k: Kernel, parent?: TaskStruct): TaskStruct {
  const r = k.syscall(parent ?? k.world.init, 'fork');
  if (r.ret < 0 || !r.child) throw new Error(`fork failed: ${r.ret}`);
  const e = k.syscall(r.child, 'execve', ['/bin/sh', ['sh'], ['PATH=/bin']]);
  if (e.ret !== 0) throw new Error(`execve failed: ${e.ret}`);
  return r.child;
}

/** open + write + close: the write's result (or the open's error). */
export function writeFile(k: Kernel, t: TaskStruct, path: string, data: string): number {
  const fd = k.syscall(t, 'openat', [AT_FDCWD, path, O_WRONLY, 0]).ret;
  if (fd < 0) return fd;
  const bytes = new TextEncoder().encode(data);
  const r = k.syscall(t, 'write', [fd, bytes, bytes.length]).ret;
  k.syscall(t, 'close', [fd]);
  return r;
}

/** open + read (up to 64 KiB) + close: the contents, or the errno as a number. */
export function readFile(k: Kernel, t: TaskStruct, path: string): string | number {
  const fd = k.syscall(t, 'openat', [AT_FDCWD, path, O_RDONLY, 0]).ret;
  if (fd < 0) return fd;
  const r = k.syscall(t, 'read', [fd, { out: 65536 }, 65536]);
  k.syscall(t, 'close', [fd]);
  return r.ret < 0 ? r.ret : new TextDecoder().decode(r.outs[0].subarray(0, r.ret));
}

export function mkdir(k: Kernel, t: TaskStruct, path: string, mode = 0o777): number {
  return k.syscall(t, 'mkdir', [path, mode]).ret;
}
export function rmdir(k: Kernel, t: TaskStruct, path: string): number {
  return k.syscall(t, 'rmdir', [path]).ret;
}

/** stat's st_ino and st_mode. */
export function stat(k: Kernel, t: TaskStruct, path: string): { ino: number; mode: number } | number {
  const r = k.syscall(t, 'stat', [path, { out: 144 }]);
  if (r.ret < 0) return r.ret;
  const dv = new DataView(r.outs[0].buffer, r.outs[0].byteOffset);
  return { ino: Number(dv.getBigUint64(8, true)), mode: dv.getUint32(24, true) };
}

/** Names in a directory (getdents64), "." and ".." left out. */
export function listDir(k: Kernel, t: TaskStruct, path: string): string[] {
  const fd = k.syscall(t, 'openat', [AT_FDCWD, path, O_RDONLY | O_DIRECTORY, 0]).ret;
  if (fd < 0) throw new Error(`open ${path}: ${fd}`);
  const names: string[] = [];
  for (;;) {
    const r = k.syscall(t, 'getdents64', [fd, { out: 8192 }, 8192]);
    if (r.ret <= 0) break;
    const b = r.outs[0];
    const dv = new DataView(b.buffer, b.byteOffset);
    for (let off = 0; off < r.ret; ) {
      const reclen = dv.getUint16(off + 16, true);
      const name = b.subarray(off + 19, off + reclen);
      const s = new TextDecoder().decode(name.subarray(0, name.indexOf(0)));
      if (s !== '.' && s !== '..') names.push(s);
      off += reclen;
    }
  }
  k.syscall(t, 'close', [fd]);
  return names;
}
