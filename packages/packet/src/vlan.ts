/** 802.1Q / 802.1ad VLAN tags: 2 bytes TCI (PCP 3 bits, DEI 1, VID 12) and the inner EtherType. */
import { checkField, put16, u16 } from './bytes';
import { fail } from './errors';
import { etherTypeFor, kindOfEtherType } from './ethertype';
import type { DecodeContext, DecodeStep, EncodeContext, Layer } from './layer';

export interface VlanSpec {
  kind: 'vlan';
  vid: number;
  pcp?: number;
  dei?: number;
  /**
   * The TPID that announces this tag, written by the layer before it: by default 0x88a8
   * (802.1ad) when another tag follows (QinQ outer tag), 0x8100 (802.1Q) otherwise.
   */
  tpid?: number;
  /** Inner EtherType; by default that of the next layer. */
  type?: number;
}

export const VLAN_HLEN = 4;

export function encodeVlan(s: VlanSpec, inner: Uint8Array, ctx: EncodeContext, afterNext?: Layer): Uint8Array {
  const f = fail('vlan');
  const tci =
    (checkField(s.pcp ?? 0, 3, 'pcp', f) << 13) | (checkField(s.dei ?? 0, 1, 'dei', f) << 12) | checkField(s.vid, 12, 'vid', f);
  const out = new Uint8Array(VLAN_HLEN + inner.length);
  put16(out, 0, tci);
  put16(out, 2, checkField(s.type ?? etherTypeFor(ctx.next, afterNext), 16, 'type', f));
  out.set(inner, VLAN_HLEN);
  return out;
}

export function decodeVlan(b: Uint8Array, off: number, end: number, ctx: DecodeContext): DecodeStep<Required<VlanSpec>> {
  if (end - off < VLAN_HLEN) return { stop: `VLAN tag needs ${VLAN_HLEN} bytes, ${end - off} present` };
  const tci = u16(b, off);
  const type = u16(b, off + 2);
  return {
    layer: { kind: 'vlan', vid: tci & 0xfff, pcp: tci >> 13, dei: (tci >> 12) & 1, tpid: ctx.etherType ?? 0x8100, type },
    hdrLen: VLAN_HLEN,
    end,
    next: kindOfEtherType(type),
    ctx: { etherType: type },
  };
}
