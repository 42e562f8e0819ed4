/**
 * ICMP (RFC 792) and ICMPv6 (RFC 4443): an 8-byte header (type, code, checksum and 4 bytes
 * whose meaning depends on the type). Echo messages carry id/seq there; error messages carry
 * the offending packet after it, which the builder takes as the layers that follow.
 */
import { checkField, put16, put32, u16, u32 } from './bytes';
import { checksumValid, inetChecksum, pseudoSum } from './checksum';
import { fail } from './errors';
import { IPPROTO } from './ethertype';
import type { DecodeContext, DecodeStep, EncodeContext, HeaderKind } from './layer';

export const ICMP_TYPES = {
  'echo-reply': 0,
  unreach: 3,
  'source-quench': 4,
  redirect: 5,
  'echo-request': 8,
  'time-exceeded': 11,
  'param-problem': 12,
} as const;

export const ICMPV6_TYPES = {
  unreach: 1,
  'packet-too-big': 2,
  'time-exceeded': 3,
  'param-problem': 4,
  'echo-request': 128,
  'echo-reply': 129,
  rs: 133,
  ra: 134,
  ns: 135,
  na: 136,
} as const;

interface IcmpCommon {
  /** A number or a name from ICMP_TYPES / ICMPV6_TYPES; default 'echo-request'. */
  type?: number | string;
  code?: number;
  /** Echo identifier and sequence (the 4 header bytes after the checksum). */
  id?: number;
  seq?: number;
  /** Those 4 bytes as one number (unused/MTU/pointer of error messages); overrides id/seq. */
  rest?: number;
  /** Default: the correct checksum. */
  checksum?: number;
}

export interface IcmpSpec extends IcmpCommon {
  kind: 'icmp';
}

export interface Icmpv6Spec extends IcmpCommon {
  kind: 'icmpv6';
}

export const ICMP_HLEN = 8;

function typeNumber(s: IcmpSpec | Icmpv6Spec): number {
  const table: Record<string, number> = s.kind === 'icmp' ? ICMP_TYPES : ICMPV6_TYPES;
  const t = s.type ?? 'echo-request';
  if (typeof t === 'number') return checkField(t, 8, 'type', fail(s.kind));
  const n = table[t];
  if (n === undefined) throw fail(s.kind)(`type: unknown name '${t}' (${Object.keys(table).join(', ')})`);
  return n;
}

export function isEcho(kind: 'icmp' | 'icmpv6', type: number): boolean {
  return kind === 'icmp' ? type === 0 || type === 8 : type === 128 || type === 129;
}

/** Error messages quote the packet that caused them. */
export function quotes(kind: 'icmp' | 'icmpv6', type: number): HeaderKind | null {
  if (kind === 'icmp') return [3, 4, 5, 11, 12].includes(type) ? 'ipv4' : null;
  return type >= 1 && type <= 4 ? 'ipv6' : null;
}

export function encodeIcmp(s: IcmpSpec | Icmpv6Spec, inner: Uint8Array, ctx: EncodeContext): Uint8Array {
  const f = fail(s.kind);
  const out = new Uint8Array(ICMP_HLEN + inner.length);
  out[0] = typeNumber(s);
  out[1] = checkField(s.code ?? 0, 8, 'code', f);
  if (s.rest !== undefined) put32(out, 4, checkField(s.rest, 32, 'rest', f));
  else {
    put16(out, 4, checkField(s.id ?? 0, 16, 'id', f));
    put16(out, 6, checkField(s.seq ?? 0, 16, 'seq', f));
  }
  out.set(inner, ICMP_HLEN);
  if (s.checksum !== undefined) put16(out, 2, checkField(s.checksum, 16, 'checksum', f));
  else if (s.kind === 'icmp') put16(out, 2, inetChecksum(out));
  else if (ctx.ph) put16(out, 2, inetChecksum(out, 0, out.length, pseudoSum(ctx.ph, IPPROTO.ICMPV6, out.length)));
  return out;
}

export interface IcmpParsed {
  kind: 'icmp' | 'icmpv6';
  type: number;
  code: number;
  checksum: number;
  /** Present for echo messages. */
  id?: number;
  seq?: number;
  /** Present for every other type. */
  rest?: number;
  checksumOk?: boolean;
}

export function decodeIcmp(kind: 'icmp' | 'icmpv6', b: Uint8Array, off: number, end: number, ctx: DecodeContext): DecodeStep<IcmpParsed> {
  if (end - off < ICMP_HLEN) return { stop: `${kind === 'icmp' ? 'ICMP' : 'ICMPv6'} header needs ${ICMP_HLEN} bytes, ${end - off} present` };
  const type = b[off];
  const layer: IcmpParsed = { kind, type, code: b[off + 1], checksum: u16(b, off + 2) };
  if (isEcho(kind, type)) {
    layer.id = u16(b, off + 4);
    layer.seq = u16(b, off + 6);
  } else layer.rest = u32(b, off + 4);
  if (!ctx.fragment) {
    if (kind === 'icmp') layer.checksumOk = checksumValid(b, off, end);
    else if (ctx.ph) layer.checksumOk = checksumValid(b, off, end, pseudoSum(ctx.ph, IPPROTO.ICMPV6, end - off));
  }
  // The quoted packet is parsed on its own terms: its checksums are not the error's business.
  return { layer, hdrLen: ICMP_HLEN, end, next: quotes(kind, type), ctx: { fragment: true } };
}
