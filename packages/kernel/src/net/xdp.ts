/**
 * Running a device's XDP program on a received packet (net/core/dev.c,
 * bpf_prog_run_generic_xdp): the frame is put in an xdp_buff with
 * XDP_PACKET_HEADROOM in front, the program runs, and whatever it did to the
 * head, tail and metadata becomes the packet the path continues with.
 */
import type { BpfProg } from '../bpf/prog';
import { PacketBuffer } from '../bpf/packet';
import { runProgram } from '../bpf/run';
import { XDP_MD_SIZE, XDP_PACKET_HEADROOM, xdpMdLayout, type XdpBuff } from '../bpf/ctx/xdp';
import type { Kernel } from '../kernel/kernel';
import type { NetSkb } from './skbuff';

export const XDP_ABORTED = 0, XDP_DROP = 1, XDP_PASS = 2, XDP_TX = 3, XDP_REDIRECT = 4;
export const XDP_ACT_NAMES: readonly string[] = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];
export const xdpActName = (act: number): string => XDP_ACT_NAMES[act] ?? `invalid action ${act}`;

/** XDP_FLAGS_* of the netlink attach (include/uapi/linux/if_link.h). */
export const XDP_FLAGS_UPDATE_IF_NOEXIST = 1, XDP_FLAGS_SKB_MODE = 2, XDP_FLAGS_DRV_MODE = 4, XDP_FLAGS_HW_MODE = 8, XDP_FLAGS_REPLACE = 16;
export const XDP_FLAGS_MASK = 31;

const PAGE_SIZE = 4096;
/** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64. */
const SHINFO_ROOM = 320;

export interface XdpAttachment {
  prog: BpfProg;
  flags: number;
  /** Where it runs: 'generic' (netif_receive_generic_xdp) or 'native' (the driver's receive; veth_xdp_rcv). */
  mode: 'generic' | 'native';
}

/**
 * Run `prog` on the packet received at `ifindex`; the skb takes the program's
 * changes (data, metadata). Returns the action as a u32.
 */
export function runXdpOnSkb(kernel: Kernel, prog: BpfProg, skb: NetSkb, ifindex: number, hook: string): number {
  // A page per packet, as the generic path's skb_cow_data_for_xdp allocates: headroom, data, shared info.
  const size = Math.max(PAGE_SIZE, XDP_PACKET_HEADROOM + skb.data.length + SHINFO_ROOM);
  const frame = new Uint8Array(size);
  frame.set(skb.data, XDP_PACKET_HEADROOM);
  const pkt = new PacketBuffer(kernel.mem, frame, XDP_PACKET_HEADROOM, skb.data.length, `xdp packet on ${hook}`);
  try {
    const xdp: XdpBuff = { pkt, frameSz: size, tailroom: SHINFO_ROOM, ingressIfindex: ifindex, rxQueueIndex: 0, egressIfindex: 0, frags: [] };
    const o = runProgram(kernel, prog, { ctx: { layout: xdpMdLayout(xdp), bytes: new Uint8Array(XDP_MD_SIZE) }, xdp }, hook);
    skb.data = pkt.slice(pkt.data, pkt.end);
    skb.meta = pkt.slice(pkt.meta, pkt.data);
    return Number(o.r0 & 0xffffffffn);
  } finally {
    pkt.release();
  }
}
