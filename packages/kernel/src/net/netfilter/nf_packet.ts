/**
 * The IPv4 packet as the iptables hooks look at it: the network header (from
 * skb_network_header: after the Ethernet header of a received frame, or the
 * start of a locally built one), its addresses, protocol, fragment offset and
 * the transport header fields matches read (ports, TCP flags, ICMP type/code).
 * Only what ip_rcv has already checked is assumed; a short transport header
 * leaves the fields undefined (matches then "hotdrop", as the kernel's do).
 */
import type { NetSkb } from '../skbuff';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from './xt_names';

export interface NfPacket {
  /** The IP header on (skb->data at the IPv4 hooks). */
  ip: Uint8Array;
  src: number;
  dst: number;
  proto: number;
  ihl: number;
  /** skb->len at the hook: the IP total length (ip_rcv trimmed any padding). */
  len: number;
  /** Fragment offset in 8-byte units; non-first fragments carry no transport header. */
  fragOff: number;
  sport?: number;
  dport?: number;
  tcpFlags?: number;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
}

const ETH_P_IP = 0x0800;

/** Where the IPv4 header starts: skb.nh (the stack sets it at every hook), else after an IPv4 Ethernet header, else 0. */
export function networkOffset(skb: NetSkb): number {
  const off = skb.nh;
  if (typeof off === 'number') return off;
  const d = skb.data;
  if (d.length >= 34 && ((d[12] << 8) | d[13]) === ETH_P_IP && d[14] >> 4 === 4) return 14;
  return 0;
}

/** The IPv4 view of a packet, or null when it is not IPv4 (the IPv4 hooks never see it then). */
export function parseNfPacket(skb: NetSkb): NfPacket | null {
  const ip = skb.data.subarray(networkOffset(skb));
  if (ip.length < 20 || ip[0] >> 4 !== 4) return null;
  const ihl = (ip[0] & 0x0f) * 4;
  if (ihl < 20 || ip.length < ihl) return null;
  const totLen = (ip[2] << 8) | ip[3];
  const len = Math.min(ip.length, Math.max(totLen, ihl));
  const u32 = (at: number): number => ((ip[at] << 24) | (ip[at + 1] << 16) | (ip[at + 2] << 8) | ip[at + 3]) >>> 0;
  const p: NfPacket = {
    ip: ip.subarray(0, len), src: u32(12), dst: u32(16), proto: ip[9], ihl, len,
    fragOff: ((ip[6] << 8) | ip[7]) & 0x1fff,
  };
  if (p.fragOff !== 0) return p;
  const l4 = ip.subarray(ihl, len);
  if ((p.proto === IPPROTO_TCP && l4.length >= 20) || (p.proto === IPPROTO_UDP && l4.length >= 8)) {
    p.sport = (l4[0] << 8) | l4[1];
    p.dport = (l4[2] << 8) | l4[3];
    if (p.proto === IPPROTO_TCP) p.tcpFlags = l4[13];
  } else if (p.proto === IPPROTO_ICMP && l4.length >= 8) {
    p.icmpType = l4[0];
    p.icmpCode = l4[1];
    p.icmpId = (l4[4] << 8) | l4[5];
  } else if (p.proto === IPPROTO_ICMP && l4.length >= 2) {
    p.icmpType = l4[0];
    p.icmpCode = l4[1];
  }
  return p;
}

/** The transport part (for conntrack's ICMP error inspection). */
export const l4Of = (p: NfPacket): Uint8Array => p.ip.subarray(p.ihl);

export { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP };
