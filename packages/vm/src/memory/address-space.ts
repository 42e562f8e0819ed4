/**
 * The simulated address space: disjoint regions, each owning one high 32-bit
 * word (see layout.ts). Every access is checked; a stray one is a MemoryFault
 * that says where the address is relative to the nearest region.
 */
import type { AddressSpaceApi, MapRegionOptions, Region, RegionKind, VirtualAccess } from '../api';
import { MemoryFault, VmUsageError, type AccessKind } from '../errors';
import { FAMILY_OF, STACK_FRAME_SIZE, addrOf, hex } from './layout';

/** A mapped region plus what the interpreter needs to reach its bytes fast. */
export class MappedRegion implements Region {
  readonly base: bigint;
  /** The high word as a signed int32 (small-integer map key). */
  readonly hiWord: number;
  readonly view: DataView;
  readonly size: number;
  constructor(
    readonly id: number,
    readonly name: string,
    readonly kind: RegionKind,
    hiWord: number,
    readonly bytes: Uint8Array,
    readonly writable: boolean,
    readonly owner?: unknown,
    readonly virtual?: VirtualAccess,
  ) {
    this.hiWord = hiWord | 0;
    this.base = BigInt(hiWord >>> 0) << 32n;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.size = bytes.byteLength;
  }
}

interface Freed {
  readonly name: string;
  readonly size: number;
}

const MAX_REGION_SIZE = 0x1_0000_0000;

/**
 * Thrown by at() for a region with `virtual` accessors (a context whose loads
 * the kernel rewrites): the interpreter catches it and carries out the access
 * through the accessors, so the fast path pays nothing for contexts.
 */
export class VirtualHit {
  constructor(readonly access: VirtualAccess, readonly off: number) {}
}

export class AddressSpace implements AddressSpaceApi {
  private nextId = 0;
  private readonly byHi = new Map<number, MappedRegion>();
  /** Regions in allocation (id) order, for describe() and regions(). */
  private readonly live: MappedRegion[] = [];
  /** High words of unmapped regions, for use-after-unmap messages (until the word is reused). */
  private readonly freed = new Map<number, Freed>();
  /** Stack frames not in use, per call depth (the VM takes and returns them). */
  private readonly stackPool: MappedRegion[][] = [];
  /** One-entry cache of the last high word the interpreter resolved. */
  private lastHi = 0;
  private last: MappedRegion | undefined = undefined;

  map(kind: RegionKind, bytes: Uint8Array, opts: MapRegionOptions = {}): Region {
    if (!(bytes instanceof Uint8Array)) throw new VmUsageError(`map ${kind}: bytes must be a Uint8Array`);
    if (bytes.byteLength >= MAX_REGION_SIZE) throw new VmUsageError(`map ${kind}: a region holds less than 4 GiB (got ${bytes.byteLength} bytes)`);
    const family = FAMILY_OF[kind];
    if (!family) throw new VmUsageError(`map: unknown region kind '${String(kind)}'`);
    const id = this.nextId++;
    // (base + id) << 32; should the family's words run out, take the next free one (still deterministic).
    let slot = id % family.capacity;
    for (let tries = 0; this.byHi.has((family.base + slot) | 0); tries++) {
      if (tries >= family.capacity) throw new VmUsageError(`map ${kind}: the ${family.name} area is full`);
      slot = (slot + 1) % family.capacity;
    }
    const hi = (family.base + slot) | 0;
    const region = new MappedRegion(id, opts.name ?? `${kind} ${id}`, kind, hi, bytes, opts.writable ?? true, opts.owner, opts.virtual);
    this.byHi.set(hi, region);
    this.freed.delete(hi);
    this.live.push(region);
    return region;
  }

  unmap(region: Region): void {
    const r = region instanceof MappedRegion ? this.byHi.get(region.hiWord) : undefined;
    if (!r || r !== region) throw new VmUsageError(`unmap: ${region.name} is not mapped in this address space`);
    this.byHi.delete(r.hiWord);
    // Short-lived regions (a run's context) are the newest: look from the end.
    this.live.splice(this.live.lastIndexOf(r), 1);
    this.freed.set(r.hiWord, { name: r.name, size: r.size });
    if (this.last === r) this.last = undefined;
  }

  find(addr: bigint, size: number): Region | undefined {
    const r = this.regionAt(addr);
    if (!r || size < 0) return undefined;
    const off = Number(addr - r.base);
    return off + size <= r.size ? r : undefined;
  }

  /** The region containing the byte at addr, or undefined. */
  regionAt(addr: bigint): MappedRegion | undefined {
    addr = BigInt.asUintN(64, addr);
    const r = this.byHi.get(Number(addr >> 32n) | 0);
    return r && Number(addr & 0xffffffffn) < r.size ? r : undefined;
  }

  /** Mapped regions in allocation order. */
  regions(): readonly Region[] {
    return this.live.slice();
  }

  read(addr: bigint, size: number): Uint8Array {
    const [r, off] = this.check(addr, size, 'read');
    return r.bytes.slice(off, off + size);
  }

  write(addr: bigint, data: Uint8Array): void {
    const [r, off] = this.check(addr, data.length, 'write');
    r.bytes.set(data, off);
  }

