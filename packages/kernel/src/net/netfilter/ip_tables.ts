/**
 * ipt_do_table: one table's chain for one hook, rule by rule. A rule matches
 * when its IPv4 part (ip_packet_match) and every match do; its counters then
 * count the packet and its target decides: a verdict ends the walk, a jump
 * pushes the return point, goto does not, RETURN (or a user chain's end) pops,
 * and a built-in chain's end (or RETURN with nothing to pop) applies the
 * policy, counted in the chain's counters. LOG logs and goes on; a rule with
 * no target only counts.
 */
import type { NfRejectWith } from '../netfilter_hooks';
import type { Chain, IfaceMatch, Match, Rule, Table } from './rule';
import { CT_UNTRACKED } from './rule';
import type { NfPacket } from './nf_packet';
import { IPPROTO_TCP, IPPROTO_UDP } from './xt_names';

export type TableVerdict = 'ACCEPT' | 'DROP' | { reject: NfRejectWith };

export interface WalkContext {
  pkt: NfPacket;
  inName: string;
  outName: string;
  /** The packet's conntrack state bit (CT_UNTRACKED when conntrack is off). */
  ctState: () => number;
  /** limit's token bucket for a rule's match. */
  limit: (m: Extract<Match, { kind: 'limit' }>) => boolean;
  log: (rule: Rule, chain: string) => void;
  /** Charged once per rule looked at and per extension match evaluated. */
  onRule: () => void;
  onMatch: () => void;
}

/** Chains deeper than this are refused by the kernel at load; at run time a safety net. */
const MAX_STACK = 64;

function ifaceMatch(m: IfaceMatch | undefined, name: string): boolean {
  if (!m) return true;
  const hit = m.wildcard ? name.startsWith(m.name) : name === m.name;
  return hit !== m.inv;
}

/** ip_packet_match */
function ipMatch(r: Rule, c: WalkContext): boolean {
  const p = c.pkt;
  if (r.src && ((((p.src & r.src.mask) >>> 0) === r.src.addr) === r.src.inv)) return false;
  if (r.dst && ((((p.dst & r.dst.mask) >>> 0) === r.dst.addr) === r.dst.inv)) return false;
  if (!ifaceMatch(r.inIf, c.inName) || !ifaceMatch(r.outIf, c.outName)) return false;
  if (r.proto && (p.proto === r.proto.num) === r.proto.inv) return false;
  return true;
}

const inRange = (v: number, r: { lo: number; hi: number; inv: boolean } | undefined): boolean => !r || ((v >= r.lo && v <= r.hi) !== r.inv);

/** One match; 'hotdrop' when the kernel's match would drop the packet outright (a truncated header). */
function matchOne(m: Match, c: WalkContext): boolean | 'hotdrop' {
  const p = c.pkt;
  switch (m.kind) {
    case 'tcp': case 'udp': {
      // tcp_mt/udp_mt: non-first fragments never match; a first fragment too short for the header is dropped.
      if (p.fragOff !== 0) return false;
      if (p.sport === undefined) return 'hotdrop';
      if (!inRange(p.sport, m.sport) || !inRange(p.dport!, m.dport)) return false;
      if (m.kind === 'tcp' && m.flags && (((p.tcpFlags! & m.flags.mask) === m.flags.cmp) === m.flags.inv)) return false;
      return true;
    }
    case 'icmp': {
      if (p.fragOff !== 0) return false;
      if (p.icmpType === undefined) return 'hotdrop';
      // icmp_type_code_match: type 0xFF matches any type.
      const hit = (m.type === 0xff || (p.icmpType === m.type && p.icmpCode! >= m.codeLo && p.icmpCode! <= m.codeHi));
      return hit !== m.inv;
    }
    case 'multiport': {
      if (p.fragOff !== 0) return false;
      if (p.sport === undefined || (p.proto !== IPPROTO_TCP && p.proto !== IPPROTO_UDP)) return p.sport === undefined && (p.proto === IPPROTO_TCP || p.proto === IPPROTO_UDP) ? 'hotdrop' : false;
      const hit = m.ports.some((r) => {
        const s = p.sport! >= r.lo && p.sport! <= r.hi, d = p.dport! >= r.lo && p.dport! <= r.hi;
        return m.dir === 'src' ? s : m.dir === 'dst' ? d : s || d;
      });
      return hit !== m.inv;
    }
    case 'conntrack': case 'state':
      return ((c.ctState() & m.states) !== 0) !== m.inv;
    case 'limit':
      return c.limit(m);
    case 'comment':
      return true;
  }
}

/** Walk `table`'s built-in chain `hook`. */
export function doTable(table: Table, hook: string, c: WalkContext): TableVerdict {
  const base = table.chains.get(hook);
  if (!base) return 'ACCEPT';
  const stack: { chain: Chain; next: number }[] = [];
  let chain = base;
  let i = 0;
  const len = BigInt(c.pkt.len);
  for (;;) {
    if (i >= chain.rules.length) {
      // The end of a chain: a user chain returns, a built-in one applies its policy.
      const back = chain.policy ? undefined : stack.pop();
      if (back) { chain = back.chain; i = back.next; continue; }
      return policy(base, len);
    }
    const r = chain.rules[i];
    c.onRule();
    let ok = ipMatch(r, c);
    for (let k = 0; ok && k < r.matches.length; k++) {
      c.onMatch();
      const v = matchOne(r.matches[k], c);
      if (v === 'hotdrop') return 'DROP';
      ok = v;
    }
    if (!ok) { i++; continue; }
    r.counters.packets++;
    r.counters.bytes += len;
    const t = r.target;
    switch (t.kind) {
      case 'ACCEPT': return 'ACCEPT';
      case 'DROP': return 'DROP';
      case 'REJECT': return { reject: t.with };
      case 'none': i++; break;
      case 'LOG': c.log(r, chain.name); i++; break;
      case 'RETURN': {
        const back = stack.pop();
        if (!back) return policy(base, len);
        chain = back.chain;
        i = back.next;
        break;
      }
      case 'jump': case 'goto': {
        if (t.kind === 'jump') {
          if (stack.length >= MAX_STACK) return 'DROP';
          stack.push({ chain, next: i + 1 });
        }
        chain = table.chains.get(t.chain)!;
        i = 0;
        break;
      }
    }
  }
}

function policy(base: Chain, len: bigint): TableVerdict {
  base.counters.packets++;
  base.counters.bytes += len;
  return base.policy === 'DROP' ? 'DROP' : 'ACCEPT';
}

export { CT_UNTRACKED };
