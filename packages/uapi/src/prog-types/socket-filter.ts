/** BPF_PROG_TYPE_SOCKET_FILTER: sk_filter_verifier_ops (net/core/filter.c). */
import { BpfProgType } from '../enums';
import { skBuffFields, SK_BUFF_SIZE } from './sk-buff';
import type { ProgTypeInfo } from './types';

export const socketFilter: ProgTypeInfo = Object.freeze<ProgTypeInfo>({
  type: BpfProgType.SOCKET_FILTER,
  name: 'socket_filter',
  ctxStruct: '__sk_buff',
  ctxSize: SK_BUFF_SIZE,
  fields: skBuffFields({
    hidden: ['tstamp_type', 'tc_classid', 'data', 'data_meta', 'data_end', 'family', 'remote_ip4', 'local_ip4', 'remote_ip6',
      'local_ip6', 'remote_port', 'local_port', 'tstamp', 'wire_len', 'hwtstamp'],
    writable: ['cb'],
    pointers: {},
  }),
  helpers: Object.freeze([1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 25, 26, 35, 37, 42, 46, 47, 55, 68, 80, 87, 88, 89, 93, 94, 105, 106, 109, 112, 113, 114, 115, 117, 118, 120, 122, 123, 125, 130, 131, 132, 133, 134, 136, 137, 138, 139, 140, 141, 148, 149, 153, 154, 156, 157, 158, 160, 164, 165, 169, 170, 171, 172, 175, 176, 177, 178, 180, 181, 182, 191, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 208, 209, 210, 211]),
  retRange: null,
  pktAccess: false,
  ldAbs: true,
});
