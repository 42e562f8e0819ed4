/**
 * CPUMAP (kernel/bpf/cpumap.c): key = a possible CPU, value = struct
 * bpf_cpumap_val { u32 qsize; union { int fd; u32 id } bpf_prog } (4 or 8
 * bytes). qsize 0 deletes the entry; qsize > 16384 is EOVERFLOW; a key past
 * max_entries E2BIG, a CPU that is not possible ENODEV. A program fd must be
 * an XDP program loaded for BPF_XDP_CPUMAP (otherwise the kernel's entry
 * allocation fails: ENOMEM). Array-like iteration; delete always succeeds in range.
 */
import { Errno } from '@bpfsim/uapi';
import type { ErrnoResult, MapAttr, MapContext, ProgRef } from './map';
import { BPF_EXIST, BPF_NOEXIST, MapFlag } from './flags';
import { type MapTypeDef, le32 } from './base';
import { type RedirectEntry, RedirectMapBase } from './redirect-base';

/** NR_CPUS of the reference kernel (measured: max_entries 257 is E2BIG on Linux 6.18). */
export const NR_CPUS = 256;
const BPF_XDP_CPUMAP = 35;

export class CpuMap extends RedirectMapBase {

  constructor(attr: MapAttr, ctx: MapContext) {
    super(attr, ctx);
  }


  protected override sysUpdate(key: Uint8Array | null, value: Uint8Array, flags: number): ErrnoResult {
    if (flags > BPF_EXIST) return -Errno.EINVAL;
    const k = this.keyOf(key);
    if (k < 0 || k >= this.maxEntries) return -Errno.E2BIG;
    if (flags === BPF_NOEXIST) return -Errno.EEXIST;
    const qsize = le32(value);
    if (qsize > 16384) return -Errno.EOVERFLOW;
    if (k >= this.ncpu) return -Errno.ENODEV;
    if (qsize === 0) {
      this.entries.delete(k);
      this.publish(k, undefined);
      return 0;
    }
    let prog: ProgRef | undefined;
    const fd = this.valueSize >= 8 ? le32(value, 4) | 0 : 0;
    if (fd > 0) {
      const p = this.progFromFd(fd, BPF_XDP_CPUMAP);
      if (typeof p === 'number') return -Errno.ENOMEM;
      prog = p;
    }
    const e: RedirectEntry = { value: this.stored(value, this.valueSize, prog), prog };
    this.entries.set(k, e);
    this.publish(k, e.value);
    return 0;
  }

  protected override sysDelete(key: Uint8Array | null): ErrnoResult {
    return this.arrayDelete(key);
  }

  protected override sysGetNextKey(key: Uint8Array | null): Uint8Array | ErrnoResult {
    return this.arrayNextKey(key);
  }
}

export const cpumapType: MapTypeDef = {
  check(attr) {
    const vs = attr.valueSize;
    if (attr.maxEntries === 0 || attr.keySize !== 4 || (vs !== 4 && vs !== 8) || (attr.flags ?? 0) & ~MapFlag.NUMA_NODE) {
      return -Errno.EINVAL;
    }
    if (attr.maxEntries > NR_CPUS) return -Errno.E2BIG;
    return 0;
  },
  create: (attr, ctx) => new CpuMap(attr, ctx),
};
