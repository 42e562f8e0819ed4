/**
 * skb helpers that move headers or change the packet's length, as
 * net/core/filter.c does them: bpf_skb_change_tail/head, bpf_skb_adjust_room,
 * bpf_skb_change_proto and bpf_skb_vlan_push/pop. Header positions are frame
 * offsets on the SkBuff; a helper that needs more room than the frame has
 * reallocates it (pskb_expand_head) and shifts every offset.
 *
 * skb->protocol and vlan_proto are kept as the program reads them: the
 * __be16 bytes read little-endian (IPv4 is 0x0008).
 */
import { Errno } from '@bpfsim/uapi';
import type { SkBuff } from '../ctx/skb';
import { neg, type HelperArea, type RunEnv } from './types';

const ETH_HLEN = 14, VLAN_HLEN = 4, VLAN_ETH_HLEN = 18, ETH_ALEN = 6;
/** SKB_MAX_ALLOC: (PAGE_SIZE << 2) - SKB_DATA_ALIGN(sizeof(struct skb_shared_info)). */
export const BPF_SKB_MAX_LEN = 16384 - 320;
/** 1 << (MAX_PAGE_ORDER + PAGE_SHIFT): the largest head pskb_expand_head can allocate. */
const KMALLOC_MAX_SIZE = 1 << 22;

/** htons of the ethertypes, as skb->protocol holds them. */
export const be16 = (v: number): number => ((v & 0xff) << 8) | ((v >> 8) & 0xff);
export const P_IP = be16(0x0800), P_IPV6 = be16(0x86dd), P_8021Q = be16(0x8100), P_8021AD = be16(0x88a8);
const P_802_3 = be16(0x0001), P_802_2 = be16(0x0004);
const isVlan = (p: number): boolean => p === P_8021Q || p === P_8021AD;

const IPHDR = 20, IPV6HDR = 40;

// bpf_adj_room_flags
const F_FIXED_GSO = 1n, F_ENCAP_L3_IPV4 = 2n, F_ENCAP_L3_IPV6 = 4n, F_ENCAP_L4_GRE = 8n, F_ENCAP_L4_UDP = 16n;
const F_NO_CSUM_RESET = 32n, F_ENCAP_L2_ETH = 64n, F_DECAP_L3_IPV4 = 128n, F_DECAP_L3_IPV6 = 256n;
const ENCAP_L3_MASK = F_ENCAP_L3_IPV4 | F_ENCAP_L3_IPV6;
const DECAP_L3_MASK = F_DECAP_L3_IPV4 | F_DECAP_L3_IPV6;
const ENCAP_L2_SHIFT = 56n;
const ADJ_ROOM_MASK = F_FIXED_GSO | ENCAP_L3_MASK | F_ENCAP_L4_GRE | F_ENCAP_L4_UDP | F_ENCAP_L2_ETH | (0xffn << ENCAP_L2_SHIFT) | DECAP_L3_MASK;
const ADJ_ROOM_NET = 0, ADJ_ROOM_MAC = 1;
const CHECKSUM_NONE = 0, CHECKSUM_UNNECESSARY = 1;

export function skbOf(env: RunEnv): SkBuff {
  if (!env.skb) throw new TypeError(`helper needs an skb context (program type ${env.prog.type})`);
  return env.skb;
}

/** pskb_expand_head / skb_cow: at least `head` bytes of headroom and `tail` of tailroom. */
export function skbReserve(s: SkBuff, head: number, tail: number): void {
  const moved = s.pkt.expand(head, tail);
  if (!moved) return;
  s.macHeader += moved;
  s.networkHeader += moved;
  // skb_headers_offset_update adds to the u16 transport_header even when it is unset
  // (~0): the header then reads as set, nhead - 1 bytes into the new head.
  s.transportHeader = ((s.transportHeader ?? 0xffff) + moved) & 0xffff;
  if (s.transportHeader === 0xffff) s.transportHeader = undefined;
}

/** bpf_compute_data_pointers: no metadata in an skb of bpfsim (meta_len 0). */
export function computeDataPointers(s: SkBuff): void {
  s.pkt.meta = s.pkt.data;
}

/** skb_clear_hash */
export function clearHash(s: SkBuff): void {
  s.hash = 0;
  s.swHash = false;
  s.l4Hash = false;
}

/** __skb_reset_checksum_unnecessary */
export function resetChecksumUnnecessary(s: SkBuff): void {
  if ((s.ipSummed ?? CHECKSUM_NONE) === CHECKSUM_UNNECESSARY) {
    s.ipSummed = CHECKSUM_NONE;
    s.csumLevel = 0;
  }
}

