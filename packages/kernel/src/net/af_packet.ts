/**
 * net/packet/af_packet.c: AF_PACKET sockets get a copy of every frame a device of
 * their namespace receives or sends (the taps of dev.ts: after XDP, before tc
 * ingress; after tc egress), filtered by protocol (ETH_P_ALL or one EtherType) and
 * bound device, through the socket filter (which may truncate: the snap length).
 * SOCK_RAW sees the frame from its MAC header, SOCK_DGRAM from the network header.
 * Sending (SOCK_RAW) puts the frame on the bound or named device's transmit path.
 */
import type { NetDevice } from './netdevice';
import type { NetNs } from './netns';
import { runSockFilter } from './sk_filter';
import { AF_PACKET, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, SOCK_DGRAM, Sock } from './sock';
import { ethTypeTrans } from './skbuff';

const EAGAIN = 11, ENXIO = 6, EINVAL = 22, ENETDOWN = 100, EMSGSIZE = 90;
export const ETH_P_ALL = 0x0003;
export const PACKET_OUTGOING = 4;

export interface PacketFrame {
  data: Uint8Array;
  origLen: number;
  ifindex: number;
  protocol: number;
  pktType: number;
  hatype: number;
  addr: Uint8Array;
}

export class PacketSock extends Sock {
  readonly rxq: PacketFrame[] = [];
  /** The EtherType it receives (host order), ETH_P_ALL for every one, 0 for none. */
  proto: number;
  ifindex = 0;

  constructor(ns: NetNs, type: number, protoHost: number) {
    super(ns, AF_PACKET, type, protoHost);
    this.proto = protoHost;
    ns.socks.packet.push(this);
  }

  close(): void {
    this.orphan = true;
    this.ns.socks.remove(this.ns.socks.packet, this);
  }

  poll(): number {
    return POLLOUT | POLLWRNORM | (this.rxq.length ? POLLIN | POLLRDNORM : 0);
  }

  recv(peek: boolean): PacketFrame | number {
    const f = this.rxq[0];
    if (!f) return -EAGAIN;
    if (!peek) this.rxq.shift();
    return f;
  }

  /** packet_snd for SOCK_RAW: the frame leaves through the device's transmit path. */
  send(frame: Uint8Array, ifindex?: number): number {
    const dev = this.ns.deviceByIndex(ifindex || this.ifindex);
    if (!dev) return -ENXIO;
    if (!dev.up) return -ENETDOWN;
    if (this.type === SOCK_DGRAM) return -EINVAL;
    if (frame.length < 14) return -EINVAL;
    if (frame.length > dev.mtu + 14) return -EMSGSIZE;
    dev.transmit(frame);
    return frame.length;
  }
}

/** dev_queue_xmit_nit / deliver_skb to the namespace's packet sockets. */
export function packetTap(dev: NetDevice, dir: 'in' | 'out', frame: Uint8Array): void {
  const list = dev.ns.socks.packet as PacketSock[];
  if (!list.length || frame.length < 14) return;
  const proto = (frame[12] << 8) | frame[13];
  const pktType = dir === 'out' ? PACKET_OUTGOING : ethTypeTrans(frame, dev.mac).pktType;
  for (const sk of list) {
    if (!sk.proto || (sk.proto !== ETH_P_ALL && sk.proto !== proto)) continue;
    if (sk.ifindex && sk.ifindex !== dev.ifindex) continue;
    const start = sk.type === SOCK_DGRAM ? 14 : 0;
    const keep = runSockFilter(sk, { frame, mac: 0, nh: 14, data: start, ifindex: dev.ifindex, pktType }, 0);
    if (!keep) continue;
    sk.rxq.push({ data: frame.slice(start, start + keep), origLen: frame.length - start, ifindex: dev.ifindex, protocol: proto, pktType, hatype: dev.kind === 'loopback' ? 772 : 1, addr: frame.slice(6, 12) });
    sk.wake();
  }
}
