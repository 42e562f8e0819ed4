/**
 * Path walk (fs/namei.c): from the root or a starting directory, one component
 * at a time, with search permission on every directory passed, symlinks
 * followed up to MAXSYMLINKS (40) in all, "." and "..", and a trailing slash
 * requiring a directory.
 */
import { Errno } from '@bpfsim/uapi';
import type { Inode } from './inode';
import type { FsStruct } from './fs_struct';
import type { Cred } from '../kernel/cred';
import type { TaskStruct } from '../kernel/task_struct';
import { permission, MAY_EXEC } from './permission';

export const PATH_MAX = 4096;
export const NAME_MAX = 255;
export const MAXSYMLINKS = 40;

export interface WalkStart {
  fs: FsStruct;
  /** Where a relative path starts (the cwd or a directory descriptor). */
  base: Inode;
  cred: Cred;
  /** The task walking (what /proc/self names). */
  viewer?: TaskStruct;
}

export interface ParentResult {
  dir: Inode;
  /** Last component ("" when the path is "/"), "." and ".." included as given. */
  name: string;
  /** The path ended with a slash. */
  trailingSlash: boolean;
}

interface WalkState {
  links: number;
}

/** Walk every component but the last: the directory and the last name, or -errno. */
export function walkParent(st: WalkStart, path: string, ws: WalkState = { links: 0 }): ParentResult | number {
  if (path.length === 0) return -Errno.ENOENT;
  if (path.length >= PATH_MAX) return -Errno.ENAMETOOLONG;
  let dir = path.startsWith('/') ? st.fs.root : st.base;
  const parts = path.split('/');
  const trailingSlash = path.length > 1 && path.endsWith('/');
  const comps = parts.filter((p) => p.length > 0);
  if (comps.length === 0) return { dir: st.fs.root, name: '', trailingSlash: false };
  for (let i = 0; i < comps.length - 1; i++) {
    const r = step(st, dir, comps[i], true, ws);
    if (typeof r === 'number') return r;
    if (!r.isDir) return -Errno.ENOTDIR;
    dir = r;
  }
  const last = comps[comps.length - 1];
  if (last.length > NAME_MAX) return -Errno.ENAMETOOLONG;
  if (!dir.isDir) return -Errno.ENOTDIR;
  const p = permission(st.cred, dir, MAY_EXEC);
  if (p) return p;
  return { dir, name: last, trailingSlash };
}

/** One component from `dir`: "." / ".." / a child, following a symlink when `follow`. */
function step(st: WalkStart, dir: Inode, name: string, follow: boolean, ws: WalkState): Inode | number {
  if (!dir.isDir) return -Errno.ENOTDIR;
  const p = permission(st.cred, dir, MAY_EXEC);
  if (p) return p;
  if (name.length > NAME_MAX) return -Errno.ENAMETOOLONG;
  let child: Inode | undefined;
  if (name === '.') child = dir;
  else if (name === '..') child = dir === st.fs.root ? dir : dir.parent ?? dir;
  else child = dir.proc ? dir.proc.lookup(name, st.viewer) : dir.entries!.get(name);
  if (!child) return -Errno.ENOENT;
  if (follow && child.isLink) return followLink(st, dir, child, ws);
  return child;
}

function followLink(st: WalkStart, dir: Inode, link: Inode, ws: WalkState): Inode | number {
  if (++ws.links > MAXSYMLINKS) return -Errno.ELOOP;
  // A /proc "magic link" (ns/*) leads straight to its object.
  if (link.follow) return link.follow();
  if (link.target.length === 0) return -Errno.ENOENT;
  const r = walk({ ...st, base: dir }, link.target, true, ws);
  return r;
}

/** Resolve a whole path; `follow` applies to the last component (LOOKUP_FOLLOW). */
export function walk(st: WalkStart, path: string, follow: boolean, ws: WalkState = { links: 0 }): Inode | number {
  const pr = walkParent(st, path, ws);
  if (typeof pr === 'number') return pr;
  if (pr.name === '') return pr.dir;
  // A trailing slash means the last component must be (or lead to) a directory.
  const r = step(st, pr.dir, pr.name, follow || pr.trailingSlash, ws);
  if (typeof r === 'number') return r;
  if (pr.trailingSlash && !r.isDir) return -Errno.ENOTDIR;
  return r;
}

/** The path of a directory from the task's root (d_path for getcwd); undefined if it is not below the root. */
export function dirPath(root: Inode, d: Inode): string | undefined {
  const names: string[] = [];
  for (let cur = d; cur !== root; ) {
    const p = cur.parent;
    if (!p || p === cur) return undefined;
    let name: string | undefined;
    for (const [n, c] of p.entries!) if (c === cur) name = n;
    if (name === undefined) return undefined; // removed
    names.unshift(name);
    cur = p;
  }
  return '/' + names.join('/');
}
