/**
 * bpf_get_stack / bpf_get_stackid over the current task's simulated stacks
 * (kernel/task.ts). Stack ids follow kernel/bpf/stackmap.c: jhash2 of the ips
 * masked to the bucket count; a different stack in the bucket is -EEXIST
 * unless BPF_F_REUSE_STACKID.
 */
import { Errno } from '@bpfsim/uapi';
import { jhash2 } from '../maps/jhash';
import { mapAt } from './mem';
import { neg, type HelperArea, type RunEnv } from './types';

const SKIP_MASK = 0xffn;
const BPF_F_USER_STACK = 1n << 8n;
const BPF_F_FAST_STACK_CMP = 1n << 9n;
const BPF_F_REUSE_STACKID = 1n << 10n;
const BPF_F_USER_BUILD_ID = 1n << 11n;

/** A stack trace map that can hold traces written by programs (the stack map type provides it). */
export interface StackStore {
  storedStack(id: number): bigint[] | undefined;
  storeStack(id: number, ips: bigint[]): void;
}

function ipsOf(env: RunEnv, flags: bigint): bigint[] {
  const t = env.kernel.current;
  return flags & BPF_F_USER_STACK ? t.userStack : t.kernelStack;
}

function ipsBytes(ips: bigint[]): Uint8Array {
  const b = new Uint8Array(ips.length * 8);
  const dv = new DataView(b.buffer);
  ips.forEach((ip, i) => dv.setBigUint64(i * 8, ip, true));
  return b;
}

export const stackHelpers: HelperArea = {
  bpf_get_stack(env, call, _ctx, buf, size, flags) {
    const n = Number(size & 0xffffffffn);
    const clear = (e: number): bigint => {
      if (n) call.mem.write(buf, new Uint8Array(n));
      return neg(e);
    };
    if (flags & ~(SKIP_MASK | BPF_F_USER_STACK | BPF_F_USER_BUILD_ID)) return clear(Errno.EINVAL);
    if (flags & BPF_F_USER_BUILD_ID) return clear(Errno.EINVAL); // no build ids in bpfsim
    if (n % 8) return clear(Errno.EINVAL);
    const skip = Number(flags & SKIP_MASK);
    const ips = ipsOf(env, flags);
    if (skip >= ips.length) return clear(Errno.EFAULT);
    const take = ips.slice(skip, skip + n / 8);
    const out = new Uint8Array(n);
    out.set(ipsBytes(take));
    call.mem.write(buf, out);
    return BigInt(take.length * 8);
  },
  bpf_get_stackid(env, call, _ctx, m, flags) {
    if (flags & ~(SKIP_MASK | BPF_F_USER_STACK | BPF_F_FAST_STACK_CMP | BPF_F_REUSE_STACKID)) return neg(Errno.EINVAL);
    const map = mapAt(call.mem, m);
    const skip = Number(flags & SKIP_MASK);
    const maxDepth = Math.floor(map.valueSize / 8);
    const ips = ipsOf(env, flags).slice(skip, skip + maxDepth);
    if (ips.length === 0) return neg(Errno.EFAULT);
    let buckets = 1;
    while (buckets < map.maxEntries) buckets *= 2;
    const id = jhash2(ipsBytes(ips), 0) & (buckets - 1);
    const store = map as unknown as Partial<StackStore>;
    if (!store.storeStack || !store.storedStack) return neg(Errno.EINVAL);
    const old = store.storedStack(id);
    if (old && !(old.length === ips.length && old.every((v, i) => v === ips[i]))) {
      if (!(flags & BPF_F_REUSE_STACKID)) return neg(Errno.EEXIST);
    }
    store.storeStack(id, ips);
    return BigInt(id);
  },
};
