/**
 * The file system's objects in simulated kernel memory, laid out by the profile BTF, for the
 * arguments of kprobes and fentry programs and for `task->files`: struct file (f_path, f_inode,
 * f_flags, f_mode, f_pos), path, dentry (d_name, d_parent, d_inode, d_sb), inode (i_ino, i_mode,
 * i_uid, i_gid, i_size, i_nlink, i_sb, times), super_block (s_dev, s_magic), vfsmount, filename,
 * open_how, files_struct → fdtable → file *fd[]. Like TaskObjects, the model stays the source of
 * truth: an object is rewritten from it each time it is handed to a program.
 */
import type { Region } from '@bpfsim/vm';
import { declareModelledFields, type KernelObjects, type KObj } from '../mm/kobj';
import type { File } from '../fs/file';
import type { Inode, SuperBlock } from '../fs/inode';
import type { FilesStruct } from '../fs/fdtable';

const BY = 'trace/file-objects.ts';
declareModelledFields('file', ['f_path', 'f_inode', 'f_flags', 'f_mode', 'f_pos'], BY);
declareModelledFields('path', ['mnt', 'dentry'], BY);
declareModelledFields('dentry', ['d_name.name', 'd_name.len', 'd_parent', 'd_inode', 'd_sb'], BY);
declareModelledFields('qstr', ['name', 'len'], BY);
declareModelledFields('inode', ['i_mode', 'i_uid.val', 'i_gid.val', 'i_ino', 'i_size', 'i_sb', 'i_nlink', 'i_rdev', 'i_atime_sec', 'i_mtime_sec', 'i_ctime_sec', 'i_atime_nsec', 'i_mtime_nsec', 'i_ctime_nsec'], BY);
declareModelledFields('super_block', ['s_dev', 's_magic'], BY);
declareModelledFields('vfsmount', ['mnt_root', 'mnt_sb'], BY);
declareModelledFields('filename', ['name', 'uptr', 'refcnt.counter', 'iname'], BY);
declareModelledFields('open_how', ['flags', 'mode', 'resolve'], BY);
declareModelledFields('open_flags', ['open_flag', 'mode', 'acc_mode', 'intent', 'lookup_flags'], BY);
declareModelledFields('files_struct', ['fdt', 'next_fd'], BY);
declareModelledFields('fdtable', ['max_fds', 'fd'], BY);

/** TMPFS_MAGIC: the model's file system is tmpfs-like. */
const TMPFS_MAGIC = 0x01021994;
const PROC_SUPER_MAGIC = 0x9fa0;
// include/linux/fs.h f_mode bits
const FMODE_READ = 0x1;
const FMODE_WRITE = 0x2;
const FMODE_LSEEK = 0x4;
const FMODE_PREAD = 0x8;
const FMODE_PWRITE = 0x10;
const O_ACCMODE = 3;

/** new_encode_dev: the dev_t as the kernel keeps it (MKDEV(major, minor) = major << 20 | minor). */
const kdev = (dev: number): number => ((dev >>> 8) & 0xfff) * 2 ** 20 + ((dev & 0xff) | ((dev >>> 12) & 0xfff00));

export class FileObjects {
  private readonly files = new WeakMap<File, KObj>();
  private readonly inodes = new WeakMap<Inode, KObj>();
  private readonly inodeState = new WeakMap<Inode, unknown[]>();
  private readonly fileState = new WeakMap<File, unknown[]>();
  private readonly sbs = new WeakMap<SuperBlock, { sb: KObj; mnt: KObj }>();
  /** Dentries by parent directory and name (the dcache); the root's is keyed by itself and ''. */
  private readonly dentries = new WeakMap<Inode, Map<string, KObj>>();
  /** Where each file was opened (parent directory and name), recorded by the open path. */
  private readonly openedAt = new WeakMap<File, { dir: Inode; name: string }>();
  private readonly fileTables = new WeakMap<FilesStruct, { obj: KObj; fdt: KObj; arr?: Region; n: number }>();

  constructor(readonly objs: KernelObjects, private readonly root: () => Inode) {}

  /** The open path says which directory entry a file is (d_parent, d_name). */
  recordOpen(f: File, dir: Inode, name: string): void {
    this.openedAt.set(f, { dir, name });
  }

  superBlock(sb: SuperBlock): KObj {
    let e = this.sbs.get(sb);
    if (!e) {
      const o = this.objs.alloc('super_block');
      o.set('s_dev', kdev(sb.dev));
      o.set('s_magic', sb.readonly ? PROC_SUPER_MAGIC : TMPFS_MAGIC);
      const mnt = this.objs.alloc('vfsmount');
      mnt.set('mnt_sb', o);
      e = { sb: o, mnt };
      this.sbs.set(sb, e);
    }
    return e.sb;
  }

  /** The vfsmount of a superblock (one mount each; mnt_root is the root's dentry for the root fs). */
  mount(sb: SuperBlock): KObj {
    this.superBlock(sb);
    const e = this.sbs.get(sb)!;
    const root = this.root();
    if (root.sb === sb && e.mnt.get('mnt_root') === 0n) e.mnt.set('mnt_root', this.dentry(root));
    return e.mnt;
  }

