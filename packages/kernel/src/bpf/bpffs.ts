/**
 * A simulated /sys/fs/bpf: paths to pinned objects (BPF_OBJ_PIN / BPF_OBJ_GET).
 * Directories are implicit in bpfsim except the mount point itself: a pin needs
 * its parent directory to exist (mkdir()), as on a real bpffs.
 */
import { Errno } from '@bpfsim/uapi';

export const BPFFS_ROOT = '/sys/fs/bpf';

export class BpfFs<T> {
  private readonly pins = new Map<string, T>();
  private readonly dirs = new Set<string>([BPFFS_ROOT]);

  /** Normalised absolute path inside the mount, or a negative errno. */
  private resolve(path: string): string | number {
    if (!path.startsWith('/')) return -Errno.EINVAL;
    const parts: string[] = [];
    for (const p of path.split('/')) {
      if (p === '' || p === '.') continue;
      if (p === '..') parts.pop();
      else if (p.length > 255) return -Errno.ENAMETOOLONG;
      else parts.push(p);
    }
    const norm = '/' + parts.join('/');
    // Outside a bpf filesystem: the kernel's bpf_obj_do_pin says EPERM for another fs type.
    if (norm !== BPFFS_ROOT && !norm.startsWith(BPFFS_ROOT + '/')) return -Errno.EPERM;
    return norm;
  }

  private parent(p: string): string {
    return p.slice(0, p.lastIndexOf('/')) || '/';
  }

  mkdir(path: string): number {
    const p = this.resolve(path);
    if (typeof p === 'number') return p;
    if (this.dirs.has(p) || this.pins.has(p)) return -Errno.EEXIST;
    if (!this.dirs.has(this.parent(p))) return -Errno.ENOENT;
    this.dirs.add(p);
    return 0;
  }

  pin(path: string, obj: T): number {
    const p = this.resolve(path);
    if (typeof p === 'number') return p;
    if (this.dirs.has(p) || this.pins.has(p)) return -Errno.EEXIST;
    if (!this.dirs.has(this.parent(p))) return -Errno.ENOENT;
    this.pins.set(p, obj);
    return 0;
  }

  get(path: string): T | number {
    const p = this.resolve(path);
    if (typeof p === 'number') return p;
    const o = this.pins.get(p);
    if (o === undefined) return this.dirs.has(p) ? -Errno.EPERM : -Errno.ENOENT;
    return o;
  }

  /** unlink(2) of a pin or an empty directory. */
  unlink(path: string): number {
    const p = this.resolve(path);
    if (typeof p === 'number') return p;
    if (this.pins.delete(p)) return 0;
    if (this.dirs.has(p) && p !== BPFFS_ROOT) {
      const prefix = p + '/';
      for (const k of [...this.pins.keys(), ...this.dirs]) if (k.startsWith(prefix)) return -Errno.ENOTEMPTY;
      this.dirs.delete(p);
      return 0;
    }
    return -Errno.ENOENT;
  }

  /** Pinned paths, sorted. */
  list(): string[] {
    return [...this.pins.keys()].sort();
  }
}
