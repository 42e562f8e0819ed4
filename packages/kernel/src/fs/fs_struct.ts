/**
 * struct fs_struct: a task's root and working directory and its umask; shared
 * by CLONE_FS, copied by fork.
 */
import type { Inode } from './inode';

export class FsStruct {
  users = 1;
  constructor(public root: Inode, public pwd: Inode, public umask = 0o022) {}
  copy(): FsStruct {
    return new FsStruct(this.root, this.pwd, this.umask);
  }
}
