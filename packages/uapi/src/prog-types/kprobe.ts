/** BPF_PROG_TYPE_KPROBE: kprobe_verifier_ops (kernel/trace/bpf_trace.c). Context: struct pt_regs, read-only. */
import { BpfAttachType as A, BpfProgType } from '../enums';
import type { ProgTypeInfo } from './types';

export const kprobe: ProgTypeInfo = Object.freeze<ProgTypeInfo>({
  type: BpfProgType.KPROBE,
  name: 'kprobe',
  ctxStruct: 'pt_regs',
  ctxSize: 168,
  fields: Object.freeze([{ name: 'regs', off: 0, size: 168, read: 'any', write: null }] as const),
  helpers: Object.freeze([1, 2, 3, 4, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 25, 27, 35, 37, 42, 45, 55, 67, 80, 87, 88, 89, 93, 94, 105, 106, 109, 112, 113, 114, 115, 117, 118, 120, 123, 125, 130, 131, 132, 133, 134, 141, 148, 149, 153, 154, 156, 157, 158, 164, 165, 169, 170, 171, 172, 173, 174, 175, 176, 177, 180, 181, 182, 191, 194, 195, 197, 198, 199, 200, 201, 202, 203, 208, 209, 210, 211]),
  retRange: null,
  // session programs return 0 (run the return probe) or 1 (skip it).
  retRangeByAttach: Object.freeze({ [A.TRACE_KPROBE_SESSION]: [0, 1], [A.TRACE_UPROBE_SESSION]: [0, 1] }),
  pktAccess: false,
  ldAbs: false,
});
