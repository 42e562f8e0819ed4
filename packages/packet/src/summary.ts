/**
 * One line per packet for timelines, in the spirit of tcpdump -nn:
 *   IPv4 10.0.0.1:1234 → 10.0.0.2:80 TCP [S] len=2
 * Outer link headers are left out except VLAN tags; tunnels and ICMP quotes add " / inner".
 */
import type { IcmpParsed } from './icmp';
import type { ParsedLayer, ParsedPacket } from './parse';
import { tcpFlagsText } from './tcp';

const ICMP_NAMES: Record<number, string> = { 0: 'echo reply', 3: 'unreach', 4: 'source quench', 5: 'redirect', 8: 'echo request', 11: 'time exceeded', 12: 'param problem' };
const ICMP6_NAMES: Record<number, string> = {
  1: 'unreach',
  2: 'packet too big',
  3: 'time exceeded',
  4: 'param problem',
  128: 'echo request',
  129: 'echo reply',
  133: 'router solicitation',
  134: 'router advertisement',
  135: 'neighbor solicitation',
  136: 'neighbor advertisement',
};

function icmpText(l: IcmpParsed): string {
  const names = l.kind === 'icmp' ? ICMP_NAMES : ICMP6_NAMES;
  const name = names[l.type] ?? `type ${l.type}`;
  const echo = l.id !== undefined ? ` id=${l.id} seq=${l.seq}` : l.code ? ` code=${l.code}` : '';
  return `${l.kind === 'icmp' ? 'ICMP' : 'ICMPv6'} ${name}${echo}`;
}

/** Bytes after the header of layer i, up to its declared end. */
function lenAfter(p: ParsedPacket, i: number): number {
  return p.ends[i] - p.offsets[i] - p.hdrLens[i];
}

export function summarize(p: ParsedPacket): string {
  const parts: string[] = [];
  let cur = '';
  const ls = p.layers;
  // The IP header whose endpoints are still to be written (with ports, once the L4 header is seen).
  let ip: { v: string; src: string; dst: string; i: number } | undefined;
  let notes = '';
  const flush = (): void => {
    if (cur) parts.push(cur.trim());
    cur = '';
  };
  const hp = (a: string, port?: number): string => (port === undefined ? a : ip?.v === 'IPv6' ? `[${a}]:${port}` : `${a}:${port}`);
  const emitIp = (sport?: number, dport?: number): void => {
    if (ip) cur += ` ${ip.v} ${hp(ip.src, sport)} → ${hp(ip.dst, dport)}`;
    ip = undefined;
  };
  const emitNotes = (): void => {
    cur += notes;
    notes = '';
  };
  for (let i = 0; i < ls.length; i++) {
    const l: ParsedLayer = ls[i];
    const last = i === ls.length - 1;
    switch (l.kind) {
      case 'eth':
        if (i > 0) flush();
        if (last) cur += ` ether ${l.src} > ${l.dst} type 0x${l.type.toString(16).padStart(4, '0')}`;
        break;
      case 'sll':
      case 'sll2':
        if (last) cur += ` ${l.kind} protocol 0x${l.protocol.toString(16).padStart(4, '0')}`;
        break;
      case 'vlan':
        cur += ` vlan ${l.vid}${l.pcp ? ` p ${l.pcp}` : ''}`;
        if (last) cur += ` type 0x${l.type.toString(16).padStart(4, '0')}`;
        break;
      case 'arp':
        cur +=
          l.op === 1 ? ` ARP who-has ${l.tpa} tell ${l.spa}` : l.op === 2 ? ` ARP reply ${l.spa} is-at ${l.sha}` : ` ARP op ${l.op} ${l.spa} → ${l.tpa}`;
        break;
      case 'ipv4':
      case 'ipv6':
        if (ip) {
          // IP in IP: the outer header is complete.
          emitIp();
          emitNotes();
          flush();
        }
        ip = { v: l.kind === 'ipv4' ? 'IPv4' : 'IPv6', src: l.src, dst: l.dst, i };
        if (l.kind === 'ipv4' && (l.fragOffset || l.flags & 1)) notes += ` [frag id=${l.id} off=${l.fragOffset * 8}${l.flags & 1 ? '+' : ''}]`;
        if (l.kind === 'ipv4' && !l.checksumOk) notes += ' [bad ip cksum]';
        break;
      case 'ipv6-hop':
      case 'ipv6-dst':
      case 'ipv6-route':
        notes += ` [${l.kind.slice(5)}]`;
        break;
      case 'ipv6-frag':
        notes += ` [frag id=${l.id} off=${l.offset * 8}${l.m ? '+' : ''}]`;
        break;
      case 'tcp':
      case 'udp': {
        if (ip) emitIp(l.sport, l.dport);
        else cur += ` ${l.sport} → ${l.dport}`;
        cur += ` ${l.kind.toUpperCase()}${l.kind === 'tcp' ? ` [${tcpFlagsText(l.flags)}]` : ''}${l.checksumOk === false ? ' [bad cksum]' : ''} len=${lenAfter(p, i)}`;
        emitNotes();
        break;
      }
      case 'icmp':
      case 'icmpv6':
        emitIp();
        cur += ` ${icmpText(l)}${l.checksumOk === false ? ' [bad cksum]' : ''}`;
        emitNotes();
        if (!last) flush();
        break;
      case 'gre':
        emitIp();
        cur += ` GRE${l.key !== undefined ? ` key=${l.key}` : ''}`;
        emitNotes();
        flush();
        break;
      case 'vxlan':
        cur += ` VXLAN vni=${l.vni}`;
        flush();
        break;
    }
  }
  if (ip) {
    // The packet ends (or stops) inside the IP header chain: say what the header carries.
    const l = ls[ip.i] as ParsedLayer & { kind: 'ipv4' | 'ipv6' };
    const proto = l.kind === 'ipv4' ? l.proto : l.nh;
    const len = lenAfter(p, ip.i);
    emitIp();
    cur += ` proto ${proto} len=${len}`;
  }
  emitNotes();
  if (p.stop) cur += ` [stopped at ${p.stop.layer} @${p.stop.offset}: ${p.stop.reason}]`;
  flush();
  return parts.length ? parts.join(' / ') : `raw len=${p.payload.length}`;
}
