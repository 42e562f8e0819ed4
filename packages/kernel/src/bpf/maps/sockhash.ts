/**
 * SOCKHASH (net/core/sock_map.c, struct bpf_shtab): sockets under keys of any
 * size up to MAX_BPF_STACK. Buckets are jhash(key, key_size, 0) & (n - 1)
 * with n = roundup_pow_of_two(max_entries) (the seed is always 0, so the
 * kernel's order is reproducible); a bucket lists its elements newest first,
 * and replacing a key's socket moves it to the head of its bucket.
 * get_next_key: the next element in the key's bucket, else the first element
 * of the next non-empty bucket (a missing key restarts from bucket 0). A new
 * key in a full map is E2BIG; delete of a missing key is ENOENT.
 */
import { Errno } from '@bpfsim/uapi';
import type { ErrnoResult, MapAttr, MapContext } from './map';
import { BPF_EXIST, BPF_NOEXIST } from './flags';
import { MAX_BPF_STACK, type MapTypeDef, bytesEqual, roundupPow2 } from './base';
import { jhash } from './jhash';
import { type SockRef, SockMapBase, sockMapCheck } from './sock-map-base';

/** sizeof(struct bpf_shtab_bucket) on x86_64: buckets_num above U32_MAX / 16 is EINVAL (measured: max_entries 2^28 fails). */
const BUCKET_BYTES = 16;

interface Elem {
  key: Uint8Array;
  sock: SockRef;
}

export class SockHash extends SockMapBase {
  private readonly nBuckets: number;
  /** bucket index -> elements, newest first. Only non-empty buckets are present. */
  private readonly buckets = new Map<number, Elem[]>();
  private count = 0;

  constructor(attr: MapAttr, ctx: MapContext) {
    super(attr, ctx);
    this.nBuckets = roundupPow2(attr.maxEntries);
  }

  private bucketOf(key: Uint8Array): number {
    return jhash(key, 0, 0, this.keySize) & (this.nBuckets - 1);
  }

  private find(key: Uint8Array): { b: number; list: Elem[] | undefined; i: number } {
    const b = this.bucketOf(key);
    const list = this.buckets.get(b);
    const i = list ? list.findIndex((e) => bytesEqual(e.key, 0, key, 0, this.keySize)) : -1;
    return { b, list, i };
  }

  sockAt(key: Uint8Array): SockRef | undefined {
    const { list, i } = this.find(key);
    return list && i >= 0 ? list[i].sock : undefined;
  }

  protected store(key: Uint8Array, sock: SockRef, flags: number): ErrnoResult {
    const { b, list, i } = this.find(key);
    const old = i >= 0;
    if (old && flags === BPF_NOEXIST) return -Errno.EEXIST;
    if (!old && flags === BPF_EXIST) return -Errno.ENOENT;
    if (!old && this.count >= this.maxEntries) return -Errno.E2BIG;
    const l = list ?? [];
    if (old) l.splice(i, 1);
    else this.count++;
    l.unshift({ key: key.slice(0, this.keySize), sock });
    this.buckets.set(b, l);
    return 0;
  }

  protected override sysDelete(key: Uint8Array | null): ErrnoResult {
    if (!key) return -Errno.EINVAL;
    const { b, list, i } = this.find(key);
    if (!list || i < 0) return -Errno.ENOENT;
    list.splice(i, 1);
    if (!list.length) this.buckets.delete(b);
    this.count--;
    return 0;
  }

  protected override sysGetNextKey(key: Uint8Array | null): Uint8Array | ErrnoResult {
    let from = 0;
    if (key) {
      const { b, list, i } = this.find(key);
      if (list && i >= 0) {
        if (i + 1 < list.length) return list[i + 1].key.slice();
        from = b + 1;
      }
    }
    // The first non-empty bucket at or after `from`; sorted here, the Map's insertion order is not trusted.
    let best = -1;
    for (const bk of this.buckets.keys()) if (bk >= from && (best < 0 || bk < best)) best = bk;
    return best < 0 ? -Errno.ENOENT : this.buckets.get(best)![0].key.slice();
  }
}

export const sockhashType: MapTypeDef = {
  check(attr) {
    if (attr.keySize === 0) return -Errno.EINVAL;
    const err = sockMapCheck(attr);
    if (err) return err;
    if (attr.keySize > MAX_BPF_STACK) return -Errno.E2BIG;
    return 0;
  },
  create(attr, ctx) {
    // roundup_pow_of_two overflows to 0 past 2^31; the bucket array size is bounded by U32_MAX.
    const n = attr.maxEntries > 2 ** 31 ? 0 : roundupPow2(attr.maxEntries);
    if (n === 0 || n > Math.floor(0xffffffff / BUCKET_BYTES)) return -Errno.EINVAL;
    return new SockHash(attr, ctx);
  },
};