  readU8(addr: bigint): number {
    const [r, off] = this.check(addr, 1, 'read');
    return r.view.getUint8(off);
  }
  readU16(addr: bigint): number {
    const [r, off] = this.check(addr, 2, 'read');
    return r.view.getUint16(off, true);
  }
  readU32(addr: bigint): number {
    const [r, off] = this.check(addr, 4, 'read');
    return r.view.getUint32(off, true);
  }
  readU64(addr: bigint): bigint {
    const [r, off] = this.check(addr, 8, 'read');
    return r.view.getBigUint64(off, true);
  }
  writeU8(addr: bigint, v: number): void {
    const [r, off] = this.check(addr, 1, 'write');
    r.view.setUint8(off, v);
  }
  writeU16(addr: bigint, v: number): void {
    const [r, off] = this.check(addr, 2, 'write');
    r.view.setUint16(off, v, true);
  }
  writeU32(addr: bigint, v: number): void {
    const [r, off] = this.check(addr, 4, 'write');
    r.view.setUint32(off, v >>> 0, true);
  }
  writeU64(addr: bigint, v: bigint): void {
    const [r, off] = this.check(addr, 8, 'write');
    r.view.setBigUint64(off, BigInt.asUintN(64, v), true);
  }

  /** The region and byte offset of a checked access, or a MemoryFault. */
  check(addr: bigint, size: number, access: AccessKind): [MappedRegion, number] {
    addr = BigInt.asUintN(64, addr);
    const hi = Number(addr >> 32n) | 0;
    const lo = Number(addr & 0xffffffffn);
    const r = this.byHi.get(hi);
    if (r === undefined || !Number.isInteger(size) || size < 0 || lo + size > r.size || (access !== 'read' && !r.writable)) {
      throw this.fault(hi, lo, size, access);
    }
    return [r, lo];
  }

  /**
   * Interpreter fast path: the DataView of the region owning high word `hi`
   * when [lo, lo+size) lies inside it (lo is the unsigned low word); byte
   * offset = lo, since every region starts at low word 0.
   */
  at(hi: number, lo: number, size: number, write: boolean): DataView {
    let r = this.last;
    if (hi !== this.lastHi || r === undefined) {
      r = this.byHi.get(hi);
      if (r === undefined) throw this.fault(hi, lo, size, write ? 'write' : 'read');
      this.lastHi = hi;
      this.last = r;
    }
    if (lo + size > r.size || (write && !r.writable)) throw this.fault(hi, lo, size, write ? 'write' : 'read');
    if (r.virtual !== undefined) throw new VirtualHit(r.virtual, lo);
    return r.view;
  }

  /** Like at() for read-modify-write atomics. */
  atomicAt(hi: number, lo: number, size: number): DataView {
    const r = this.byHi.get(hi);
    if (r === undefined || lo + size > r.size || !r.writable || r.virtual !== undefined) throw this.fault(hi, lo, size, 'atomic');
    return r.view;
  }

  fault(hi: number, lo: number, size: number, access: AccessKind): MemoryFault {
    const addr = addrOf(hi, lo);
    const r = this.byHi.get(hi | 0);
    let where = this.describe(addr);
    if (r !== undefined && lo < r.size) {
      if (lo + size > r.size) where += `; the access runs ${lo + size - r.size} byte(s) past its end`;
      else if (!r.writable) where += `; ${r.name} is read-only`;
    }
    return new MemoryFault(addr, size, access, where);
  }

  /** "0x... is 8 bytes past the end of stack frame 0 (512 bytes at 0x...)" */
  describe(addr: bigint): string {
    addr = BigInt.asUintN(64, addr);
    const at = hex(addr);
    const inside = this.regionAt(addr);
    if (inside) return `${at} is at offset ${addr - inside.base} of ${label(inside)}`;
    const hi = Number(addr >> 32n) | 0;
    const freed = this.freed.get(hi);
    if (freed && Number(addr & 0xffffffffn) < Math.max(freed.size, 1)) {
      return `${at} is inside ${freed.name}, which has been unmapped`;
    }
    if (addr < 4096n) return `${at} is a NULL pointer dereference`;
    let best: MappedRegion | undefined;
    let bestDist = 0n;
    for (const r of this.live) {
      const end = r.base + BigInt(r.size);
      const dist = addr < r.base ? r.base - addr : addr - end + 1n;
      if (best === undefined || dist < bestDist) {
        best = r;
        bestDist = dist;
      }
    }
    if (!best) return `${at} is unmapped (no regions are mapped)`;
    if (addr < best.base) return `${at} is unmapped, ${best.base - addr} bytes before the start of ${label(best)}`;
    return `${at} is unmapped, ${addr - best.base - BigInt(best.size)} bytes past the end of ${label(best)}`;
  }

  /** A zeroed stack frame for call depth `depth` (VM internal). */
  takeStack(depth: number): MappedRegion {
    const pool = (this.stackPool[depth] ??= []);
    const r = pool.pop() ?? (this.map('stack', new Uint8Array(STACK_FRAME_SIZE), { name: `stack frame ${depth}` }) as MappedRegion);
    r.bytes.fill(0);
    return r;
  }

  /** Give a frame back once its run is over (VM internal). */
  returnStack(depth: number, r: MappedRegion): void {
    if (this.byHi.get(r.hiWord) === r) this.stackPool[depth].push(r);
  }
}

function label(r: MappedRegion): string {
  return `${r.name} (${r.size} bytes at ${hex(r.base)})`;
}
