/**
 * bpf(2) made by a simulated process: the attr and its buffers come from the
 * caller's user memory; the bpf object model behind it is the kernel's
 * (World.bpf, set by the Kernel), the same one libbpf-style loads use.
 */
import { Errno } from '@bpfsim/uapi';
import type { SysHandler } from './context';

const bpf: SysHandler = (c, a) => {
  const entry = c.w.bpf;
  if (!entry) return -Errno.ENOSYS;
  const mm = c.t.mm;
  return entry(a[0] | 0, BigInt.asUintN(64, BigInt(a[1])), a[2] >>> 0, {
    read: (addr, n) => mm?.copyFromUser(addr, n) ?? undefined,
    write: (addr, data) => mm?.copyToUser(addr, data) ?? false,
  });
};

export const bpfSyscalls: Record<string, SysHandler> = { bpf };
