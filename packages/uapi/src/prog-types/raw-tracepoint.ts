/** BPF_PROG_TYPE_RAW_TRACEPOINT: raw_tracepoint_verifier_ops. Context: u64 args[12], read-only. */
import { BpfProgType } from '../enums';
import type { ProgTypeInfo } from './types';

export const rawTracepoint: ProgTypeInfo = Object.freeze<ProgTypeInfo>({
  type: BpfProgType.RAW_TRACEPOINT,
  name: 'raw_tracepoint',
  ctxStruct: 'bpf_raw_tracepoint_args',
  ctxSize: 96,
  fields: Object.freeze([{ name: 'args', off: 0, size: 96, read: 'any', write: null }] as const),
  helpers: Object.freeze([1, 2, 3, 4, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 25, 27, 35, 37, 42, 45, 55, 67, 80, 87, 88, 89, 93, 94, 105, 106, 109, 112, 113, 114, 115, 117, 118, 120, 123, 125, 130, 131, 132, 133, 134, 141, 148, 149, 153, 154, 156, 157, 158, 164, 165, 169, 170, 171, 172, 173, 174, 175, 176, 177, 180, 181, 182, 191, 194, 195, 197, 198, 199, 200, 201, 202, 203, 208, 209, 210, 211]),
  retRange: null,
  pktAccess: false,
  ldAbs: false,
});
