/**
 * brk, mmap, munmap and mprotect (mm/mmap.c, mm/mprotect.c). Without pinned
 * placement, anonymous mappings are real regions of the process's memory
 * (mm/mm_struct.ts). With placement pinned (strace replay, mm/vm_layout.ts),
 * or for file and MAP_FIXED mappings, the mapping is address bookkeeping:
 * the address the recording chose, checked as do_mmap checks its arguments.
 */
import { Errno } from '@bpfsim/uapi';
import type { SysCtx, SysHandler } from './context';
import { O } from '../fs/file';
import { memcgCharge, memcgRecordMap, memcgUncharge, memcgUnmap } from '../cgroup/memcontrol';

const PROT_MASK = 0x7;
const PROT_WRITE = 0x2;
const MAP = { SHARED: 0x01, PRIVATE: 0x02, SHARED_VALIDATE: 0x03, TYPE: 0x0f, FIXED: 0x10, ANONYMOUS: 0x20, FIXED_NOREPLACE: 0x100000 } as const;
const PAGE = 4096;
/** TASK_SIZE of a 4-level x86-64 address space. */
const TASK_SIZE = 0x7fff_ffff_f000;

function layoutMmap(c: SysCtx, addr: number, len: number, prot: number, flags: number, fd: number, off: number): number {
  const mm = c.t.mm!;
  if (off % PAGE !== 0) return -Errno.EINVAL;
  if (len === 0) return -Errno.EINVAL;
  const rounded = Math.ceil(len / PAGE) * PAGE;
  if (rounded > TASK_SIZE) return -Errno.ENOMEM;
  if (!(flags & MAP.ANONYMOUS)) {
    const f = c.t.files.get(fd);
    if (!f) return -Errno.EBADF;
    // Only regular files (and devices, not modelled) have an mmap operation.
    if (f.pipe || !f.inode.isReg) return -Errno.ENODEV;
    if (!f.readable) return -Errno.EACCES;
    if ((flags & MAP.TYPE) !== MAP.PRIVATE && prot & PROT_WRITE && (f.flags & O.ACCMODE) !== O.RDWR) return -Errno.EACCES;
  }
  if (flags & (MAP.FIXED | MAP.FIXED_NOREPLACE)) {
    if (addr % PAGE !== 0) return -Errno.EINVAL;
    if (flags & MAP.FIXED_NOREPLACE && !(flags & MAP.FIXED) && !mm.layout.covered(addr, addr) && mm.layout.vmas.some((v) => v.start < addr + rounded && v.end > addr)) return -Errno.EEXIST;
    mm.layout.map(addr, len, prot);
    return addr;
  }
  return mm.layout.place(len, prot);
}

export const mmSyscalls: Record<string, SysHandler> = {
  brk: (c, a) => {
    const mm = c.t.mm;
    if (!mm) return -Errno.ENOMEM;
    const pinned = mm.layout.startBrk !== undefined;
    const set = (x: number): number => (pinned ? mm.layout.setBrk(x) : Number(mm.setBrk(BigInt(x))));
    const heapPages = (): number => Math.ceil(pinned ? (mm.layout.brk - mm.layout.startBrk!) / PAGE : Number(mm.brk - mm.startBrk) / PAGE);
    const oldBrk = pinned ? mm.layout.brk : Number(mm.brk);
    const before = heapPages();
    const r = set(a[0]);
    // The memory controller charges heap growth in pages (cgroup/memcontrol.ts); a refused charge leaves the break.
    const delta = heapPages() - before;
    if (delta > 0 && memcgCharge(c.t, delta) < 0) return c.t.mm === mm ? set(oldBrk) : oldBrk;
    if (delta < 0) memcgUncharge(mm, -delta);
    return r;
  },
  mmap: (c, a) => {
    const [addr, len, prot, flags, fd, off] = a;
    if (!c.t.mm) return -Errno.ENOMEM;
    if (prot & ~PROT_MASK & 0xff) return -Errno.EINVAL;
    const type = flags & MAP.TYPE;
    if (type !== MAP.SHARED && type !== MAP.PRIVATE && type !== MAP.SHARED_VALIDATE) return -Errno.EINVAL;
    const mm = c.t.mm;
    const placed = mm.layout.active || !(flags & MAP.ANONYMOUS) || flags & MAP.FIXED || addr;
    let r: number;
    if (placed) r = layoutMmap(c, addr, len, prot, flags, fd | 0, off);
    else {
      const m = mm.mmapAnon(len);
      r = typeof m === 'bigint' ? Number(m) : m;
    }
    // Anonymous memory is charged to the memory controller once mapped (cgroup/memcontrol.ts); a refused
    // charge unmaps it again (unless the OOM killer took the caller, and its mm with it).
    const pages = flags & MAP.ANONYMOUS && !(r < 0 && r > -4096) ? Math.ceil(len / PAGE) : 0;
    if (!pages) return r;
    if (memcgCharge(c.t, pages) < 0) {
      if (c.t.mm === mm) {
        if (placed) mm.layout.unmap(r, len);
        else mm.munmap(BigInt(r), Math.ceil(len / PAGE) * PAGE);
      }
      return -Errno.ENOMEM;
    }
    memcgRecordMap(mm, r, pages);
    return r;
  },
  munmap: (c, a) => {
    if (!c.t.mm) return -Errno.EINVAL;
    if (a[0] % PAGE !== 0 || a[1] <= 0) return -Errno.EINVAL;
    c.t.mm.layout.unmap(a[0], a[1]);
    memcgUnmap(c.t.mm, a[0], a[1]);
    return c.t.mm.munmap(BigInt(a[0]), a[1]);
  },
  mprotect: (c, a) => {
    const [start, len, prot] = a;
    if (!c.t.mm) return -Errno.ENOMEM;
    if (start % PAGE !== 0) return -Errno.EINVAL;
    if (prot & ~(PROT_MASK | 0x0100_0000 | 0x0200_0000)) return -Errno.EINVAL;
    if (len === 0) return 0;
    const r = c.t.mm.layout.protect(start, len, prot);
    if (r !== -Errno.ENOMEM) return r;
    // A real region of the model's own memory (unpinned placement).
    return c.t.mm.vmas.some((v) => start >= v.lo && start + len <= v.lo + v.size) ? 0 : -Errno.ENOMEM;
  },
};
