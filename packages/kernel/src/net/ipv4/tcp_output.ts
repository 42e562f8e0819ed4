/**
 * net/ipv4/tcp_output.c, as the model sends: segments carry only the MSS option
 * (on SYN and SYN-ACK: no timestamps, SACK or window scaling, so the window is the
 * unscaled 16-bit field), every data segment is sent as soon as the peer's window
 * allows (no Nagle, no delayed ACK: each segment that carries data or a FIN is
 * acknowledged at once), and a reset answers a segment for no socket
 * (tcp_v4_send_reset's sequence rules).
 */
import { inetChecksum, pseudoSum } from '@bpfsim/packet';
import type { NetNs } from '../netns';
import { IPPROTO_TCP } from '../sock';
import { rd16, rd32, wr16, wr32 } from './inaddr';
import { ipBuild, ipLocalOut } from './ip_output';
import type { TcpSock } from './tcp';

export const TH = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20 } as const;

const be = (a: number): Uint8Array => Uint8Array.from([a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff]);

export interface SegSpec {
  saddr: number;
  daddr: number;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  mss?: number;
  payload?: Uint8Array;
}

export function tcpSegment(s: SegSpec): Uint8Array {
  const optLen = s.mss !== undefined ? 4 : 0;
  const hl = 20 + optLen;
  const pl = s.payload ?? new Uint8Array(0);
  const t = new Uint8Array(hl + pl.length);
  wr16(t, 0, s.sport);
  wr16(t, 2, s.dport);
  wr32(t, 4, s.seq >>> 0);
  wr32(t, 8, s.flags & TH.ACK ? s.ack >>> 0 : 0);
  t[12] = (hl / 4) << 4;
  t[13] = s.flags;
  wr16(t, 14, Math.max(0, Math.min(0xffff, s.window)));
  if (s.mss !== undefined) {
    t[20] = 2;
    t[21] = 4;
    wr16(t, 22, s.mss);
  }
  t.set(pl, hl);
  wr16(t, 16, inetChecksum(t, 0, t.length, pseudoSum({ src: be(s.saddr), dst: be(s.daddr) }, IPPROTO_TCP, t.length)));
  return t;
}

/** Send one segment of `sk` (tcp_transmit_skb). */
export function tcpTransmit(sk: TcpSock, flags: number, seq: number, payload?: Uint8Array, mss?: number): number {
  const seg = tcpSegment({ saddr: sk.saddr, daddr: sk.daddr, sport: sk.num, dport: sk.dport, seq, ack: sk.rcvNxt, flags, window: sk.rcvWindow(), mss, payload });
  sk.segsOut++;
  const pkt = ipBuild(sk.ns, { saddr: sk.saddr, daddr: sk.daddr, proto: IPPROTO_TCP, tos: sk.opts.get('IP_TOS') ?? 0 }, seg, sk);
  return ipLocalOut(sk.ns, pkt, undefined, sk);
}

/**
 * tcp_v4_send_reset for a segment (an IP packet) no socket wants: with its ACK set the reset
 * takes seq = its ack; else it is ACK|RST acknowledging seq + its length (+1 for SYN and FIN).
 */
export function tcpSendResetFor(ns: NetNs, ip: Uint8Array): void {
  const ihl = (ip[0] & 0xf) * 4;
  const th = ip.subarray(ihl);
  if (th.length < 20) return;
  const flags = th[13];
  if (flags & TH.RST) return;
  const doff = (th[12] >> 4) * 4;
  const saddr = rd32(ip, 16), daddr = rd32(ip, 12);
  const sport = rd16(th, 2), dport = rd16(th, 0);
  let seq = 0, ack = 0, f = TH.RST;
  if (flags & TH.ACK) seq = rd32(th, 8);
  else {
    ack = (rd32(th, 4) + (ip.length - ihl - doff) + (flags & TH.SYN ? 1 : 0) + (flags & TH.FIN ? 1 : 0)) >>> 0;
    f |= TH.ACK;
  }
  const seg = tcpSegment({ saddr, daddr, sport, dport, seq, ack, flags: f, window: 0 });
  ipLocalOut(ns, ipBuild(ns, { saddr, daddr, proto: IPPROTO_TCP }, seg));
}
