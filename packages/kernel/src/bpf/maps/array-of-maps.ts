/**
 * ARRAY_OF_MAPS: slots hold maps that match the template given by
 * inner_map_fd at creation (same type, key/value size, flags, and
 * max_entries unless the template has BPF_F_INNER_MAP). A program's lookup
 * yields the inner map's address; a user-space lookup its id.
 */
import { Errno } from '@bpfsim/uapi';
import type { BpfMap, ErrnoResult, FdKind, MapAttr, MapContext, MapInMap } from './map';
import type { MapTypeDef } from './base';
import { FdArrayBase, checkFdArrayAttr } from './fd-array';
import { innerMapMeta, type InnerMapMeta, metaEqual } from './inner-map';

export class ArrayOfMapsImpl extends FdArrayBase<BpfMap> implements MapInMap {
  protected readonly fdKind: FdKind = 'map';
  protected override readonly batchOps = { lookup: true, update: true };

  constructor(attr: MapAttr, ctx: MapContext, readonly meta: InnerMapMeta) {
    super(attr, ctx);
  }

  protected override accept(inner: BpfMap): ErrnoResult {
    return metaEqual(this.meta, inner) ? 0 : -Errno.EINVAL;
  }

  innerMap(key: Uint8Array): BpfMap | undefined {
    return this.entry(this.index(key));
  }

  override lookupAddr(key: Uint8Array): bigint {
    return this.innerMap(key)?.addr ?? 0n;
  }
}

export const arrayOfMapsType: MapTypeDef = {
  check: checkFdArrayAttr,
  create(attr, ctx) {
    const meta = innerMapMeta(attr, ctx);
    if (typeof meta === 'number') return meta;
    return new ArrayOfMapsImpl(attr, ctx, meta);
  },
};
