/** UDP (RFC 768) over IPv4 and IPv6: length and checksum (0 = none, allowed over IPv4 only). */
import { checkField, put16, u16 } from './bytes';
import { checksumValid, inetChecksum, pseudoSum } from './checksum';
import { fail } from './errors';
import { IPPROTO, VXLAN_PORT } from './ethertype';
import type { DecodeContext, DecodeStep, EncodeContext } from './layer';

export interface UdpSpec {
  kind: 'udp';
  /** Default 12345. */
  sport?: number;
  /** Default 4789 when VXLAN follows, else 53. */
  dport?: number;
  /** Default header + payload as built. */
  length?: number;
  /** Default: the correct checksum (0 is sent as 0xffff); give 0 for "no checksum". */
  checksum?: number;
}

export const UDP_HLEN = 8;

export function encodeUdp(s: UdpSpec, inner: Uint8Array, ctx: EncodeContext): Uint8Array {
  const f = fail('udp');
  const out = new Uint8Array(UDP_HLEN + inner.length);
  put16(out, 0, checkField(s.sport ?? 12345, 16, 'sport', f));
  put16(out, 2, checkField(s.dport ?? (ctx.next?.kind === 'vxlan' ? VXLAN_PORT : 53), 16, 'dport', f));
  put16(out, 4, checkField(s.length ?? out.length, 16, 'length', f));
  out.set(inner, UDP_HLEN);
  if (s.checksum !== undefined) put16(out, 6, checkField(s.checksum, 16, 'checksum', f));
  else if (ctx.ph) {
    const c = inetChecksum(out, 0, out.length, pseudoSum(ctx.ph, IPPROTO.UDP, out.length));
    put16(out, 6, c === 0 ? 0xffff : c);
  }
  return out;
}

export interface UdpParsed extends Required<UdpSpec> {
  /** Undefined when it cannot be checked (no IP header, fragment, truncated, or 0 over IPv4). */
  checksumOk?: boolean;
}

export function decodeUdp(b: Uint8Array, off: number, end: number, ctx: DecodeContext): DecodeStep<UdpParsed> {
  if (end - off < UDP_HLEN) return { stop: `UDP header needs ${UDP_HLEN} bytes, ${end - off} present` };
  const length = u16(b, off + 4);
  const layer: UdpParsed = { kind: 'udp', sport: u16(b, off), dport: u16(b, off + 2), length, checksum: u16(b, off + 6) };
  if (length < UDP_HLEN) return { stop: `UDP length ${length} < 8` };
  const declaredEnd = off + length;
  const short = declaredEnd > end;
  const endHere = Math.min(declaredEnd, end);
  if (ctx.ph && !ctx.fragment && !short) {
    if (layer.checksum === 0 && ctx.ph.src.length === 4) layer.checksumOk = undefined;
    else layer.checksumOk = checksumValid(b, off, endHere, pseudoSum(ctx.ph, IPPROTO.UDP, length));
  }
  return {
    layer,
    hdrLen: UDP_HLEN,
    end: endHere,
    next: layer.dport === VXLAN_PORT ? 'vxlan' : null,
    issue: short ? `UDP length ${length} exceeds the ${end - off} bytes present` : undefined,
  };
}
