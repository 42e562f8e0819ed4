/** BPF_PROG_TYPE_CGROUP_SKB: cg_skb_verifier_ops (net/core/filter.c). */
import { BpfAttachType as A, BpfProgType } from '../enums';
import { skBuffFields, SK_BUFF_SIZE } from './sk-buff';
import type { ProgTypeInfo } from './types';

export const cgroupSkb: ProgTypeInfo = Object.freeze<ProgTypeInfo>({
  type: BpfProgType.CGROUP_SKB,
  name: 'cgroup_skb',
  ctxStruct: '__sk_buff',
  ctxSize: SK_BUFF_SIZE,
  fields: skBuffFields({
    hidden: ['tstamp_type', 'tc_classid', 'data_meta', 'wire_len'],
    writable: ['mark', 'priority', 'cb', 'tstamp'],
    pointers: { data: 'pkt', data_end: 'pkt_end' },
  }),
  helpers: Object.freeze([1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 25, 26, 35, 37, 42, 46, 47, 55, 68, 79, 80, 81, 83, 84, 85, 86, 87, 88, 89, 93, 94, 95, 96, 97, 98, 99, 105, 106, 107, 108, 109, 112, 113, 114, 115, 117, 118, 120, 122, 123, 125, 128, 129, 130, 131, 132, 133, 134, 136, 137, 138, 139, 140, 141, 148, 149, 153, 154, 156, 157, 158, 160, 164, 165, 169, 170, 171, 172, 175, 176, 177, 178, 180, 181, 182, 191, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 208, 209, 210, 211]),
  retRange: [0, 1],
  // egress may also set bit 1 (congestion notification).
  retRangeByAttach: Object.freeze({ [A.CGROUP_INET_EGRESS]: [0, 3] }),
  attachTypes: Object.freeze([A.CGROUP_INET_INGRESS, A.CGROUP_INET_EGRESS]),
  pktAccess: true,
  // may_access_direct_pkt_data: cgroup skb programs read the packet, never write it.
  pktWrite: false,
  ldAbs: false,
});
