/**
 * net/ipv4/arp.c: requests for an unresolved next hop go out as Ethernet
 * broadcasts; a request for one of the namespace's addresses (arp_ignore=0: on any
 * device) is answered and teaches the table its sender (neigh_event_ns); a reply
 * updates an entry that exists (arp_accept=0: no entry is made from an unsolicited
 * reply) and releases the packets waiting on it. Loopback does no ARP (IFF_NOARP).
 */
import { devQueueXmit } from '../dev';
import type { NetDevice } from '../netdevice';
import type { NetNs } from '../netns';
import { newSkb, PACKET_OTHERHOST, type NetSkb } from '../skbuff';
import { tracePacket } from '../trace';
import { rd16, rd32, wr16, wr32 } from './inaddr';
import { neighFlush } from './ip_output';

export const ARPOP_REQUEST = 1, ARPOP_REPLY = 2;
const ETH_P_ARP = 0x0806;

/** arp_send: a 42-byte frame (software devices do not pad to 60). */
export function arpSend(ns: NetNs, dev: NetDevice, op: number, tip: number, dstMac: Uint8Array, sip: number, tha: Uint8Array): void {
  const f = new Uint8Array(42);
  f.set(dstMac.subarray(0, 6), 0);
  f.set(dev.mac, 6);
  wr16(f, 12, ETH_P_ARP);
  wr16(f, 14, 1); // ARPHRD_ETHER
  wr16(f, 16, 0x0800);
  f[18] = 6;
  f[19] = 4;
  wr16(f, 20, op);
  f.set(dev.mac, 22);
  wr32(f, 28, sip);
  f.set(tha.subarray(0, 6), 32);
  wr32(f, 38, tip);
  const skb = newSkb(f);
  skb.nh = 14;
  devQueueXmit(ns.network, dev, skb);
  ns.network.runBacklog();
}

export function arpRcv(ns: NetNs, dev: NetDevice, skb: NetSkb): void {
  const net = ns.network;
  const d = skb.data;
  const drop = (why: string): void => ns.drop(why);
  if (dev.kind === 'loopback') return drop('arp_noarp');
  if (d.length < 14 + 28) return drop('arp_too_short');
  if (rd16(d, 14) !== 1 || rd16(d, 16) !== 0x0800 || d[18] !== 6 || d[19] !== 4) return drop('arp_bad_header');
  if (skb.pktType === PACKET_OTHERHOST) return drop('arp_otherhost');
  const op = rd16(d, 20);
  const sha = d.slice(22, 28);
  const sip = rd32(d, 28);
  const tip = rd32(d, 38);
  if (op === ARPOP_REQUEST) {
    if (!ns.devinet.local(tip)) return drop('arp_not_for_us');
    const waiting = sip ? ns.arp.update(dev, sip, sha) : [];
    tracePacket(net.kernel, ns.name, dev.name, dev.ifindex, 'arp', 'request', d);
    arpSend(ns, dev, ARPOP_REPLY, sip, sha, tip, sha);
    if (waiting.length) neighFlush(ns, dev, sha, waiting);
    return;
  }
  if (op === ARPOP_REPLY) {
    const n = ns.arp.lookup(dev, sip);
    tracePacket(net.kernel, ns.name, dev.name, dev.ifindex, 'arp', n ? 'reply' : 'reply_unsolicited', d);
    if (!n) return;
    const waiting = ns.arp.update(dev, sip, sha);
    if (waiting.length) neighFlush(ns, dev, sha, waiting);
    return;
  }
  drop('arp_bad_op');
}
