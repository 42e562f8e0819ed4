/**
 * A packet buffer as the kernel allocates one for a test run or a receive:
 * one zeroed frame [head .. end of tailroom] holding headroom, metadata,
 * packet bytes and tailroom. The whole frame is one 'packet' region of the
 * kernel's address space, so pointers stay valid while helpers move
 * data/data_end inside it (the verifier invalidates them anyway).
 */
import type { AddressSpaceApi, Region } from '@bpfsim/vm';

export class PacketBuffer {
  region: Region;
  /** Offsets into `frame`. */
  meta: number;
  data: number;
  end: number;

  constructor(
    private readonly mem: AddressSpaceApi,
    public frame: Uint8Array,
    data: number,
    len: number,
    private readonly name: string,
  ) {
    this.region = mem.map('packet', frame, { name });
    this.meta = data;
    this.data = data;
    this.end = data + len;
  }

  get len(): number {
    return this.end - this.data;
  }
  get metaLen(): number {
    return this.data - this.meta;
  }
  /** Simulated address of frame offset `off`. */
  addr(off: number): bigint {
    return this.region.base + BigInt(off);
  }
  /** Copy of bytes [from, to) of the frame. */
  slice(from: number, to: number): Uint8Array {
    return this.frame.slice(from, to);
  }
  /**
   * pskb_expand_head: make the frame hold at least `head` bytes before `meta`
   * and `tail` bytes after `end`, moving the bytes into a larger frame (a new
   * region: old packet pointers die, as the verifier assumes after such helpers).
   * Returns how far every frame offset moved (0 when nothing was reallocated).
   */
  expand(head: number, tail: number): number {
    const needHead = Math.max(0, head - this.meta);
    const needTail = Math.max(0, tail - (this.frame.length - this.end));
    if (!needHead && !needTail) return 0;
    // The kernel aligns the extra headroom (NET_SKB_PAD); only its existence is observable.
    const shift = Math.ceil(needHead / 64) * 64;
    const frame = new Uint8Array(shift + this.frame.length + Math.ceil(needTail / 64) * 64);
    frame.set(this.frame, shift);
    this.mem.unmap(this.region);
    this.frame = frame;
    this.region = this.mem.map('packet', frame, { name: this.name });
    this.meta += shift;
    this.data += shift;
    this.end += shift;
    return shift;
  }
  release(): void {
    this.mem.unmap(this.region);
  }
}
