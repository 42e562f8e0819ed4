/**
 * The starting world a strace log implies, read from the log alone: which paths existed before
 * the workload ran (opened, stat'ed, listed, executed or removed before anything created them),
 * their stat fields, the bytes read from them, symlink targets, the stdio the first process
 * inherited, and its pid, parent and environment. Paths that first gave ENOENT, or that the
 * workload created, are not seeded.
 */
import type { StraceCall, StraceEvent } from './events';
import type { StraceStruct, StraceValue } from './ast';
import { CONSTANTS } from './constants';

export interface SeedFile {
  path: string;
  /** st_mode when a stat showed it; else the type the log implies (S_IF* | 0). */
  mode: number;
  stat?: RecordedStat;
  /** Known bytes by offset (reads, preads); unknown bytes read as zeros. */
  chunks: { off: number; bytes: Uint8Array }[];
  /** Largest offset a read reached (a lower bound of the size when no stat shows it). */
  minSize: number;
  target?: string;
  /** Executed successfully: an ELF image (or script) the log never shows the bytes of. */
  executed?: boolean;
  /** Names listed by getdents64, in the order listed. */
  listed?: string[];
}

/** The st_* fields of one recorded stat (times in ns since the epoch). */
export interface RecordedStat {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  blocks: number;
  rdev: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

export interface InitialWorld {
  files: Map<string, SeedFile>;
  /** fstat of fds 0-2 before the workload changed them. */
  stdio: Map<number, RecordedStat | undefined>;
  rootPid: number;
  /** The recorder process the first one was started by (its getppid). */
  parentPid: number;
  cwd: string;
}

const S_IFMT = 0o170000, S_IFREG = 0o100000, S_IFDIR = 0o040000, S_IFLNK = 0o120000;
const DT: Record<string, number> = { DT_REG: S_IFREG, DT_DIR: S_IFDIR, DT_LNK: S_IFLNK, DT_FIFO: 0o010000, DT_SOCK: 0o140000, DT_CHR: 0o020000, DT_BLK: 0o060000 };
const O_CREAT = 0o100;

/** A number from a value strace printed: a literal, a named constant, `A|B`, `8192*1024`, `makedev(M, m)`. */
export function numOf(v: StraceValue | undefined): number | undefined {
  if (!v) return undefined;
  switch (v.kind) {
    case 'num':
      return Number(v.value);
    case 'ident':
      return CONSTANTS[v.name];
    case 'flags': {
      let n = 0;
      for (const it of v.items) {
        const x = numOf(it);
        if (x === undefined) return undefined;
        n |= x;
      }
      return n;
    }
    case 'expr': {
      if (v.ops.every((o) => o === '*')) return v.operands.reduce<number | undefined>((a, o) => (a === undefined || numOf(o) === undefined ? undefined : a * numOf(o)!), 1);
      if (v.ops.every((o) => o === '|')) return v.operands.reduce<number | undefined>((a, o) => (a === undefined || numOf(o) === undefined ? undefined : a | numOf(o)!), 0);
      if (v.ops.every((o) => o === 'or')) return numOf(v.operands[0]);
      return undefined;
    }
    case 'unary':
      return v.op === '-' && numOf(v.operand) !== undefined ? -numOf(v.operand)! : undefined;
    case 'call':
      if (v.name === 'makedev' && v.args.length === 2) {
        const ma = numOf(v.args[0].value)!, mi = numOf(v.args[1].value)!;
        // new_encode_dev
        return (mi & 0xff) | (ma << 8) | ((mi & ~0xff) << 12);
      }
      return undefined;
    default:
      return undefined;
  }
}

export const field = (s: StraceStruct, name: string): StraceValue | undefined => s.fields.find((f) => f.name === name)?.value;

/** A `{st_dev=…, st_ino=…, …}` struct as numbers; undefined when strace abbreviated it. */
export function recordedStat(v: StraceValue | undefined): RecordedStat | undefined {
  if (!v || v.kind !== 'struct' || !field(v, 'st_ino')) return undefined;
  const n = (k: string) => numOf(field(v, k)) ?? 0;
  const t = (k: string) => BigInt(n(k)) * 1_000_000_000n + BigInt(n(`${k}_nsec`));
  return {
    dev: n('st_dev'), ino: n('st_ino'), mode: n('st_mode'), nlink: n('st_nlink'), uid: n('st_uid'), gid: n('st_gid'),
    size: n('st_size'), blocks: n('st_blocks'), rdev: n('st_rdev'), atimeNs: t('st_atime'), mtimeNs: t('st_mtime'), ctimeNs: t('st_ctime'),
  };
}

/** A byte string strace printed, as the text the kernel's path walk sees (UTF-8). */
export const pathText = (s: string): string => Buffer.from(s, 'latin1').toString('utf8');
export const bytesOf = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

/** Join and normalise a path lexically (symlinks are not known here). */
export function joinPath(base: string, p: string): string {
  const parts = (p.startsWith('/') ? p : `${base}/${p}`).split('/');
  const out: string[] = [];
  for (const c of parts) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return `/${out.join('/')}`;
}

interface Proc {
  cwd: string;
  fds: Map<number, { path: string; off: number }>;
}

/** Syscalls whose first path argument names a file that must exist when they succeed. */
const PATH_ARG: Record<string, { dirfd?: number; path: number; nofollowFlag?: number }> = {
  open: { path: 0 }, openat: { dirfd: 0, path: 1 }, stat: { path: 0 }, lstat: { path: 0 }, newfstatat: { dirfd: 0, path: 1 },
  statx: { dirfd: 0, path: 1 }, access: { path: 0 }, faccessat: { dirfd: 0, path: 1 }, faccessat2: { dirfd: 0, path: 1 },
  execve: { path: 0 }, readlink: { path: 0 }, readlinkat: { dirfd: 0, path: 1 }, chdir: { path: 0 }, statfs: { path: 0 },
  unlink: { path: 0 }, unlinkat: { dirfd: 0, path: 1 }, rmdir: { path: 0 }, rename: { path: 0 }, renameat2: { dirfd: 0, path: 1 },
  chmod: { path: 0 }, fchmodat: { dirfd: 0, path: 1 }, chown: { path: 0 }, lchown: { path: 0 }, fchownat: { dirfd: 0, path: 1 },
  getxattr: { path: 0 }, lgetxattr: { path: 0 }, utimensat: { dirfd: 0, path: 1 }, mkdir: { path: 0 }, mkdirat: { dirfd: 0, path: 1 },
};
/** Calls that create the path they name. */
const CREATES = new Set(['mkdir', 'mkdirat', 'symlink', 'symlinkat', 'link', 'linkat', 'creat']);

export function inferWorld(events: readonly StraceEvent[], cwd: string): InitialWorld {
  const files = new Map<string, SeedFile>();
  /** Paths whose state the workload has changed or created: later sightings are not the initial state. */
  const touched = new Set<string>();
  const absent = new Set<string>();
  const stdio = new Map<number, RecordedStat | undefined>();
  const stdioChanged = new Set<number>();
  const procs = new Map<number, Proc>();
  const first = events.find((e) => e.kind === 'syscall') as StraceCall | undefined;
  const rootPid = first?.pid ?? 1;
  let parentPid = rootPid - 1;
  procs.set(rootPid, { cwd, fds: new Map() });
  const proc = (pid: number): Proc => {
    let p = procs.get(pid);
    if (!p) procs.set(pid, (p = { cwd, fds: new Map() }));
    return p;
  };
  const seen = (path: string, mode: number): SeedFile | undefined => {
    if (touched.has(path) || absent.has(path)) return undefined;
    let f = files.get(path);
    if (!f) files.set(path, (f = { path, mode, chunks: [], minSize: 0 }));
    // Every ancestor existed too (as a directory).
    for (let d = path; d !== '/'; ) {
      d = d.slice(0, d.lastIndexOf('/')) || '/';
      if (!files.has(d) && !touched.has(d)) files.set(d, { path: d, mode: S_IFDIR, chunks: [], minSize: 0 });
    }
    return f;
  };
  const argPath = (c: StraceCall, p: Proc, spec: { dirfd?: number; path: number }): string | undefined => {
    const v = c.args[spec.path]?.value;
    if (!v || v.kind !== 'str') return undefined;
    let base = p.cwd;
    if (spec.dirfd !== undefined) {
      const d = c.args[spec.dirfd]?.value;
      const fd = numOf(d);
      if (fd !== undefined && fd !== -100) {
        const of = p.fds.get(fd);
        if (!of) return undefined;
        base = of.path;
      }
    }
    if (v.value === '') return base;
    return joinPath(base, pathText(v.value));
  };

  for (const e of events) {
    if (e.kind !== 'syscall' || !e.result) continue;
    const p = proc(e.pid);
    const r = e.result;
    const ok = r.value !== undefined && r.value >= 0n && !r.errno;
    const ret = r.value === undefined ? undefined : Number(r.value);
    const name = e.name;
    if ((name === 'clone' || name === 'fork' || name === 'vfork' || name === 'clone3') && ok && ret) {
      const child = proc(ret);
      child.cwd = p.cwd;
      child.fds = new Map([...p.fds].map(([k, v]) => [k, { ...v }]));
      continue;
    }
    if (name === 'getppid' && e.pid === rootPid && ok && ret !== undefined && !procs.has(-1)) {
      parentPid = ret;
      procs.set(-1, p);
    }
    const spec = PATH_ARG[name];
    const path = spec ? argPath(e, p, spec) : undefined;
    if (spec && path !== undefined) {
      const flags = numOf(e.args[name === 'openat' ? 2 : 1]?.value) ?? 0;
      const creating = CREATES.has(name) || ((name === 'open' || name === 'openat') && flags & O_CREAT);
      if (!ok) {
        if (r.errno === 'ENOENT' && !files.has(path) && !touched.has(path)) absent.add(path);
        // readlink of something that is not a symlink: it exists.
        else if (r.errno === 'EINVAL' && name.startsWith('readlink')) {
          const f = seen(path, 0);
          if (f && (f.mode & S_IFMT) === S_IFLNK) f.mode = 0;
        }
        else if (r.errno === 'EEXIST' && creating) seen(path, name.startsWith('mkdir') ? S_IFDIR : S_IFREG);
      } else if (creating) {
        if (!files.has(path)) touched.add(path);
      } else {
        const isStat = name === 'newfstatat' || name === 'stat' || name === 'lstat';
        const follow = name === 'lstat' || (name === 'newfstatat' && (numOf(e.args[3]?.value) ?? 0) & 0x100) ? false : true;
        const st = isStat ? recordedStat(e.args[name === 'newfstatat' ? 2 : 1]?.value) : undefined;
        const f = seen(path, name === 'readlink' || name === 'readlinkat' ? S_IFLNK : name === 'chdir' ? S_IFDIR : 0);
        if (f && st && !f.stat && (follow === false || (st.mode & S_IFMT) !== S_IFLNK)) {
          f.stat = st;
          f.mode = st.mode;
        }
        if (f && (name === 'readlink' || name === 'readlinkat')) {
          // A symlink after all (an executed path may have been one): its target is what ran.
          f.mode = S_IFLNK;
          f.stat = undefined;
          const t = e.args[spec.path + 1]?.value;
          if (t?.kind === 'str' && !t.truncated) {
            f.target = pathText(t.value);
            const to = seen(joinPath(path.slice(0, path.lastIndexOf('/')) || '/', f.target), 0);
            if (to && f.executed) to.executed = true;
          }
        }
        if (f && name === 'execve') f.executed = true;
        if (name === 'unlink' || name === 'unlinkat' || name === 'rmdir' || name === 'rename' || name === 'renameat2' || name === 'chmod' || name === 'fchmodat' || name.includes('chown') || name === 'utimensat') {
          if (f && (name === 'rmdir' || (name === 'unlinkat' && (numOf(e.args[2]?.value) ?? 0) & 0x200))) f.mode = f.mode || S_IFDIR;
          touched.add(path);
        }
      }
      if (ok && (name === 'open' || name === 'openat') && ret !== undefined) p.fds.set(ret, { path, off: 0 });
      if (ok && name === 'chdir') p.cwd = path;
      if (ok && (name === 'rename' || name === 'renameat2')) {
        const to = argPath(e, p, name === 'rename' ? { path: 1 } : { dirfd: 2, path: 3 });
        if (to) touched.add(to);
      }
      continue;
    }
    const fdArg = numOf(e.args[0]?.value);
    const of = fdArg === undefined ? undefined : p.fds.get(fdArg);
    switch (name) {
      case 'read':
      case 'pread64': {
        if (!ok || !of || touched.has(of.path)) break;
        const f = files.get(of.path);
        const s = e.args[1]?.value;
        const off = name === 'pread64' ? numOf(e.args[3]?.value) ?? 0 : of.off;
        if (f && s?.kind === 'str' && ret! > 0) {
          f.chunks.push({ off, bytes: bytesOf(s.value).subarray(0, ret) });
          f.minSize = Math.max(f.minSize, off + ret!);
        }
        if (name === 'read') of.off += ret ?? 0;
        break;
      }
      case 'lseek':
        if (ok && of) of.off = ret!;
        break;
      case 'write':
      case 'ftruncate':
      case 'fchmod':
      case 'fchown':
        if (of) touched.add(of.path);
        if (fdArg !== undefined && fdArg <= 2 && !of) stdioChanged.add(fdArg);
        break;
      case 'getdents64': {
        if (!ok || !of || touched.has(of.path)) break;
        const dir = files.get(of.path);
        const list = e.args[1]?.value;
        if (!dir || list?.kind !== 'array') break;
        dir.mode = dir.mode || S_IFDIR;
        dir.listed ??= [];
        for (const it of list.items) {
          if (it.kind !== 'struct') continue;
          const nm = field(it, 'd_name');
          const ty = field(it, 'd_type');
          if (nm?.kind !== 'str' || nm.value === '.' || nm.value === '..') continue;
          const child = joinPath(of.path, pathText(nm.value));
          const type = ty?.kind === 'ident' ? DT[ty.name] ?? 0 : 0;
          dir.listed.push(pathText(nm.value));
          const cf = seen(child, type);
          if (cf && !cf.mode) cf.mode = type;
          const dino = numOf(field(it, 'd_ino'));
          if (cf && !cf.stat && dino !== undefined) (cf as SeedFile & { dIno?: number }).dIno = dino;
        }
        break;
      }
      case 'close':
        if (ok && fdArg !== undefined) {
          p.fds.delete(fdArg);
          if (fdArg <= 2) stdioChanged.add(fdArg);
        }
        break;
      case 'dup2':
      case 'dup3': {
        const to = numOf(e.args[1]?.value);
        if (ok && to !== undefined) {
          if (of) p.fds.set(to, of);
          else p.fds.delete(to);
          if (to <= 2) stdioChanged.add(to);
        }
        break;
      }
      case 'fchdir':
        if (ok && of) p.cwd = of.path;
        break;
    }
    // fstat of an inherited stdio descriptor.
    if (ok && name === 'newfstatat' && fdArg !== undefined && fdArg <= 2 && !p.fds.has(fdArg) && !stdioChanged.has(fdArg)) {
      if (!stdio.has(fdArg)) stdio.set(fdArg, recordedStat(e.args[2]?.value));
    }
  }
  return { files, stdio, rootPid, parentPid, cwd };
}
