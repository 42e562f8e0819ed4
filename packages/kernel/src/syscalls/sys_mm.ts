/**
 * brk, anonymous mmap and munmap (mm/mmap.c) over the process's VMAs
 * (mm/mm_struct.ts). File mappings are not modelled yet.
 */
import { Errno } from '@bpfsim/uapi';
import type { SysHandler } from './context';

const PROT_MASK = 0x7;
const MAP = { SHARED: 0x01, PRIVATE: 0x02, FIXED: 0x10, ANONYMOUS: 0x20 } as const;

export const mmSyscalls: Record<string, SysHandler> = {
  brk: (c, a) => (c.t.mm ? Number(c.t.mm.setBrk(BigInt(a[0]))) : -Errno.ENOMEM),
  mmap: (c, a) => {
    const [addr, len, prot, flags] = a;
    if (!c.t.mm) return -Errno.ENOMEM;
    if (prot & ~PROT_MASK & 0xff) return -Errno.EINVAL;
    if (!(flags & MAP.ANONYMOUS)) return -Errno.ENODEV; // file mappings: not modelled yet
    if ((flags & (MAP.SHARED | MAP.PRIVATE)) === 0) return -Errno.EINVAL;
    if (flags & MAP.FIXED || addr) return -Errno.EINVAL; // placement hints: not modelled (docs/kernel.md)
    const r = c.t.mm.mmapAnon(len);
    return typeof r === 'bigint' ? Number(r) : r;
  },
  munmap: (c, a) => (c.t.mm ? c.t.mm.munmap(BigInt(a[0]), a[1]) : -Errno.EINVAL),
};
