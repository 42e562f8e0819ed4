/** ARP for IPv4 over Ethernet (RFC 826): 28 bytes. Other hardware/protocol sizes stop the parser. */
import { ipv4Bytes, ipv4Text, macBytes, macText, type AddrInput } from './addr';
import { checkField, put16, u16 } from './bytes';
import { fail } from './errors';
import type { DecodeStep } from './layer';

export const ARP_OP = { request: 1, reply: 2 } as const;

export interface ArpSpec {
  kind: 'arp';
  /** 1 request (default), 2 reply, or a name. */
  op?: number | keyof typeof ARP_OP;
  sha?: AddrInput;
  spa?: AddrInput;
  tha?: AddrInput;
  tpa?: AddrInput;
  htype?: number;
  ptype?: number;
  hlen?: number;
  plen?: number;
}

export const ARP_LEN = 28;

export function encodeArp(s: ArpSpec, inner: Uint8Array): Uint8Array {
  const f = fail('arp');
  const op = typeof s.op === 'string' ? ARP_OP[s.op] : s.op ?? 1;
  if (op === undefined) throw f(`op: unknown name '${String(s.op)}' (request, reply)`);
  const out = new Uint8Array(ARP_LEN + inner.length);
  put16(out, 0, checkField(s.htype ?? 1, 16, 'htype', f));
  put16(out, 2, checkField(s.ptype ?? 0x0800, 16, 'ptype', f));
  out[4] = checkField(s.hlen ?? 6, 8, 'hlen', f);
  out[5] = checkField(s.plen ?? 4, 8, 'plen', f);
  put16(out, 6, checkField(op, 16, 'op', f));
  out.set(macBytes(s.sha ?? '02:00:00:00:00:01', 'arp sha'), 8);
  out.set(ipv4Bytes(s.spa ?? '0.0.0.0', 'arp spa'), 14);
  out.set(macBytes(s.tha ?? '00:00:00:00:00:00', 'arp tha'), 18);
  out.set(ipv4Bytes(s.tpa ?? '0.0.0.0', 'arp tpa'), 24);
  out.set(inner, ARP_LEN);
  return out;
}

export function decodeArp(b: Uint8Array, off: number, end: number): DecodeStep<Required<ArpSpec>> {
  if (end - off < 8) return { stop: `ARP header needs 8 bytes, ${end - off} present` };
  const hlen = b[off + 4];
  const plen = b[off + 5];
  if (hlen !== 6 || plen !== 4) return { stop: `ARP with hlen=${hlen} plen=${plen} is not Ethernet/IPv4` };
  if (end - off < ARP_LEN) return { stop: `ARP needs ${ARP_LEN} bytes, ${end - off} present` };
  return {
    layer: {
      kind: 'arp',
      htype: u16(b, off),
      ptype: u16(b, off + 2),
      hlen,
      plen,
      op: u16(b, off + 6),
      sha: macText(b, off + 8),
      spa: ipv4Text(b, off + 14),
      tha: macText(b, off + 18),
      tpa: ipv4Text(b, off + 24),
    },
    hdrLen: ARP_LEN,
    end,
    next: null,
  };
}
