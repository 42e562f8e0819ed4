/** Encapsulations for tunnel tests: GRE (RFC 2784/2890) and VXLAN (RFC 7348). */
import { checkField, put16, put32, u16, u32 } from './bytes';
import { checksumValid, inetChecksum } from './checksum';
import { fail } from './errors';
import { etherTypeFor, kindOfEtherType } from './ethertype';
import type { DecodeStep, EncodeContext, Layer } from './layer';

export interface GreSpec {
  kind: 'gre';
  /** EtherType of the payload; by default that of the next layer (0x6558 for Ethernet). */
  protocol?: number;
  /** true: a checksum field with the correct value; a number: that value; absent: no field. */
  checksum?: boolean | number;
  /** Key field (K bit) when given. */
  key?: number;
  /** Sequence number field (S bit) when given. */
  seq?: number;
  /** The remaining 9 reserved flag bits and the 3-bit version, for malformed packets. */
  reserved0?: number;
  /** The 16 reserved bits after the checksum (present with it). */
  reserved1?: number;
  version?: number;
}

export function encodeGre(s: GreSpec, inner: Uint8Array, ctx: EncodeContext, afterNext?: Layer): Uint8Array {
  const f = fail('gre');
  const hasC = s.checksum !== undefined && s.checksum !== false;
  const hlen = 4 + (hasC ? 4 : 0) + (s.key !== undefined ? 4 : 0) + (s.seq !== undefined ? 4 : 0);
  const out = new Uint8Array(hlen + inner.length);
  const flags =
    (hasC ? 0x8000 : 0) |
    (s.key !== undefined ? 0x2000 : 0) |
    (s.seq !== undefined ? 0x1000 : 0) |
    (checkField(s.reserved0 ?? 0, 9, 'reserved0', f) << 3) |
    checkField(s.version ?? 0, 3, 'version', f);
  put16(out, 0, flags);
  put16(out, 2, checkField(s.protocol ?? etherTypeFor(ctx.next, afterNext), 16, 'protocol', f));
  let at = 4 + (hasC ? 4 : 0);
  if (s.key !== undefined) put32(out, at, checkField(s.key, 32, 'key', f)), (at += 4);
  if (s.seq !== undefined) put32(out, at, checkField(s.seq, 32, 'seq', f));
  out.set(inner, hlen);
  if (hasC) put16(out, 6, checkField(s.reserved1 ?? 0, 16, 'reserved1', f));
  if (typeof s.checksum === 'number') put16(out, 4, checkField(s.checksum, 16, 'checksum', f));
  else if (hasC) put16(out, 4, inetChecksum(out));
  return out;
}

export interface GreParsed {
  kind: 'gre';
  protocol: number;
  checksum?: number;
  reserved1?: number;
  key?: number;
  seq?: number;
  reserved0: number;
  version: number;
  checksumOk?: boolean;
}

export function decodeGre(b: Uint8Array, off: number, end: number): DecodeStep<GreParsed> {
  if (end - off < 4) return { stop: `GRE header needs 4 bytes, ${end - off} present` };
  const fl = u16(b, off);
  const version = fl & 7;
  // Routing (R) and strict source route bits and version 1 (PPTP) are not modelled.
  if (version !== 0 || fl & 0x4000) return { stop: `GRE version ${version}${fl & 0x4000 ? ' with routing' : ''} is not supported` };
  const hasC = (fl & 0x8000) !== 0;
  const hasK = (fl & 0x2000) !== 0;
  const hasS = (fl & 0x1000) !== 0;
  const hlen = 4 + (hasC ? 4 : 0) + (hasK ? 4 : 0) + (hasS ? 4 : 0);
  if (end - off < hlen) return { stop: `GRE header needs ${hlen} bytes, ${end - off} present` };
  const protocol = u16(b, off + 2);
  const layer: GreParsed = { kind: 'gre', protocol, reserved0: (fl >> 3) & 0x1ff, version };
  let at = off + 4;
  if (hasC) {
    layer.checksum = u16(b, at);
    layer.reserved1 = u16(b, at + 2);
    layer.checksumOk = checksumValid(b, off, end);
    at += 4;
  }
  if (hasK) (layer.key = u32(b, at)), (at += 4);
  if (hasS) layer.seq = u32(b, at);
  return { layer, hdrLen: hlen, end, next: kindOfEtherType(protocol), ctx: { etherType: protocol } };
}

export interface VxlanSpec {
  kind: 'vxlan';
  /** VXLAN network identifier (24 bits); default 0. */
  vni?: number;
  /** Flags byte; default 0x08 (the I flag: VNI valid). */
  flags?: number;
  /** The 24 reserved bits after the flags and the 8 after the VNI. */
  reserved?: number;
  reserved2?: number;
}

export const VXLAN_HLEN = 8;

export function encodeVxlan(s: VxlanSpec, inner: Uint8Array): Uint8Array {
  const f = fail('vxlan');
  const out = new Uint8Array(VXLAN_HLEN + inner.length);
  put32(out, 0, ((checkField(s.flags ?? 0x08, 8, 'flags', f) << 24) | checkField(s.reserved ?? 0, 24, 'reserved', f)) >>> 0);
  put32(out, 4, ((checkField(s.vni ?? 0, 24, 'vni', f) << 8) | checkField(s.reserved2 ?? 0, 8, 'reserved2', f)) >>> 0);
  out.set(inner, VXLAN_HLEN);
  return out;
}

export function decodeVxlan(b: Uint8Array, off: number, end: number): DecodeStep<Required<VxlanSpec>> {
  if (end - off < VXLAN_HLEN) return { stop: `VXLAN header needs ${VXLAN_HLEN} bytes, ${end - off} present` };
  const w0 = u32(b, off);
  const w1 = u32(b, off + 4);
  return {
    layer: { kind: 'vxlan', flags: w0 >>> 24, reserved: w0 & 0xffffff, vni: w1 >>> 8, reserved2: w1 & 0xff },
    hdrLen: VXLAN_HLEN,
    end,
    next: 'eth',
  };
}
