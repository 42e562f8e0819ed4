/**
 * The mount namespace (fs/namespace.c). bpfsim has one in-memory file system
 * and, this far, one mount per namespace: a new namespace (copy_mnt_ns) gets a
 * copy of the mount tree, i.e. the same root, so files stay shared as they are
 * in Linux, where the copied mounts point at the same superblocks.
 */
import type { Inode } from '../fs/inode';
import { InumAllocator, NS_INIT_INO, NsCommon } from './ns_common';

export class MntNamespace extends NsCommon {
  constructor(readonly root: Inode, inums: InumAllocator | undefined) {
    super('mnt', inums ? inums.alloc() : NS_INIT_INO.mnt, inums);
  }
  static initial(root: Inode): MntNamespace {
    return new MntNamespace(root, undefined);
  }
  clone(inums: InumAllocator): MntNamespace {
    return new MntNamespace(this.root, inums);
  }
}
