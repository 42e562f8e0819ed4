/**
 * IPv6 (RFC 8200) and its extension headers: hop-by-hop and destination options, routing,
 * fragment. Each extension header is a layer of its own, so `ipv6().hop().frag().udp()` reads
 * like the header chain; every Next Header field defaults to the layer after it.
 */
import { ipv6Bytes, ipv6Text, type AddrInput } from './addr';
import { checkField, put16, put32, u16, u32 } from './bytes';
import type { PseudoHeader } from './checksum';
import { fail } from './errors';
import { ipProtoFor, kindOfIpProto } from './ethertype';
import type { DecodeContext, DecodeStep, EncodeContext } from './layer';

export interface Ipv6Spec {
  kind: 'ipv6';
  src: AddrInput;
  dst: AddrInput;
  /** Traffic class; default 0. */
  tc?: number;
  /** Flow label (20 bits); default 0. */
  flow?: number;
  /** Hop limit; default 64. */
  hlim?: number;
  /** Next header; by default that of the next layer. */
  nh?: number;
  /** Payload length; default everything after the fixed header as built. */
  plen?: number;
  version?: number;
}

/** Hop-by-hop or destination options: option bytes are padded with Pad1/PadN to 8n-2. */
export interface Ipv6OptsSpec {
  kind: 'ipv6-hop' | 'ipv6-dst';
  nh?: number;
  options?: Uint8Array | readonly number[];
  /** Header Ext Len (8-byte units beyond the first 8); default from the options. */
  hlen?: number;
}

export interface Ipv6RouteSpec {
  kind: 'ipv6-route';
  nh?: number;
  routingType?: number;
  segmentsLeft?: number;
  /** Type-specific data after the first 4 bytes; zero-padded to 8n-4. */
  data?: Uint8Array | readonly number[];
  hlen?: number;
}

export interface Ipv6FragSpec {
  kind: 'ipv6-frag';
  nh?: number;
  /** Fragment offset in 8-byte units. */
  offset?: number;
  /** More-fragments flag (0/1). */
  m?: number;
  id?: number;
  /** The reserved byte and the 2 reserved bits, for malformed packets. */
  reserved?: number;
  res2?: number;
}

export type Ipv6ExtSpec = Ipv6OptsSpec | Ipv6RouteSpec | Ipv6FragSpec;

export const IPV6_HLEN = 40;

export function encodeIpv6(s: Ipv6Spec, inner: Uint8Array, ctx: EncodeContext): Uint8Array {
  const f = fail('ipv6');
  const out = new Uint8Array(IPV6_HLEN + inner.length);
  put32(
    out,
    0,
    ((checkField(s.version ?? 6, 4, 'version', f) << 28) |
      (checkField(s.tc ?? 0, 8, 'tc', f) << 20) |
      checkField(s.flow ?? 0, 20, 'flow', f)) >>>
      0,
  );
  put16(out, 4, checkField(s.plen ?? inner.length, 16, 'plen', f));
  out[6] = checkField(s.nh ?? ipProtoFor(ctx.next), 8, 'nh', f);
  out[7] = checkField(s.hlim ?? 64, 8, 'hlim', f);
  out.set(ipv6Bytes(s.src, 'ipv6 src'), 8);
  out.set(ipv6Bytes(s.dst, 'ipv6 dst'), 24);
  out.set(inner, IPV6_HLEN);
  return out;
}

function padOptions(opts: Uint8Array): Uint8Array {
  const total = (opts.length + 2 + 7) & ~7;
  const pad = total - 2 - opts.length;
  const out = new Uint8Array(total - 2);
  out.set(opts, 0);
  // Pad1 is a single zero byte; PadN is type 1, length, zeros.
  if (pad >= 2) {
    out[opts.length] = 1;
    out[opts.length + 1] = pad - 2;
  }
  return out;
}

export function encodeIpv6Ext(s: Ipv6ExtSpec, inner: Uint8Array, ctx: EncodeContext): Uint8Array {
  const f = fail(s.kind);
  const nh = checkField(s.nh ?? ipProtoFor(ctx.next), 8, 'nh', f);
  let hdr: Uint8Array;
  if (s.kind === 'ipv6-frag') {
    hdr = new Uint8Array(8);
    hdr[1] = checkField(s.reserved ?? 0, 8, 'reserved', f);
    put16(hdr, 2, (checkField(s.offset ?? 0, 13, 'offset', f) << 3) | (checkField(s.res2 ?? 0, 2, 'res2', f) << 1) | checkField(s.m ?? 0, 1, 'm', f));
    put32(hdr, 4, checkField(s.id ?? 0, 32, 'id', f));
  } else if (s.kind === 'ipv6-route') {
    const data = Uint8Array.from(s.data ?? []);
    const len = (data.length + 4 + 7) & ~7;
    hdr = new Uint8Array(len);
    hdr[1] = checkField(s.hlen ?? len / 8 - 1, 8, 'hlen', f);
    hdr[2] = checkField(s.routingType ?? 0, 8, 'routingType', f);
    hdr[3] = checkField(s.segmentsLeft ?? 0, 8, 'segmentsLeft', f);
    hdr.set(data, 4);
  } else {
    const body = padOptions(Uint8Array.from(s.options ?? []));
    hdr = new Uint8Array(body.length + 2);
    hdr[1] = checkField(s.hlen ?? hdr.length / 8 - 1, 8, 'hlen', f);
    hdr.set(body, 2);
  }
  hdr[0] = nh;
  const out = new Uint8Array(hdr.length + inner.length);
  out.set(hdr, 0);
  out.set(inner, hdr.length);
  return out;
}

