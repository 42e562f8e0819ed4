/**
 * What DEVMAP, DEVMAP_HASH, CPUMAP and XSKMAP share: 4-byte keys, entries
 * holding the user's value bytes (with program fds replaced by program ids, as
 * the kernel reports them) and the object they refer to. Array-like variants
 * iterate 0..max_entries-1 whether a slot is filled or not, as the kernel does.
 */
import { Errno } from '@bpfsim/uapi';
import type { ErrnoResult, KernelObjectRef, MapContext, ProgRef, RedirectMap } from './map';
import { MapBase, SIM_MAX_ELEMS, putLe32, roundUp8, arrayIndex, arrayNextKey as nextArrayKey } from './base';
import { Slab } from './slab';

export interface RedirectEntry {
  value: Uint8Array;
  ref?: KernelObjectRef;
  prog?: ProgRef;
}

export abstract class RedirectMapBase extends MapBase implements RedirectMap {
  protected resolveFd: MapContext['resolveFd'];
  /** The entries by key (devmap/cpumap/xskmap index, devmap_hash key). */
  protected readonly entries = new Map<number, RedirectEntry>();
  /** Read-only copies of entries' values for programs' lookups: key -> slot. */
  private readonly slabSlot = new Map<number, number>();
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  private readonly slab: Slab;

  constructor(attr: ConstructorParameters<typeof MapBase>[0], ctx: MapContext) {
    super(attr, ctx);
    this.resolveFd = ctx.resolveFd;
    this.slab = new Slab(this.mem, roundUp8(this.valueSize), Math.min(this.maxEntries, SIM_MAX_ELEMS), 'map_value',
      `${this.name || 'redirect'}.values`, false, this);
  }

  protected get(key: number): RedirectEntry | undefined {
    return this.entries.get(key);
  }

  /** Make `value` what a program's lookup of `key` sees (undefined: the key has no entry). */
  protected publish(key: number, value: Uint8Array | undefined): void {
    let slot = this.slabSlot.get(key);
    if (!value) {
      if (slot !== undefined) {
        this.slabSlot.delete(key);
        this.freeSlots.push(slot);
      }
      return;
    }
    if (slot === undefined) {
      slot = this.freeSlots.pop();
      if (slot === undefined) {
        if (this.nextSlot >= this.slab.capacity) return;
        slot = this.nextSlot++;
      }
      this.slabSlot.set(key, slot);
    }
    this.slab.buf(slot).set(value.subarray(0, this.valueSize), this.slab.off(slot));
  }

  override lookupAddr(key: Uint8Array): bigint {
    const slot = this.slabSlot.get(this.keyOf(key));
    return slot === undefined ? 0n : this.slab.addr(slot);
  }

  protected override freeStorage(): void {
    this.slab.free();
  }

  target(key: number): { value: Uint8Array; ref?: KernelObjectRef } | undefined {
    const e = this.get(key);
    return e ? { value: e.value.slice(), ref: e.ref } : undefined;
  }

  protected keyOf(key: Uint8Array | null): number {
    return arrayIndex(key);
  }

  /** A program fd in a devmap/cpumap value: an XDP program loaded for `attachType`. */
  protected progFromFd(fd: number, attachType: number): ProgRef | ErrnoResult {
    if (!this.resolveFd) return -Errno.EBADF;
    const p = this.resolveFd(fd, 'prog');
    if (typeof p === 'number') return p;
    const prog = p as ProgRef;
    if (prog.type !== 6 /* XDP */ || prog.expectedAttachType !== attachType) return -Errno.EINVAL;
    return prog;
  }

  /** Delete of an array-indexed redirect map (devmap, cpumap, xskmap): an index out of range is EINVAL, an empty slot is fine. */
  protected arrayDelete(key: Uint8Array | null): ErrnoResult {
    const k = this.keyOf(key);
    if (k < 0 || k >= this.maxEntries) return -Errno.EINVAL;
    this.entries.delete(k);
    this.publish(k, undefined);
    return 0;
  }

  protected arrayNextKey(key: Uint8Array | null): Uint8Array | ErrnoResult {
    return nextArrayKey(this.keyOf(key), this.maxEntries);
  }

  protected override sysLookup(key: Uint8Array | null): Uint8Array | ErrnoResult {
    const e = this.get(this.keyOf(key));
    return e ? e.value.slice() : -Errno.ENOENT;
  }

  override updateFromProg(): ErrnoResult {
    return -Errno.EINVAL;
  }
  override deleteFromProg(): ErrnoResult {
    return -Errno.EINVAL;
  }

  /** Value bytes as the kernel reports them: the prog fd field replaced by the program id. */
  protected stored(value: Uint8Array, valueSize: number, prog: ProgRef | undefined): Uint8Array {
    const v = value.slice(0, valueSize);
    if (valueSize >= 8) putLe32(v, prog ? prog.id : 0, 4);
    return v;
  }
}
