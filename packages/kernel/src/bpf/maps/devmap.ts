/**
 * DEVMAP and DEVMAP_HASH (kernel/bpf/devmap.c): entries are struct
 * bpf_devmap_val { u32 ifindex; union { int fd; u32 id } bpf_prog } (value
 * size 4 or 8). The ifindex must name a device (ctx.resolveIfindex, EINVAL
 * otherwise); an optional program fd must be an XDP program loaded with
 * expected_attach_type BPF_XDP_DEVMAP. Lookups report the program's id.
 * Creation adds BPF_F_RDONLY_PROG, as the kernel does (programs may only read
 * entries). DEVMAP behaves as an array (delete of an empty slot succeeds);
 * DEVMAP_HASH as a hash table bucketed by key & (n_buckets - 1), newest first
 * in a bucket, with E2BIG when full.
 * The packet path (bpf_redirect_map) reads entries through target().
 */
import { BpfMapType, Errno } from '@bpfsim/uapi';
import type { ErrnoResult, MapAttr, MapContext, ProgRef } from './map';
import { BPF_EXIST, BPF_NOEXIST, MapFlag } from './flags';
import { type MapTypeDef, le32, putLe32, roundupPow2 } from './base';
import { type RedirectEntry, RedirectMapBase } from './redirect-base';

const DEV_CREATE_FLAG_MASK = MapFlag.NUMA_NODE | MapFlag.RDONLY | MapFlag.WRONLY;
const BPF_XDP_DEVMAP = 33;

export class DevMap extends RedirectMapBase {
  private readonly isHash: boolean;
  private readonly nBuckets: number;
  /** DEVMAP_HASH: bucket -> keys, newest first. */
  private readonly buckets = new Map<number, number[]>();
  private readonly resolveIfindex: MapContext['resolveIfindex'];

  constructor(attr: MapAttr, ctx: MapContext) {
    super({ ...attr, flags: (attr.flags ?? 0) | MapFlag.RDONLY_PROG }, ctx);
    this.isHash = attr.type === BpfMapType.DEVMAP_HASH;
    this.nBuckets = roundupPow2(attr.maxEntries);
    this.resolveIfindex = ctx.resolveIfindex;
  }


  private build(value: Uint8Array): RedirectEntry | ErrnoResult | null {
    const ifindex = le32(value);
    const progFd = this.valueSize >= 8 ? le32(value, 4) | 0 : 0;
    if (!ifindex) return progFd > 0 ? -Errno.EINVAL : null;
    const dev = this.resolveIfindex?.(ifindex);
    if (!dev) return -Errno.EINVAL;
    let prog: ProgRef | undefined;
    if (progFd > 0) {
      const p = this.progFromFd(progFd, BPF_XDP_DEVMAP);
      if (typeof p === 'number') return -Errno.EINVAL;
      prog = p;
    }
    return { value: this.stored(value, this.valueSize, prog), ref: dev, prog };
  }

  protected override sysUpdate(key: Uint8Array | null, value: Uint8Array, flags: number): ErrnoResult {
    if (flags > BPF_EXIST) return -Errno.EINVAL;
    const k = this.keyOf(key);
    if (!this.isHash) {
      if (k < 0 || k >= this.maxEntries) return -Errno.E2BIG;
      if (flags === BPF_NOEXIST) return -Errno.EEXIST;
      const e = this.build(value);
      if (typeof e === 'number') return e;
      if (e) this.entries.set(k, e);
      else this.entries.delete(k);
      this.publish(k, e ? e.value : undefined);
      return 0;
    }
    if (!le32(value)) return -Errno.EINVAL;
    const old = this.entries.get(k);
    if (old && flags & BPF_NOEXIST) return -Errno.EEXIST;
    const e = this.build(value);
    if (typeof e === 'number') return e;
    if (!e) return -Errno.EINVAL;
    if (!old && this.entries.size >= this.maxEntries) return -Errno.E2BIG;
    const b = k & (this.nBuckets - 1);
    const list = this.buckets.get(b) ?? [];
    if (old) list.splice(list.indexOf(k), 1);
    list.unshift(k);
    this.buckets.set(b, list);
    this.entries.set(k, e);
    this.publish(k, e.value);
    return 0;
  }

  protected override sysDelete(key: Uint8Array | null): ErrnoResult {
    if (!this.isHash) return this.arrayDelete(key);
    const k = this.keyOf(key);
    if (!this.entries.has(k)) return -Errno.ENOENT;
    this.entries.delete(k);
    this.publish(k, undefined);
    const b = k & (this.nBuckets - 1);
    const list = this.buckets.get(b)!;
    list.splice(list.indexOf(k), 1);
    if (!list.length) this.buckets.delete(b);
    return 0;
  }

  protected override sysGetNextKey(key: Uint8Array | null): Uint8Array | ErrnoResult {
    if (!this.isHash) return this.arrayNextKey(key);
    const out = new Uint8Array(4);
    let b = 0;
    const k = this.keyOf(key);
    if (key && this.entries.has(k)) {
      const kb = k & (this.nBuckets - 1);
      const list = this.buckets.get(kb)!;
      const i = list.indexOf(k);
      if (i + 1 < list.length) {
        putLe32(out, list[i + 1]);
        return out;
      }
      b = kb + 1;
    }
    // Buckets in ascending order; the Map's keys are sorted here, not trusted for order.
    const bs = [...this.buckets.keys()].filter((x) => x >= b).sort((x, y) => x - y);
    if (!bs.length) return -Errno.ENOENT;
    putLe32(out, this.buckets.get(bs[0])![0]);
    return out;
  }
}

export const devmapType: MapTypeDef = {
  check(attr) {
    const vs = attr.valueSize;
    if (attr.maxEntries === 0 || attr.keySize !== 4 || (vs !== 4 && vs !== 8) || (attr.flags ?? 0) & ~DEV_CREATE_FLAG_MASK) {
      return -Errno.EINVAL;
    }
    return 0;
  },
  create(attr, ctx) {
    if (attr.type === BpfMapType.DEVMAP_HASH && attr.maxEntries > 2 ** 31) return -Errno.EINVAL;
    return new DevMap(attr, ctx);
  },
};
