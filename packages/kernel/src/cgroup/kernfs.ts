/**
 * kernfs (fs/kernfs/) as cgroupfs uses it: node ids and the inodes that stand
 * for cgroup directories and interface files. Every kernfs node — a cgroup's
 * directory and each of its files — takes the next id of the root's cyclic
 * idr (kernfs_new_node → idr_alloc_cyclic from 1), so ids are never reused and
 * a cgroup's id (cgroup_id(), what bpf_get_current_cgroup_id reports) is the
 * id its directory got: the root's is 1, and each mkdir skips the ids its
 * parent's and siblings' files took. The id is also the inode number.
 */
import { Inode, SuperBlock, S_IFDIR, S_IFREG, type KernfsDirOps, type KernfsFileOps } from '../fs/inode';

/** st_dev of the cgroup2 mount (0:37 on the 6.18 machine the facts were taken from; it depends on boot order). */
export const CGROUP2_DEV = 37;
/** statfs f_type of cgroup2. */
export const CGROUP2_SUPER_MAGIC = 0x63677270;

export class KernfsRoot {
  readonly sb = new SuperBlock(CGROUP2_DEV, 1);
  private nextId = 1;

  constructor(private readonly now: () => bigint) {}

  /** The next node id (kernfs_node->id; 64-bit ids never wrap here). */
  allocId(): number {
    return this.nextId++;
  }

  /** A directory node (mode as given; kernfs directories stat with size 0). */
  dir(mode: number, ops: KernfsDirOps, parent: Inode | undefined, kobj: unknown): Inode {
    const d = new Inode(this.sb, S_IFDIR | mode, 0, 0, this.now(), this.allocId());
    d.kernfsDir = ops;
    d.kobj = kobj;
    d.parent = parent ?? d;
    d.recorded = { size: 0, blocks: 0 };
    return d;
  }

  /** A file node; `ops` undefined: a file the kernel makes that bpfsim does not model (its id is still taken). */
  file(dir: Inode, name: string, mode: number, ops: KernfsFileOps | undefined): void {
    const id = this.allocId();
    if (!ops) return;
    const f = new Inode(this.sb, S_IFREG | mode, 0, 0, this.now(), id);
    f.kernfs = ops;
    dir.entries!.set(name, f);
  }
}