/**
 * The destination an upper-layer checksum uses when a routing header is present (RFC 8200
 * §8.1): the last address of a type 0/2 header, the first segment (the final one) of an SRH.
 */
export function routedDestination(s: { routingType?: number; segmentsLeft?: number; data?: ArrayLike<number> }): Uint8Array | undefined {
  const data = Uint8Array.from(s.data ?? []);
  if (!s.segmentsLeft) return undefined;
  if ((s.routingType === 0 || s.routingType === 2) && data.length >= 20) return data.slice(data.length - 16);
  if (s.routingType === 4 && data.length >= 20) return data.slice(4, 20);
  return undefined;
}

export interface Ipv6Parsed extends Required<Ipv6Spec> {
  src: string;
  dst: string;
}

export function decodeIpv6(b: Uint8Array, off: number, end: number): DecodeStep<Ipv6Parsed> {
  if (end - off < IPV6_HLEN) return { stop: `IPv6 header needs ${IPV6_HLEN} bytes, ${end - off} present` };
  const w = u32(b, off);
  const version = w >>> 28;
  if (version !== 6) return { stop: `IPv6 version field is ${version}` };
  const plen = u16(b, off + 4);
  const nh = b[off + 6];
  const src = b.slice(off + 8, off + 24);
  const dst = b.slice(off + 24, off + 40);
  const declaredEnd = off + IPV6_HLEN + plen;
  return {
    layer: { kind: 'ipv6', version, tc: (w >>> 20) & 0xff, flow: w & 0xfffff, plen, nh, hlim: b[off + 7], src: ipv6Text(src), dst: ipv6Text(dst) },
    hdrLen: IPV6_HLEN,
    end: Math.min(declaredEnd, end),
    next: kindOfIpProto(nh, true),
    issue: declaredEnd > end ? `IPv6 payload length ${plen} exceeds the ${end - off - IPV6_HLEN} bytes present` : undefined,
    ctx: { ph: { src, dst }, fragment: declaredEnd > end },
  };
}

export type Ipv6ExtParsed =
  | (Required<Omit<Ipv6OptsSpec, 'options'>> & { options: Uint8Array })
  | (Required<Omit<Ipv6RouteSpec, 'data'>> & { data: Uint8Array })
  | Required<Ipv6FragSpec>;

export function decodeIpv6Ext(kind: Ipv6ExtSpec['kind'], b: Uint8Array, off: number, end: number, ctx: DecodeContext): DecodeStep<Ipv6ExtParsed> {
  if (end - off < 8) return { stop: `${kind} header needs 8 bytes, ${end - off} present` };
  const nh = b[off];
  const next = kindOfIpProto(nh, true);
  if (kind === 'ipv6-frag') {
    const fo = u16(b, off + 2);
    const offset = fo >> 3;
    const m = fo & 1;
    return {
      layer: { kind, nh, reserved: b[off + 1], offset, res2: (fo >> 1) & 3, m, id: u32(b, off + 4) },
      hdrLen: 8,
      end,
      next: offset === 0 ? next : null,
      // An atomic fragment (offset 0, no more fragments) holds the whole upper-layer packet.
      ctx: offset !== 0 || m !== 0 ? { fragment: true } : undefined,
    };
  }
  const hlen = b[off + 1];
  const len = (hlen + 1) * 8;
  if (end - off < len) return { stop: `${kind} header of ${len} bytes, ${end - off} present` };
  if (kind === 'ipv6-route') {
    const layer = { kind, nh, hlen, routingType: b[off + 2], segmentsLeft: b[off + 3], data: b.slice(off + 4, off + len) };
    const final = routedDestination(layer);
    const ph: PseudoHeader | undefined = final && ctx.ph ? { src: ctx.ph.src, dst: final } : undefined;
    return { layer, hdrLen: len, end, next, ctx: ph ? { ph } : undefined };
  }
  return { layer: { kind, nh, hlen, options: b.slice(off + 2, off + len) }, hdrLen: len, end, next };
}
