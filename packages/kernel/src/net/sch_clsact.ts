/**
 * The clsact hooks: sch_handle_ingress and sch_handle_egress (net/core/dev.c)
 * run a device's tc chain on an skb whose data starts at the MAC header, as
 * cls_bpf sees it at both hooks, and fold the chain's answer into a verdict.
 */
import { PacketBuffer } from '../bpf/packet';
import { runProgram } from '../bpf/run';
import { CB_LEN, SK_BUFF_SIZE, skBuffLayout, type SkBuff } from '../bpf/ctx/skb';
import type { Kernel } from '../kernel/kernel';
import type { BpfProg } from '../bpf/prog';
import { execOpcode, TC_ACT_UNSPEC, type TcChain } from './cls_bpf';
import { ETH_HLEN, etherType, ethTypeTrans, PACKET_HOST, type NetSkb } from './skbuff';

/** NET_SKB_PAD + NET_IP_ALIGN on x86-64: the headroom of a received skb. */
const SKB_HEADROOM = 64;
const SHINFO_ROOM = 320;

export interface TcResult {
  /** The chain's answer (a TC_ACT_* value; UNSPEC when no filter answered). */
  verdict: number;
  /** The filter program that answered (the last one run). */
  prog: BpfProg | undefined;
}

export interface TcDevice {
  ifindex: number;
  name: string;
  mac: Uint8Array;
}

/**
 * Run the chain on `skb` at `dev`. Each filter sees the packet as the previous
 * one left it (bytes, mark, priority, cb); the first answer other than UNSPEC ends the chain.
 */
export function runTcChain(kernel: Kernel, chain: TcChain, dev: TcDevice, skb: NetSkb, ingress: boolean): TcResult {
  let verdict = TC_ACT_UNSPEC;
  let last: BpfProg | undefined;
  const cb = new Uint8Array(CB_LEN);
  for (const f of chain.list) {
    last = f.prog;
    verdict = execOpcode(runFilter(kernel, f.prog, dev, skb, ingress, cb));
    if (verdict !== TC_ACT_UNSPEC) break;
  }
  return { verdict, prog: last };
}

function runFilter(kernel: Kernel, prog: BpfProg, dev: TcDevice, skb: NetSkb, ingress: boolean, cb: Uint8Array): number {
  const len = skb.meta.length + skb.data.length;
  const frame = new Uint8Array(SKB_HEADROOM + Math.ceil(len / 64) * 64 + SHINFO_ROOM);
  frame.set(skb.meta, SKB_HEADROOM);
  const mac = SKB_HEADROOM + skb.meta.length;
  frame.set(skb.data, mac);
  const pkt = new PacketBuffer(kernel.mem, frame, mac, skb.data.length, `skb on ${dev.name} ${ingress ? 'ingress' : 'egress'}`);
  pkt.meta = SKB_HEADROOM;
  try {
    const d = skb.data;
    const proto = d.length >= ETH_HLEN ? etherType(d) : 0;
    const pktType = ingress && d.length >= ETH_HLEN ? ethTypeTrans(d, dev.mac).pktType : PACKET_HOST;
    const s: SkBuff = {
      pkt, macHeader: mac, networkHeader: mac + ETH_HLEN, pktType, mark: skb.mark, queueMapping: 0,
      // skb->protocol is __be16: the context reads its bytes little-endian.
      protocol: ((proto & 0xff) << 8) | (proto >> 8),
      vlanPresent: skb.vlan ? 1 : 0, vlanTci: skb.vlan?.tci ?? 0, vlanProto: skb.vlan ? ((skb.vlan.proto & 0xff) << 8) | (skb.vlan.proto >> 8) : 0,
      priority: skb.priority, ingressIfindex: skb.iif, ifindex: dev.ifindex, tcIndex: skb.tcIndex, cb, hash: 0, tcClassid: 0, napiId: 0,
      sk: null, tstamp: 0n, wireLen: d.length, gsoSegs: 0, gsoSize: 0, tstampType: 0, hwtstamp: 0n, macLen: ETH_HLEN,
    };
    const o = runProgram(kernel, prog, { ctx: { layout: skBuffLayout(s), bytes: new Uint8Array(SK_BUFF_SIZE) }, skb: s }, `tc:${dev.name}:${ingress ? 'ingress' : 'egress'}`);
    const p = s.pkt;
    skb.data = p.slice(p.data, p.end);
    skb.meta = p.slice(p.meta, p.data);
    skb.mark = s.mark >>> 0;
    skb.priority = s.priority >>> 0;
    skb.tcIndex = s.tcIndex;
    const vp = s.vlanProto;
    skb.vlan = s.vlanPresent ? { tci: s.vlanTci & 0xffff, proto: ((vp & 0xff) << 8) | ((vp >> 8) & 0xff) } : null;
    return Number(BigInt.asIntN(32, o.r0));
  } finally {
    // Helpers that grow the skb (pskb_expand_head) replace the frame inside the same PacketBuffer.
    pkt.release();
  }
}
