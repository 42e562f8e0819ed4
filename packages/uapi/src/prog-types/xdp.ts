/** BPF_PROG_TYPE_XDP: xdp_verifier_ops (net/core/filter.c). Context: struct xdp_md, read-only, 4-byte loads. */
import { BpfAttachType as A, BpfProgType } from '../enums';
import type { ProgTypeInfo } from './types';

export const xdp: ProgTypeInfo = Object.freeze<ProgTypeInfo>({
  type: BpfProgType.XDP,
  name: 'xdp',
  ctxStruct: 'xdp_md',
  ctxSize: 24,
  fields: Object.freeze([
    { name: 'data', off: 0, size: 4, read: 'exact', write: null, yields: 'pkt' },
    { name: 'data_end', off: 4, size: 4, read: 'exact', write: null, yields: 'pkt_end' },
    { name: 'data_meta', off: 8, size: 4, read: 'exact', write: null, yields: 'pkt_meta' },
    { name: 'ingress_ifindex', off: 12, size: 4, read: 'exact', write: null },
    { name: 'rx_queue_index', off: 16, size: 4, read: 'exact', write: null },
    { name: 'egress_ifindex', off: 20, size: 4, read: 'exact', write: null, readAttach: [A.XDP_DEVMAP] },
  ] as const),
  helpers: Object.freeze([1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 23, 25, 28, 35, 37, 42, 44, 51, 54, 55, 65, 69, 80, 84, 85, 86, 87, 88, 89, 93, 94, 99, 100, 105, 106, 109, 110, 112, 113, 114, 115, 117, 118, 120, 123, 125, 130, 131, 132, 133, 134, 136, 137, 138, 139, 140, 141, 148, 149, 153, 154, 156, 157, 158, 160, 163, 164, 165, 169, 170, 171, 172, 175, 176, 177, 178, 180, 181, 182, 188, 189, 190, 191, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211]),
  retRange: null,
  pktAccess: true,
  ldAbs: false,
});
