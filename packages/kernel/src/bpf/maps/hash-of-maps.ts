/**
 * HASH_OF_MAPS: a hash table (hashtab.ts, same order and error codes) whose
 * values are maps matching the inner-map template. Internally the table
 * stores each inner map's id; a program's lookup yields the inner map's
 * address, a user-space lookup its id.
 */
import { BpfMapType, Errno } from '@bpfsim/uapi';
import type { BatchResult, BpfMap, ErrnoResult, MapAttr, MapContext, MapInMap } from './map';
import { MapBase, type MapTypeDef, le32, putLe32 } from './base';
import { HashTableMap, checkHashAttr, checkHashSize } from './hashtab';
import { innerMapMeta, type InnerMapMeta, metaEqual } from './inner-map';

export class HashOfMapsImpl extends MapBase implements MapInMap {
  private readonly table: HashTableMap;
  private readonly byId = new Map<number, { map: BpfMap; refs: number }>();
  private readonly resolve: MapContext['resolveFd'];
  protected override readonly batchOps = { lookup: true, lookupAndDelete: true, update: true, delete: true };

  constructor(attr: MapAttr, ctx: MapContext, readonly meta: InnerMapMeta) {
    super(attr, ctx);
    this.resolve = ctx.resolveFd;
    this.table = new HashTableMap({ ...attr, type: BpfMapType.HASH, name: `${attr.name ?? ''}.idx` }, ctx, attr.maxEntries);
  }

  private ref(id: number, delta: number): void {
    const e = this.byId.get(id);
    if (!e) return;
    e.refs += delta;
    if (e.refs <= 0) this.byId.delete(id);
  }

  innerMap(key: Uint8Array): BpfMap | undefined {
    const v = this.table.lookup(key);
    return typeof v === 'number' ? undefined : this.byId.get(le32(v))?.map;
  }

  protected override sysLookup(key: Uint8Array | null): Uint8Array | ErrnoResult {
    return this.table.lookup(key);
  }

  protected override sysUpdate(key: Uint8Array | null, value: Uint8Array, flags: number): ErrnoResult {
    if (!key) return -Errno.EINVAL;
    if (!this.resolve) return -Errno.EBADF;
    const inner = this.resolve(le32(value), 'map');
    if (typeof inner === 'number') return inner;
    const m = inner as BpfMap;
    if (!metaEqual(this.meta, m)) return -Errno.EINVAL;
    const old = this.table.lookup(key);
    const idBytes = new Uint8Array(4);
    putLe32(idBytes, m.id);
    const err = this.table.update(key, idBytes, flags);
    if (err) return err;
    if (!this.byId.has(m.id)) this.byId.set(m.id, { map: m, refs: 0 });
    this.ref(m.id, 1);
    if (typeof old !== 'number') this.ref(le32(old), -1);
    return 0;
  }

  protected override sysDelete(key: Uint8Array | null): ErrnoResult {
    if (!key) return -Errno.EINVAL;
    const old = this.table.lookup(key);
    const err = this.table.delete(key);
    if (!err && typeof old !== 'number') this.ref(le32(old), -1);
    return err;
  }

  protected override sysGetNextKey(key: Uint8Array | null): Uint8Array | ErrnoResult {
    return this.table.getNextKey(key);
  }

  /** The hash table's bucket batches; values are the inner maps' ids, as the kernel reports them. */
  override lookupBatch(inBatch: Uint8Array | null, count: number, del: boolean, elemFlags = 0): BatchResult {
    const pre = this.batchPrecheck(del, elemFlags);
    if (pre) return pre;
    const r = this.table.lookupBatch(inBatch, count, del, elemFlags);
    if (del) for (let i = 0; i < r.count; i++) this.ref(le32(r.values, 4 * i), -1);
    return r;
  }

  override lookupAddr(key: Uint8Array): bigint {
    return this.innerMap(key)?.addr ?? 0n;
  }

  override updateFromProg(): ErrnoResult {
    return -Errno.EINVAL;
  }
  override deleteFromProg(): ErrnoResult {
    return -Errno.EINVAL;
  }

  protected override freeStorage(): void {
    this.table.free();
  }
}

export const hashOfMapsType: MapTypeDef = {
  check(attr, ctx) {
    if (attr.valueSize !== 4) return -Errno.EINVAL;
    return checkHashAttr({ ...attr, type: BpfMapType.HASH }, ctx);
  },
  create(attr, ctx) {
    const meta = innerMapMeta(attr, ctx);
    if (typeof meta === 'number') return meta;
    const err = checkHashSize(attr.maxEntries);
    if (err) return err;
    return new HashOfMapsImpl(attr, ctx, meta);
  },
};
