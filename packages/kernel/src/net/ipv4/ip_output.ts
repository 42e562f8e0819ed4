/**
 * net/ipv4/ip_output.c and the neighbour output: a packet the host sends is built
 * (ip_build_and_send_pkt / __ip_queue_xmit), routed, passed through netfilter
 * OUTPUT and POSTROUTING, given its link header (loopback: zero addresses;
 * broadcast: ff:ff:ff:ff:ff:ff; else the neighbour's address, resolved by ARP
 * first), then handed to dev_queue_xmit. Fragmentation is not modelled: a packet
 * longer than the route's MTU is EMSGSIZE.
 */
import { inetChecksum } from '@bpfsim/packet';
import { devQueueXmit } from '../dev';
import type { NetDevice } from '../netdevice';
import type { NetNs } from '../netns';
import { NeighTable, UNRES_QLEN } from '../neighbour';
import { newSkb, type NetSkb } from '../skbuff';
import type { Sock } from '../sock';
import { tracePacket } from '../trace';
import { arpSend, ARPOP_REQUEST } from './arp';
import type { FibRoute } from './fib';
import { INADDR_BROADCAST, wr16, wr32 } from './inaddr';
import { nfHook, nfReject } from './nf';

const EMSGSIZE = 90, ENETUNREACH = 101, EPERM = 1, EACCES = 13, EINVAL = 22;
export const IP_DF = 0x4000, IP_MF = 0x2000;

export interface IpSpec {
  saddr: number;
  daddr: number;
  proto: number;
  ttl?: number;
  tos?: number;
  df?: boolean;
  /** The IP id; default: ip_select_ident's rule (see ipId). */
  id?: number;
}

/** An IPv4 packet: the 20-byte header (no options) with its checksum, then the payload. */
export function ipBuild(ns: NetNs, s: IpSpec, payload: Uint8Array, sk?: Sock): Uint8Array {
  const p = new Uint8Array(20 + payload.length);
  p[0] = 0x45;
  p[1] = s.tos ?? 0;
  wr16(p, 2, p.length);
  const df = s.df ?? true;
  wr16(p, 4, s.id ?? ipId(ns, df, sk));
  wr16(p, 6, df ? IP_DF : 0);
  p[8] = s.ttl ?? ns.sysctl.ipDefaultTtl;
  p[9] = s.proto;
  wr32(p, 12, s.saddr);
  wr32(p, 16, s.daddr);
  wr16(p, 10, inetChecksum(p, 0, 20));
  p.set(payload, 20);
  return p;
}

/**
 * ip_select_ident_segs: a connected socket's packets take its counter (inet_id, from a random
 * start); a DF packet the stack must not fragment gets 0 (a listener's SYN-ACK, resets); a
 * datagram socket's DF is only PMTU discovery's wish (IP_PMTUDISC_WANT sets skb->ignore_df), so
 * it gets a number as a fragmentable packet does: from the namespace's seeded "ip_ident" stream
 * (the kernel hashes into its ip_idents array). Seen on 6.18: unconnected UDP with DF and a
 * nonzero id, a SYN-ACK with id 0.
 */
function ipId(ns: NetNs, df: boolean, sk?: Sock): number {
  if (sk && sk.daddr) return sk.inetId++ & 0xffff;
  const ignoreDf = !!sk && sk.type !== 1;
  if (df && !ignoreDf) return 0;
  return ns.network.kernel.rng.stream(`ip_ident:${ns.name}`).below(0x10000);
}

export interface RouteOut {
  route: FibRoute;
  dev: NetDevice;
  /** The next hop (the gateway, or the destination itself). */
  nexthop: number;
  /** The source address the route gives (fib_result_prefsrc), 0 when the device has none. */
  src: number;
}

/** ip_route_output_key: the route towards daddr; a negative errno when there is none or it refuses. */
export function routeOutput(ns: NetNs, daddr: number, oif = 0): RouteOut | number {
  const r = ns.fib.lookup(daddr, { oif });
  if (!r) return -ENETUNREACH;
  if (r.type === 'unreachable') return -113; // EHOSTUNREACH
  if (r.type === 'prohibit') return -EACCES;
  if (r.type === 'blackhole') return -EINVAL;
  // Local destinations leave through loopback (rt->dst.dev = net->loopback_dev).
  const dev = r.type === 'local' ? ns.lo : r.dev!;
  // fib_result_prefsrc: the route's preferred source, else inet_select_addr(nexthop device, gateway).
  const src = r.prefsrc || ns.devinet.selectAddr(r.dev!, r.saddrFor ?? r.gw);
  return { route: r, dev, nexthop: r.gw || daddr, src };
}

