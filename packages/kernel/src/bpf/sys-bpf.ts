/**
 * bpf(2) as a simulated process makes it: `union bpf_attr` read from the
 * caller's user memory (kernel/bpf/syscall.c __sys_bpf), keys and values
 * copied in and out through their user pointers. The map element commands are
 * decoded here; others are not modelled from user memory yet and are refused
 * with a typed error rather than a made-up result.
 */
import { BpfCmd, BpfsimError, Errno } from '@bpfsim/uapi';
import type { BpfSubsystem } from './bpf';

/** sizeof(union bpf_attr) (this machine's linux/bpf.h); a tail past it must be zero (E2BIG). */
const BPF_ATTR_SIZE = 144;
const PAGE_SIZE = 4096;
/** BPF_F_LOCK: the only flag map lookups accept. */
const BPF_F_LOCK = 4;

/** copy_from_user / copy_to_user of the calling process. */
export interface UserAccess {
  read(addr: bigint, n: number): Uint8Array | undefined;
  write(addr: bigint, data: Uint8Array): boolean;
}

export class BpfCmdUnmodelled extends BpfsimError {
  constructor(cmd: number) {
    super('SYSCALL_UNIMPLEMENTED', `bpf(${cmd}): this command is not modelled from user memory yet (map element commands are)`);
  }
}

/**
 * The elem commands' attr: map_fd u32 @0, key u64 @8, value/next_key u64 @16, flags u64 @24.
 * CHECK_ATTR's end per command (offsetofend of its *_LAST_FIELD): delete takes no value or flags,
 * get_next_key no flags.
 */
const LAST_FIELD_END: Readonly<Record<number, number>> = {
  [BpfCmd.MAP_LOOKUP_ELEM]: 32, [BpfCmd.MAP_UPDATE_ELEM]: 32, [BpfCmd.MAP_DELETE_ELEM]: 16,
  [BpfCmd.MAP_GET_NEXT_KEY]: 24, [BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM]: 32,
};

export function bpfFromUser(bpf: BpfSubsystem, cmd: number, attrAddr: bigint, size: number, user: UserAccess): number {
  if (size > PAGE_SIZE) return -Errno.E2BIG;
  if (size > BPF_ATTR_SIZE) {
    // bpf_check_uarg_tail_zero: bytes past the attr the kernel knows must be zero.
    const tail = user.read(attrAddr + BigInt(BPF_ATTR_SIZE), size - BPF_ATTR_SIZE);
    if (!tail) return -Errno.EFAULT;
    if (tail.some((b) => b !== 0)) return -Errno.E2BIG;
  }
  const n = Math.min(size, BPF_ATTR_SIZE);
  const attr = new Uint8Array(BPF_ATTR_SIZE);
  if (n > 0) {
    const got = user.read(attrAddr, n);
    if (!got) return -Errno.EFAULT;
    attr.set(got);
  }
  const dv = new DataView(attr.buffer);
  const end = LAST_FIELD_END[cmd];
  if (end === undefined) throw new BpfCmdUnmodelled(cmd);
  // CHECK_ATTR: every byte past the command's last field is zero.
  if (attr.subarray(end).some((b) => b !== 0)) return -Errno.EINVAL;
  const fd = dv.getInt32(0, true);
  const keyPtr = dv.getBigUint64(8, true);
  const valPtr = dv.getBigUint64(16, true);
  const flags = Number(dv.getBigUint64(24, true));
  if ((cmd === BpfCmd.MAP_LOOKUP_ELEM || cmd === BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM) && flags & ~BPF_F_LOCK) return -Errno.EINVAL;
  const map = bpf.mapByFd(fd);
  if (!map) return bpf.fdObject(fd) ? -Errno.EINVAL : -Errno.EBADF;
  // __bpf_copy_key: a map without keys takes no key pointer.
  let key: Uint8Array | null = null;
  if (map.keySize > 0) {
    if (cmd === BpfCmd.MAP_GET_NEXT_KEY && keyPtr === 0n) key = null;
    else {
      const k = user.read(keyPtr, map.keySize);
      if (!k) return -Errno.EFAULT;
      key = k;
    }
  } else if (keyPtr !== 0n) return -Errno.EINVAL;
  const out = (r: Uint8Array | number): number => {
    if (typeof r === 'number') return r;
    return user.write(valPtr, r) ? 0 : -Errno.EFAULT;
  };
  switch (cmd) {
    case BpfCmd.MAP_LOOKUP_ELEM: return out(bpf.mapLookupElem(fd, key, flags));
    case BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM: return out(bpf.mapLookupAndDeleteElem(fd, key, flags));
    case BpfCmd.MAP_GET_NEXT_KEY: return out(bpf.mapGetNextKey(fd, key));
    case BpfCmd.MAP_DELETE_ELEM: return bpf.mapDeleteElem(fd, key);
    default: {
      const value = user.read(valPtr, map.userValueSize);
      if (!value) return -Errno.EFAULT;
      return bpf.mapUpdateElem(fd, key, value, flags);
    }
  }
}
