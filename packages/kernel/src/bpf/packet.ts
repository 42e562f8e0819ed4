/**
 * A packet buffer as the kernel allocates one for a test run or a receive:
 * one zeroed frame [head .. end of tailroom] holding headroom, metadata,
 * packet bytes and tailroom. The whole frame is one 'packet' region of the
 * kernel's address space, so pointers stay valid while helpers move
 * data/data_end inside it (the verifier invalidates them anyway).
 */
import type { AddressSpaceApi, Region } from '@bpfsim/vm';

export class PacketBuffer {
  readonly region: Region;
  /** Offsets into `frame`. */
  meta: number;
  data: number;
  end: number;

  constructor(
    private readonly mem: AddressSpaceApi,
    readonly frame: Uint8Array,
    data: number,
    len: number,
    name: string,
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
  release(): void {
    this.mem.unmap(this.region);
  }
}