const isGso = (s: SkBuff): boolean => s.gsoSize !== 0;
/** skb_gso_reset */
function gsoReset(s: SkBuff): void {
  s.gsoSize = 0;
  s.gsoSegs = 0;
}

/** bpf_skb_net_base_len: ~0U for anything but IPv4/IPv6. */
const netBaseLen = (s: SkBuff): number => (s.protocol === P_IP ? IPHDR : s.protocol === P_IPV6 ? IPV6HDR : 0xffffffff);

/** bpf_skb_net_hdr_push: `len` zero bytes at `off` from data, the first `off` bytes moved to the front. */
function netHdrPush(s: SkBuff, off: number, len: number): void {
  const transSame = s.transportHeader === s.networkHeader;
  const p = s.pkt;
  p.data -= len;
  p.frame.copyWithin(p.data, p.data + len, p.data + len + off);
  p.frame.fill(0, p.data + off, p.data + off + len);
  s.macHeader -= len;
  s.networkHeader -= len;
  if (transSame) s.transportHeader = s.networkHeader;
}

/** bpf_skb_net_hdr_pop: drop `len` bytes at `off`; ENOMEM when the packet is shorter than off + len. */
function netHdrPop(s: SkBuff, off: number, len: number): number {
  const transSame = s.transportHeader === s.networkHeader;
  const p = s.pkt;
  if (off + len > p.len) return -Errno.ENOMEM;
  const old = p.data;
  p.data += len;
  p.frame.copyWithin(p.data, old, old + off);
  s.macHeader += len;
  s.networkHeader += len;
  if (transSame) s.transportHeader = s.networkHeader;
  return 0;
}

/** skb_mac_header_len */
const macHeaderLen = (s: SkBuff): number => s.networkHeader - s.macHeader;

function changeTail(s: SkBuff, newLen: number, flags: bigint): number {
  const p = s.pkt;
  // __bpf_skb_min_len (v6.18): a set transport header's offset replaces the network header's,
  // even when smaller (docs/differences.md: the 6.18.44-fc host takes the larger instead).
  let minLen = 0;
  let off = s.networkHeader - p.data;
  if (off > 0) minLen = off;
  if (s.transportHeader !== undefined) {
    off = s.transportHeader - p.data;
    if (off > 0) minLen = off;
  }
  if (flags || newLen > BPF_SKB_MAX_LEN || newLen < minLen) return -Errno.EINVAL;
  if (s.encapsulation) return -Errno.ENOTSUPP;
  if (newLen > p.len) {
    skbReserve(s, 0, newLen - p.len);
    // bpf_skb_grow_rcsum zeroes the new bytes.
    s.pkt.frame.fill(0, s.pkt.end, s.pkt.data + newLen);
  }
  s.pkt.end = s.pkt.data + newLen;
  if (isGso(s)) gsoReset(s);
  return 0;
}

function changeHead(s: SkBuff, headRoom: number, flags: bigint): number {
  const newLen = (s.pkt.len + headRoom) >>> 0;
  if (flags || headRoom > 0x7fffffff || (!isGso(s) && newLen > BPF_SKB_MAX_LEN) || newLen < s.pkt.len) return -Errno.EINVAL;
  // A GSO skb skips the length check: then skb_cow's kmalloc fails past KMALLOC_MAX_SIZE.
  const grow = Math.max(0, headRoom - s.pkt.meta);
  if (s.pkt.frame.length + Math.ceil(grow / 64) * 64 > KMALLOC_MAX_SIZE) return -Errno.ENOMEM;
  skbReserve(s, headRoom, 0);
  const p = s.pkt;
  p.data -= headRoom;
  p.frame.fill(0, p.data, p.data + headRoom);
  s.macHeader = p.data;
  s.macLen = s.networkHeader - s.macHeader;
  return 0;
}

