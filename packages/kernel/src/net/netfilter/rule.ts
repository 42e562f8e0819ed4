/**
 * The rule set as ip_tables holds it (struct ipt_entry and the xt matches and
 * targets it carries), in the shape iptables-save prints: tables, their
 * chains (built-in with a policy, or user chains), rules with the IPv4 part
 * (-s -d -i -o -p), a list of matches in the order they were given, a target
 * and per-rule packet/byte counters.
 */
import type { NfHookName, NfRejectWith } from '../netfilter_hooks';

export type TableName = 'raw' | 'mangle' | 'nat' | 'filter';

/** The hooks each table registers at (iptable_*.c valid_hooks), in iptables-save's chain order. */
export const TABLE_HOOKS: Record<TableName, readonly NfHookName[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** Table priorities at each hook (NF_IP_PRI_*): raw -300, conntrack -200, mangle -150, nat -100/100, filter 0. */
export const TABLE_PRIORITY: Record<TableName, number> = { raw: -300, mangle: -150, nat: -100, filter: 0 };

export interface Counters {
  packets: bigint;
  bytes: bigint;
}

export interface AddrMatch {
  /** Network address (already masked) and mask, host order. */
  addr: number;
  mask: number;
  inv: boolean;
}

export interface IfaceMatch {
  name: string;
  /** Ends in '+': the name is a prefix. */
  wildcard: boolean;
  inv: boolean;
}

export interface PortRange {
  lo: number;
  hi: number;
}

/** Conntrack states as xt_conntrack's bits (XT_CONNTRACK_STATE_BIT). */
export const CT_INVALID = 1, CT_ESTABLISHED = 2, CT_RELATED = 4, CT_NEW = 8, CT_UNTRACKED = 16;
/** The order libxt_conntrack / libxt_state print states in. */
export const CT_STATE_NAMES: readonly [string, number][] = [
  ['INVALID', CT_INVALID], ['NEW', CT_NEW], ['RELATED', CT_RELATED], ['ESTABLISHED', CT_ESTABLISHED], ['UNTRACKED', CT_UNTRACKED],
];

export const TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08, TCP_ACK = 0x10, TCP_URG = 0x20;
export const TCP_FLAG_NAMES: readonly [string, number][] = [
  ['FIN', TCP_FIN], ['SYN', TCP_SYN], ['RST', TCP_RST], ['PSH', TCP_PSH], ['ACK', TCP_ACK], ['URG', TCP_URG],
];

export type Match =
  | { kind: 'tcp'; sport?: PortRange & { inv: boolean }; dport?: PortRange & { inv: boolean }; flags?: { mask: number; cmp: number; inv: boolean } }
  | { kind: 'udp'; sport?: PortRange & { inv: boolean }; dport?: PortRange & { inv: boolean } }
  /** type 0xff = any (ipt_icmp's type 0xFF, codes 0..0xFF). */
  | { kind: 'icmp'; type: number; codeLo: number; codeHi: number; inv: boolean }
  | { kind: 'multiport'; dir: 'src' | 'dst' | 'any'; ports: PortRange[]; inv: boolean }
  | { kind: 'conntrack'; states: number; inv: boolean }
  | { kind: 'state'; states: number; inv: boolean }
  /** avg: XT_LIMIT_SCALE units per packet (1/10000 s); burst: packets. */
  | { kind: 'limit'; avg: number; burst: number }
  | { kind: 'comment'; text: string };

export type Target =
  | { kind: 'ACCEPT' | 'DROP' | 'RETURN' }
  | { kind: 'jump'; chain: string }
  | { kind: 'goto'; chain: string }
  | { kind: 'REJECT'; with: NfRejectWith }
  | { kind: 'LOG'; prefix: string; level: number; flags: number }
  /** No -j: the rule only counts. */
  | { kind: 'none' };

export interface Rule {
  src?: AddrMatch;
  dst?: AddrMatch;
  inIf?: IfaceMatch;
  outIf?: IfaceMatch;
  /** IP protocol number (0 never stored: `-p all` matches everything). */
  proto?: { num: number; inv: boolean };
  matches: Match[];
  target: Target;
  counters: Counters;
  /** Where the rule came from, for messages (1-based line of the iptables-save text). */
  line?: number;
}

export interface Chain {
  name: string;
  /** Built-in chains have a policy (ACCEPT or DROP); user chains have none. */
  policy?: 'ACCEPT' | 'DROP';
  /** Built-in chains' policy counters. */
  counters: Counters;
  rules: Rule[];
}

export interface Table {
  name: TableName;
  /** Built-in chains first (in TABLE_HOOKS order), then user chains in the order iptables-save lists them. */
  chains: Map<string, Chain>;
}

export const zeroCounters = (): Counters => ({ packets: 0n, bytes: 0n });

/** A table with only its built-in chains, policy ACCEPT (what the kernel registers). */
export function emptyTable(name: TableName): Table {
  const chains = new Map<string, Chain>();
  for (const h of TABLE_HOOKS[name]) chains.set(h, { name: h, policy: 'ACCEPT', counters: zeroCounters(), rules: [] });
  return { name, chains };
}

/** LOG levels by name (syslog), for --log-level. */
export const LOG_LEVELS: Record<string, number> = {
  emerg: 0, alert: 1, crit: 2, error: 3, err: 3, warning: 4, warn: 4, notice: 5, info: 6, debug: 7,
};
export const LOG_DEFAULT_LEVEL = 4;
/** LOG --log-* flags (XT_LOG_*), in the order libxt_LOG prints them. */
export const LOG_FLAGS: readonly [string, number][] = [
  ['--log-tcp-sequence', 0x01], ['--log-tcp-options', 0x02], ['--log-ip-options', 0x04], ['--log-uid', 0x08], ['--log-macdecode', 0x20],
];
