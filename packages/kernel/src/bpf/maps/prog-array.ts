/**
 * PROG_ARRAY: slots hold programs for bpf_tail_call. An fd must be a program
 * (not BPF_PROG_TYPE_EXT) compatible with the map: the first program checked
 * (on load of a program using the map, or on insertion) fixes the owner's
 * type and compatKey, as bpf_prog_map_compatible() does. User-space lookups
 * answer the program's id.
 */
import { BpfProgType, Errno } from '@bpfsim/uapi';
import type { ErrnoResult, FdKind, ProgArrayMap, ProgRef } from './map';
import type { MapTypeDef } from './base';
import { FdArrayBase, checkFdArrayAttr } from './fd-array';

export class ProgArrayMapImpl extends FdArrayBase<ProgRef> implements ProgArrayMap {
  protected readonly fdKind: FdKind = 'prog';
  private owner: { type: number; compatKey: string } | undefined;

  compatible(prog: ProgRef): boolean {
    if (!this.owner) {
      this.owner = { type: prog.type, compatKey: prog.compatKey ?? '' };
      return true;
    }
    return this.owner.type === prog.type && this.owner.compatKey === (prog.compatKey ?? '');
  }

  protected override accept(prog: ProgRef): ErrnoResult {
    if (prog.type === BpfProgType.EXT || !this.compatible(prog)) return -Errno.EINVAL;
    return 0;
  }

  getProg(index: number): ProgRef | undefined {
    return this.entry(index);
  }
}

export const progArrayType: MapTypeDef = {
  check: checkFdArrayAttr,
  create: (attr, ctx) => new ProgArrayMapImpl(attr, ctx),
};
