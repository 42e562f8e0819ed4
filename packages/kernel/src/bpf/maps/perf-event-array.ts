/**
 * PERF_EVENT_ARRAY: slot i holds a perf event (perf_event_open of
 * PERF_COUNT_SW_BPF_OUTPUT, usually on CPU i). bpf_perf_event_output appends a
 * record to the slot's event; user space drains it (perf_buffer__poll). The
 * records are kept per slot, unbounded, in output order. User-space lookups
 * are ENOTSUPP, as in the kernel (no map_fd_sys_lookup_elem).
 */
import { Errno } from '@bpfsim/uapi';
import type { ErrnoResult, FdKind, PerfEventArrayMap, PerfEventRef, PerfRecord } from './map';
import type { MapTypeDef } from './base';
import { FdArrayBase, checkFdArrayAttr } from './fd-array';

const BPF_F_INDEX_MASK = 0xffffffffn;
const BPF_F_CURRENT_CPU = 0xffffffff;

export class PerfEventArrayMapImpl extends FdArrayBase<PerfEventRef> implements PerfEventArrayMap {
  protected readonly fdKind: FdKind = 'perf_event';
  protected override readonly sysLookupGivesId = false;
  private readonly records = new Map<number, PerfRecord[]>();

  output(cpu: number, flags: bigint, data: Uint8Array): ErrnoResult {
    if (flags & ~BPF_F_INDEX_MASK) return -Errno.EINVAL;
    let index = Number(flags & BPF_F_INDEX_MASK);
    if (index === BPF_F_CURRENT_CPU) index = cpu;
    if (index >= this.maxEntries) return -Errno.E2BIG;
    const ev = this.slots[index];
    if (!ev) return -Errno.ENOENT;
    if (ev.cpu !== cpu) return -Errno.EOPNOTSUPP;
    // A ring mapped by user space holds the sample (or refuses it: -ENOSPC, counted as lost).
    if (ev.ring) return ev.ring.write(data);
    let list = this.records.get(index);
    if (!list) this.records.set(index, (list = []));
    list.push({ cpu, data: data.slice() });
    return 0;
  }

  drain(index: number): PerfRecord[] {
    const list = this.records.get(index) ?? [];
    this.records.delete(index);
    return list;
  }
}

export const perfEventArrayType: MapTypeDef = {
  check: checkFdArrayAttr,
  create: (attr, ctx) => new PerfEventArrayMapImpl(attr, ctx),
};