function netGrow(s: SkBuff, off: number, lenDiff: number, flags: bigint): number {
  const innerMacLen = Number((flags >> ENCAP_L2_SHIFT) & 0xffn);
  const encap = (flags & ENCAP_L3_MASK) !== 0n;
  // A test-run skb's gso_type is 0: never TCP, never UDP_L4.
  if (isGso(s)) return -Errno.ENOTSUPP;
  skbReserve(s, lenDiff, 0);
  let macLen = 0;
  if (encap) {
    if (s.protocol !== P_IP && s.protocol !== P_IPV6) return -Errno.ENOTSUPP;
    if (flags & F_ENCAP_L3_IPV4 && flags & F_ENCAP_L3_IPV6) return -Errno.EINVAL;
    if (flags & F_ENCAP_L4_GRE && flags & F_ENCAP_L4_UDP) return -Errno.EINVAL;
    if (flags & F_ENCAP_L2_ETH && innerMacLen < ETH_HLEN) return -Errno.EINVAL;
    if (s.encapsulation) return -Errno.EALREADY;
    macLen = s.networkHeader - s.macHeader;
    // The inner header offsets it records are not observable from a test run.
    if (innerMacLen > lenDiff) return -Errno.EINVAL;
  }
  netHdrPush(s, off, lenDiff);
  if (encap) {
    s.encapsulation = true;
    s.networkHeader = s.pkt.data + macLen;
    if (flags & (F_ENCAP_L4_GRE | F_ENCAP_L4_UDP)) {
      s.transportHeader = s.pkt.data + macLen + (flags & F_ENCAP_L3_IPV6 ? IPV6HDR : IPHDR);
    }
    if (s.protocol === P_IP && flags & F_ENCAP_L3_IPV6) s.protocol = P_IPV6;
    else if (s.protocol === P_IPV6 && flags & F_ENCAP_L3_IPV4) s.protocol = P_IP;
  }
  return 0;
}

function netShrink(s: SkBuff, off: number, lenDiff: number, flags: bigint): number {
  if (flags & ~(F_FIXED_GSO | DECAP_L3_MASK | F_NO_CSUM_RESET)) return -Errno.EINVAL;
  if (isGso(s)) return -Errno.ENOTSUPP;
  const r = netHdrPop(s, off, lenDiff);
  if (r) return r;
  if (s.protocol === P_IP && flags & F_DECAP_L3_IPV6) s.protocol = P_IPV6;
  else if (s.protocol === P_IPV6 && flags & F_DECAP_L3_IPV4) s.protocol = P_IP;
  return 0;
}

function adjustRoom(s: SkBuff, lenDiff: number, mode: number, flags: bigint): number {
  const abs = Math.abs(lenDiff);
  let lenMin = netBaseLen(s);
  const shrink = lenDiff < 0;
  if (flags & ~(ADJ_ROOM_MASK | F_NO_CSUM_RESET)) return -Errno.EINVAL;
  if (abs > 0xfff) return -Errno.EFAULT;
  if (s.protocol !== P_IP && s.protocol !== P_IPV6) return -Errno.ENOTSUPP;
  let off = macHeaderLen(s);
  if (mode === ADJ_ROOM_NET) off += netBaseLen(s);
  else if (mode !== ADJ_ROOM_MAC) return -Errno.ENOTSUPP;
  if (flags & DECAP_L3_MASK) {
    if (!shrink) return -Errno.EINVAL;
    const d = flags & DECAP_L3_MASK;
    if (d === F_DECAP_L3_IPV4) lenMin = IPHDR;
    else if (d === F_DECAP_L3_IPV6) lenMin = IPV6HDR;
    else return -Errno.EINVAL;
  }
  const lenCur = s.pkt.len - (s.networkHeader - s.pkt.data);
  // The kernel compares u32s: a network header past the end makes len_cur huge.
  const cur = lenCur >>> 0;
  if ((shrink && (abs >= cur || cur - abs < lenMin)) || (!shrink && s.pkt.len + abs > BPF_SKB_MAX_LEN && !isGso(s))) return -Errno.ENOTSUPP;
  const r = shrink ? netShrink(s, off, abs, flags) : netGrow(s, off, abs, flags);
  if (!r && !(flags & F_NO_CSUM_RESET)) resetChecksumUnnecessary(s);
  return r;
}

/** bpf_skb_proto_xlat: IPv4 <-> IPv6 by 20 bytes after the MAC header. */
function changeProto(s: SkBuff, proto: number, flags: bigint): number {
  if (flags) return -Errno.EINVAL;
  const off = macHeaderLen(s);
  const diff = IPV6HDR - IPHDR;
  if (s.protocol === P_IP && proto === P_IPV6) {
    skbReserve(s, diff, 0);
    netHdrPush(s, off, diff);
    s.protocol = P_IPV6;
  } else if (s.protocol === P_IPV6 && proto === P_IP) {
    const r = netHdrPop(s, off, diff);
    if (r) return r;
    s.protocol = P_IP;
  } else {
    return -Errno.ENOTSUPP;
  }
  clearHash(s);
  return 0;
}

const rd16 = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8);

