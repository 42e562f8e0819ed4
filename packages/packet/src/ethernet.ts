/** Ethernet II (14 bytes, no FCS, no minimum-size padding) and the Linux cooked headers (SLL 16 bytes, SLL2 20). */
import { macBytes, macText, type AddrInput } from './addr';
import { checkField, put16, put32, u16, u32 } from './bytes';
import { fail } from './errors';
import { etherTypeFor, kindOfEtherType } from './ethertype';
import type { DecodeContext, DecodeStep, EncodeContext, Layer } from './layer';

export interface EthSpec {
  kind: 'eth';
  /** Default 02:00:00:00:00:01. */
  src?: AddrInput;
  /** Default 02:00:00:00:00:02. */
  dst?: AddrInput;
  /** EtherType; by default that of the next layer. */
  type?: number;
}

export const ETH_HLEN = 14;

export function encodeEth(s: EthSpec, inner: Uint8Array, ctx: EncodeContext, afterNext?: Layer): Uint8Array {
  const out = new Uint8Array(ETH_HLEN + inner.length);
  out.set(macBytes(s.dst ?? '02:00:00:00:00:02', 'eth dst'), 0);
  out.set(macBytes(s.src ?? '02:00:00:00:00:01', 'eth src'), 6);
  put16(out, 12, checkField(s.type ?? etherTypeFor(ctx.next, afterNext), 16, 'type', fail('eth')));
  out.set(inner, ETH_HLEN);
  return out;
}

export function decodeEth(b: Uint8Array, off: number, end: number): DecodeStep<Required<EthSpec>> {
  if (end - off < ETH_HLEN) return { stop: `Ethernet header needs ${ETH_HLEN} bytes, ${end - off} present` };
  const type = u16(b, off + 12);
  return {
    layer: { kind: 'eth', dst: macText(b, off), src: macText(b, off + 6), type },
    hdrLen: ETH_HLEN,
    end,
    next: kindOfEtherType(type),
    ctx: { etherType: type },
  };
}

/** Linux "cooked" capture header (DLT_LINUX_SLL = 113), as `tcpdump -i any` wrote it before SLL2. */
export interface SllSpec {
  kind: 'sll';
  /** PACKET_HOST 0, BROADCAST 1, MULTICAST 2, OTHERHOST 3, OUTGOING 4. Default 0. */
  pkttype?: number;
  /** ARPHRD_* of the device; default 1 (Ethernet). */
  hatype?: number;
  /** Link-layer address, up to 8 bytes ("02:00:..." or bytes); default none. */
  addr?: AddrInput;
  /** Address length field; by default the number of address bytes given. */
  addrLen?: number;
  /** EtherType; by default that of the next layer. */
  protocol?: number;
}

export const SLL_HLEN = 16;

function sllAddr(a: AddrInput | undefined): Uint8Array {
  if (a === undefined) return new Uint8Array(0);
  const bytes = typeof a === 'string' ? (a === '' ? [] : a.split(':').map((x) => parseInt(x, 16))) : Array.from(a);
  if (bytes.length > 8 || bytes.some((x) => !(x >= 0 && x <= 255))) throw fail('sll')(`addr: '${String(a)}' is not up to 8 hex bytes`);
  return Uint8Array.from(bytes);
}

export function encodeSll(s: SllSpec, inner: Uint8Array, ctx: EncodeContext, afterNext?: Layer): Uint8Array {
  const f = fail('sll');
  const out = new Uint8Array(SLL_HLEN + inner.length);
  const addr = sllAddr(s.addr);
  put16(out, 0, checkField(s.pkttype ?? 0, 16, 'pkttype', f));
  put16(out, 2, checkField(s.hatype ?? 1, 16, 'hatype', f));
  put16(out, 4, checkField(s.addrLen ?? addr.length, 16, 'addrLen', f));
  out.set(addr, 6);
  put16(out, 14, checkField(s.protocol ?? etherTypeFor(ctx.next, afterNext), 16, 'protocol', f));
  out.set(inner, SLL_HLEN);
  return out;
}

export function decodeSll(b: Uint8Array, off: number, end: number, _ctx?: DecodeContext): DecodeStep<Required<SllSpec>> {
  if (end - off < SLL_HLEN) return { stop: `Linux cooked header needs ${SLL_HLEN} bytes, ${end - off} present` };
  const protocol = u16(b, off + 14);
  const addr = Array.from(b.subarray(off + 6, off + 14), (x) => x.toString(16).padStart(2, '0')).join(':');
  return {
    layer: { kind: 'sll', pkttype: u16(b, off), hatype: u16(b, off + 2), addrLen: u16(b, off + 4), addr, protocol },
    hdrLen: SLL_HLEN,
    end,
    next: kindOfEtherType(protocol),
    ctx: { etherType: protocol },
  };
}

/** Linux cooked capture v2 (DLT_LINUX_SLL2 = 276), what `tcpdump -i any` writes today. */
export interface Sll2Spec {
  kind: 'sll2';
  /** EtherType; by default that of the next layer. */
  protocol?: number;
  /** Must be zero; settable for malformed captures. */
  reserved?: number;
  /** Interface index of the device. Default 1. */
  ifindex?: number;
  hatype?: number;
  pkttype?: number;
  addr?: AddrInput;
  addrLen?: number;
}

export const SLL2_HLEN = 20;

export function encodeSll2(s: Sll2Spec, inner: Uint8Array, ctx: EncodeContext, afterNext?: Layer): Uint8Array {
  const f = fail('sll2');
  const out = new Uint8Array(SLL2_HLEN + inner.length);
  const addr = sllAddr(s.addr);
  put16(out, 0, checkField(s.protocol ?? etherTypeFor(ctx.next, afterNext), 16, 'protocol', f));
  put16(out, 2, checkField(s.reserved ?? 0, 16, 'reserved', f));
  put32(out, 4, checkField(s.ifindex ?? 1, 32, 'ifindex', f));
  put16(out, 8, checkField(s.hatype ?? 1, 16, 'hatype', f));
  out[10] = checkField(s.pkttype ?? 0, 8, 'pkttype', f);
  out[11] = checkField(s.addrLen ?? addr.length, 8, 'addrLen', f);
  out.set(addr, 12);
  out.set(inner, SLL2_HLEN);
  return out;
}

export function decodeSll2(b: Uint8Array, off: number, end: number): DecodeStep<Required<Sll2Spec>> {
  if (end - off < SLL2_HLEN) return { stop: `Linux cooked v2 header needs ${SLL2_HLEN} bytes, ${end - off} present` };
  const protocol = u16(b, off);
  const addr = Array.from(b.subarray(off + 12, off + 20), (x) => x.toString(16).padStart(2, '0')).join(':');
  return {
    layer: { kind: 'sll2', protocol, reserved: u16(b, off + 2), ifindex: u32(b, off + 4), hatype: u16(b, off + 8), pkttype: b[off + 10], addrLen: b[off + 11], addr },
    hdrLen: SLL2_HLEN,
    end,
    next: kindOfEtherType(protocol),
    ctx: { etherType: protocol },
  };
}
