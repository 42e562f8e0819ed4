/**
 * QUEUE and STACK (kernel/bpf/queue_stack_maps.c): a ring of max_entries + 1
 * value slots. push writes at head; a full map fails with E2BIG unless
 * BPF_EXIST, which drops the oldest element (for both types). A queue pops
 * the oldest element (tail), a stack the newest (head - 1). No keys: user-space
 * lookup is peek, update is push, lookup_and_delete is pop; delete and
 * get_next_key are EINVAL.
 */
import { BpfMapType, Errno } from '@bpfsim/uapi';
import type { ErrnoResult, MapAttr, MapContext } from './map';
import { BPF_EXIST, BPF_NOEXIST, MapFlag } from './flags';
import { ACCESS_MASK, KMALLOC_MAX_SIZE, MapBase, type MapTypeDef, SIM_MAX_ELEMS, accessOk } from './base';

const QUEUE_STACK_CREATE_FLAG_MASK = MapFlag.NUMA_NODE | ACCESS_MASK;
const E = (e: number): ErrnoResult => -e;

export class QueueStackMap extends MapBase {
  private readonly ring: Uint8Array;
  private readonly slots: number;
  private head = 0;
  private tail = 0;
  private readonly isStack: boolean;

  constructor(attr: MapAttr, ctx: MapContext) {
    super(attr, ctx);
    this.isStack = attr.type === BpfMapType.STACK;
    this.slots = attr.maxEntries + 1;
    this.ring = new Uint8Array(this.slots * attr.valueSize);
  }

  get size(): number {
    return (this.head - this.tail + this.slots) % this.slots;
  }

  private slot(i: number): Uint8Array {
    return this.ring.subarray(i * this.valueSize, (i + 1) * this.valueSize);
  }

  override pushElem(value: Uint8Array, flags: number): ErrnoResult {
    if (flags & BPF_NOEXIST || flags > BPF_EXIST) return E(Errno.EINVAL);
    if (this.size === this.maxEntries) {
      if (!(flags & BPF_EXIST)) return E(Errno.E2BIG);
      this.tail = (this.tail + 1) % this.slots; // overwrite the oldest
    }
    this.slot(this.head).set(value.subarray(0, this.valueSize));
    this.head = (this.head + 1) % this.slots;
    return 0;
  }

  private take(out: Uint8Array, remove: boolean): ErrnoResult {
    if (this.size === 0) return E(Errno.ENOENT);
    if (this.isStack) {
      const i = (this.head - 1 + this.slots) % this.slots;
      out.set(this.slot(i));
      if (remove) this.head = i;
    } else {
      out.set(this.slot(this.tail));
      if (remove) this.tail = (this.tail + 1) % this.slots;
    }
    return 0;
  }

  override popElem(out: Uint8Array): ErrnoResult {
    return this.take(out, true);
  }
  override peekElem(value: Uint8Array): ErrnoResult {
    return this.take(value, false);
  }

  protected override sysLookup(): Uint8Array | ErrnoResult {
    const out = new Uint8Array(this.valueSize);
    const err = this.take(out, false);
    return err || out;
  }
  protected override sysUpdate(_key: Uint8Array | null, value: Uint8Array, flags: number): ErrnoResult {
    return this.pushElem(value, flags);
  }
  protected override sysDelete(): ErrnoResult {
    return E(Errno.EINVAL);
  }
  protected override sysGetNextKey(): Uint8Array | ErrnoResult {
    return E(Errno.EINVAL);
  }
  protected override sysLookupAndDelete(_key: Uint8Array | null, flags: number): Uint8Array | ErrnoResult {
    if (flags) return E(Errno.EINVAL);
    const out = new Uint8Array(this.valueSize);
    const err = this.take(out, true);
    return err || out;
  }
  override updateFromProg(): ErrnoResult {
    return E(Errno.EINVAL);
  }
  override deleteFromProg(): ErrnoResult {
    return E(Errno.EINVAL);
  }
}

export const queueStackType: MapTypeDef = {
  check(attr) {
    const flags = attr.flags ?? 0;
    if (attr.maxEntries === 0 || attr.keySize !== 0 || attr.valueSize === 0 ||
      flags & ~QUEUE_STACK_CREATE_FLAG_MASK || !accessOk(flags)) return E(Errno.EINVAL);
    if (attr.valueSize > KMALLOC_MAX_SIZE) return E(Errno.E2BIG);
    return 0;
  },
  create(attr, ctx) {
    if (attr.maxEntries >= SIM_MAX_ELEMS || (attr.maxEntries + 1) * attr.valueSize > 2 ** 31) return E(Errno.ENOMEM);
    return new QueueStackMap(attr, ctx);
  },
};
