/**
 * Printing a rule set as `iptables-save` does (and `iptables-save -c` with
 * counters): the canonical form iptables gives back whatever the input's
 * spelling — `-s` before `-d`, `-i`, `-o`, `-p`, then the matches in the order
 * they were loaded (a protocol match shown as `-m tcp`), then the target;
 * addresses with their prefix length, ICMP types as numbers, --syn as its
 * --tcp-flags, defaults (limit burst 5, LOG level 4) left out.
 */
import {
  CT_STATE_NAMES, LOG_DEFAULT_LEVEL, LOG_FLAGS, TCP_FLAG_NAMES,
  type AddrMatch, type Counters, type IfaceMatch, type Match, type PortRange, type Rule, type Table, type Target,
} from './rule';
import { LIMIT_UNITS, PROTO_BY_NUM } from './xt_names';
import type { Ruleset } from './iptables_restore';

/** iptables-nft-save's order (its enum nft_table_type: mangle, security, raw, filter, nat). */
const TABLE_ORDER = ['mangle', 'raw', 'filter', 'nat'] as const;

/** xtables_save_string: bare when only [_-0-9a-zA-Z], else double-quoted with " \ ' escaped. */
export function saveString(s: string): string {
  if (/^[-_0-9a-zA-Z]+$/.test(s)) return s;
  return `"${s.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}

const ipv4 = (n: number): string => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');

function maskText(mask: number): string {
  let len = 0;
  while (len < 32 && mask & (0x80000000 >>> len)) len++;
  const contiguous = len === 32 ? mask >>> 0 === 0xffffffff : ((0xffffffff << (32 - len)) >>> 0) === mask >>> 0 || (len === 0 && mask === 0);
  return contiguous ? String(len) : ipv4(mask);
}

const addr = (flag: string, a: AddrMatch): string => `${a.inv ? ' !' : ''} ${flag} ${ipv4(a.addr)}/${maskText(a.mask)}`;
const iface = (flag: string, i: IfaceMatch): string => `${i.inv ? ' !' : ''} ${flag} ${i.name}${i.wildcard ? '+' : ''}`;
const range = (r: PortRange): string => (r.lo === r.hi ? String(r.lo) : `${r.lo}:${r.hi}`);

function flagsText(v: number): string {
  if (v === 0) return 'NONE';
  return TCP_FLAG_NAMES.filter(([, b]) => v & b).map(([n]) => n).join(',');
}

const statesText = (v: number): string => CT_STATE_NAMES.filter(([, b]) => v & b).map(([n]) => n).join(',');

/** libxt_limit's print_rate: the largest unit that still shows the rate as a whole number. */
export function rateText(avg: number): string {
  let i = 1;
  for (; i < LIMIT_UNITS.length; i++) {
    const mult = LIMIT_UNITS[i][1];
    if (avg > mult || Math.floor(mult / avg) < mult % avg) break;
  }
  return `${Math.floor(LIMIT_UNITS[i - 1][1] / avg)}/${LIMIT_UNITS[i - 1][0]}`;
}

function matchText(m: Match): string {
  switch (m.kind) {
    case 'tcp': case 'udp': {
      let s = ` -m ${m.kind}`;
      if (m.sport) s += `${m.sport.inv ? ' !' : ''} --sport ${range(m.sport)}`;
      if (m.dport) s += `${m.dport.inv ? ' !' : ''} --dport ${range(m.dport)}`;
      if (m.kind === 'tcp' && m.flags) s += `${m.flags.inv ? ' !' : ''} --tcp-flags ${flagsText(m.flags.mask)} ${flagsText(m.flags.cmp)}`;
      return s;
    }
    case 'icmp': {
      const t = m.type === 0xff ? 'any' : m.codeLo === 0 && m.codeHi === 0xff ? String(m.type) : `${m.type}/${m.codeLo}`;
      return ` -m icmp${m.inv ? ' !' : ''} --icmp-type ${t}`;
    }
    case 'multiport': {
      const opt = m.dir === 'src' ? '--sports' : m.dir === 'dst' ? '--dports' : '--ports';
      return ` -m multiport${m.inv ? ' !' : ''} ${opt} ${m.ports.map(range).join(',')}`;
    }
    case 'conntrack':
      return ` -m conntrack${m.inv ? ' !' : ''} --ctstate ${statesText(m.states)}`;
    case 'state':
      return ` -m state${m.inv ? ' !' : ''} --state ${statesText(m.states)}`;
    case 'limit':
      return ` -m limit --limit ${rateText(m.avg)}${m.burst !== 5 ? ` --limit-burst ${m.burst}` : ''}`;
    case 'comment':
      return ` -m comment --comment ${saveString(m.text)}`;
  }
}

function targetText(t: Target): string {
  switch (t.kind) {
    case 'none': return '';
    case 'ACCEPT': case 'DROP': case 'RETURN': return ` -j ${t.kind}`;
    case 'jump': return ` -j ${t.chain}`;
    case 'goto': return ` -g ${t.chain}`;
    case 'REJECT': return ` -j REJECT --reject-with ${t.with}`;
    case 'LOG': {
      let s = ' -j LOG';
      if (t.prefix !== '') s += ` --log-prefix ${saveString(t.prefix)}`;
      if (t.level !== LOG_DEFAULT_LEVEL) s += ` --log-level ${t.level}`;
      for (const [name, bit] of LOG_FLAGS) if (t.flags & bit) s += ` ${name}`;
      return s;
    }
  }
}

const countersText = (c: Counters): string => `[${c.packets}:${c.bytes}]`;

/** One rule as `-A CHAIN ...` (what `iptables -S` prints), without counters. */
export function ruleText(chain: string, r: Rule): string {
  let s = `-A ${chain}`;
  if (r.src) s += addr('-s', r.src);
  if (r.dst) s += addr('-d', r.dst);
  if (r.inIf) s += iface('-i', r.inIf);
  if (r.outIf) s += iface('-o', r.outIf);
  if (r.proto) s += `${r.proto.inv ? ' !' : ''} -p ${PROTO_BY_NUM.get(r.proto.num) ?? r.proto.num}`;
  for (const m of r.matches) s += matchText(m);
  return s + targetText(r.target);
}

export function tableText(t: Table, o: { counters?: boolean } = {}): string {
  const lines = [`*${t.name}`];
  // Built-in chains in hook order, then user chains by name; chain counters are printed with or without -c.
  const chains = [...t.chains.values()];
  const ordered = [...chains.filter((c) => c.policy), ...chains.filter((c) => !c.policy).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))];
  for (const c of ordered) lines.push(`:${c.name} ${c.policy ?? '-'} ${countersText(c.counters)}`);
  for (const c of ordered) {
    for (const r of c.rules) lines.push(`${o.counters ? `${countersText(r.counters)} ` : ''}${ruleText(c.name, r)}`);
  }
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}

/** The whole rule set, tables in the order iptables-save walks them; no "# Generated by" comments (they carry a date). */
export function iptablesSave(rs: Ruleset, o: { counters?: boolean } = {}): string {
  return TABLE_ORDER.filter((n) => rs.tables.has(n)).map((n) => tableText(rs.tables.get(n)!, o)).join('');
}
