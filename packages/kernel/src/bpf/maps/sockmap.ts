/**
 * SOCKMAP (net/core/sock_map.c, struct bpf_stab): an array of max_entries
 * socket slots with 4-byte keys. Update: a key past max_entries is E2BIG
 * (after the socket checks), NOEXIST/EXIST are honoured, the same socket may
 * sit in several slots. Delete: a key out of range and an empty slot are both
 * EINVAL. get_next_key walks 0..max_entries-1 whether a slot is filled or
 * not (a missing or out-of-range key restarts at 0).
 */
import { Errno } from '@bpfsim/uapi';
import type { ErrnoResult, MapAttr, MapContext } from './map';
import { BPF_EXIST, BPF_NOEXIST } from './flags';
import { type MapTypeDef, le32, arrayIndex, arrayNextKey } from './base';
import { type SockRef, SockMapBase, sockMapCheck } from './sock-map-base';

export class SockMapArray extends SockMapBase {
  /** Filled slots by index (an empty slot has no entry). */
  private readonly slots = new Map<number, SockRef>();

  constructor(attr: MapAttr, ctx: MapContext) {
    super(attr, ctx);
  }

  sockAt(key: Uint8Array): SockRef | undefined {
    return this.slots.get(le32(key));
  }

  protected store(key: Uint8Array, sock: SockRef, flags: number): ErrnoResult {
    const i = le32(key);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    const old = this.slots.get(i);
    if (old && flags === BPF_NOEXIST) return -Errno.EEXIST;
    if (!old && flags === BPF_EXIST) return -Errno.ENOENT;
    this.slots.set(i, sock);
    return 0;
  }

  protected override sysDelete(key: Uint8Array | null): ErrnoResult {
    if (!key) return -Errno.EINVAL;
    const i = le32(key);
    if (i >= this.maxEntries || !this.slots.delete(i)) return -Errno.EINVAL;
    return 0;
  }

  protected override sysGetNextKey(key: Uint8Array | null): Uint8Array | ErrnoResult {
    return arrayNextKey(arrayIndex(key), this.maxEntries);
  }
}

export const sockmapType: MapTypeDef = {
  check(attr) {
    if (attr.keySize !== 4) return -Errno.EINVAL;
    return sockMapCheck(attr);
  },
  create: (attr, ctx) => new SockMapArray(attr, ctx),
};
