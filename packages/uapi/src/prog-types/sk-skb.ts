/**
 * BPF_PROG_TYPE_SK_SKB: sk_skb_verifier_ops (net/core/filter.c), sockmap stream parser/verdict
 * programs. Context: __sk_buff without mark, tc_classid, data_meta and the timestamps; only
 * tc_index and priority are writable (not even cb[]).
 */
import { BpfProgType } from '../enums';
import { skBuffFields, SK_BUFF_SIZE } from './sk-buff';
import type { ProgTypeInfo } from './types';

export const skSkb: ProgTypeInfo = Object.freeze<ProgTypeInfo>({
  type: BpfProgType.SK_SKB,
  name: 'sk_skb',
  ctxStruct: '__sk_buff',
  ctxSize: SK_BUFF_SIZE,
  fields: skBuffFields({
    hidden: ['tstamp_type', 'mark', 'tc_classid', 'data_meta', 'tstamp', 'wire_len', 'hwtstamp'],
    writable: ['tc_index', 'priority'],
    pointers: { data: 'pkt', data_end: 'pkt_end' },
  }),
  helpers: Object.freeze([1, 2, 3, 5, 6, 7, 8, 9, 12, 14, 15, 16, 17, 22, 25, 26, 35, 37, 38, 39, 42, 43, 46, 47, 50, 52, 55, 72, 80, 84, 85, 86, 87, 88, 89, 93, 94, 99, 105, 106, 109, 112, 113, 114, 115, 117, 118, 120, 123, 125, 130, 131, 132, 133, 134, 136, 137, 138, 139, 140, 141, 148, 149, 153, 154, 156, 157, 158, 160, 164, 165, 169, 170, 171, 172, 175, 176, 177, 178, 180, 181, 182, 191, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 208, 209, 210, 211]),
  retRange: null,
  pktAccess: true,
  ldAbs: false,
});
