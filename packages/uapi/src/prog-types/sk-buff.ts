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
  ['cb', 48, 20, 'any', 'any'],
  ['hash', 68, 4, 'narrow', null],
  ['tc_classid', 72, 4, 'narrow', null],
  ['data', 76, 4, 'exact', null],
  ['data_end', 80, 4, 'exact', null],
  ['napi_id', 84, 4, 'narrow', null],
  ['family', 88, 4, 'narrow', null],
  ['remote_ip4', 92, 4, 'narrow', null],
  ['local_ip4', 96, 4, 'narrow', null],
  ['remote_ip6', 100, 16, 'narrow', null],
  ['local_ip6', 116, 16, 'narrow', null],
  ['remote_port', 132, 4, 'narrow', null],
  ['local_port', 136, 4, 'narrow', null],
  ['data_meta', 140, 4, 'exact', null],
  ['tstamp', 152, 8, 'exact', null],
  ['wire_len', 160, 4, 'narrow', null],
  ['gso_segs', 164, 4, 'narrow', null],
  ['sk', 168, 8, 'exact', null],
  ['gso_size', 176, 4, 'narrow', null],
  ['hwtstamp', 184, 8, 'exact', null],
];

export const SK_BUFF_SIZE = 192;

/**
 * The __sk_buff table for one program type: `hidden` fields are refused, `writable` ones accept
 * 4-byte writes (cb[] and tstamp keep their own sizes), `pointers` says what data/data_end/... yield.
 */
export function skBuffFields(opts: {
  hidden: readonly string[];
  writable: readonly string[];
  pointers: Readonly<Record<string, CtxField['yields']>>;
}): CtxField[] {
  const out: CtxField[] = [];
  for (const [name, off, size, read, write] of BASE) {
    if (opts.hidden.includes(name)) continue;
    const w = opts.writable.includes(name) ? (name === 'cb' ? 'any' : name === 'tstamp' ? 'exact' : 'exact') : null;
    const y = name === 'sk' ? 'sock_common_or_null' : opts.pointers[name];
    out.push(Object.freeze({ name, off, size, read, write: name === 'cb' ? write : w, ...(y ? { yields: y } : {}) }));
  }
  return out;
}
