/**
 * sk_filter_trim_cap (net/core/filter.c): a socket's filter program (SO_ATTACH_BPF,
 * a BPF_PROG_TYPE_SOCKET_FILTER) runs on each packet the socket would receive and
 * answers how many bytes to keep: 0 drops it, fewer than its length truncates it
 * (never below the protocol's cap: the UDP header, the TCP header), more keeps it
 * whole. The program cannot change the packet (the verifier refuses writes).
 * Where its data starts is the protocol's: the transport header for UDP and TCP,
 * the IP header for raw sockets, the MAC header for packet sockets of SOCK_RAW.
 */
import { PacketBuffer } from '../bpf/packet';
import { runProgram } from '../bpf/run';
import { CB_LEN, SK_BUFF_SIZE, skBuffLayout, type SkBuff } from '../bpf/ctx/skb';
import type { Sock } from './sock';
import { PACKET_HOST } from './skbuff';
import { runClassic } from './sk_filter_classic';

const HEADROOM = 64, SHINFO_ROOM = 320;

export interface FilterInput {
  /** The frame (from the MAC header when there is one, else from the network header). */
  frame: Uint8Array;
  /** Offsets in `frame`: the MAC header (-1: none), the network header, where the program's data starts. */
  mac: number;
  nh: number;
  data: number;
  ifindex: number;
  pktType?: number;
  mark?: number;
}

/** How many bytes from `data` on the socket keeps: 0 to drop, else up to the packet's length (at least `cap`). */
export function runSockFilter(sk: Sock, f: FilterInput, cap: number): number {
  const len = f.frame.length - f.data;
  if (sk.classicFilter) {
    const pt = f.frame.length >= 14 && f.mac >= 0 ? (f.frame[f.mac + 12] << 8) | f.frame[f.mac + 13] : 0x0800;
    const res = runClassic(sk.classicFilter, { frame: f.frame, data: f.data, nh: f.nh, mac: f.mac, protocol: pt, pktType: f.pktType ?? PACKET_HOST, ifindex: f.ifindex, mark: f.mark ?? 0, hatype: 1 });
    return res === 0 ? 0 : Math.min(len, Math.max(cap, res));
  }
  const prog = sk.filter;
  if (!prog) return len;
  const kernel = sk.ns.network.kernel;
  const buf = new Uint8Array(HEADROOM + Math.ceil(f.frame.length / 64) * 64 + SHINFO_ROOM);
  buf.set(f.frame, HEADROOM);
  const pkt = new PacketBuffer(kernel.mem, buf, HEADROOM + f.data, len, `skb at socket ${sk.cookie}`);
  try {
    const s: SkBuff = {
      pkt, macHeader: HEADROOM + Math.max(0, f.mac), networkHeader: HEADROOM + f.nh, pktType: f.pktType ?? PACKET_HOST, mark: f.mark ?? 0, queueMapping: 0,
      protocol: 0x0008, vlanPresent: 0, vlanTci: 0, vlanProto: 0, priority: 0, ingressIfindex: f.ifindex, ifindex: f.ifindex, tcIndex: 0,
      cb: new Uint8Array(CB_LEN), hash: 0, tcClassid: 0, napiId: 0, sk: null, tstamp: 0n, wireLen: len, gsoSegs: 0, gsoSize: 0, tstampType: 0, hwtstamp: 0n,
      macLen: f.mac >= 0 ? f.nh - f.mac : 0,
    };
    const o = runProgram(kernel, prog, { ctx: { layout: skBuffLayout(s), bytes: new Uint8Array(SK_BUFF_SIZE) }, skb: s }, `socket:${sk.cookie}`);
    const res = Number(BigInt.asUintN(32, o.r0));
    if (res === 0) return 0;
    return Math.min(len, Math.max(cap, res));
  } finally {
    pkt.release();
  }
}
