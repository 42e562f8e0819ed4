/**
 * Bytes → layers. The parser never throws on packet bytes: it decodes headers outside-in until
 * the payload, and when a header is cut short or makes no sense it stops and says where and
 * why; the bytes it did not decode stay in `payload`, so `buildPacket(toLayers(p))` gives the
 * input back byte for byte.
 */
import { decodeArp } from './arp';
import { decodeGre, decodeVxlan, type GreParsed } from './encap';
import { decodeEth, decodeSll, decodeSll2 } from './ethernet';
import { decodeIcmp, type IcmpParsed } from './icmp';
import { decodeIpv4, type Ipv4Parsed } from './ipv4';
import { decodeIpv6, decodeIpv6Ext, type Ipv6ExtParsed, type Ipv6Parsed } from './ipv6';
import type { ArpSpec } from './arp';
import type { EthSpec, Sll2Spec, SllSpec } from './ethernet';
import type { DecodeContext, DecodeStep, HeaderKind, Layer } from './layer';
import { decodeTcp, type TcpParsed } from './tcp';
import { decodeUdp, type UdpParsed } from './udp';
import { decodeVlan } from './vlan';
import type { VlanSpec } from './vlan';
import type { VxlanSpec } from './encap';

export type ParsedLayer =
  | Required<EthSpec>
  | Required<SllSpec>
  | Required<Sll2Spec>
  | Required<VlanSpec>
  | Required<ArpSpec>
  | Ipv4Parsed
  | Ipv6Parsed
  | Ipv6ExtParsed
  | TcpParsed
  | UdpParsed
  | IcmpParsed
  | GreParsed
  | Required<VxlanSpec>;

/** Where a parse stopped early, or a length field that promised more than was there. */
export interface ParseIssue {
  /** The layer being decoded. */
  layer: HeaderKind;
  /** Byte offset of that layer's header in the packet. */
  offset: number;
  reason: string;
}

export interface ParsedPacket {
  layers: ParsedLayer[];
  /** Offset of each layer's header. */
  offsets: number[];
  /** Header length of each layer. */
  hdrLens: number[];
  /** Where each layer's payload ends (its declared length, clipped to the bytes present). */
  ends: number[];
  /** Bytes after the last decoded header, up to the innermost declared length. */
  payload: Uint8Array;
  /** Bytes beyond the declared lengths (Ethernet padding, trailers). */
  trailer: Uint8Array;
  /** Set when decoding stopped at a header it could not decode. */
  stop?: ParseIssue;
  /** Non-fatal findings (declared length beyond the bytes present). */
  issues: ParseIssue[];
}

/** Link types as named by pcap (LINKTYPE_*): what the first header is. */
export type LinkLayer = 'eth' | 'sll' | 'sll2' | 'ipv4' | 'ipv6' | 'raw';

export const LINKTYPE = { ETHERNET: 1, RAW: 101, LINUX_SLL: 113, IPV4: 228, IPV6: 229, LINUX_SLL2: 276 } as const;

export function linkLayerOf(linkType: number): LinkLayer | null {
  switch (linkType) {
    case LINKTYPE.ETHERNET:
      return 'eth';
    case LINKTYPE.RAW:
      return 'raw';
    case LINKTYPE.LINUX_SLL:
      return 'sll';
    case LINKTYPE.IPV4:
      return 'ipv4';
    case LINKTYPE.IPV6:
      return 'ipv6';
    case LINKTYPE.LINUX_SLL2:
      return 'sll2';
    default:
      return null;
  }
}

function decodeOne(kind: HeaderKind, b: Uint8Array, off: number, end: number, ctx: DecodeContext): DecodeStep<ParsedLayer> {
  switch (kind) {
    case 'eth':
      return decodeEth(b, off, end);
    case 'sll':
      return decodeSll(b, off, end);
    case 'sll2':
      return decodeSll2(b, off, end);
    case 'vlan':
      return decodeVlan(b, off, end, ctx);
    case 'arp':
      return decodeArp(b, off, end);
    case 'ipv4':
      return decodeIpv4(b, off, end);
    case 'ipv6':
      return decodeIpv6(b, off, end);
    case 'ipv6-hop':
    case 'ipv6-dst':
    case 'ipv6-route':
    case 'ipv6-frag':
      return decodeIpv6Ext(kind, b, off, end, ctx);
    case 'tcp':
      return decodeTcp(b, off, end, ctx);
    case 'udp':
      return decodeUdp(b, off, end, ctx);
    case 'icmp':
    case 'icmpv6':
      return decodeIcmp(kind, b, off, end, ctx);
    case 'gre':
      return decodeGre(b, off, end);
    case 'vxlan':
      return decodeVxlan(b, off, end);
  }
}

/** No real packet nests deeper; the bound keeps crafted input (IPIP in IPIP ...) cheap. */
const MAX_LAYERS = 32;

export function parsePacket(bytes: Uint8Array, opts: { link?: LinkLayer } = {}): ParsedPacket {
  const link = opts.link ?? 'eth';
  let kind: HeaderKind | null;
  if (link === 'raw') kind = bytes.length > 0 && bytes[0] >> 4 === 6 ? 'ipv6' : 'ipv4';
  else kind = link;
  const out: ParsedPacket = { layers: [], offsets: [], hdrLens: [], ends: [], payload: new Uint8Array(0), trailer: new Uint8Array(0), issues: [] };
  let off = 0;
  let end = bytes.length;
  let ctx: DecodeContext = {};
  while (kind !== null) {
    if (out.layers.length >= MAX_LAYERS) {
      out.stop = { layer: kind, offset: off, reason: `more than ${MAX_LAYERS} nested headers` };
      break;
    }
    const step = decodeOne(kind, bytes, off, end, ctx);
    if ('stop' in step) {
      out.stop = { layer: kind, offset: off, reason: step.stop };
      break;
    }
    out.layers.push(step.layer);
    out.offsets.push(off);
    out.hdrLens.push(step.hdrLen);
    out.ends.push(Math.max(off + step.hdrLen, step.end));
    if (step.issue) out.issues.push({ layer: kind, offset: off, reason: step.issue });
    ctx = { ...ctx, etherType: undefined, ...step.ctx };
    off += step.hdrLen;
    end = Math.max(off, step.end);
    kind = step.next;
  }
  out.payload = bytes.slice(off, Math.max(off, end));
  out.trailer = bytes.slice(Math.max(off, end));
  return out;
}

/** The layer list that rebuilds the parsed bytes exactly (payload and trailer as raw bytes). */
export function toLayers(p: ParsedPacket): Layer[] {
  const layers: Layer[] = p.layers.map((l) => ({ ...l }) as Layer);
  if (p.payload.length + p.trailer.length > 0) {
    const data = new Uint8Array(p.payload.length + p.trailer.length);
    data.set(p.payload, 0);
    data.set(p.trailer, p.payload.length);
    layers.push({ kind: 'payload', data });
  }
  return layers;
}
