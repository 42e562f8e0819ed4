/**
 * Reading the files a scenario or recording names (objects, data files):
 * they must resolve, after following symlinks, inside the scenario's
 * directory or a directory the user allowed, be regular files (never a FIFO,
 * a device or a directory), and be no larger than a limit. The scenario file
 * itself is read with the same regular-file and size checks.
 */
import * as fs from 'fs';
import * as path from 'path';
import { clip, quote } from './quote';

/** Why a file was refused: the caller wraps it with the place that named it. */
export class FileRefused extends Error {}

const within = (p: string, dir: string): boolean => {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

function realpathOrRefuse(p: string, shown: string): string {
  try {
    return fs.realpathSync.native(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileRefused(code === 'ENOENT' ? `no such file: ${clip(shown)}`
      : code === 'ELOOP' ? `${quote(shown)}: too many levels of symbolic links`
        : `${quote(shown)}: cannot resolve (${code ?? (e as Error).message})`);
  }
}

/**
 * The real path of `name` (relative to `baseDir`), refused unless it lies
 * inside `baseDir` or one of `allowPaths` once every symlink is resolved.
 */
export function resolveContained(name: string, baseDir: string, allowPaths: readonly string[] = []): string {
  if (name === '' || name.includes('\0')) throw new FileRefused(`${quote(name)} is not a file name`);
  const real = realpathOrRefuse(path.resolve(baseDir, name), name);
  const roots = [baseDir, ...allowPaths].map((d) => {
    try {
      return fs.realpathSync.native(path.resolve(d));
    } catch {
      return undefined; // an allowed directory that does not exist allows nothing
    }
  });
  if (!roots.some((r) => r !== undefined && within(real, r)))
    throw new FileRefused(`${quote(name)} resolves to ${quote(real, 200)}, outside the scenario's directory `
      + `(allow it with --allow-path DIR)`);
  return real;
}

/**
 * The bytes of a regular file, at most `maxBytes` of them. Opened without
 * blocking so a FIFO cannot hang the read; checked on the open descriptor so
 * the file checked is the file read.
 */
export function readRegularFile(file: string, maxBytes: number, shown = file): Uint8Array {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileRefused(code === 'ENOENT' ? `no such file: ${clip(shown)}`
      : code === 'ELOOP' ? `${quote(shown)}: too many levels of symbolic links`
        : code === 'EACCES' ? `${quote(shown)}: permission denied`
          : `${quote(shown)}: cannot open (${code ?? (e as Error).message})`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw new FileRefused(`${quote(shown)} is a directory, not a file`);
    if (!st.isFile()) throw new FileRefused(`${quote(shown)} is not a regular file (a FIFO, socket or device is never read)`);
    if (st.size > maxBytes) throw new FileRefused(`${quote(shown)} is ${st.size} bytes, over the limit of ${maxBytes}`);
    // Read one byte past the size seen: a file that grows while read is refused, not read without end.
    const buf = Buffer.alloc(st.size + 1);
    let got = 0;
    for (;;) {
      const n = fs.readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
      if (got > maxBytes || got === buf.length) throw new FileRefused(`${quote(shown)} grew while being read`);
    }
    return new Uint8Array(buf.buffer, buf.byteOffset, got);
  } catch (e) {
    if (e instanceof FileRefused) throw e;
    throw new FileRefused(`${quote(shown)}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  } finally {
    fs.closeSync(fd);
  }
}

/** resolveContained then readRegularFile: what a scenario's `object:` and data files go through. */
export function readContained(name: string, baseDir: string, allowPaths: readonly string[], maxBytes: number): Uint8Array {
  return readRegularFile(resolveContained(name, baseDir, allowPaths), maxBytes, name);
}
