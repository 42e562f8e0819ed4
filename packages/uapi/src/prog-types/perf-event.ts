/** BPF_PROG_TYPE_PERF_EVENT: perf_event_verifier_ops. Context: struct bpf_perf_event_data, read-only. */
import { BpfProgType } from '../enums';
import type { ProgTypeInfo } from './types';

export const perfEvent: ProgTypeInfo = Object.freeze<ProgTypeInfo>({
  type: BpfProgType.PERF_EVENT,
  name: 'perf_event',
  ctxStruct: 'bpf_perf_event_data',
  ctxSize: 184,
  fields: Object.freeze([
    // regs: only whole 8-byte (sizeof(long)) loads.
    ...Array.from({ length: 21 }, (_, i) => ({ name: `regs[${i}]`, off: i * 8, size: 8, read: 'exact' as const, write: null })),
    { name: 'sample_period', off: 168, size: 8, read: 'any' as const, write: null },
    { name: 'addr', off: 176, size: 8, read: 'any' as const, write: null },
  ]),
  helpers: Object.freeze([1, 2, 3, 4, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 25, 27, 35, 37, 42, 45, 55, 56, 67, 80, 87, 88, 89, 93, 94, 105, 106, 109, 112, 113, 114, 115, 117, 118, 119, 120, 123, 125, 130, 131, 132, 133, 134, 141, 148, 149, 153, 154, 156, 157, 158, 164, 165, 169, 170, 171, 172, 173, 174, 175, 176, 177, 180, 181, 182, 191, 194, 195, 197, 198, 199, 200, 201, 202, 203, 208, 209, 210, 211]),
  retRange: null,
  pktAccess: false,
  ldAbs: false,
});
