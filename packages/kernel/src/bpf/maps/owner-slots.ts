/**
 * Value storage for maps keyed by kernel objects (local storage): owner key ->
 * slot in a slab, with an insertion-ordered list for iteration. Slots are
 * reused last-freed-first; a value's address is stable while its owner's entry exists.
 */
import type { AddressSpaceApi } from '@bpfsim/vm';
import { Slab } from './slab';

export class OwnerSlots<K> {
  private readonly slotOf = new Map<K, number>();
  /** Owners, newest first (the kernel's list_add order). */
  order: K[] = [];
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  readonly slab: Slab;

  constructor(mem: AddressSpaceApi, recordSize: number, capacity: number, name: string, writable: boolean, owner: unknown) {
    this.slab = new Slab(mem, recordSize, capacity, 'map_value', name, writable, owner);
  }

  get size(): number {
    return this.slotOf.size;
  }
  get(k: K): number | undefined {
    return this.slotOf.get(k);
  }
  /** A zeroed slot for `k`, or undefined when the slab is full. */
  add(k: K): number | undefined {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      if (this.nextSlot >= this.slab.capacity) return undefined;
      slot = this.nextSlot++;
    }
    const o = this.slab.off(slot);
    this.slab.buf(slot).fill(0, o, o + this.slab.recordSize);
    this.slotOf.set(k, slot);
    this.order.unshift(k);
    return slot;
  }
  remove(k: K): boolean {
    const slot = this.slotOf.get(k);
    if (slot === undefined) return false;
    this.slotOf.delete(k);
    this.freeSlots.push(slot);
    this.order.splice(this.order.indexOf(k), 1);
    return true;
  }
  view(slot: number, from: number, len: number): Uint8Array {
    return this.slab.view(slot, from, len);
  }
}
