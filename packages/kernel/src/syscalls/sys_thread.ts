/**
 * Per-thread set-up the C library makes at start: arch_prctl (arch/x86/kernel/process_64.c),
 * set_tid_address (kernel/fork.c), set_robust_list (kernel/futex/syscalls.c) and rseq
 * (kernel/rseq.c). Simulated threads run no code, so the registered addresses are only kept.
 */
import { Errno } from '@bpfsim/uapi';
import { toUser, type SysHandler } from './context';

const ARCH = { SET_GS: 0x1001, SET_FS: 0x1002, GET_FS: 0x1003, GET_GS: 0x1004, GET_CPUID: 0x1011, SET_CPUID: 0x1012 } as const;
/** TASK_SIZE_MAX of 4-level paging: FS/GS bases must be below it. */
const TASK_SIZE_MAX = 0x7fff_ffff_f000;
/** sizeof(struct robust_list_head) on x86-64. */
const ROBUST_LIST_HEAD_SIZE = 24;
/** ORIG_RSEQ_SIZE: the first struct rseq layout (32 bytes). */
const ORIG_RSEQ_SIZE = 32;
const RSEQ_FLAG_UNREGISTER = 1;

const le64 = (v: number): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
  return b;
};

export const threadSyscalls: Record<string, SysHandler> = {
  arch_prctl: (c, a) => {
    const t = c.t;
    switch (a[0]) {
      case ARCH.SET_FS:
      case ARCH.SET_GS:
        if (a[1] >= TASK_SIZE_MAX) return -Errno.EPERM;
        if (a[0] === ARCH.SET_FS) t.fsBase = a[1];
        else t.gsBase = a[1];
        return 0;
      case ARCH.GET_FS:
        return toUser(c, a[1], le64(t.fsBase));
      case ARCH.GET_GS:
        return toUser(c, a[1], le64(t.gsBase));
      case ARCH.GET_CPUID:
        return 1;
      case ARCH.SET_CPUID:
        return 0;
      default:
        return -Errno.EINVAL;
    }
  },
  set_tid_address: (c, a) => {
    c.t.clearChildTid = BigInt(a[0]);
    return c.t.pidIn(c.t.pidNamespace);
  },
  set_robust_list: (c, a) => {
    if (a[1] !== ROBUST_LIST_HEAD_SIZE) return -Errno.EINVAL;
    c.t.robustList = a[0];
    return 0;
  },
  rseq: (c, a) => {
    const [addr, len, flags] = a;
    if (flags & RSEQ_FLAG_UNREGISTER) {
      if (flags & ~RSEQ_FLAG_UNREGISTER) return -Errno.EINVAL;
      if (c.t.rseq === 0 || c.t.rseq !== addr) return -Errno.EINVAL;
      c.t.rseq = 0;
      return 0;
    }
    if (flags) return -Errno.EINVAL;
    if (c.t.rseq) return c.t.rseq === addr ? -Errno.EBUSY : -Errno.EINVAL;
    // rseq_len is ORIG_RSEQ_SIZE (32-byte aligned) or at least the extended size (64-byte aligned).
    if (len === ORIG_RSEQ_SIZE ? addr % 32 !== 0 : len < ORIG_RSEQ_SIZE || addr % 64 !== 0) return -Errno.EINVAL;
    c.t.rseq = addr;
    return 0;
  },
};
