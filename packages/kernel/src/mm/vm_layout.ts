/**
 * The user-visible address layout of a process when its placement is pinned
 * (strace replay): which page ranges are mapped, with what protection, at the
 * addresses the recorded kernel chose under ASLR. Simulated processes run no
 * code, so these mappings are bookkeeping (no bytes behind them); mmap,
 * munmap, mprotect and brk check and change them as mm/mmap.c and
 * mm/mprotect.c would. Addresses are numbers (user addresses are below 2^47).
 */
import { Errno } from '@bpfsim/uapi';

export const PAGE = 4096;
const pageUp = (n: number): number => Math.ceil(n / PAGE) * PAGE;

export interface LayoutVma {
  start: number;
  end: number;
  prot: number;
}

export class VmLayout {
  /** Mapped ranges, sorted by start, never overlapping. */
  readonly vmas: LayoutVma[] = [];
  /** Pinned: the addresses the next address-choosing mmaps return, in order. */
  readonly nextMmap: number[] = [];
  /** Pinned: where the heap starts (mm->start_brk); undefined while not pinned. */
  startBrk: number | undefined;
  brk = 0;

  /** Is placement pinned for this process (so mmap/brk use this layout)? */
  get active(): boolean {
    return this.nextMmap.length > 0 || this.startBrk !== undefined || this.vmas.length > 0;
  }

  /** Map [start, start+len): replaces what was there (MAP_FIXED semantics). */
  map(start: number, len: number, prot: number): void {
    this.unmap(start, len);
    const v: LayoutVma = { start, end: start + pageUp(len), prot };
    let i = 0;
    while (i < this.vmas.length && this.vmas[i].start < start) i++;
    this.vmas.splice(i, 0, v);
  }

  /** A mapping whose address the kernel chooses: the pinned next address, else the highest gap below the lowest mapping. */
  place(len: number, prot: number): number {
    const addr = this.nextMmap.shift() ?? this.fallbackAddr(len);
    this.map(addr, len, prot);
    return addr;
  }

  private fallbackAddr(len: number): number {
    const low = this.vmas.length ? Math.min(...this.vmas.map((v) => v.start)) : 0x7f00_0000_0000;
    return low - pageUp(len);
  }

  /** munmap: remove every page of the range (splitting mappings at its edges). */
  unmap(start: number, len: number): number {
    if (start % PAGE !== 0 || len <= 0) return -Errno.EINVAL;
    const end = start + pageUp(len);
    const out: LayoutVma[] = [];
    for (const v of this.vmas) {
      if (v.end <= start || v.start >= end) out.push(v);
      else {
        if (v.start < start) out.push({ start: v.start, end: start, prot: v.prot });
        if (v.end > end) out.push({ start: end, end: v.end, prot: v.prot });
      }
    }
    this.vmas.splice(0, this.vmas.length, ...out);
    return 0;
  }

  /** Is every page of [start, end) mapped? */
  covered(start: number, end: number): boolean {
    let at = start;
    for (const v of this.vmas) {
      if (v.end <= at) continue;
      if (v.start > at) return false;
      at = v.end;
      if (at >= end) return true;
    }
    return at >= end;
  }

  /** mprotect: ENOMEM unless the whole range is mapped (do_mprotect_pkey), then the pages take `prot`. */
  protect(start: number, len: number, prot: number): number {
    if (start % PAGE !== 0) return -Errno.EINVAL;
    if (len === 0) return 0;
    const end = start + pageUp(len);
    if (!this.covered(start, end)) return -Errno.ENOMEM;
    this.map(start, end - start, prot);
    return 0;
  }

  /** sys_brk over the pinned heap start: a request below start_brk leaves the break where it is. */
  setBrk(addr: number): number {
    if (this.startBrk === undefined) return this.brk;
    if (addr < this.startBrk) return this.brk;
    const oldEnd = pageUp(this.brk);
    const newEnd = pageUp(addr);
    if (newEnd > oldEnd && this.vmas.some((v) => v.start < newEnd && v.end > oldEnd)) return this.brk;
    this.brk = addr;
    return addr;
  }

  copy(): VmLayout {
    const n = new VmLayout();
    for (const v of this.vmas) n.vmas.push({ ...v });
    n.startBrk = this.startBrk;
    n.brk = this.brk;
    return n;
  }
}
