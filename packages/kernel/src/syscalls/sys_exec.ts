/**
 * execve/execveat (fs/exec.c): resolve the file (regular, executable), read
 * argv and envp from the caller's memory, follow a "#!" line to its
 * interpreter, then replace the image (kernel/exec.ts).
 */
import { utf8Decode } from '../kernel/utf8';
import { Errno } from '@bpfsim/uapi';
import { execImage } from '../kernel/exec';
import { AT } from '../fs/file';
import type { Inode } from '../fs/inode';
import { walk } from '../fs/namei';
import { MAY_EXEC, permission } from '../fs/permission';
import { ELF_MAGIC } from '../fs/rootfs';
import { pathArg, strArray, type SysCtx, type SysHandler } from './context';
import { startFor } from './sys_fs';
import { bprmExecveTraced } from '../trace/kprobe-process';

const enc = new TextEncoder();
/** BINPRM_MAX_RECURSION: nested interpreters allowed. */
const MAX_INTERP_DEPTH = 4;

function openExec(c: SysCtx, dirfd: number, path: string, flags: number): Inode | number {
  const st = startFor(c, dirfd);
  if (typeof st === 'number') return st;
  const ino = path === '' && flags & AT.EMPTY_PATH ? st.base : walk(st, path, !(flags & AT.SYMLINK_NOFOLLOW));
  if (typeof ino === 'number') return ino;
  if (ino.isLink) return -Errno.ELOOP;
  if (!ino.isReg) return -Errno.EACCES;
  const p = permission(c.t.cred, ino, MAY_EXEC);
  if (p) return p;
  return ino;
}

function doExecveat(c: SysCtx, dirfd: number, pathPtr: number, argvPtr: number, envpPtr: number, flags: number): number {
  if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)) return -Errno.EINVAL;
  const path = pathArg(c, pathPtr);
  if (typeof path === 'number') return path;
  if (path === '' && !(flags & AT.EMPTY_PATH)) return -Errno.ENOENT;
  let ino = openExec(c, dirfd, path, flags);
  if (typeof ino === 'number') return ino;
  let argv = strArray(c, argvPtr);
  if (typeof argv === 'number') return argv;
  const envp = strArray(c, envpPtr);
  if (typeof envp === 'number') return envp;
  // bprm->filename: a descriptor-relative name is "/dev/fd/N[/path]"; comm then takes the file's own name.
  const fdRelative = dirfd !== AT.FDCWD && !path.startsWith('/');
  const filename = fdRelative ? (path === '' ? `/dev/fd/${dirfd}` : `/dev/fd/${dirfd}/${path}`) : path;
  let commName = filename.slice(filename.lastIndexOf('/') + 1);
  if (fdRelative && path === '') commName = nameOf(c, ino) ?? commName;
  const [exe, args] = [ino, argv];
  return bprmExecveTraced(c, filename, filename, argv.length, envp.length, () => {
  let [ino, argv] = [exe, args];
  // search_binary_handler: ELF runs; "#!" names an interpreter; anything else is ENOEXEC.
  for (let depth = 0; ; depth++) {
    const head = ino.data.subarray(0, Math.min(ino.size, 256));
    if (head.length >= 4 && ELF_MAGIC.every((b, i) => head[i] === b)) break;
    if (!(head[0] === 0x23 && head[1] === 0x21)) return -Errno.ENOEXEC;
    if (depth >= MAX_INTERP_DEPTH) return -Errno.ELOOP;
    const nl = head.indexOf(0x0a);
    const line = utf8Decode(head.subarray(2, nl < 0 ? head.length : nl)).trim();
    if (!line) return -Errno.ENOEXEC;
    const sp = line.search(/[ \t]/);
    const interp = sp < 0 ? line : line.slice(0, sp);
    const arg = sp < 0 ? '' : line.slice(sp).trim();
    const next = openExec(c, -100, interp, 0);
    if (typeof next === 'number') return next;
    // The interpreter gets: interp [arg] filename argv[1..].
    argv = [enc.encode(interp), ...(arg ? [enc.encode(arg)] : []), enc.encode(filename), ...argv.slice(1)];
    ino = next;
  }
  // Set-id bits of a "#!" script are ignored: the interpreter is the file run.
  execImage(c.w, c.t, { filename, commName, argv, envp, file: ino });
  return 0;
  });
}

/** The name of the directory entry for `ino` (comm of an fexecve'd file). */
function nameOf(c: SysCtx, ino: Inode): string | undefined {
  const stack: Inode[] = [c.t.fs.root];
  while (stack.length) {
    const d = stack.pop()!;
    for (const [n, ch] of d.entries!) {
      if (ch === ino) return n;
      if (ch.isDir && ch !== d) stack.push(ch);
    }
  }
  return undefined;
}

export const execSyscalls: Record<string, SysHandler> = {
  execve: (c, a) => doExecveat(c, AT.FDCWD, a[0], a[1], a[2], 0),
  execveat: (c, a) => doExecveat(c, a[0] | 0, a[1], a[2], a[3], a[4]),
};
