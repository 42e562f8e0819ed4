/**
 * struct files_struct (fs/file.c): the descriptor table. New descriptors take
 * the lowest free number; close-on-exec is a per-descriptor bit; the table is
 * shared by CLONE_FILES and copied by fork.
 */
import { Errno } from '@bpfsim/uapi';
import type { File } from './file';

/** RLIMIT_NOFILE soft limit a login shell gets (1024). */
export const NR_OPEN_DEFAULT = 1024;

export class FilesStruct {
  private readonly fds: (File | undefined)[] = [];
  private readonly cloexec: boolean[] = [];
  users = 1;
  constructor(
    readonly limit = NR_OPEN_DEFAULT,
    private readonly onLastClose: (f: File) => void = () => {},
  ) {}

  get(fd: number): File | undefined {
    return fd >= 0 ? this.fds[fd] : undefined;
  }
  isCloexec(fd: number): boolean {
    return this.cloexec[fd] === true;
  }
  setCloexec(fd: number, on: boolean): void {
    this.cloexec[fd] = on;
  }

  /** get_unused_fd_flags + fd_install: lowest free descriptor >= min, or -EMFILE. */
  install(file: File, cloexec: boolean, min = 0): number {
    let fd = min;
    while (fd < this.fds.length && this.fds[fd]) fd++;
    if (fd >= this.limit) return -Errno.EMFILE;
    this.fds[fd] = file;
    this.cloexec[fd] = cloexec;
    file.refs++;
    return fd;
  }

  /** dup2/dup3's replace_fd: put `file` at `fd`, closing what was there. */
  installAt(fd: number, file: File, cloexec: boolean): number {
    if (fd < 0 || fd >= this.limit) return -Errno.EBADF;
    const old = this.fds[fd];
    file.refs++;
    this.fds[fd] = file;
    this.cloexec[fd] = cloexec;
    if (old) this.release(old);
    return fd;
  }

  close(fd: number): number {
    const f = this.get(fd);
    if (!f) return -Errno.EBADF;
    this.fds[fd] = undefined;
    this.cloexec[fd] = false;
    this.release(f);
    return 0;
  }

  private release(f: File): void {
    if (--f.refs === 0) this.onLastClose(f);
  }

  /** Open descriptors in ascending order. */
  openFds(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.fds.length; i++) if (this.fds[i]) out.push(i);
    return out;
  }

  /** dup_fd: a copy for fork (same open file descriptions, same close-on-exec bits). */
  copy(): FilesStruct {
    const n = new FilesStruct(this.limit, this.onLastClose);
    for (const fd of this.openFds()) n.installAt(fd, this.fds[fd]!, this.cloexec[fd] === true);
    return n;
  }

  /** do_close_on_exec. */
  closeOnExec(): void {
    for (const fd of this.openFds()) if (this.cloexec[fd]) this.close(fd);
  }

  /** exit_files when the last user goes. */
  closeAll(): void {
    for (const fd of this.openFds()) this.close(fd);
  }
}
