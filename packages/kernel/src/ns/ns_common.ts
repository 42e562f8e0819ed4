/**
 * What every namespace shares (include/linux/ns_common.h): a type, the inode
 * number /proc/PID/ns/<type> shows, and a reference count. Inode numbers come
 * from proc_alloc_inum (fs/proc/generic.c): an IDA, so the lowest free number
 * above PROC_DYNAMIC_FIRST is taken and a freed one is reused.
 */
export type NsType = 'mnt' | 'uts' | 'ipc' | 'pid' | 'net' | 'user' | 'cgroup' | 'time';

/** The initial namespaces' fixed inode numbers (include/uapi/linux/nsfs.h, enum init_ns_ino). */
export const NS_INIT_INO: Readonly<Record<NsType, number>> = {
  ipc: 0xefffffff,
  uts: 0xeffffffe,
  user: 0xeffffffd,
  pid: 0xeffffffc,
  cgroup: 0xeffffffb,
  time: 0xeffffffa,
  net: 0xeffffff9,
  mnt: 0xeffffff8,
};

/** First dynamically allocated proc inode number. */
export const PROC_DYNAMIC_FIRST = 0xf0000000;

/**
 * proc entries registered at boot take the first dynamic numbers; on the 6.18
 * machine this model was checked on, the first namespace created after boot got
 * 4026532173 = PROC_DYNAMIC_FIRST + 333. The figure depends on the kernel's
 * configuration; it is a modelled constant here (KernelWorldOptions.procInumsAtBoot).
 */
export const PROC_INUMS_AT_BOOT = 333;

/** st_dev of nsfs as stat(2) of /proc/self/ns/* reports it (the anonymous device 0:4). */
export const NSFS_DEV = 4;

/** proc_inum_ida: lowest free number first, so numbers are reused after a namespace dies. */
export class InumAllocator {
  private readonly used = new Set<number>();
  private lowestFree: number;
  constructor(atBoot = PROC_INUMS_AT_BOOT) {
    for (let i = 0; i < atBoot; i++) this.used.add(i);
    this.lowestFree = atBoot;
  }
  alloc(): number {
    let i = this.lowestFree;
    while (this.used.has(i)) i++;
    this.used.add(i);
    this.lowestFree = i + 1;
    return PROC_DYNAMIC_FIRST + i;
  }
  free(inum: number): void {
    const i = inum - PROC_DYNAMIC_FIRST;
    if (i < 0 || !this.used.delete(i)) return;
    if (i < this.lowestFree) this.lowestFree = i;
  }
}

/** A namespace: counted references (nsproxies, pids, open ns files); at zero its inode number is freed. */
export abstract class NsCommon {
  private refs = 0;
  constructor(readonly type: NsType, readonly inum: number, private readonly inums: InumAllocator | undefined) {}
  get(): this {
    this.refs++;
    return this;
  }
  put(): void {
    if (--this.refs === 0) {
      // The initial namespaces are never freed (inums undefined).
      this.inums?.free(this.inum);
      this.released();
    }
  }
  get refcount(): number {
    return this.refs;
  }
  /** Hook for a namespace that drops references of its own when freed. */
  protected released(): void {}
}
