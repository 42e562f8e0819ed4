/** IPv4 (RFC 791): options, fragments, the header checksum. */
import { ipv4Bytes, ipv4Text, type AddrInput } from './addr';
import { checkField, put16, u16 } from './bytes';
import { checksumValid, inetChecksum } from './checksum';
import { fail } from './errors';
import { ipProtoFor, kindOfIpProto } from './ethertype';
import type { DecodeStep, EncodeContext } from './layer';

export const IP_DF = 0x2;
export const IP_MF = 0x1;

export interface Ipv4Spec {
  kind: 'ipv4';
  src: AddrInput;
  dst: AddrInput;
  tos?: number;
  /** Identification; default 0. */
  id?: number;
  /** 3 bits (4 reserved, 2 DF, 1 MF) or names: 'DF', 'MF', 'DF,MF'. Default 0. */
  flags?: number | string;
  /** Fragment offset in 8-byte units, as in the header. Default 0. */
  fragOffset?: number;
  /** Default 64. */
  ttl?: number;
  /** Protocol; by default that of the next layer. */
  proto?: number;
  /** Raw option bytes; padded with zeros (EOL) to a multiple of 4. */
  options?: Uint8Array | readonly number[];
  /** Header length in 32-bit words; default from the options. */
  ihl?: number;
  /** Default header + payload as built. */
  totalLength?: number;
  /** Default: the correct header checksum. */
  checksum?: number;
  /** Version field; default 4 (set it to build bad packets). */
  version?: number;
}

export function ipv4Flags(v: number | string | undefined): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return checkField(v, 3, 'flags', fail('ipv4'));
  let n = 0;
  for (const part of v.split(/[,|+ ]+/).filter((x) => x !== '')) {
    const p = part.toUpperCase();
    if (p === 'DF') n |= IP_DF;
    else if (p === 'MF') n |= IP_MF;
    else if (p === 'RF' || p === 'EVIL') n |= 0x4;
    else throw fail('ipv4')(`flags: unknown flag '${part}' (DF, MF, RF)`);
  }
  return n;
}

export function encodeIpv4(s: Ipv4Spec, inner: Uint8Array, ctx: EncodeContext): Uint8Array {
  const f = fail('ipv4');
  const opts = Uint8Array.from(s.options ?? []);
  const optLen = (opts.length + 3) & ~3;
  const hlen = 20 + optLen;
  if (hlen > 60) throw f(`options: ${opts.length} bytes do not fit in a 60-byte header`);
  const out = new Uint8Array(hlen + inner.length);
  out[0] = (checkField(s.version ?? 4, 4, 'version', f) << 4) | checkField(s.ihl ?? hlen / 4, 4, 'ihl', f);
  out[1] = checkField(s.tos ?? 0, 8, 'tos', f);
  put16(out, 2, checkField(s.totalLength ?? out.length, 16, 'totalLength', f));
  put16(out, 4, checkField(s.id ?? 0, 16, 'id', f));
  put16(out, 6, (ipv4Flags(s.flags) << 13) | checkField(s.fragOffset ?? 0, 13, 'fragOffset', f));
  out[8] = checkField(s.ttl ?? 64, 8, 'ttl', f);
  out[9] = checkField(s.proto ?? ipProtoFor(ctx.next), 8, 'proto', f);
  out.set(ipv4Bytes(s.src, 'ipv4 src'), 12);
  out.set(ipv4Bytes(s.dst, 'ipv4 dst'), 16);
  out.set(opts, 20);
  put16(out, 10, s.checksum !== undefined ? checkField(s.checksum, 16, 'checksum', f) : inetChecksum(out, 0, hlen));
  out.set(inner, hlen);
  return out;
}

export interface Ipv4Parsed extends Required<Omit<Ipv4Spec, 'flags' | 'options'>> {
  flags: number;
  options: Uint8Array;
  src: string;
  dst: string;
  /** Whether the header checksum verifies. */
  checksumOk: boolean;
}

export function decodeIpv4(b: Uint8Array, off: number, end: number): DecodeStep<Ipv4Parsed> {
  if (end - off < 20) return { stop: `IPv4 header needs 20 bytes, ${end - off} present` };
  const version = b[off] >> 4;
  if (version !== 4) return { stop: `IPv4 version field is ${version}` };
  const ihl = b[off] & 0xf;
  const hlen = ihl * 4;
  if (ihl < 5) return { stop: `IPv4 header length ${hlen} < 20` };
  if (end - off < hlen) return { stop: `IPv4 header with options needs ${hlen} bytes, ${end - off} present` };
  const totalLength = u16(b, off + 2);
  if (totalLength < hlen) return { stop: `IPv4 total length ${totalLength} < header length ${hlen}` };
  const fl = u16(b, off + 6);
  const flags = fl >> 13;
  const fragOffset = fl & 0x1fff;
  const proto = b[off + 9];
  const src = b.slice(off + 12, off + 16);
  const dst = b.slice(off + 16, off + 20);
  const layer: Ipv4Parsed = {
    kind: 'ipv4',
    version,
    ihl,
    tos: b[off + 1],
    totalLength,
    id: u16(b, off + 4),
    flags,
    fragOffset,
    ttl: b[off + 8],
    proto,
    checksum: u16(b, off + 10),
    src: ipv4Text(src),
    dst: ipv4Text(dst),
    options: b.slice(off + 20, off + hlen),
    checksumOk: checksumValid(b, off, off + hlen),
  };
  const declaredEnd = off + totalLength;
  const isFrag = fragOffset !== 0 || (flags & IP_MF) !== 0;
  return {
    layer,
    hdrLen: hlen,
    end: Math.min(declaredEnd, end),
    // Only the first fragment carries the next header.
    next: fragOffset === 0 ? kindOfIpProto(proto, false) : null,
    issue: declaredEnd > end ? `IPv4 total length ${totalLength} exceeds the ${end - off} bytes present` : undefined,
    ctx: { ph: { src, dst }, fragment: isFrag || declaredEnd > end },
  };
}
