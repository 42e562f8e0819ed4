/**
 * struct __sk_buff over a simulated sk_buff. The offsets are uapi's (checked
 * against the running kernel's BTF by test/ctx-layout.test.ts); each computed
 * field reads the sk_buff state the kernel's rewrite reads.
 */
import type { PacketBuffer } from '../packet';
import type { CtxField, CtxLayout } from './layout';

export const SK_BUFF_SIZE = 192;
/** QDISC_CB_PRIV_LEN: bytes of cb[] that __sk_buff->cb exposes. */
export const CB_LEN = 20;

/** The socket a test-run skb carries (what family/remote_ip4/... read). */
export interface SkbSock {
  family: number;
  /** Addresses as the bytes in memory read little-endian (network order in memory). */
  remoteIp4: number;
  localIp4: number;
  remoteIp6: number[];
  localIp6: number[];
  remotePort: number;
  localPort: number;
}

export interface SkBuff {
  pkt: PacketBuffer;
  /** Frame offsets of the MAC and network headers. */
  macHeader: number;
  networkHeader: number;
  pktType: number;
  mark: number;
  queueMapping: number;
  /** skb->protocol as stored (__be16 read little-endian: 0x0008 for IPv4). */
  protocol: number;
  vlanPresent: number;
  vlanTci: number;
  vlanProto: number;
  priority: number;
  /** skb->skb_iif */
  ingressIfindex: number;
  /** skb->dev->ifindex */
  ifindex: number;
  tcIndex: number;
  /** qdisc_skb_cb data: the 20 bytes of cb[5]. */
  cb: Uint8Array;
  hash: number;
  tcClassid: number;
  napiId: number;
  sk: SkbSock | null;
  tstamp: bigint;
  /** qdisc_skb_cb->pkt_len */
  wireLen: number;
  gsoSegs: number;
  gsoSize: number;
  tstampType: number;
  hwtstamp: bigint;
  /** skb->transport_header as a frame offset; undefined: not set (a test-run skb's). */
  transportHeader?: number;
  /** skb->mac_len (0 until a helper resets it; eth_type_trans leaves it 0). */
  macLen?: number;
  /** skb->sw_hash / skb->l4_hash: set, skb_get_hash returns skb->hash without dissecting. */
  swHash?: boolean;
  l4Hash?: boolean;
  /** skb->ip_summed (CHECKSUM_NONE 0, UNNECESSARY 1, COMPLETE 2, PARTIAL 3) and csum_level. */
  ipSummed?: number;
  csumLevel?: number;
  /** skb->encapsulation, set by bpf_skb_adjust_room's encap flags. */
  encapsulation?: boolean;
}

const u = (n: number): bigint => BigInt(n >>> 0);

/** Which fields programs of the type may write is the verifier's business; here every writable field of any type is settable. */
export function skBuffLayout(s: SkBuff): CtxLayout {
  const fields: CtxField[] = [
    { name: 'len', off: 0, size: 4, get: () => u(s.pkt.len) },
    { name: 'pkt_type', off: 4, size: 4, get: () => u(s.pktType) },
    { name: 'mark', off: 8, size: 4, get: () => u(s.mark), set: (v) => (s.mark = Number(v)) },
    // The rewrite skips a store of NO_QUEUE_MAPPING (0xffff) or more; it stores a u16.
    { name: 'queue_mapping', off: 12, size: 4, get: () => u(s.queueMapping), set: (v) => { if (v < 0xffffn) s.queueMapping = Number(v); } },
    { name: 'protocol', off: 16, size: 4, get: () => u(s.protocol) },
    { name: 'vlan_present', off: 20, size: 4, get: () => u(s.vlanPresent) },
    { name: 'vlan_tci', off: 24, size: 4, get: () => u(s.vlanTci) },
    { name: 'vlan_proto', off: 28, size: 4, get: () => u(s.vlanProto) },
    { name: 'priority', off: 32, size: 4, get: () => u(s.priority), set: (v) => (s.priority = Number(v)) },
    { name: 'ingress_ifindex', off: 36, size: 4, get: () => u(s.ingressIfindex) },
    { name: 'ifindex', off: 40, size: 4, get: () => u(s.ifindex) },
    { name: 'tc_index', off: 44, size: 4, get: () => u(s.tcIndex), set: (v) => (s.tcIndex = Number(v) & 0xffff) },
  ];
  for (let i = 0; i < 5; i++) {
    const o = i * 4;
    fields.push({
      name: `cb[${i}]`, off: 48 + o, size: 4,
      get: () => u(new DataView(s.cb.buffer, s.cb.byteOffset).getUint32(o, true)),
      set: (v) => new DataView(s.cb.buffer, s.cb.byteOffset).setUint32(o, Number(v & 0xffffffffn), true),
    });
  }
  const sk = (f: (k: SkbSock) => number): (() => bigint) => () => u(s.sk ? f(s.sk) : 0);
  fields.push(
    { name: 'hash', off: 68, size: 4, get: () => u(s.hash) },
    // qdisc_skb_cb->tc_classid is a u16.
    { name: 'tc_classid', off: 72, size: 4, get: () => u(s.tcClassid), set: (v) => (s.tcClassid = Number(v) & 0xffff) },
    { name: 'data', off: 76, size: 4, pointer: true, get: () => s.pkt.addr(s.pkt.data) },
    { name: 'data_end', off: 80, size: 4, pointer: true, get: () => s.pkt.addr(s.pkt.end) },
    { name: 'napi_id', off: 84, size: 4, get: () => u(s.napiId) },
    { name: 'family', off: 88, size: 4, get: sk((k) => k.family) },
    { name: 'remote_ip4', off: 92, size: 4, get: sk((k) => k.remoteIp4) },
    { name: 'local_ip4', off: 96, size: 4, get: sk((k) => k.localIp4) },
  );
  for (let i = 0; i < 4; i++) {
    fields.push({ name: `remote_ip6[${i}]`, off: 100 + i * 4, size: 4, get: sk((k) => k.remoteIp6[i] ?? 0) });
    fields.push({ name: `local_ip6[${i}]`, off: 116 + i * 4, size: 4, get: sk((k) => k.localIp6[i] ?? 0) });
  }
  fields.push(
    { name: 'remote_port', off: 132, size: 4, get: sk((k) => k.remotePort) },
    { name: 'local_port', off: 136, size: 4, get: sk((k) => k.localPort) },
    { name: 'data_meta', off: 140, size: 4, pointer: true, get: () => s.pkt.addr(s.pkt.meta) },
    { name: 'flow_keys', off: 144, size: 8, get: () => 0n },
    { name: 'tstamp', off: 152, size: 8, get: () => s.tstamp, set: (v) => (s.tstamp = v) },
    { name: 'wire_len', off: 160, size: 4, get: () => u(s.wireLen) },
    { name: 'gso_segs', off: 164, size: 4, get: () => u(s.gsoSegs) },
    { name: 'sk', off: 168, size: 8, get: () => 0n },
    { name: 'gso_size', off: 176, size: 4, get: () => u(s.gsoSize) },
    { name: 'tstamp_type', off: 180, size: 1, get: () => u(s.tstampType) },
    { name: 'hwtstamp', off: 184, size: 8, get: () => s.hwtstamp },
  );
  return { struct: '__sk_buff', size: SK_BUFF_SIZE, fields };
}