/**
 * ip_local_out → ip_output for a packet the host sends: OUTPUT, POSTROUTING, the
 * neighbour. 0 or a negative errno (sendmsg's answer: -EPERM when netfilter drops).
 */
export function ipLocalOut(ns: NetNs, pkt: Uint8Array, rt?: RouteOut, sk?: Sock): number {
  const daddr = ((pkt[16] << 24) | (pkt[17] << 16) | (pkt[18] << 8) | pkt[19]) >>> 0;
  const r = rt ?? routeOutput(ns, daddr, sk?.bindIfindex);
  if (typeof r === 'number') return r;
  if (pkt.length > r.dev.mtu) return -EMSGSIZE;
  const skb = newSkb(pkt);
  skb.nh = 0;
  ns.network.charge(ns.network.costs.routing);
  const v1 = nfHook(ns, 'OUTPUT', skb, { outdev: r.dev });
  if (v1 !== 'ACCEPT') {
    if (v1 !== 'DROP') nfReject(ns, skb, v1.reject, undefined);
    return -EPERM;
  }
  return ipOutput(ns, r.dev, r.nexthop, skb, r.route.type === 'broadcast' || daddr === INADDR_BROADCAST);
}

/** ip_output: POSTROUTING, then ip_finish_output2 (the neighbour). */
export function ipOutput(ns: NetNs, dev: NetDevice, nexthop: number, skb: NetSkb, broadcast = false): number {
  const v = nfHook(ns, 'POSTROUTING', skb, { outdev: dev });
  if (v !== 'ACCEPT') {
    if (v !== 'DROP') nfReject(ns, skb, v.reject, undefined);
    return -EPERM;
  }
  neighOutput(ns, dev, nexthop, skb, broadcast);
  return 0;
}

const ETH_P_IP = 0x0800;

function withEth(dst: Uint8Array, src: Uint8Array, proto: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + payload.length);
  f.set(dst.subarray(0, 6), 0);
  f.set(src.subarray(0, 6), 6);
  f[12] = proto >> 8;
  f[13] = proto & 0xff;
  f.set(payload, 14);
  return f;
}

const BCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/** neigh_output / neigh_resolve_output: the link header, or a wait for ARP. */
export function neighOutput(ns: NetNs, dev: NetDevice, nexthop: number, skb: NetSkb, broadcast = false): void {
  const net = ns.network;
  const ip = skb.data.subarray(skb.nh ?? 0);
  const send = (mac: Uint8Array): void => {
    const out = newSkb(withEth(mac, dev.mac, ETH_P_IP, ip));
    out.mark = skb.mark;
    out.priority = skb.priority;
    out.nh = 14;
    devQueueXmit(net, dev, out);
    net.runBacklog();
  };
  if (dev.kind === 'loopback') return send(new Uint8Array(6));
  if (broadcast || nexthop === INADDR_BROADCAST) return send(BCAST);
  const n = ns.arp.lookup(dev, nexthop);
  if (NeighTable.valid(n)) return send(n.mac);
  const e = ns.arp.create(dev, nexthop);
  const copy = newSkb(ip.slice());
  copy.nh = 0;
  copy.mark = skb.mark;
  e.queue.push(copy);
  if (e.queue.length > UNRES_QLEN) {
    const old = e.queue.shift()!;
    tracePacket(net.kernel, ns.name, dev.name, dev.ifindex, 'drop', 'neigh_queue_overflow', old.data);
  }
  if (e.probes === 0) {
    e.probes++;
    arpSend(ns, dev, ARPOP_REQUEST, nexthop, BCAST, ns.devinet.selectAddr(dev, nexthop), new Uint8Array(6));
  }
}

/** ARP answered: the packets that waited on the entry leave for its new address (neigh_update flushes arp_queue). */
export function neighFlush(ns: NetNs, dev: NetDevice, mac: Uint8Array, waiting: NetSkb[]): void {
  for (const s of waiting) {
    const out = newSkb(withEth(mac, dev.mac, ETH_P_IP, s.data));
    out.mark = s.mark;
    out.nh = 14;
    devQueueXmit(ns.network, dev, out);
  }
  ns.network.runBacklog();
}

export { withEth };
