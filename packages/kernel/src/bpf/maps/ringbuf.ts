/**
 * RINGBUF (kernel/bpf/ringbuf.c): a power-of-2, page-aligned data area shared
 * by all CPUs. A record is an 8-byte header (u32 len with BUSY/DISCARD bits,
 * u32 page offset) then the sample, padded to 8 bytes. The kernel maps the data
 * pages twice so a record that wraps is contiguous; bpfsim gives the data
 * region twice the ring's size instead: a record's header always lies in the
 * first half and its sample may run into the second, and both the producer
 * and the consumer address it from its header's offset, so they agree.
 *
 * reserve fails (0n, counted in `dropped`) when the record would take the
 * producer more than ring-size bytes ahead of the consumer or of the oldest
 * still-reserved record. The consumer side (ring_buffer__consume) stops at the
 * first record still busy and skips discarded ones.
 * No syscall element operations: lookup/update/delete/get_next_key → ENOTSUPP.
 */
import { Errno } from '@bpfsim/uapi';
import type { Region } from '@bpfsim/vm';
import type { ErrnoResult, MapAttr, MapContext, RingBufMap } from './map';
import { MapFlag } from './flags';
import { MapBase, type MapTypeDef, le32, putLe32 } from './base';

const PAGE_SIZE = 4096;
const HDR_SZ = 8;
const BUSY_BIT = 0x80000000;
const DISCARD_BIT = 0x40000000;
const RINGBUF_MAX_RECORD_SZ = Math.floor(0xffffffff / 4);
/** ((1 << 24) - 1) * PAGE_SIZE: the kernel's bound on the data area. */
const RINGBUF_MAX_DATA_SZ = ((1 << 24) - 1) * PAGE_SIZE;
/** bpfsim's bound (the data region is allocated twice over). */
const SIM_MAX_RING = 1 << 28;
const RB_NO_WAKEUP = 1;
const RB_FORCE_WAKEUP = 2;
const E = (e: number): ErrnoResult => -e;

export const RingbufQuery = { AVAIL_DATA: 0, RING_SIZE: 1, CONS_POS: 2, PROD_POS: 3 } as const;

export class RingBufMapImpl extends MapBase implements RingBufMap {
  private readonly size: number;
  private readonly mask: number;
  private readonly region: Region;
  private readonly data: Uint8Array;
  private consPos = 0;
  private prodPos = 0;
  /** Positions of reserved, not yet committed records, oldest first. */
  private readonly pending: number[] = [];
  dropped = 0;

  constructor(attr: MapAttr, ctx: MapContext) {
    super(attr, ctx, 0);
    this.size = attr.maxEntries;
    this.mask = this.size - 1;
    this.data = new Uint8Array(this.size * 2);
    this.region = this.mem.map('mem', this.data, { name: `${this.name || 'ringbuf'}.data`, writable: true, owner: this });
  }

  private doReserve(size: number): number {
    if (size > RINGBUF_MAX_RECORD_SZ) return -1;
    const len = Math.ceil((size + HDR_SZ) / 8) * 8;
    if (len > this.size) return -1;
    const newProd = this.prodPos + len;
    const pendPos = this.pending.length ? this.pending[0] : this.prodPos;
    if (newProd - this.consPos > this.mask || newProd - pendPos > this.mask) return -1;
    const off = this.prodPos & this.mask;
    putLe32(this.data, (size | BUSY_BIT) >>> 0, off);
    putLe32(this.data, 0, off + 4);
    this.pending.push(this.prodPos);
    this.prodPos = newProd;
    return off;
  }

  reserve(size: number, flags: number): bigint {
    if (flags) return 0n;
    const off = this.doReserve(size);
    if (off < 0) {
      this.dropped++;
      return 0n;
    }
    return this.region.base + BigInt(off + HDR_SZ);
  }

  private commit(addr: bigint, discard: boolean): void {
    const off = Number(addr - this.region.base) - HDR_SZ;
    if (off < 0 || off >= this.size) return;
    const hdr = le32(this.data, off);
    if (!(hdr & BUSY_BIT)) return;
    putLe32(this.data, ((hdr & ~BUSY_BIT) | (discard ? DISCARD_BIT : 0)) >>> 0, off);
    const i = this.pending.findIndex((p) => (p & this.mask) === off);
    if (i >= 0) this.pending.splice(i, 1);
  }

  submit(addr: bigint, _flags: number): void {
    this.commit(addr, false);
  }
  discard(addr: bigint, _flags: number): void {
    this.commit(addr, true);
  }

  output(data: Uint8Array, flags: number): ErrnoResult {
    if (flags & ~(RB_NO_WAKEUP | RB_FORCE_WAKEUP)) return E(Errno.EINVAL);
    const off = this.doReserve(data.length);
    if (off < 0) {
      this.dropped++;
      return E(Errno.EAGAIN);
    }
    this.data.set(data, off + HDR_SZ);
    this.commit(this.region.base + BigInt(off + HDR_SZ), false);
    return 0;
  }

  query(flags: number): bigint {
    switch (flags) {
      case RingbufQuery.AVAIL_DATA: return BigInt(this.prodPos - this.consPos);
      case RingbufQuery.RING_SIZE: return BigInt(this.size);
      case RingbufQuery.CONS_POS: return BigInt(this.consPos);
      case RingbufQuery.PROD_POS: return BigInt(this.prodPos);
      default: return 0n;
    }
  }

  consume(): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.consPos < this.prodPos) {
      const off = this.consPos & this.mask;
      const hdr = le32(this.data, off);
      if (hdr & BUSY_BIT) break;
      const len = hdr & ~(BUSY_BIT | DISCARD_BIT);
      if (!(hdr & DISCARD_BIT)) out.push(this.data.slice(off + HDR_SZ, off + HDR_SZ + len));
      this.consPos += Math.ceil((len + HDR_SZ) / 8) * 8;
    }
    return out;
  }

  protected override sysLookup(): Uint8Array | ErrnoResult {
    return E(Errno.ENOTSUPP);
  }
  protected override sysUpdate(): ErrnoResult {
    return E(Errno.ENOTSUPP);
  }
  protected override sysDelete(): ErrnoResult {
    return E(Errno.ENOTSUPP);
  }
  protected override sysGetNextKey(): Uint8Array | ErrnoResult {
    return E(Errno.ENOTSUPP);
  }
  override updateFromProg(): ErrnoResult {
    return E(Errno.ENOTSUPP);
  }
  override deleteFromProg(): ErrnoResult {
    return E(Errno.ENOTSUPP);
  }

  protected override freeStorage(): void {
    this.mem.unmap(this.region);
  }
}

export const ringbufType: MapTypeDef = {
  check(attr) {
    if ((attr.flags ?? 0) & ~MapFlag.NUMA_NODE) return E(Errno.EINVAL);
    const n = attr.maxEntries;
    if (attr.keySize || attr.valueSize || n === 0 || (n & (n - 1)) !== 0 || n % PAGE_SIZE) return E(Errno.EINVAL);
    return 0;
  },
  create(attr, ctx) {
    if (attr.maxEntries > RINGBUF_MAX_DATA_SZ) return E(Errno.E2BIG);
    if (attr.maxEntries > SIM_MAX_RING) return E(Errno.ENOMEM);
    return new RingBufMapImpl(attr, ctx);
  },
};
