/**
 * BPF_PROG_TYPE_TRACING: tracing_verifier_ops. Only tp_btf (BPF_TRACE_RAW_TP) programs load on the
 * reference machine (fentry/fexit/fmod_ret need a BPF trampoline, which its kernel refuses with EPERM).
 * The context is the traced function's arguments as u64 args[12]; which reads are allowed and what
 * they yield comes from the target's BTF prototype (btf_ctx_access), not from this field table.
 */
import { BpfAttachType, BpfProgType } from '../enums';
import type { ProgTypeInfo } from './types';

export const tracing: ProgTypeInfo = Object.freeze<ProgTypeInfo>({
  type: BpfProgType.TRACING,
  name: 'tracing',
  ctxStruct: 'u64[12]',
  ctxSize: 96,
  fields: Object.freeze([{ name: 'args', off: 0, size: 96, read: 'any', write: null }] as const),
  // Measured on Linux 6.18 with a tp_btf/sched_switch program: every id whose call is not refused with
  // "program of this type cannot use helper" (tracing_prog_func_proto).
  helpers: Object.freeze([
    1, 2, 3, 4, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 25, 27, 35, 37, 42, 45, 46, 55, 67, 80, 87, 88, 89, 93, 94, 105, 106,
    107, 108, 109, 111, 112, 113, 114, 115, 117, 118, 120, 121, 123, 125, 130, 131, 132, 133, 134, 136, 137, 138, 139, 140,
    141, 147, 148, 149, 153, 154, 156, 157, 158, 162, 164, 165, 169, 170, 171, 172, 173, 174, 175, 176, 177, 178, 180, 181,
    182, 188, 191, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 208, 209, 210, 211,
    // bpf_seq_printf, bpf_seq_write, bpf_seq_printf_btf: iterators only (tracing_prog_func_proto)
    126, 127, 150,
  ]),
  helperAttach: Object.freeze({
    126: { only: [BpfAttachType.TRACE_ITER] }, 127: { only: [BpfAttachType.TRACE_ITER] }, 150: { only: [BpfAttachType.TRACE_ITER] },
  }),
  // check_return_code: tp_btf and fmod_ret programs may return anything; fentry and fexit return 0
  // (loaded only by a kernel with trampolines, VerifyOptions.trampolines).
  retRange: null,
  // iterators return 0 (continue) or 1 (show the same object again): check_return_code's default range
  retRangeByAttach: Object.freeze({
    [BpfAttachType.TRACE_ITER]: [0, 1] as const, [BpfAttachType.TRACE_FENTRY]: [0, 0] as const, [BpfAttachType.TRACE_FEXIT]: [0, 0] as const,
  }),
  pktAccess: false,
  ldAbs: false,
});
