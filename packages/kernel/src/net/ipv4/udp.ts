/**
 * net/ipv4/udp.c: UDP sockets. Receive (__udp4_lib_rcv): length check, the socket
 * lookup by score (bound address, connected peer, bound device, each more specific
 * wins; broadcasts go to every match), the socket filter (trimmed no shorter than
 * the UDP header), the receive buffer limit, the queue; no socket: ICMP port
 * unreachable. ICMP errors (udp_err) reach a connected socket as sk_err.
 * Send (udp_sendmsg): autobind, the route, SO_BROADCAST, the header and checksum.
 * Checksums of received datagrams are not verified.
 */
import { inetChecksum, pseudoSum } from '@bpfsim/packet';
import type { NetDevice } from '../netdevice';
import type { NetNs } from '../netns';
import { runSockFilter } from '../sk_filter';
import type { NetSkb } from '../skbuff';
import { AF_INET, IPPROTO_UDP, POLLERR, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, RCV_SHUTDOWN, SOCK_DGRAM, Sock, TCP } from '../sock';
import { ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, icmpSend } from './icmp';
import { INADDR_ANY, INADDR_BROADCAST, rd16, rd32, wr16 } from './inaddr';
import { inetAutobind } from './inet_bind';
import { ipBuild, ipLocalOut, routeOutput } from './ip_output';

const EDESTADDRREQ = 89, EMSGSIZE = 90, EINVAL = 22, EACCES = 13, EAGAIN = 11;
/** 65535 - IP header - UDP header */
const UDP_MAX = 65507;

export interface Datagram {
  data: Uint8Array;
  /** Its length before a socket filter truncated it. */
  origLen: number;
  saddr: number;
  sport: number;
  daddr: number;
  ifindex: number;
}

export class UdpSock extends Sock {
  readonly rxq: Datagram[] = [];
  rxBytes = 0;

