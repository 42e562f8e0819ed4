/**
 * The packet as it travels the path (a slim struct sk_buff): the frame from
 * its MAC header, XDP metadata in front of it, the VLAN tag the receive path
 * took out of the data (skb_vlan_untag), and the fields programs can see or set.
 */
export interface NetSkb {
  /** The bytes from the MAC header on. */
  data: Uint8Array;
  /** XDP metadata (bpf_xdp_adjust_meta) in front of data: __sk_buff->data_meta. */
  meta: Uint8Array;
  /** A tag held out of band (skb->vlan_tci / vlan_proto), as skb_vlan_untag leaves it. */
  vlan: { tci: number; proto: number } | null;
  mark: number;
  priority: number;
  tcIndex: number;
  /** skb->skb_iif: the device the packet last entered on (0 for locally sent). */
  iif: number;
  /** Set once a tc/XDP redirect moved it (skb_is_redirected): generic XDP then passes it untouched. */
  redirected: boolean;
  /** The network header's offset in data (skb_network_offset): 14 on receive, 0 before a sent packet's link header. */
  nh?: number;
  /** eth_type_trans's pkt_type (PACKET_HOST, ...), set when the stack takes the packet. */
  pktType?: number;
}

export const ETH_HLEN = 14;
const ETH_P_8021Q = 0x8100, ETH_P_8021AD = 0x88a8;
export const PACKET_HOST = 0, PACKET_BROADCAST = 1, PACKET_MULTICAST = 2, PACKET_OTHERHOST = 3;

export function newSkb(data: Uint8Array, iif = 0): NetSkb {
  return { data, meta: new Uint8Array(0), vlan: null, mark: 0, priority: 0, tcIndex: 0, iif, redirected: false };
}

export const etherType = (d: Uint8Array, at = 12): number => (d[at] << 8) | d[at + 1];
export const isVlanProto = (p: number): boolean => p === ETH_P_8021Q || p === ETH_P_8021AD;

/** eth_type_trans: pkt_type against the device's address, and the protocol (host order). */
export function ethTypeTrans(d: Uint8Array, devMac: Uint8Array): { pktType: number; protocol: number } {
  let pktType = PACKET_HOST;
  if (d[0] & 1) pktType = d.subarray(0, 6).every((b) => b === 0xff) ? PACKET_BROADCAST : PACKET_MULTICAST;
  else if (!d.subarray(0, 6).every((b, i) => b === devMac[i])) pktType = PACKET_OTHERHOST;
  const proto = etherType(d);
  // 802.3 frames: raw IPX (0xffff) or 802.2 LLC, as eth_type_trans tells them apart.
  const protocol = proto >= 0x600 ? proto : d[14] === 0xff && d[15] === 0xff ? 0x0001 : 0x0004;
  return { pktType, protocol };
}

/**
 * skb_vlan_untag, which __netif_receive_skb_core applies to every 802.1Q/802.1ad
 * frame before the taps and tc: the outer tag leaves the data. A frame too
 * short to hold the tag is dropped (false).
 */
export function vlanUntag(skb: NetSkb): boolean {
  const d = skb.data;
  if (skb.vlan || !isVlanProto(etherType(d))) return true;
  // pskb_may_pull(VLAN_HLEN + 2): the tag and the two bytes vlan_set_encap_proto reads after it.
  if (d.length < ETH_HLEN + 4 + 2) return false;
  const tci = (d[14] << 8) | d[15];
  const out = new Uint8Array(d.length - 4);
  out.set(d.subarray(0, 12));
  out.set(d.subarray(16), 12);
  skb.vlan = { tci, proto: etherType(d) };
  skb.data = out;
  return true;
}

/** The frame with its out-of-band tag written back in, as a packet capture shows it. */
export function withVlanTag(skb: NetSkb): Uint8Array {
  if (!skb.vlan) return skb.data;
  const d = skb.data;
  const out = new Uint8Array(d.length + 4);
  out.set(d.subarray(0, 12));
  out[12] = skb.vlan.proto >> 8;
  out[13] = skb.vlan.proto & 0xff;
  out[14] = skb.vlan.tci >> 8;
  out[15] = skb.vlan.tci & 0xff;
  out.set(d.subarray(12), 16);
  return out;
}

export function cloneSkb(s: NetSkb): NetSkb {
  return { ...s, data: s.data.slice(), meta: s.meta.slice(), vlan: s.vlan ? { ...s.vlan } : null };
}
