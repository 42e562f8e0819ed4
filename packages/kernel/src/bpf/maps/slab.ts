/**
 * Fixed-size records stored in typed-array chunks, each chunk one region of
 * the kernel's address space, so a program can reach a record through a
 * pointer and user space through (chunk, offset). Chunks are mapped lazily on
 * first use and never move or unmap before free(): a record's address is
 * stable for the life of the map, like a preallocated kernel element.
 */
import type { AddressSpaceApi, Region, RegionKind } from '@bpfsim/vm';

/** Chunks hold at most this many bytes (16 MiB) (and at least one record). */
const CHUNK_BYTES = 1 << 24;

export class Slab {
  readonly recordSize: number;
  readonly capacity: number;
  /** Records per chunk: a power of two so index -> chunk is a shift. */
  private readonly shift: number;
  private readonly mask: number;
  private readonly chunks: (Region | undefined)[];

  constructor(
    private readonly mem: AddressSpaceApi,
    recordSize: number,
    capacity: number,
    private readonly kind: RegionKind,
    private readonly name: string,
    private readonly writable: boolean,
    private readonly owner: unknown,
  ) {
    this.recordSize = recordSize;
    this.capacity = capacity;
    let shift = 0;
    while (shift < 30 && (2 ** (shift + 1)) * recordSize <= CHUNK_BYTES && 2 ** shift < capacity) shift++;
    this.shift = shift;
    this.mask = 2 ** shift - 1;
    this.chunks = new Array(Math.ceil(capacity / 2 ** shift));
  }

  private chunk(i: number): Region {
    const c = i >>> this.shift;
    let r = this.chunks[c];
    if (!r) {
      const first = c << this.shift;
      const n = Math.min(this.mask + 1, this.capacity - first);
      r = this.mem.map(this.kind, new Uint8Array(n * this.recordSize), {
        name: this.chunks.length > 1 ? `${this.name}[${c}]` : this.name,
        writable: this.writable,
        owner: this.owner,
      });
      this.chunks[c] = r;
    }
    return r;
  }

  /** The bytes holding record i (a chunk) and the record's offset in them. */
  buf(i: number): Uint8Array {
    return this.chunk(i).bytes;
  }
  off(i: number): number {
    return (i & this.mask) * this.recordSize;
  }
  /** Simulated address of record i (plus `extra` bytes). */
  addr(i: number, extra = 0): bigint {
    return this.chunk(i).base + BigInt(this.off(i) + extra);
  }
  /** A view (not a copy) of `len` bytes of record i from byte `from`. */
  view(i: number, from = 0, len = this.recordSize - from): Uint8Array {
    const b = this.buf(i);
    const o = this.off(i) + from;
    return b.subarray(o, o + len);
  }

  free(): void {
    for (const r of this.chunks) if (r) this.mem.unmap(r);
    this.chunks.fill(undefined);
  }
}
