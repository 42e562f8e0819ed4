/** BPF_PROG_TYPE_CGROUP_SYSCTL: cg_sysctl_verifier_ops (kernel/bpf/cgroup.c). Context: struct bpf_sysctl. */
import { BpfProgType } from '../enums';
import { RETVAL_HELPERS } from './cgroup-common';
import type { ProgTypeInfo } from './types';

export const cgroupSysctl: ProgTypeInfo = Object.freeze<ProgTypeInfo>({
  type: BpfProgType.CGROUP_SYSCTL,
  name: 'cgroup_sysctl',
  ctxStruct: 'bpf_sysctl',
  ctxSize: 8,
  fields: Object.freeze([
    { name: 'write', off: 0, size: 4, read: 'narrow', write: null },
    // file_pos may be moved: whole-u32 stores only.
    { name: 'file_pos', off: 4, size: 4, read: 'narrow', write: 'exact' },
  ] as const),
  helpers: Object.freeze([1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 25, 35, 37, 42, 55, 80, 81, 87, 88, 89, 93, 94, 101, 102, 103, 104, 105, 106, 109, 112, 113, 114, 115, 117, 118, 120, 123, 125, 130, 131, 132, 133, 134, 141, 148, 149, 153, 154, 156, 157, 158, 160, 164, 165, 169, 170, 171, 172, 175, 176, 177, 180, 181, 182, 186, 187, 191, 194, 195, 197, 198, 199, 200, 201, 202, 203, 208, 209, 210, 211]),
  helperAttach: RETVAL_HELPERS,
  retRange: [0, 1],
  pktAccess: false,
  ldAbs: false,
});