/** __skb_vlan_pop: the tag after the MAC addresses out of the payload; returns [err, tci]. */
function vlanPopPayload(s: SkBuff): [number, number] {
  const p = s.pkt;
  if (p.data !== s.macHeader) return [-Errno.EINVAL, 0];
  if (p.len < VLAN_ETH_HLEN) return [-Errno.ENOMEM, 0];
  const f = p.frame;
  const tci = (f[p.data + ETH_HLEN] << 8) | f[p.data + ETH_HLEN + 1];
  f.copyWithin(p.data + VLAN_HLEN, p.data, p.data + 2 * ETH_ALEN);
  // vlan_set_encap_proto
  const inner = rd16(f, p.data + ETH_HLEN + 2);
  if (be16(inner) >= 0x600) s.protocol = inner;
  else s.protocol = rd16(f, p.data + VLAN_ETH_HLEN) === 0xffff ? P_802_3 : P_802_2;
  p.data += VLAN_HLEN;
  s.macHeader += VLAN_HLEN;
  if (s.networkHeader - p.data < ETH_HLEN) s.networkHeader = p.data + ETH_HLEN;
  s.macLen = s.networkHeader - s.macHeader;
  return [0, tci];
}

function setVlanTag(s: SkBuff, proto: number, tci: number): void {
  s.vlanProto = proto;
  s.vlanTci = tci;
  s.vlanPresent = proto || tci ? 1 : 0;
}

function vlanPush(s: SkBuff, proto: number, tci: number): number {
  if (proto !== P_8021Q && proto !== P_8021AD) proto = P_8021Q;
  if (s.vlanPresent) {
    // The accelerated tag goes into the payload first (__vlan_insert_tag).
    if (s.pkt.data !== s.macHeader) return -Errno.EINVAL;
    skbReserve(s, VLAN_HLEN, 0);
    const p = s.pkt, f = p.frame;
    p.data -= VLAN_HLEN;
    f.copyWithin(p.data, p.data + VLAN_HLEN, p.data + VLAN_HLEN + 2 * ETH_ALEN);
    s.macHeader -= VLAN_HLEN;
    f[p.data + 12] = s.vlanProto & 0xff;
    f[p.data + 13] = s.vlanProto >> 8;
    f[p.data + 14] = (s.vlanTci >> 8) & 0xff;
    f[p.data + 15] = s.vlanTci & 0xff;
    s.protocol = s.vlanProto;
    s.networkHeader -= VLAN_HLEN;
  }
  setVlanTag(s, proto, tci);
  s.macLen = s.networkHeader - s.macHeader;
  return 0;
}

function vlanPop(s: SkBuff): number {
  if (s.vlanPresent) {
    setVlanTag(s, 0, 0);
  } else {
    if (!isVlan(s.protocol)) return 0;
    const [err] = vlanPopPayload(s);
    if (err) return err;
  }
  // The next tag, if any, becomes the accelerated one.
  if (!isVlan(s.protocol)) return 0;
  const proto = s.protocol;
  const [err, tci] = vlanPopPayload(s);
  if (err) return err;
  setVlanTag(s, proto, tci);
  return 0;
}

/** Run `op`, then bpf_compute_data_pointers (every helper here does it, failed or not). */
function withPointers(env: RunEnv, op: (s: SkBuff) => number): bigint {
  const s = skbOf(env);
  const r = op(s);
  computeDataPointers(s);
  return r < 0 ? neg(-r) : BigInt(r);
}

export const skbResizeHelpers: HelperArea = {
  bpf_skb_change_tail: (env, _c, _skb, len, flags) => withPointers(env, (s) => changeTail(s, Number(len & 0xffffffffn), flags)),
  bpf_skb_change_head: (env, _c, _skb, room, flags) => withPointers(env, (s) => changeHead(s, Number(room & 0xffffffffn), flags)),
  bpf_skb_adjust_room: (env, _c, _skb, diff, mode, flags) =>
    withPointers(env, (s) => adjustRoom(s, Number(BigInt.asIntN(32, diff)), Number(mode & 0xffffffffn), flags)),
  bpf_skb_change_proto: (env, _c, _skb, proto, flags) => withPointers(env, (s) => changeProto(s, Number(proto & 0xffffn), flags)),
  bpf_skb_vlan_push: (env, _c, _skb, proto, tci) => withPointers(env, (s) => vlanPush(s, Number(proto & 0xffffn), Number(tci & 0xffffn))),
  bpf_skb_vlan_pop: (env) => withPointers(env, vlanPop),
};
