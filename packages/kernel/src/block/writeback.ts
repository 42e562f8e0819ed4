/**
 * Dirty data and its writeback (mm/page-writeback.c, fs/sync.c, as far as the block layer sees it):
 * writes to files of the root file system dirty their pages; fsync/fdatasync of a file, or sync(2)
 * for all files, turns the dirty pages into write requests on the disk — one request per run of
 * consecutive dirty pages, REQ_SYNC — and the caller waits until they complete (the sleep is the
 * caller's time passing, as the model's other sleeps). Where a file's blocks are is a fixed, simple
 * placement: inode N's page P is at sector 2048 * (N + 1) + 8 * P (1 MiB per inode). There is no
 * background writeback (dirty_expire), no journal and no read I/O (every file is in the page cache).
 */
import type { Inode } from '../fs/inode';
import type { TaskStruct } from '../kernel/task_struct';
import { REQ_SYNC, type BlkRequest, type BlockDevice } from './blk-mq';

const PAGE = 4096;
/** Requests are split at max_sectors_kb (1280 KiB on virtio-blk): 320 pages. */
const MAX_PAGES_PER_REQ = 320;

export class Writeback {
  /** Dirty page numbers per inode, in the order inodes were first dirtied. */
  private readonly dirty = new Map<Inode, Set<number>>();

  constructor(readonly disk: BlockDevice) {}

  /** A write of [pos, pos + len) to `ino` dirtied its pages. */
  markDirty(ino: Inode, pos: number, len: number): void {
    if (len <= 0) return;
    let s = this.dirty.get(ino);
    if (!s) this.dirty.set(ino, (s = new Set()));
    for (let p = Math.floor(pos / PAGE); p <= Math.floor((pos + len - 1) / PAGE); p++) s.add(p);
  }

  /** Pages of `ino` waiting for writeback. */
  dirtyPages(ino: Inode): number {
    return this.dirty.get(ino)?.size ?? 0;
  }

  /** Write back `ino`'s dirty pages (fsync): the requests submitted, in sector order. */
  flushInode(ino: Inode, task: TaskStruct, cpu: number): BlkRequest[] {
    const s = this.dirty.get(ino);
    if (!s || s.size === 0) return [];
    this.dirty.delete(ino);
    const pages = [...s].sort((a, b) => a - b);
    const out: BlkRequest[] = [];
    for (let i = 0; i < pages.length; ) {
      let j = i + 1;
      while (j < pages.length && pages[j] === pages[j - 1] + 1 && j - i < MAX_PAGES_PER_REQ) j++;
      const sector = BigInt(2048 * (ino.ino + 1) + 8 * pages[i]);
      out.push(this.disk.submit('write', sector, (j - i) * PAGE, REQ_SYNC, task, cpu));
      i = j;
    }
    return out;
  }

  /** sync(2): every dirty file, in the order they were dirtied. */
  flushAll(task: TaskStruct, cpu: number): BlkRequest[] {
    const out: BlkRequest[] = [];
    for (const ino of [...this.dirty.keys()]) out.push(...this.flushInode(ino, task, cpu));
    return out;
  }
}

/** The caller sleeps until `reqs` completed: it leaves its CPU, time passes to each completion, it wakes. */
export function waitForIo(reqs: readonly BlkRequest[], clock: { advanceTo(ns: bigint): void }, sleep: () => void, wake: () => void): void {
  if (!reqs.length) return;
  sleep();
  for (const r of reqs) {
    while (r.completeNs === undefined) {
      const at = r.disk.completionAt;
      if (at === undefined) throw new Error('block: a request neither completed nor in service');
      clock.advanceTo(at);
    }
  }
  wake();
}
