/**
 * net/ipv4/raw.c: AF_INET SOCK_RAW sockets. Each raw socket of a protocol gets a
 * copy of every packet of that protocol for this host, IP header included
 * (raw_v4_input, before the protocol's own handler), through its socket filter.
 * Sending builds the IP header unless IP_HDRINCL (implied by IPPROTO_RAW).
 */
import type { NetDevice } from '../netdevice';
import type { NetNs } from '../netns';
import { runSockFilter } from '../sk_filter';
import { AF_INET, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, SOCK_RAW, Sock } from '../sock';
import { rd32 } from './inaddr';
import { ipBuild, ipLocalOut, routeOutput } from './ip_output';
import type { Datagram } from './udp';

const EAGAIN = 11, EINVAL = 22, EDESTADDRREQ = 89, EMSGSIZE = 90;
export const IPPROTO_RAW = 255;

export class RawSock extends Sock {
  readonly rxq: Datagram[] = [];
  hdrincl: boolean;

  constructor(ns: NetNs, protocol: number) {
    super(ns, AF_INET, SOCK_RAW, protocol);
    this.hdrincl = protocol === IPPROTO_RAW;
    ns.socks.raw.push(this);
  }

  close(): void {
    this.orphan = true;
    this.ns.socks.remove(this.ns.socks.raw, this);
  }

  poll(): number {
    return POLLOUT | POLLWRNORM | (this.rxq.length ? POLLIN | POLLRDNORM : 0);
  }

  recv(peek: boolean): Datagram | number {
    const e = this.takeError();
    if (e) return -e;
    const d = this.rxq[0];
    if (!d) return -EAGAIN;
    if (!peek) this.rxq.shift();
    return d;
  }

  /** raw_sendmsg */
  sendmsg(data: Uint8Array, dst?: { addr: number }): number {
    const daddr = dst?.addr ?? this.daddr;
    if (!dst && !this.daddr) return -EDESTADDRREQ;
    if (this.hdrincl) {
      if (data.length < 20) return -EINVAL;
      const r = ipLocalOut(this.ns, data.slice());
      return r < 0 ? r : data.length;
    }
    if (data.length > 0xffff - 20) return -EMSGSIZE;
    const rt = routeOutput(this.ns, daddr, this.bindIfindex);
    if (typeof rt === 'number') return rt;
    const saddr = this.saddr || rt.src;
    const r = ipLocalOut(this.ns, ipBuild(this.ns, { saddr, daddr, proto: this.protocol, df: false }, data), rt, this);
    return r < 0 ? r : data.length;
  }
}

/** raw_v4_input: copies to the raw sockets of the packet's protocol; true when one took it. */
export function rawDeliver(ns: NetNs, ip: Uint8Array, dev: NetDevice): boolean {
  if (!ns.socks.raw.length) return false;
  let any = false;
  const saddr = rd32(ip, 12), daddr = rd32(ip, 16);
  for (const sk of ns.socks.raw as RawSock[]) {
    if (sk.protocol !== ip[9] && sk.protocol !== IPPROTO_RAW) continue;
    if (sk.protocol === IPPROTO_RAW) continue; // IPPROTO_RAW sockets only send
    if (sk.rcvSaddr && sk.rcvSaddr !== daddr) continue;
    if (sk.daddr && sk.daddr !== saddr) continue;
    if (sk.bindIfindex && sk.bindIfindex !== dev.ifindex) continue;
    any = true;
    const keep = runSockFilter(sk, { frame: ip, mac: -1, nh: 0, data: 0, ifindex: dev.ifindex }, 1);
    if (!keep) continue;
    sk.rxq.push({ data: ip.slice(0, keep), origLen: ip.length, saddr, sport: 0, daddr, ifindex: dev.ifindex });
    sk.wake();
  }
  return any;
}
