/**
 * BPF_PROG_TYPE_SK_MSG: sk_msg_verifier_ops (net/core/filter.c), sockmap sendmsg verdict programs.
 * Context: struct sk_msg_md, read-only, whole fields only; data/data_end bound the message bytes.
 */
import { BpfProgType } from '../enums';
import type { CtxField } from './types';
import type { ProgTypeInfo } from './types';

const u32 = (name: string, off: number): CtxField => ({ name, off, size: 4, read: 'exact', write: null });

export const skMsg: ProgTypeInfo = Object.freeze<ProgTypeInfo>({
  type: BpfProgType.SK_MSG,
  name: 'sk_msg',
  ctxStruct: 'sk_msg_md',
  ctxSize: 80,
  fields: Object.freeze([
    { name: 'data', off: 0, size: 8, read: 'exact', write: null, yields: 'pkt' },
    { name: 'data_end', off: 8, size: 8, read: 'exact', write: null, yields: 'pkt_end' },
    u32('family', 16), u32('remote_ip4', 20), u32('local_ip4', 24),
    ...[0, 1, 2, 3].map((i) => u32('remote_ip6', 28 + 4 * i)),
    ...[0, 1, 2, 3].map((i) => u32('local_ip6', 44 + 4 * i)),
    u32('remote_port', 60), u32('local_port', 64), u32('size', 68),
    { name: 'sk', off: 72, size: 8, read: 'exact', write: null, yields: 'sock' },
  ] satisfies CtxField[]),
  helpers: Object.freeze([1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 25, 35, 37, 42, 55, 60, 61, 62, 63, 71, 80, 87, 88, 89, 90, 91, 93, 94, 105, 106, 107, 108, 109, 112, 113, 114, 115, 117, 118, 120, 122, 123, 125, 130, 131, 132, 133, 134, 136, 137, 138, 139, 140, 141, 148, 149, 153, 154, 156, 157, 158, 160, 164, 165, 169, 170, 171, 172, 175, 176, 177, 178, 180, 181, 182, 191, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 208, 209, 210, 211]),
  retRange: null,
  pktAccess: true,
  ldAbs: false,
});
