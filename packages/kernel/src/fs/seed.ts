/**
 * Seeding the file system with what a recording showed (strace replay): a path
 * with its type, mode, owner, inode number, times, contents and the attributes
 * of the file system it lived on. Missing parent directories are created;
 * an existing entry at the path is replaced (a directory hands its entries to
 * its replacement), so the boot image yields to the recording.
 */
import type { World } from '../kernel/world';
import { Inode, S_IFDIR, S_IFLNK, S_IFMT } from './inode';

export interface SeedSpec {
  /** st_mode: type and permission bits. */
  mode: number;
  uid?: number;
  gid?: number;
  ino?: number;
  nlink?: number;
  /** CLOCK_REALTIME nanoseconds. */
  atimeNs?: bigint;
  mtimeNs?: bigint;
  ctimeNs?: bigint;
  /** Regular file bytes (the file's size is data.length). */
  data?: Uint8Array;
  /** Symlink target. */
  target?: string;
  rdev?: number;
  /** Attributes of the recorded file system (see Inode.recorded). */
  recorded?: Inode['recorded'];
}

function components(path: string): string[] {
  return path.split('/').filter((c) => c !== '' && c !== '.');
}

/** The directory at `path`, creating missing directories (0755, root) on the way. */
export function seedDirs(w: World, names: readonly string[]): Inode {
  let d = w.root;
  for (const n of names) {
    if (n === '..') {
      d = d.parent ?? d;
      continue;
    }
    let next = d.entries!.get(n);
    if (!next || !next.isDir) {
      next = new Inode(w.sb, S_IFDIR | 0o755, 0, 0, w.clock.monotonicNs);
      next.parent = d;
      d.entries!.set(n, next);
      d.nlink++;
    }
    d = next;
  }
  return d;
}

/** Put an inode at `path` as `spec` describes; returns it. */
export function seedPath(w: World, path: string, spec: SeedSpec): Inode {
  const names = components(path);
  const now = w.clock.monotonicNs;
  const atBoot = (ns: bigint | undefined): bigint => (ns === undefined ? now : ns - w.clock.realtimeAtBootNs);
  if (names.length === 0) {
    // Every task and mount refers to the root inode: it takes the recorded number in place.
    if (spec.ino !== undefined) (w.root as { ino: number }).ino = spec.ino;
    w.root.mode = (w.root.mode & S_IFMT) | (spec.mode & 0o7777);
    w.root.uid = spec.uid ?? w.root.uid;
    w.root.gid = spec.gid ?? w.root.gid;
    applyAttrs(w.root, spec, atBoot);
    return w.root;
  }
  const parent = seedDirs(w, names.slice(0, -1));
  const name = names[names.length - 1];
  const old = parent.entries!.get(name);
  const ino = new Inode(w.sb, spec.mode, spec.uid ?? 0, spec.gid ?? 0, now, spec.ino);
  if (ino.isDir) {
    ino.parent = parent;
    if (old?.isDir) {
      for (const [n, child] of old.entries!) {
        ino.entries!.set(n, child);
        if (child.isDir) {
          child.parent = ino;
          ino.nlink++;
        }
      }
    }
    if (!old?.isDir) parent.nlink++;
  } else if (old?.isDir) parent.nlink--;
  parent.entries!.set(name, ino);
  if ((spec.mode & S_IFMT) === S_IFLNK) ino.target = spec.target ?? '';
  if (spec.data) ino.setData(spec.data);
  applyAttrs(ino, spec, atBoot);
  return ino;
}

function applyAttrs(ino: Inode, spec: SeedSpec, atBoot: (ns: bigint | undefined) => bigint): void {
  if (spec.nlink !== undefined) ino.nlink = spec.nlink;
  if (spec.rdev !== undefined) ino.rdev = spec.rdev;
  if (spec.atimeNs !== undefined) ino.atimeNs = atBoot(spec.atimeNs);
  if (spec.mtimeNs !== undefined) ino.mtimeNs = atBoot(spec.mtimeNs);
  if (spec.ctimeNs !== undefined) ino.ctimeNs = atBoot(spec.ctimeNs);
  if (spec.recorded) ino.recorded = spec.recorded;
}

/** Give every inode of the tree without recorded attributes the recorded file system's device (not /proc). */
export function seedDevice(w: World, dev: number): void {
  const visit = (d: Inode): void => {
    if (!d.recorded) d.recorded = { dev };
    if (d.proc || !d.entries) return;
    for (const child of d.entries.values()) {
      if (child.sb !== w.sb) continue;
      if (child.isDir && child !== d) visit(child);
      else if (!child.recorded) child.recorded = { dev };
    }
  };
  visit(w.root);
}

/** An inode outside the tree (an inherited socket or pipe end of a recorded process's stdio). */
export function seedDetached(w: World, spec: SeedSpec): Inode {
  const ino = new Inode(w.sb, spec.mode, spec.uid ?? 0, spec.gid ?? 0, w.clock.monotonicNs, spec.ino);
  applyAttrs(ino, spec, (ns) => (ns === undefined ? w.clock.monotonicNs : ns - w.clock.realtimeAtBootNs));
  return ino;
}
