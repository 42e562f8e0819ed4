/** EtherType and IP protocol numbers: which layer follows which (linux/if_ether.h, in.h). */
import type { HeaderKind, Layer } from './layer';

export const ETH_P = {
  IP: 0x0800,
  ARP: 0x0806,
  IPV6: 0x86dd,
  VLAN: 0x8100,
  QINQ: 0x88a8,
  QINQ_OLD: 0x9100,
  TEB: 0x6558, // transparent Ethernet bridging: Ethernet inside GRE
  LOCAL_EXP: 0x88b5, // IEEE local experimental: the default when nothing follows
} as const;

export const IPPROTO = {
  HOPOPTS: 0,
  ICMP: 1,
  IPIP: 4,
  TCP: 6,
  UDP: 17,
  IPV6: 41,
  ROUTING: 43,
  FRAGMENT: 44,
  GRE: 47,
  ICMPV6: 58,
  NONE: 59,
  DSTOPTS: 60,
} as const;

export const VXLAN_PORT = 4789;

/** EtherType announcing `next` (VLAN tags: 802.1ad outside another tag, 802.1Q otherwise). */
export function etherTypeFor(next: Layer | undefined, afterNext: Layer | undefined): number {
  switch (next?.kind) {
    case 'ipv4':
      return ETH_P.IP;
    case 'ipv6':
      return ETH_P.IPV6;
    case 'arp':
      return ETH_P.ARP;
    case 'eth':
      return ETH_P.TEB;
    case 'vlan':
      return next.tpid ?? (afterNext?.kind === 'vlan' ? ETH_P.QINQ : ETH_P.VLAN);
    default:
      return ETH_P.LOCAL_EXP;
  }
}

export function kindOfEtherType(t: number): HeaderKind | null {
  switch (t) {
    case ETH_P.IP:
      return 'ipv4';
    case ETH_P.IPV6:
      return 'ipv6';
    case ETH_P.ARP:
      return 'arp';
    case ETH_P.VLAN:
    case ETH_P.QINQ:
    case ETH_P.QINQ_OLD:
      return 'vlan';
    case ETH_P.TEB:
      return 'eth';
    default:
      return null;
  }
}

export function ipProtoFor(next: Layer | undefined): number {
  switch (next?.kind) {
    case 'tcp':
      return IPPROTO.TCP;
    case 'udp':
      return IPPROTO.UDP;
    case 'icmp':
      return IPPROTO.ICMP;
    case 'icmpv6':
      return IPPROTO.ICMPV6;
    case 'gre':
      return IPPROTO.GRE;
    case 'ipv4':
      return IPPROTO.IPIP;
    case 'ipv6':
      return IPPROTO.IPV6;
    case 'ipv6-hop':
      return IPPROTO.HOPOPTS;
    case 'ipv6-route':
      return IPPROTO.ROUTING;
    case 'ipv6-frag':
      return IPPROTO.FRAGMENT;
    case 'ipv6-dst':
      return IPPROTO.DSTOPTS;
    case undefined:
      return IPPROTO.NONE;
    default:
      return 253; // RFC 3692 experimental: a payload that is no known protocol
  }
}

export function kindOfIpProto(p: number, v6: boolean): HeaderKind | null {
  switch (p) {
    case IPPROTO.TCP:
      return 'tcp';
    case IPPROTO.UDP:
      return 'udp';
    case IPPROTO.ICMP:
      return v6 ? null : 'icmp';
    case IPPROTO.ICMPV6:
      return v6 ? 'icmpv6' : null;
    case IPPROTO.GRE:
      return 'gre';
    case IPPROTO.IPIP:
      return 'ipv4';
    case IPPROTO.IPV6:
      return 'ipv6';
    case IPPROTO.HOPOPTS:
      return v6 ? 'ipv6-hop' : null;
    case IPPROTO.ROUTING:
      return v6 ? 'ipv6-route' : null;
    case IPPROTO.FRAGMENT:
      return v6 ? 'ipv6-frag' : null;
    case IPPROTO.DSTOPTS:
      return v6 ? 'ipv6-dst' : null;
    default:
      return null;
  }
}
