/**
 * The root file system a booted bpfsim has: the usual top-level directories
 * and a few executables (ELF headers only: nothing runs them, execve checks
 * them). Scenarios add files through syscalls or World set-up.
 */
import { utf8Encode } from '../kernel/utf8';
import { Inode, SuperBlock, S_IFDIR, S_IFREG } from './inode';

/** st_dev of the root file system (0:25, a tmpfs-like anonymous device). */
export const ROOTFS_DEV = 25;

/** The 4 bytes execve recognises as an ELF image. */
export const ELF_MAGIC = new Uint8Array([0x7f, 0x45, 0x4c, 0x46]);

const DIRS: [string, number][] = [
  ['bin', 0o755], ['sbin', 0o755], ['usr', 0o755], ['usr/bin', 0o755], ['usr/sbin', 0o755], ['etc', 0o755],
  ['dev', 0o755], ['proc', 0o555], ['sys', 0o555], ['tmp', 0o1777], ['root', 0o700], ['home', 0o755], ['var', 0o755],
];
const EXES = ['sbin/init', 'bin/sh', 'bin/bash', 'bin/ls', 'bin/cat', 'bin/true', 'bin/false', 'bin/sleep', 'usr/bin/env'];

export function makeRootfs(dev: number, nowNs: bigint, hostname: string): { sb: SuperBlock; root: Inode } {
  const sb = new SuperBlock(dev);
  const root = new Inode(sb, S_IFDIR | 0o755, 0, 0, nowNs);
  root.parent = root;
  const lookupDir = (path: string): Inode => path.split('/').reduce((d, n) => d.entries!.get(n)!, root);
  for (const [p, mode] of DIRS) {
    const i = p.lastIndexOf('/');
    const parent = i < 0 ? root : lookupDir(p.slice(0, i));
    const d = new Inode(sb, S_IFDIR | mode, 0, 0, nowNs);
    d.parent = parent;
    parent.entries!.set(p.slice(i + 1), d);
    parent.nlink++;
  }
  const addFile = (p: string, mode: number, data: Uint8Array): void => {
    const i = p.lastIndexOf('/');
    const f = new Inode(sb, S_IFREG | mode, 0, 0, nowNs);
    f.setData(data);
    lookupDir(p.slice(0, i)).entries!.set(p.slice(i + 1), f);
  };
  const elf = new Uint8Array(64);
  elf.set(ELF_MAGIC);
  for (const p of EXES) addFile(p, 0o755, elf);
  addFile('etc/hostname', 0o644, utf8Encode(`${hostname}\n`));
  return { sb, root };
}
