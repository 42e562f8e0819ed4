/**
 * net/ipv4/ip_input.c, route.c's input route and ip_forward.c: what the stack does
 * with an IPv4 packet the device handed up (skb.data from the MAC header).
 * ip_rcv_core's checks (drop reasons counted on the namespace), PREROUTING, the
 * input route (martians; local → ip_local_deliver; unicast elsewhere → ip_forward
 * when net.ipv4.ip_forward is on, else dropped), INPUT, raw sockets' copies, then
 * the protocol (UDP, TCP, ICMP; another without a raw socket: ICMP protocol
 * unreachable). Forwarding: FORWARD, TTL (time exceeded at 1), decrement, MTU
 * (fragmentation needed for DF packets; others too long are dropped: no fragmentation).
 * Fragments are not reassembled (dropped, counted).
 */
import { checksumValid } from '@bpfsim/packet';
import type { NetDevice } from '../netdevice';
import type { NetNs } from '../netns';
import { PACKET_HOST, PACKET_OTHERHOST, type NetSkb } from '../skbuff';
import { tracePacket } from '../trace';
import { ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, ICMP_NET_UNREACH, ICMP_PROT_UNREACH, ICMP_TIME_EXCEEDED, icmpRcv, icmpSend } from './icmp';
import { INADDR_BROADCAST, ipv4IsLoopback, ipv4IsMulticast, ipv4IsZeronet, rd16, rd32, wr16 } from './inaddr';
import { IP_DF, ipOutput } from './ip_output';
import { nfHook, nfReject } from './nf';
import { rawDeliver } from './raw';
import { tcpV4Rcv } from './tcp_input';
import { udpRcv } from './udp';

/** ip_rcv: the packet at skb.nh (14) is checked, trimmed to its total length and routed. */
export function ipRcv(ns: NetNs, dev: NetDevice, skb: NetSkb): void {
  const net = ns.network;
  net.charge(net.costs.ipRcv);
  if (skb.pktType === PACKET_OTHERHOST) return ns.drop('otherhost');
  if (skb.vlan) return ns.drop('vlan_no_device');
  const nh = skb.nh ?? 14;
  const d = skb.data;
  if (d.length - nh < 20) return ns.drop('pkt_too_small');
  const ihl = (d[nh] & 0xf) * 4;
  if (d[nh] >> 4 !== 4 || ihl < 20) return ns.drop('ip_inhdr');
  if (d.length - nh < ihl) return ns.drop('ip_inhdr');
  if (!checksumValid(d, nh, nh + ihl)) return ns.drop('ip_csum');
  const tot = rd16(d, nh + 2);
  if (d.length - nh < tot) return ns.drop('pkt_too_small');
  if (tot < ihl) return ns.drop('ip_inhdr');
  // pskb_trim_rcsum: Ethernet padding goes.
  if (d.length - nh > tot) skb.data = d.slice(0, nh + tot);
  const v = nfHook(ns, 'PREROUTING', skb, { indev: dev });
  if (v !== 'ACCEPT') {
    if (v !== 'DROP') nfReject(ns, skb, v.reject, dev);
    return;
  }
  ipRcvFinish(ns, dev, skb);
}

function ipRcvFinish(ns: NetNs, dev: NetDevice, skb: NetSkb): void {
  const nh = skb.nh ?? 14;
  const ip = skb.data.subarray(nh);
  const saddr = rd32(ip, 12), daddr = rd32(ip, 16);
  // ip_route_input_slow's martians.
  if (ipv4IsMulticast(saddr) || saddr === INADDR_BROADCAST) return ns.drop('ip_invalid_source');
  if (ipv4IsZeronet(saddr) && daddr !== INADDR_BROADCAST) return ns.drop('ip_invalid_source');
  if (dev.kind !== 'loopback' && (ipv4IsLoopback(saddr) || ipv4IsLoopback(daddr))) return ns.drop('ip_localnet');
  if (ipv4IsMulticast(daddr)) return ns.drop('ip_multicast_not_modelled');
  if (daddr === INADDR_BROADCAST) return localDeliver(ns, dev, skb);
  if (ns.devinet.local(saddr) && dev.kind !== 'loopback') return ns.drop('ip_invalid_source');
  const r = ns.fib.lookup(daddr);
  if (r && (r.type === 'local' || r.type === 'broadcast')) return localDeliver(ns, dev, skb);
  if (!ns.sysctl.ipForward) return ns.drop('ip_inaddrerrors');
  if (!r || r.type !== 'unicast') {
    icmpSend(ns, ip, ICMP_DEST_UNREACH, r?.type === 'prohibit' ? 13 : ICMP_NET_UNREACH, 0, dev);
    return ns.drop('ip_innoroutes');
  }
  ipForward(ns, dev, skb, r.dev!, r.gw || daddr);
}

/** ip_local_deliver: fragments are not reassembled; INPUT; raw copies; the protocol. */
function localDeliver(ns: NetNs, dev: NetDevice, skb: NetSkb): void {
  const nh = skb.nh ?? 14;
  const ip = skb.data.subarray(nh);
  if (rd16(ip, 6) & 0x3fff & ~IP_DF) return ns.drop('ip_frag_not_modelled');
  const v = nfHook(ns, 'INPUT', skb, { indev: dev });
  if (v !== 'ACCEPT') {
    if (v !== 'DROP') nfReject(ns, skb, v.reject, dev);
    return;
  }
  const proto = ip[9];
  const raw = rawDeliver(ns, ip, dev);
  switch (proto) {
    case 17: udpRcv(ns, ip, dev, skb); return;
    case 6: tcpV4Rcv(ns, ip, dev, skb); return;
    case 1: icmpRcv(ns, ip, dev); return;
    default:
      if (!raw) {
        icmpSend(ns, ip, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0, dev);
        ns.drop('ip_noproto');
      }
  }
}

/** ip_forward: FORWARD, TTL, MTU, then ip_output towards the next hop. */
function ipForward(ns: NetNs, indev: NetDevice, skb: NetSkb, outdev: NetDevice, nexthop: number): void {
  if (skb.pktType !== undefined && skb.pktType !== PACKET_HOST) return ns.drop('otherhost');
  const nh = skb.nh ?? 14;
  const ip = skb.data.slice(nh);
  if (ip[8] <= 1) {
    icmpSend(ns, ip, ICMP_TIME_EXCEEDED, 0, 0, indev);
    return ns.drop('ip_inhdr_ttl');
  }
  if (ip.length > outdev.mtu) {
    if (rd16(ip, 6) & IP_DF) icmpSend(ns, ip, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, outdev.mtu, indev);
    return ns.drop('pkt_too_big');
  }
  // ip_decrease_ttl: the checksum is patched incrementally (RFC 1624), as the kernel does.
  ip[8]--;
  let c = rd16(ip, 10) + 0x0100;
  if (c > 0xffff) c = (c + 1) & 0xffff;
  wr16(ip, 10, c);
  const out = { ...skb, data: ip, nh: 0 };
  const v = nfHook(ns, 'FORWARD', out, { indev, outdev });
  if (v !== 'ACCEPT') {
    if (v !== 'DROP') nfReject(ns, out, v.reject, indev);
    return;
  }
  tracePacket(ns.network.kernel, ns.name, outdev.name, outdev.ifindex, 'forward', `from ${indev.name}`, ip);
  ipOutput(ns, outdev, nexthop, out);
}
