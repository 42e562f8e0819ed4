/**
 * Names iptables accepts and prints: protocols, ICMP types (libxt_icmp's
 * table), REJECT's --reject-with values, limit's rate units. Data only.
 */
import type { NfRejectWith } from '../netfilter_hooks';

export const IPPROTO_ICMP = 1, IPPROTO_TCP = 6, IPPROTO_UDP = 17;

/** -p names (the ones /etc/protocols gives iptables for the protocols rules here use). */
export const PROTO_NAMES: Record<string, number> = {
  all: 0, icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, sctp: 132, udplite: 136,
};
export const PROTO_BY_NUM = new Map(Object.entries(PROTO_NAMES).filter(([n]) => n !== 'all').map(([n, v]) => [v, n]));

/** --icmp-type names: [type, code min, code max] (0xff = any type). */
export const ICMP_TYPES: Record<string, [number, number, number]> = {
  any: [0xff, 0, 0xff],
  'echo-reply': [0, 0, 0xff], pong: [0, 0, 0xff],
  'destination-unreachable': [3, 0, 0xff],
  'network-unreachable': [3, 0, 0], 'host-unreachable': [3, 1, 1], 'protocol-unreachable': [3, 2, 2],
  'port-unreachable': [3, 3, 3], 'fragmentation-needed': [3, 4, 4], 'source-route-failed': [3, 5, 5],
  'network-unknown': [3, 6, 6], 'host-unknown': [3, 7, 7], 'network-prohibited': [3, 9, 9],
  'host-prohibited': [3, 10, 10], 'TOS-network-unreachable': [3, 11, 11], 'TOS-host-unreachable': [3, 12, 12],
  'communication-prohibited': [3, 13, 13], 'host-precedence-violation': [3, 14, 14], 'precedence-cutoff': [3, 15, 15],
  'source-quench': [4, 0, 0xff],
  redirect: [5, 0, 0xff], 'network-redirect': [5, 0, 0], 'host-redirect': [5, 1, 1],
  'TOS-network-redirect': [5, 2, 2], 'TOS-host-redirect': [5, 3, 3],
  'echo-request': [8, 0, 0xff], ping: [8, 0, 0xff],
  'router-advertisement': [9, 0, 0xff], 'router-solicitation': [10, 0, 0xff],
  'time-exceeded': [11, 0, 0xff], 'ttl-exceeded': [11, 0, 0xff],
  'ttl-zero-during-transit': [11, 0, 0], 'ttl-zero-during-reassembly': [11, 1, 1],
  'parameter-problem': [12, 0, 0xff], 'ip-header-bad': [12, 0, 0], 'required-option-missing': [12, 1, 1],
  'timestamp-request': [13, 0, 0xff], 'timestamp-reply': [14, 0, 0xff],
  'address-mask-request': [17, 0, 0xff], 'address-mask-reply': [18, 0, 0xff],
};

/** --reject-with names and the aliases libipt_REJECT accepts for them. */
export const REJECT_WITH: Record<string, NfRejectWith> = {
  'icmp-net-unreachable': 'icmp-net-unreachable', 'net-unreach': 'icmp-net-unreachable',
  'icmp-host-unreachable': 'icmp-host-unreachable', 'host-unreach': 'icmp-host-unreachable',
  'icmp-proto-unreachable': 'icmp-proto-unreachable', 'proto-unreach': 'icmp-proto-unreachable',
  'icmp-port-unreachable': 'icmp-port-unreachable', 'port-unreach': 'icmp-port-unreachable',
  'icmp-net-prohibited': 'icmp-net-prohibited', 'net-prohib': 'icmp-net-prohibited',
  'icmp-host-prohibited': 'icmp-host-prohibited', 'host-prohib': 'icmp-host-prohibited',
  'icmp-admin-prohibited': 'icmp-admin-prohibited', 'admin-prohib': 'icmp-admin-prohibited',
  'tcp-reset': 'tcp-reset', 'tcp-rst': 'tcp-reset',
};

/** The ICMP type/code each ICMP reject sends (ipt_REJECT's reject_with → icmp_send). */
export const REJECT_ICMP: Record<Exclude<NfRejectWith, 'tcp-reset'>, [number, number]> = {
  'icmp-net-unreachable': [3, 0], 'icmp-host-unreachable': [3, 1], 'icmp-proto-unreachable': [3, 2],
  'icmp-port-unreachable': [3, 3], 'icmp-net-prohibited': [3, 9], 'icmp-host-prohibited': [3, 10],
  'icmp-admin-prohibited': [3, 13],
};

/** XT_LIMIT_SCALE: limit's avg is in 1/10000 s per packet. */
export const XT_LIMIT_SCALE = 10000;
/** libxt_limit's units, largest first (print_rate walks them). */
export const LIMIT_UNITS: readonly [string, number][] = [
  ['day', XT_LIMIT_SCALE * 24 * 60 * 60], ['hour', XT_LIMIT_SCALE * 60 * 60], ['min', XT_LIMIT_SCALE * 60], ['sec', XT_LIMIT_SCALE],
];
export const XT_LIMIT_BURST = 5;
