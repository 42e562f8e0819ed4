/**
 * Inodes of bpfsim's in-memory file system (a tmpfs-like superblock): regular
 * files with contents, directories, symlinks, fifos. A directory keeps its
 * entries in creation order, as tmpfs's offset map does, so getdents64 lists
 * them the same way every run; "." and ".." come first.
 */
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;
export const S_ISUID = 0o4000;
export const S_ISGID = 0o2000;
export const S_ISVTX = 0o1000;

/** A directory whose entries are generated for the task looking (procfs). */
export interface ProcDir {
  lookup(name: string, viewer: unknown): Inode | undefined;
  list(viewer: unknown): [string, Inode][];
}

/**
 * A kernfs file (cgroupfs): read, it shows what its owner generates at that
 * moment (seq_file); written, the whole write goes to its owner, which answers
 * the byte count or -errno (kernfs_fop_write_iter).
 */
export interface KernfsFileOps {
  show?(viewer: unknown): string;
  write?(data: string, writer: unknown): number;
}

/** A kernfs directory whose mkdir/rmdir its owner handles (cgroup_mkdir, cgroup_rmdir). */
export interface KernfsDirOps {
  mkdir(name: string, mode: number, writer: unknown): number;
  rmdir(name: string, writer: unknown): number;
}

/**
 * Largest regular file the in-memory file system holds (bytes are real memory
 * here): growing past it is EFBIG, as a file system's s_maxbytes would make it.
 */
export const MAX_FILE_SIZE = 1 << 30;

/** A new inode lives on its directory's file system: a seeded directory's recorded device. */
export function onDeviceOf(dir: Inode): Inode['recorded'] {
  return dir.recorded?.dev !== undefined ? { dev: dir.recorded.dev } : undefined;
}

/** A superblock: its device number and inode number counter (get_next_ino order). */
export class SuperBlock {
  private nextIno: number;
  /** Generated file systems (proc, nsfs) cannot be written through the model. */
  readonly?: boolean;
  constructor(readonly dev: number, firstIno = 1) {
    this.nextIno = firstIno;
  }
  allocIno(): number {
    return this.nextIno++;
  }
}

export interface Times {
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

export class Inode implements Times {
  readonly ino: number;
  nlink: number;
  /** Regular file bytes: data[0, size). */
  data: Uint8Array = new Uint8Array(0);
  size = 0;
  /** Directory entries in creation order. */
  readonly entries: Map<string, Inode> | undefined;
  /** A directory's parent (its ".."); the root is its own parent. */
  parent: Inode | undefined;
  /** Symlink target. */
  target = '';
  /** Device number for character/block devices. */
  rdev = 0;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  /** A generated directory (/proc): entries come from lookups instead of `entries`. */
  proc: ProcDir | undefined;
  /** A magic link's object (/proc/PID/ns/*): following it gives this inode. */
  follow: (() => Inode) | undefined;
  /**
   * Attributes of a file seeded from a recording whose storage was another file system
   * (ext4, a host tmpfs, procfs): its device, block count, and the size of a directory (or of a
   * generated file that stats as 0 bytes yet reads some) as the recording showed them.
   */
  recorded: { dev?: number; size?: number; blocks?: number } | undefined;
  /** What an nsfs inode stands for (setns takes it). */
  ns: unknown;
  /** A kernfs file's or directory's operations (cgroupfs, src/cgroup/). */
  kernfs: KernfsFileOps | undefined;
  kernfsDir: KernfsDirOps | undefined;
  /** What a kernfs directory stands for (a cgroup: cgroup fds, CLONE_INTO_CGROUP). */
  kobj: unknown;

  /** `ino`: a fixed inode number (nsfs inodes carry their namespace's), else the superblock's next. */
  constructor(readonly sb: SuperBlock, public mode: number, public uid: number, public gid: number, nowNs: bigint, ino?: number) {
    this.ino = ino ?? sb.allocIno();
    this.nlink = this.isDir ? 2 : 1;
    this.entries = this.isDir ? new Map() : undefined;
    this.atimeNs = this.mtimeNs = this.ctimeNs = nowNs;
  }

  get type(): number {
    return this.mode & S_IFMT;
  }
  get isDir(): boolean {
    return (this.mode & S_IFMT) === S_IFDIR;
  }
  get isReg(): boolean {
    return (this.mode & S_IFMT) === S_IFREG;
  }
  get isLink(): boolean {
    return (this.mode & S_IFMT) === S_IFLNK;
  }
  get isFifo(): boolean {
    return (this.mode & S_IFMT) === S_IFIFO;
  }

  /** Replace a regular file's contents. */
  setData(bytes: Uint8Array): void {
    this.data = bytes.slice();
    this.size = bytes.length;
  }

  /** Resize (truncate/extend with zeros); capacity grows geometrically so appends stay cheap. */
  resize(n: number): void {
    if (n > this.data.length) {
      const d = new Uint8Array(Math.max(n, this.data.length * 2, 64));
      d.set(this.data.subarray(0, this.size));
      this.data = d;
    } else if (n < this.size) {
      this.data.fill(0, n, this.size);
    }
    this.size = n;
  }

  /** Bytes of a regular file (a copy). */
  contents(): Uint8Array {
    return this.data.slice(0, this.size);
  }

  /** st_blocks in 512-byte units, as tmpfs counts allocated pages. */
  get blocks(): number {
    if (this.isDir) return 0;
    return Math.ceil(this.size / 4096) * 8;
  }
}
