/**
 * XSKMAP (net/xdp/xskmap.c): slots hold AF_XDP sockets given by fd
 * (ctx.resolveFd(fd, 'xsk'); anything else is EOPNOTSUPP). NOEXIST/EXIST are
 * honoured, a key past max_entries is E2BIG, delete always succeeds in range,
 * user-space lookups are EOPNOTSUPP. Array-like iteration.
 */
import { Errno } from '@bpfsim/uapi';
import type { ErrnoResult, MapAttr, MapContext } from './map';
import { BPF_EXIST, BPF_NOEXIST, MapFlag } from './flags';
import { type MapTypeDef, le32, putLe32 } from './base';
import { RedirectMapBase } from './redirect-base';

export class XskMap extends RedirectMapBase {

  constructor(attr: MapAttr, ctx: MapContext) {
    super(attr, ctx);
  }


  protected override sysLookup(): Uint8Array | ErrnoResult {
    return -Errno.EOPNOTSUPP;
  }

  protected override sysUpdate(key: Uint8Array | null, value: Uint8Array, flags: number): ErrnoResult {
    if (flags > BPF_EXIST) return -Errno.EINVAL;
    const k = this.keyOf(key);
    if (k < 0 || k >= this.maxEntries) return -Errno.E2BIG;
    if (!this.resolveFd) return -Errno.EBADF;
    const sock = this.resolveFd(le32(value), 'xsk');
    if (typeof sock === 'number') return sock === -Errno.EINVAL ? -Errno.EOPNOTSUPP : sock;
    const old = this.entries.get(k);
    if (old && flags === BPF_NOEXIST) return -Errno.EEXIST;
    if (!old && flags === BPF_EXIST) return -Errno.ENOENT;
    const v = new Uint8Array(4);
    putLe32(v, sock.id);
    this.entries.set(k, { value: v, ref: sock });
    this.publish(k, v);
    return 0;
  }

  protected override sysDelete(key: Uint8Array | null): ErrnoResult {
    return this.arrayDelete(key);
  }

  protected override sysGetNextKey(key: Uint8Array | null): Uint8Array | ErrnoResult {
    return this.arrayNextKey(key);
  }
}

export const xskmapType: MapTypeDef = {
  check(attr) {
    if (attr.maxEntries === 0 || attr.keySize !== 4 || attr.valueSize !== 4 ||
      (attr.flags ?? 0) & ~(MapFlag.NUMA_NODE | MapFlag.RDONLY | MapFlag.WRONLY)) return -Errno.EINVAL;
    return 0;
  },
  create: (attr, ctx) => new XskMap(attr, ctx),
};
