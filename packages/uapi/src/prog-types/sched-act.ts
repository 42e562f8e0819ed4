/** BPF_PROG_TYPE_SCHED_ACT: tc_cls_act_verifier_ops (net/core/filter.c). */
import { BpfProgType } from '../enums';
import { skBuffFields, SK_BUFF_SIZE } from './sk-buff';
import type { ProgTypeInfo } from './types';

export const schedAct: ProgTypeInfo = Object.freeze<ProgTypeInfo>({
  type: BpfProgType.SCHED_ACT,
  name: 'sched_act',
  ctxStruct: '__sk_buff',
  ctxSize: SK_BUFF_SIZE,
  fields: skBuffFields({
    hidden: ['family', 'remote_ip4', 'local_ip4', 'remote_ip6', 'local_ip6', 'remote_port', 'local_port'],
    writable: ['mark', 'tc_index', 'priority', 'tc_classid', 'cb', 'tstamp', 'queue_mapping'],
    pointers: { data: 'pkt', data_end: 'pkt_end', data_meta: 'pkt_meta' },
  }),
  helpers: Object.freeze([1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 28, 29, 30, 31, 32, 33, 34, 35, 37, 38, 39, 40, 41, 42, 43, 46, 47, 48, 50, 55, 66, 68, 69, 79, 80, 83, 84, 85, 86, 87, 88, 89, 93, 94, 95, 96, 97, 98, 99, 100, 105, 106, 107, 108, 109, 110, 112, 113, 114, 115, 117, 118, 120, 122, 123, 124, 125, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 141, 148, 149, 151, 152, 153, 154, 155, 156, 157, 158, 160, 163, 164, 165, 169, 170, 171, 172, 175, 176, 177, 178, 180, 181, 182, 191, 192, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211]),
  retRange: null,
  pktAccess: true,
  ldAbs: true,
});
