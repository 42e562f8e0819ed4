/**
 * net/ipv4/icmp.c: errors the stack sends about a packet (destination
 * unreachable, time exceeded) quoting its IP header and up to 576 bytes in all
 * (icmp_send), echo replies (icmp_echo), and errors received handed to the
 * protocol of the quoted packet (icmp_unreach → udp_err / tcp_v4_err). No rate
 * limit (icmp_ratelimit) is modelled.
 */
import { inetChecksum } from '@bpfsim/packet';
import type { NetDevice } from '../netdevice';
import type { NetNs } from '../netns';
import { ipBuild, ipLocalOut } from './ip_output';
import { ipv4IsLbcast, ipv4IsMulticast, ipv4IsZeronet, rd16, rd32 } from './inaddr';
import { udpErr } from './udp';
import { tcpErr } from './tcp_input';

export const ICMP_ECHOREPLY = 0, ICMP_DEST_UNREACH = 3, ICMP_ECHO = 8, ICMP_TIME_EXCEEDED = 11;
export const ICMP_NET_UNREACH = 0, ICMP_HOST_UNREACH = 1, ICMP_PROT_UNREACH = 2, ICMP_PORT_UNREACH = 3, ICMP_FRAG_NEEDED = 4;
/** 576 - sizeof(iphdr) - sizeof(icmphdr): the most of the original an error quotes. */
const ICMP_QUOTE_MAX = 576 - 20 - 8;

function icmpMsg(type: number, code: number, rest: number, body: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + body.length);
  m[0] = type;
  m[1] = code;
  m[4] = rest >>> 24;
  m[5] = (rest >>> 16) & 0xff;
  m[6] = (rest >>> 8) & 0xff;
  m[7] = rest & 0xff;
  m.set(body, 8);
  const c = inetChecksum(m, 0, m.length);
  m[2] = c >> 8;
  m[3] = c & 0xff;
  return m;
}

/**
 * icmp_send about `orig` (an IP packet): never about an ICMP error, a fragment other than the
 * first, or a packet from a broadcast, multicast or zero address. The source is the original's
 * destination when local, else the address of the device it came in on (icmp_send's saddr rule).
 */
export function icmpSend(ns: NetNs, orig: Uint8Array, type: number, code: number, info: number, indev?: NetDevice): void {
  if (orig.length < 20) return;
  const ihl = (orig[0] & 0xf) * 4;
  const saddr = rd32(orig, 12), daddr = rd32(orig, 16);
  if (ipv4IsLbcast(daddr) || ipv4IsMulticast(daddr) || ipv4IsZeronet(saddr) || ipv4IsMulticast(saddr) || ipv4IsLbcast(saddr)) return;
  if (rd16(orig, 6) & 0x1fff) return;
  if (orig[9] === 1 && orig.length >= ihl + 1) {
    const t = orig[ihl];
    // Never an error about an error (icmp_pointers[].error).
    if (t !== ICMP_ECHO && t !== ICMP_ECHOREPLY && t !== 13 && t !== 14) return;
  }
  const src = ns.devinet.local(daddr) ? daddr : indev ? ns.devinet.selectAddr(indev, saddr) : 0;
  const quote = orig.subarray(0, Math.min(orig.length, ICMP_QUOTE_MAX));
  const pkt = ipBuild(ns, { saddr: src, daddr: saddr, proto: 1, df: false, tos: 0xc0 }, icmpMsg(type, code, info, quote));
  ipLocalOut(ns, pkt);
}

/** icmp_rcv for a packet to this host: echo requests are answered, errors reach the quoted packet's socket. */
export function icmpRcv(ns: NetNs, ip: Uint8Array, dev: NetDevice): void {
  const ihl = (ip[0] & 0xf) * 4;
  const m = ip.subarray(ihl);
  if (m.length < 8) return ns.drop('icmp_too_short');
  const type = m[0], code = m[1];
  if (type === ICMP_ECHO) {
    const reply = m.slice();
    reply[0] = ICMP_ECHOREPLY;
    reply[2] = reply[3] = 0;
    const c = inetChecksum(reply, 0, reply.length);
    reply[2] = c >> 8;
    reply[3] = c & 0xff;
    const daddr = rd32(ip, 16);
    const src = ns.devinet.local(daddr) ? daddr : ns.devinet.selectAddr(dev, rd32(ip, 12));
    ipLocalOut(ns, ipBuild(ns, { saddr: src, daddr: rd32(ip, 12), proto: 1, df: false, tos: ip[1] }, reply));
    return;
  }
  if (type === ICMP_DEST_UNREACH || type === ICMP_TIME_EXCEEDED) {
    const inner = m.subarray(8);
    if (inner.length < 20 + 8) return ns.drop('icmp_quote_too_short');
    const iihl = (inner[0] & 0xf) * 4;
    if (inner.length < iihl + 8) return ns.drop('icmp_quote_too_short');
    // icmp_err_convert: port and protocol unreachable are hard errors (ECONNREFUSED, ENOPROTOOPT);
    // the others soft (EHOSTUNREACH and friends).
    const errno = type === ICMP_TIME_EXCEEDED ? 113 : code === ICMP_PORT_UNREACH ? 111 : code === ICMP_PROT_UNREACH ? 92 : code === ICMP_NET_UNREACH ? 101 : code === ICMP_FRAG_NEEDED ? 90 : 113;
    const hard = type === ICMP_DEST_UNREACH && (code === ICMP_PORT_UNREACH || code === ICMP_PROT_UNREACH || code >= 9);
    if (inner[9] === 17) udpErr(ns, inner, errno, hard);
    else if (inner[9] === 6) tcpErr(ns, inner, errno, hard);
  }
}