  constructor(ns: NetNs) {
    super(ns, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  }

  close(): void {
    this.orphan = true;
    this.ns.socks.remove(this.ns.socks.udp, this);
  }

  poll(): number {
    let m = POLLOUT | POLLWRNORM;
    if (this.rxq.length || this.shutdown & RCV_SHUTDOWN) m |= POLLIN | POLLRDNORM;
    if (this.err) m |= POLLERR;
    return m;
  }

  /** udp_sendmsg: the bytes sent or a negative errno. */
  sendmsg(data: Uint8Array, dst?: { addr: number; port: number }): number {
    const ns = this.ns;
    let daddr: number, dport: number;
    if (dst) {
      if (dst.port === 0) return -EINVAL;
      daddr = dst.addr;
      dport = dst.port;
    } else {
      if (this.state !== TCP.ESTABLISHED) return -EDESTADDRREQ;
      daddr = this.daddr;
      dport = this.dport;
    }
    if (data.length > UDP_MAX) return -EMSGSIZE;
    const e = inetAutobind(ns, this);
    if (e) return e;
    if (daddr === INADDR_ANY) daddr = 0x7f000001; // a zero destination means this host (ip_route_output_key_hash)
    const rt = routeOutput(ns, daddr, this.bindIfindex);
    if (typeof rt === 'number') return rt;
    if ((rt.route.type === 'broadcast' || daddr === INADDR_BROADCAST) && !this.broadcast) return -EACCES;
    const saddr = this.saddr || rt.src;
    const u = new Uint8Array(8 + data.length);
    wr16(u, 0, this.num);
    wr16(u, 2, dport);
    wr16(u, 4, u.length);
    u.set(data, 8);
    const c = inetChecksum(u, 0, u.length, pseudoSum({ src: be(saddr), dst: be(daddr) } as never, IPPROTO_UDP, u.length));
    wr16(u, 6, c === 0 ? 0xffff : c);
    const pkt = ipBuild(ns, { saddr, daddr, proto: IPPROTO_UDP, tos: this.opts.get('IP_TOS') ?? 0, ttl: this.opts.get('IP_TTL') }, u, this);
    const r = ipLocalOut(ns, pkt, rt, this);
    return r < 0 ? r : data.length;
  }

  /** The next datagram, or a negative errno (-EAGAIN when there is none yet). */
  recv(peek: boolean): Datagram | number {
    const err = this.takeError();
    if (err) return -err;
    const d = this.rxq[0];
    if (!d) return this.shutdown & RCV_SHUTDOWN ? 0 : -EAGAIN;
    if (!peek) {
      this.rxq.shift();
      this.rxBytes -= d.data.length;
    }
    return d;
  }
}

const be = (a: number): Uint8Array => Uint8Array.from([a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff]);

/** __udp4_lib_lookup: the best-scoring socket for a datagram (undefined: none). */
function udpLookup(ns: NetNs, saddr: number, sport: number, daddr: number, dport: number, ifindex: number, all = false): UdpSock[] {
  let best: UdpSock[] = [];
  let bestScore = -1;
  for (const s of ns.socks.udp as UdpSock[]) {
    if (s.num !== dport) continue;
    let score = 2;
    if (s.rcvSaddr) {
      if (s.rcvSaddr !== daddr) continue;
      score += 4;
    }
    if (s.daddr) {
      if (s.daddr !== saddr) continue;
      score += 4;
    }
    if (s.dport) {
      if (s.dport !== sport) continue;
      score += 4;
    }
    if (s.bindIfindex) {
      if (s.bindIfindex !== ifindex) continue;
      score += 4;
    }
    if (all) best.push(s);
    else if (score > bestScore) {
      best = [s];
      bestScore = score;
    }
  }
  return best;
}

/** udp_rcv for an IP packet `ip` to this host. */
export function udpRcv(ns: NetNs, ip: Uint8Array, dev: NetDevice, skb: NetSkb): void {
  const net = ns.network;
  net.charge(net.costs.sockDeliver);
  const ihl = (ip[0] & 0xf) * 4;
  if (ip.length < ihl + 8) return ns.drop('pkt_too_small');
  const ulen = rd16(ip, ihl + 4);
  if (ulen < 8 || ulen > ip.length - ihl) return ns.drop('pkt_too_small');
  const saddr = rd32(ip, 12), daddr = rd32(ip, 16);
  const sport = rd16(ip, ihl), dport = rd16(ip, ihl + 2);
  const bcast = daddr === INADDR_BROADCAST || ns.fib.lookup(daddr)?.type === 'broadcast';
  const socks = udpLookup(ns, saddr, sport, daddr, dport, dev.ifindex, bcast);
  if (!socks.length) {
    if (!bcast) icmpSend(ns, ip, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, dev);
    return ns.drop('no_socket');
  }
  const nh = skb.nh ?? 14;
  const frame = skb.data;
  for (const sk of socks) {
    const keep = runSockFilter(sk, { frame, mac: nh >= 14 ? nh - 14 : -1, nh, data: nh + ihl, ifindex: dev.ifindex, pktType: skb.pktType, mark: skb.mark }, 8);
    if (keep === 0) {
      ns.drop('socket_filter');
      continue;
    }
    const payload = ip.slice(ihl + 8, ihl + Math.min(ulen, keep));
    if (sk.rxBytes + payload.length > sk.rcvbuf) {
      ns.drop('socket_rcvbuff');
      continue;
    }
    sk.rxq.push({ data: payload, origLen: ulen - 8, saddr, sport, daddr, ifindex: dev.ifindex });
    sk.rxBytes += payload.length;
    sk.wake();
  }
}

/** udp_err: an ICMP error about a datagram we sent; only a connected socket hears a hard one (no IP_RECVERR). */
export function udpErr(ns: NetNs, inner: Uint8Array, errno: number, hard: boolean): void {
  const ihl = (inner[0] & 0xf) * 4;
  const saddr = rd32(inner, 12), daddr = rd32(inner, 16);
  const sport = rd16(inner, ihl), dport = rd16(inner, ihl + 2);
  // The quoted packet went from us: look it up the other way round.
  const [sk] = udpLookup(ns, daddr, dport, saddr, sport, 0);
  if (!sk) return;
  if (!hard || sk.state !== TCP.ESTABLISHED) return;
  sk.err = errno;
  sk.wake();
}
