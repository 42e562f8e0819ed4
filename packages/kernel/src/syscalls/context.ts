/**
 * What a syscall handler gets: the world, the calling task, its arguments as
 * register values (numbers; pointers are user addresses), and user-memory
 * access that fails with EFAULT as copy_from_user does.
 */
import { utf8Encode } from '../kernel/utf8';
import { Errno } from '@bpfsim/uapi';
import type { World } from '../kernel/world';
import { BLOCK, type TaskStruct } from '../kernel/task_struct';
import { PATH_MAX } from '../fs/namei';

export type SysRet = number | typeof BLOCK;
export type SysHandler = (c: SysCtx, a: readonly number[]) => SysRet;

export interface SysCtx {
  readonly w: World;
  readonly t: TaskStruct;
  /** A task the call created (fork/clone), for the caller. */
  child?: TaskStruct;
}

/** copy_from_user. */
export function fromUser(c: SysCtx, addr: number, n: number): Uint8Array | number {
  if (n === 0) return new Uint8Array(0);
  const b = c.t.mm?.copyFromUser(BigInt(addr), n);
  return b ?? -Errno.EFAULT;
}

/** copy_to_user: 0 or -EFAULT. */
export function toUser(c: SysCtx, addr: number, data: Uint8Array): number {
  return c.t.mm?.copyToUser(BigInt(addr), data) ? 0 : -Errno.EFAULT;
}

/** getname: a path argument (EFAULT, ENAMETOOLONG past PATH_MAX). */
export function pathArg(c: SysCtx, addr: number): string | number {
  if (!c.t.mm || addr === 0) return -Errno.EFAULT;
  return c.t.mm.strFromUser(BigInt(addr), PATH_MAX);
}

/** A NULL-terminated char*[] (argv, envp) of byte strings; E2BIG past the kernel's limits. */
export function strArray(c: SysCtx, addr: number, maxTotal = 32 * 4096 * 32): Uint8Array[] | number {
  const out: Uint8Array[] = [];
  if (addr === 0) return out;
  let total = 0;
  for (let i = 0; ; i++) {
    const p = fromUser(c, addr + i * 8, 8);
    if (typeof p === 'number') return p;
    const ptr = new DataView(p.buffer).getBigUint64(0, true);
    if (ptr === 0n) return out;
    const s = c.t.mm!.strFromUser(ptr, 32 * 4096);
    if (typeof s === 'number') return s === -Errno.ENAMETOOLONG ? -Errno.E2BIG : s;
    const b = utf8Encode(s);
    total += b.length + 1 + 8;
    if (total > maxTotal) return -Errno.E2BIG;
    out.push(b);
  }
}

export const i32 = (v: number): number => v | 0;
export const u32 = (v: number): number => v >>> 0;
export const le32 = (v: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
};
