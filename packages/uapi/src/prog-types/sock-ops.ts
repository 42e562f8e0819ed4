/**
 * BPF_PROG_TYPE_SOCK_OPS: sock_ops_verifier_ops (net/core/filter.c). Context: struct bpf_sock_ops,
 * whole-field reads; only reply and sk_txhash are writable. skb_data/skb_data_end give packet
 * pointers that may be read directly but never written or passed to helpers.
 */
import { BpfProgType } from '../enums';
import { RETVAL_HELPERS } from './cgroup-common';
import type { CtxField, CtxSizes } from './types';
import type { ProgTypeInfo } from './types';

const f = (name: string, off: number, size = 4, read: CtxSizes = 'exact', extra: Partial<CtxField> = {}): CtxField =>
  Object.freeze({ name, off, size, read, write: null, ...extra });

const U32_AFTER_IP6 = ['remote_port', 'local_port', 'is_fullsock', 'snd_cwnd', 'srtt_us', 'bpf_sock_ops_cb_flags', 'state',
  'rtt_min', 'snd_ssthresh', 'rcv_nxt', 'snd_nxt', 'snd_una', 'mss_cache', 'ecn_flags', 'rate_delivered',
  'rate_interval_us', 'packets_out', 'retrans_out', 'total_retrans', 'segs_in', 'data_segs_in', 'segs_out',
  'data_segs_out', 'lost_out', 'sacked_out'];

export const sockOps: ProgTypeInfo = Object.freeze<ProgTypeInfo>({
  type: BpfProgType.SOCK_OPS,
  name: 'sock_ops',
  ctxStruct: 'bpf_sock_ops',
  ctxSize: 224,
  fields: Object.freeze([
    f('op', 0),
    // union { args[4]; reply; replylong[4] }: reply (args[0]) is the one writable word.
    f('reply', 4, 4, 'exact', { write: 'exact' }),
    ...[1, 2, 3].map((i) => f('args', 4 + 4 * i)),
    f('family', 20), f('remote_ip4', 24), f('local_ip4', 28),
    ...[0, 1, 2, 3].map((i) => f('remote_ip6', 32 + 4 * i)),
    ...[0, 1, 2, 3].map((i) => f('local_ip6', 48 + 4 * i)),
    ...U32_AFTER_IP6.map((n, i) => f(n, 64 + 4 * i)),
    f('sk_txhash', 164, 4, 'exact', { write: 'exact' }),
    f('bytes_received', 168, 8), f('bytes_acked', 176, 8),
    f('sk', 184, 8, 'exact', { yields: 'sock_or_null' }),
    f('skb_data', 192, 8, 'exact', { yields: 'pkt' }),
    f('skb_data_end', 200, 8, 'exact', { yields: 'pkt_end' }),
    f('skb_len', 208),
    f('skb_tcp_flags', 212, 4, [1, 2, 4]),
    f('skb_hwtstamp', 216, 8),
  ]),
  helpers: Object.freeze([1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 25, 35, 37, 42, 46, 49, 53, 55, 57, 59, 70, 80, 81, 87, 88, 89, 93, 94, 96, 105, 106, 107, 108, 109, 112, 113, 114, 115, 117, 118, 120, 122, 123, 125, 130, 131, 132, 133, 134, 136, 137, 138, 139, 140, 141, 142, 143, 144, 148, 149, 153, 154, 156, 157, 158, 160, 164, 165, 169, 170, 171, 172, 175, 176, 177, 178, 180, 181, 182, 186, 187, 191, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 208, 209, 210, 211]),
  helperAttach: RETVAL_HELPERS,
  retRange: [0, 1],
  pktAccess: false,
  ldAbs: false,
});
