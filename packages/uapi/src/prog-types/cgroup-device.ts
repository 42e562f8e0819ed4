/** BPF_PROG_TYPE_CGROUP_DEVICE: cg_dev_verifier_ops (kernel/bpf/cgroup.c). Context: struct bpf_cgroup_dev_ctx, read-only. */
import { BpfProgType } from '../enums';
import { RETVAL_HELPERS } from './cgroup-common';
import type { ProgTypeInfo } from './types';

export const cgroupDevice: ProgTypeInfo = Object.freeze<ProgTypeInfo>({
  type: BpfProgType.CGROUP_DEVICE,
  name: 'cgroup_device',
  ctxStruct: 'bpf_cgroup_dev_ctx',
  ctxSize: 12,
  fields: Object.freeze([
    // access_type packs the device type (low 16 bits) and the access mask: narrow loads allowed.
    { name: 'access_type', off: 0, size: 4, read: 'narrow', write: null },
    { name: 'major', off: 4, size: 4, read: 'exact', write: null },
    { name: 'minor', off: 8, size: 4, read: 'exact', write: null },
  ] as const),
  helpers: Object.freeze([1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 25, 35, 37, 42, 55, 80, 81, 87, 88, 89, 93, 94, 105, 106, 109, 112, 113, 114, 115, 117, 118, 120, 123, 125, 130, 131, 132, 133, 134, 141, 148, 149, 153, 154, 156, 157, 158, 164, 165, 169, 170, 171, 172, 175, 176, 177, 180, 181, 182, 186, 187, 191, 194, 195, 197, 198, 199, 200, 201, 202, 203, 208, 209, 210, 211]),
  helperAttach: RETVAL_HELPERS,
  retRange: [0, 1],
  pktAccess: false,
  ldAbs: false,
});
