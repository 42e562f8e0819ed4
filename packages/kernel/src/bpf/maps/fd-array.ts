/**
 * The array maps whose values are file descriptors (kernel/bpf/arraymap.c
 * "fd_array"): user space stores an fd (4-byte value), the map keeps the
 * object behind it. Shared here: fd_array_map_alloc_check, update (BPF_ANY
 * only, E2BIG past the end), delete (ENOENT for an empty slot), the array's
 * get_next_key, and the user-space lookup that answers the object's id
 * (ENOTSUPP for types without one). Each type decides what an fd may be.
 */
import { Errno } from '@bpfsim/uapi';
import type { ErrnoResult, FdKind, KernelObjectRef, MapAttr, MapContext } from './map';
import { BPF_ANY, MapFlag } from './flags';
import { MapBase, le32, putLe32, arrayIndex, arrayNextKey } from './base';
import { checkArrayAttr } from './array';

const E = (e: number): ErrnoResult => -e;

/** fd_array_map_alloc_check() */
export function checkFdArrayAttr(attr: MapAttr): ErrnoResult {
  if (attr.valueSize !== 4) return E(Errno.EINVAL);
  if ((attr.flags ?? 0) & (MapFlag.RDONLY_PROG | MapFlag.WRONLY_PROG)) return E(Errno.EINVAL);
  return checkArrayAttr(attr);
}

export abstract class FdArrayBase<T extends KernelObjectRef> extends MapBase {
  protected readonly slots: (T | undefined)[];
  private readonly resolve: MapContext['resolveFd'];

  constructor(attr: MapAttr, ctx: MapContext) {
    super(attr, ctx);
    this.slots = new Array<T | undefined>(attr.maxEntries);
    this.resolve = ctx.resolveFd;
  }

  /** What kind of object an fd in this map must be. */
  protected abstract readonly fdKind: FdKind;
  /** map_fd_get_ptr's checks beyond "is it the right kind": 0 or a negative errno. */
  protected accept(_obj: T): ErrnoResult {
    return 0;
  }
  /** map_fd_sys_lookup_elem: true if user-space lookups answer the object's id. */
  protected readonly sysLookupGivesId: boolean = true;

  protected index(key: Uint8Array | null): number {
    return arrayIndex(key);
  }

  /** The object in slot `i`, if any. */
  entry(i: number): T | undefined {
    return i >= 0 && i < this.maxEntries ? this.slots[i] : undefined;
  }

  protected override sysLookup(key: Uint8Array | null): Uint8Array | ErrnoResult {
    if (!this.sysLookupGivesId) return E(Errno.ENOTSUPP);
    const obj = this.entry(this.index(key));
    if (!obj) return E(Errno.ENOENT);
    const out = new Uint8Array(4);
    putLe32(out, obj.id);
    return out;
  }

  protected override sysUpdate(key: Uint8Array | null, value: Uint8Array, flags: number): ErrnoResult {
    if (flags !== BPF_ANY) return E(Errno.EINVAL);
    const i = this.index(key);
    if (i < 0 || i >= this.maxEntries) return E(Errno.E2BIG);
    if (!this.resolve) return E(Errno.EBADF);
    const obj = this.resolve(le32(value), this.fdKind);
    if (typeof obj === 'number') return obj;
    const err = this.accept(obj as T);
    if (err) return err;
    this.slots[i] = obj as T;
    return 0;
  }

  protected override sysDelete(key: Uint8Array | null): ErrnoResult {
    const i = this.index(key);
    if (i < 0 || i >= this.maxEntries) return E(Errno.E2BIG);
    if (!this.slots[i]) return E(Errno.ENOENT);
    this.slots[i] = undefined;
    return 0;
  }

  protected override sysGetNextKey(key: Uint8Array | null): Uint8Array | ErrnoResult {
    return arrayNextKey(this.index(key), this.maxEntries);
  }

  /** Programs cannot update or delete fd maps (the verifier refuses); at run time: EINVAL. */
  override updateFromProg(): ErrnoResult {
    return E(Errno.EINVAL);
  }
  override deleteFromProg(): ErrnoResult {
    return E(Errno.EINVAL);
  }

  clear(): void {
    this.slots.fill(undefined);
  }
}
