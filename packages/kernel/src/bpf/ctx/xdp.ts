/**
 * struct xdp_md over an xdp_buff. data/data_end/data_meta are __u32 in uapi;
 * the kernel's rewrite loads the 64-bit pointers, and so does this layout.
 */
import type { PacketBuffer } from '../packet';
import type { CtxLayout } from './layout';

/** XDP_PACKET_HEADROOM */
export const XDP_PACKET_HEADROOM = 256;
/** sizeof(struct xdp_frame): adjust_head/meta may not move data below hard_start + this. */
export const XDP_FRAME_SIZE = 40;
/** sizeof(struct xdp_md) */
export const XDP_MD_SIZE = 24;

/** What an XDP program runs on: the buffer and its receive queue. */
export interface XdpBuff {
  pkt: PacketBuffer;
  /** Frame size (headroom + data + tailroom): adjust_tail may grow up to frameSz - tailroom. */
  frameSz: number;
  /** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) reserved at the end of the frame. */
  tailroom: number;
  ingressIfindex: number;
  rxQueueIndex: number;
  egressIfindex: number;
  /** Fragments after the linear part (multi-buffer XDP): each a page, `len` bytes used. */
  frags: XdpFrag[];
}

/** One skb_frag_t of a multi-buffer xdp_buff: a page holding `len` bytes from offset 0. */
export interface XdpFrag {
  page: Uint8Array;
  len: number;
}

/** xdp_get_buff_len: linear bytes plus all fragments. */
export function xdpBuffLen(x: XdpBuff): number {
  return x.pkt.len + x.frags.reduce((n, f) => n + f.len, 0);
}

/**
 * The [offset, offset+len) bytes of the whole buffer (linear part then
 * fragments) as a list of (array, start, count) pieces; undefined when out of range.
 */
export function xdpSpans(x: XdpBuff, offset: number, len: number): [Uint8Array, number, number][] | undefined {
  if (offset < 0 || offset + len > xdpBuffLen(x)) return undefined;
  const segs: [Uint8Array, number, number][] = [[x.pkt.frame, x.pkt.data, x.pkt.len], ...x.frags.map((f): [Uint8Array, number, number] => [f.page, 0, f.len])];
  const out: [Uint8Array, number, number][] = [];
  let skip = offset, want = len;
  for (const [arr, start, n] of segs) {
    if (want === 0) break;
    if (skip >= n) {
      skip -= n;
      continue;
    }
    const take = Math.min(n - skip, want);
    out.push([arr, start + skip, take]);
    skip = 0;
    want -= take;
  }
  return out;
}

export function xdpMdLayout(x: XdpBuff): CtxLayout {
  return {
    struct: 'xdp_md',
    size: XDP_MD_SIZE,
    fields: [
      { name: 'data', off: 0, size: 4, pointer: true, get: () => x.pkt.addr(x.pkt.data) },
      { name: 'data_end', off: 4, size: 4, pointer: true, get: () => x.pkt.addr(x.pkt.end) },
      { name: 'data_meta', off: 8, size: 4, pointer: true, get: () => x.pkt.addr(x.pkt.meta) },
      { name: 'ingress_ifindex', off: 12, size: 4, get: () => BigInt(x.ingressIfindex) },
      { name: 'rx_queue_index', off: 16, size: 4, get: () => BigInt(x.rxQueueIndex) },
      { name: 'egress_ifindex', off: 20, size: 4, get: () => BigInt(x.egressIfindex) },
    ],
  };
}
