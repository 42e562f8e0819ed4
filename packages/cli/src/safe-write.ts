/**
 * Every file bpfsim writes (golden traces, recordings, pcaps, traces) goes
 * through here: written to a temporary file beside the target, flushed, and
 * renamed over it. An interrupted or failed write (SIGINT, EFBIG, a full
 * disk) leaves the previous file as it was. A symlinked target or a
 * symlinked directory is refused: a write never lands outside where it was
 * asked to go.
 */
import * as fs from 'fs';
import * as path from 'path';
import { quote } from '@bpfsim/scenario';
import { InputError } from './program-file';

export interface SafeWriteOptions {
  /** The target's real directory must lie inside this one (bpfsim test --update: the suite). */
  within?: string;
}

let counter = 0;

const isLink = (p: string): boolean => {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
};

export function writeFileSafely(file: string, data: Uint8Array | string, opts: SafeWriteOptions = {}): void {
  const fail = (why: string): never => {
    throw new InputError(`${quote(file, 200)}: cannot write: ${why}`);
  };
  const target = path.resolve(file);
  const dir = path.dirname(target);
  if (isLink(target)) fail('it is a symbolic link (bpfsim never writes through one; remove it or name the real file)');
  if (isLink(dir)) fail(`its directory ${quote(dir, 200)} is a symbolic link (bpfsim never writes through one)`);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    fail((e as NodeJS.ErrnoException).code ?? (e as Error).message);
  }
  if (opts.within !== undefined) {
    const realDir = fs.realpathSync.native(dir);
    const root = fs.realpathSync.native(path.resolve(opts.within));
    const rel = path.relative(root, realDir);
    if (rel.startsWith('..') || path.isAbsolute(rel)) fail(`it resolves outside ${quote(opts.within, 200)}`);
  }
  let mode = 0o644;
  try {
    const st = fs.statSync(target);
    if (!st.isFile()) fail('it exists and is not a regular file');
    mode = st.mode & 0o777; // the replacement keeps the permissions of the file it replaces
  } catch (e) {
    if (e instanceof InputError) throw e; // a missing target is fine: it is created
  }
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${++counter}.tmp`);
  let fd: number | undefined;
  try {
    // O_EXCL: the temporary name is created here, never opened through something already there.
    fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, mode);
    fs.fchmodSync(fd, mode); // exactly that mode, whatever the umask
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let at = 0;
    while (at < buf.length) at += fs.writeSync(fd, buf, at, Math.min(buf.length - at, 1 << 20));
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    fail((e as NodeJS.ErrnoException).code ?? (e as Error).message);
  }
}
