/** struct __sk_buff field table (the 6.18 layout, from /tmp/vmlinux.h) and the per-type variants of it. */
import type { CtxField, CtxSizes } from './types';

type Spec = [name: string, off: number, size: number, read: CtxSizes | null, write: CtxSizes | null];

/** Base access rules of bpf_skb_is_valid_access: reads narrow, writes exactly 4 bytes where a type allows them. */
const BASE: Spec[] = [
  ['len', 0, 4, 'narrow', null],
  ['pkt_type', 4, 4, 'narrow', null],
  ['mark', 8, 4, 'narrow', null],
  ['queue_mapping', 12, 4, 'narrow', null],
  ['protocol', 16, 4, 'narrow', null],
  ['vlan_present', 20, 4, 'narrow', null],
  ['vlan_tci', 24, 4, 'narrow', null],
  ['vlan_proto', 28, 4, 'narrow', null],
  ['priority', 32, 4, 'narrow', null],
  ['ingress_ifindex', 36, 4, 'narrow', null],
  ['ifindex', 40, 4, 'narrow', null],
  ['tc_index', 44, 4, 'narrow', null],
  ['cb', 48, 20, 'any', null],
  ['hash', 68, 4, 'narrow', null],
  ['tc_classid', 72, 4, 'narrow', null],
  ['data', 76, 4, 'exact', null],
  ['data_end', 80, 4, 'exact', null],
  ['napi_id', 84, 4, 'narrow', null],
  ['family', 88, 4, 'narrow', null],
  // bpf_skb_is_valid_access: the addresses are read as whole u32s only (size == size_default).
  ['remote_ip4', 92, 4, 'exact', null],
  ['local_ip4', 96, 4, 'exact', null],
  ...[0, 1, 2, 3].map((i): Spec => ['remote_ip6', 100 + 4 * i, 4, 'exact', null]),
  ...[0, 1, 2, 3].map((i): Spec => ['local_ip6', 116 + 4 * i, 4, 'exact', null]),
  ['remote_port', 132, 4, 'narrow', null],
  ['local_port', 136, 4, 'narrow', null],
  ['data_meta', 140, 4, 'exact', null],
  ['tstamp', 152, 8, 'exact', null],
  ['wire_len', 160, 4, 'narrow', null],
  ['gso_segs', 164, 4, 'narrow', null],
  ['sk', 168, 8, 'exact', null],
  ['gso_size', 176, 4, 'narrow', null],
  // a u8 that only tc programs may read (tc_cls_act_is_valid_access)
  ['tstamp_type', 180, 1, 'exact', null],
  ['hwtstamp', 184, 8, 'exact', null],
];

export const SK_BUFF_SIZE = 192;

/**
 * The __sk_buff table for one program type: `hidden` fields are refused, `writable` ones accept
 * 4-byte writes (cb[] takes any aligned size, tstamp 8 bytes), `pointers` says what data/data_end/... yield.
 */
export function skBuffFields(opts: {
  hidden: readonly string[];
  writable: readonly string[];
  pointers: Readonly<Record<string, CtxField['yields']>>;
}): CtxField[] {
  const out: CtxField[] = [];
  for (const [name, off, size, read] of BASE) {
    if (opts.hidden.includes(name)) continue;
    const write: CtxSizes | null = opts.writable.includes(name) ? (name === 'cb' ? 'any' : 'exact') : null;
    const y = name === 'sk' ? 'sock_common_or_null' : opts.pointers[name];
    out.push(Object.freeze({ name, off, size, read, write, ...(y ? { yields: y } : {}) }));
  }
  return out;
}