  inode(ino: Inode): KObj {
    let o = this.inodes.get(ino);
    if (!o) this.inodes.set(ino, (o = this.objs.alloc('inode')));
    // rewritten only when the model's inode changed since (this runs for every probed file argument)
    const now = [ino.mode, ino.uid, ino.gid, ino.size, ino.nlink, ino.rdev, ino.atimeNs, ino.mtimeNs, ino.ctimeNs];
    const was = this.inodeState.get(ino);
    if (was && was.every((v, i) => v === now[i])) return o;
    this.inodeState.set(ino, now);
    o.set('i_mode', ino.mode);
    o.set('i_uid.val', ino.uid);
    o.set('i_gid.val', ino.gid);
    o.set('i_ino', ino.ino);
    o.set('i_size', ino.size);
    o.set('i_nlink', ino.nlink);
    o.set('i_rdev', kdev(ino.rdev));
    o.set('i_sb', this.superBlock(ino.sb));
    for (const [f, ns] of [['atime', ino.atimeNs], ['mtime', ino.mtimeNs], ['ctime', ino.ctimeNs]] as const) {
      o.set(`i_${f}_sec`, ns / 1_000_000_000n);
      o.set(`i_${f}_nsec`, ns % 1_000_000_000n);
    }
    return o;
  }

  /** The dentry of `name` in `dir` (a negative dentry while `ino` is undefined). */
  entry(dir: Inode, name: string, ino: Inode | undefined): KObj {
    let m = this.dentries.get(dir);
    if (!m) this.dentries.set(dir, (m = new Map()));
    let o = m.get(name);
    if (!o) {
      m.set(name, (o = this.objs.alloc('dentry')));
      o.set('d_name.name', name);
      o.set('d_name.len', Buffer.byteLength(name, 'utf8'));
      o.set('d_parent', this.dentry(dir));
      o.set('d_sb', this.superBlock(dir.sb));
    }
    o.set('d_inode', ino ? this.inode(ino) : null);
    return o;
  }

  /** A directory's dentry: its name in its parent's entries; the root is "/" and its own parent. */
  dentry(dir: Inode): KObj {
    const parent = dir.parent;
    if (!parent || parent === dir) {
      let m = this.dentries.get(dir);
      if (!m) this.dentries.set(dir, (m = new Map()));
      let o = m.get('');
      if (!o) {
        m.set('', (o = this.objs.alloc('dentry')));
        o.set('d_name.name', '/');
        o.set('d_name.len', 1);
        o.set('d_parent', o);
        o.set('d_sb', this.superBlock(dir.sb));
      }
      o.set('d_inode', this.inode(dir));
      return o;
    }
    let name = '';
    for (const [n, i] of parent.entries ?? []) if (i === dir) { name = n; break; }
    return this.entry(parent, name, dir);
  }

  /** A file's dentry: where it was opened, else a directory's own, else its path's last name under the root. */
  fileDentry(f: File): KObj {
    const at = this.openedAt.get(f);
    if (at) return this.entry(at.dir, at.name, f.inode);
    if (f.inode.isDir) return this.dentry(f.inode);
    const name = f.path.replace(/\/+$/, '').slice(f.path.replace(/\/+$/, '').lastIndexOf('/') + 1) || f.path;
    return this.entry(this.root(), name, f.inode);
  }

  file(f: File): KObj {
    let o = this.files.get(f);
    if (!o) this.files.set(f, (o = this.objs.alloc('file')));
    const inode = this.inode(f.inode);
    const dentry = this.fileDentry(f);
    const now = [dentry, inode, f.flags, f.pos];
    const was = this.fileState.get(f);
    if (was && was.every((v, i) => v === now[i])) return o;
    this.fileState.set(f, now);
    o.set('f_path.dentry', dentry);
    o.set('f_path.mnt', this.mount(f.inode.sb));
    o.set('f_inode', inode);
    o.set('f_flags', f.flags);
    const acc = f.flags & O_ACCMODE;
    const rd = acc !== 1 ? FMODE_READ : 0;
    const wr = acc !== 0 ? FMODE_WRITE : 0;
    o.set('f_mode', rd | wr | (f.pipe ? 0 : FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE));
    o.set('f_pos', f.pos);
    return o;
  }

  /** struct filename for a path a syscall read from user memory (freed by the caller: `objs.free`). */
  filename(name: string, uptr: bigint): KObj {
    // getname: the name is copied into the struct's own iname[] and name points there
    const b = Buffer.from(name, 'utf8');
    const at = this.objs.field('filename', 'iname').offset;
    const o = this.objs.alloc('filename', at + b.length + 1);
    this.objs.mem.write(o.addr + BigInt(at), Uint8Array.from([...b, 0]));
    o.set('name', o.addr + BigInt(at));
    o.set('uptr', uptr);
    o.set('refcnt.counter', 1);
    return o;
  }

  /** files_struct → fdtable → file *fd[max_fds], as `task->files->fdt->fd[i]` reads. */
  filesStruct(fs: FilesStruct): KObj {
    let e = this.fileTables.get(fs);
    if (!e) {
      const obj = this.objs.alloc('files_struct');
      const fdt = this.objs.alloc('fdtable');
      obj.set('fdt', fdt);
      e = { obj, fdt, n: 0 };
      this.fileTables.set(fs, e);
    }
    const open = fs.openFds();
    const top = open.length ? open[open.length - 1] + 1 : 0;
    // BITS_PER_LONG descriptors at first (NR_OPEN_DEFAULT), doubling as the table grows
    let n = Math.max(64, e.n);
    while (n < top) n *= 2;
    if (!e.arr || n !== e.n) {
      if (e.arr) this.objs.mem.unmap(e.arr);
      e.arr = this.objs.mem.map('kernel', new Uint8Array(n * 8), { name: 'fdtable fd[]' });
      e.n = n;
    }
    const bytes = new Uint8Array(n * 8);
    const dv = new DataView(bytes.buffer);
    for (const fd of open) dv.setBigUint64(fd * 8, this.file(fs.get(fd)!).addr, true);
    this.objs.mem.write(e.arr.base, bytes);
    e.fdt.set('max_fds', n);
    e.fdt.set('fd', e.arr.base);
    let next = 0;
    while (fs.get(next)) next++;
    e.obj.set('next_fd', next);
    return e.obj;
  }
}
