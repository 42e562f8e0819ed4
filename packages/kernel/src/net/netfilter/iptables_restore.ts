/**
 * Reading `iptables-save` text (what iptables-restore takes): `*table`,
 * `:CHAIN POLICY [packets:bytes]`, `[packets:bytes] -A CHAIN rule...`, COMMIT.
 * Rules use the options of ordinary filter rule sets (rule.ts); a protocol's
 * own match (tcp, udp, icmp) is loaded implicitly by its first option, as
 * iptables does. Errors name the line and column.
 */
import { BpfsimError } from '@bpfsim/uapi';
import {
  CT_STATE_NAMES, LOG_DEFAULT_LEVEL, LOG_FLAGS, LOG_LEVELS, TABLE_HOOKS, TCP_FLAG_NAMES, emptyTable, zeroCounters,
  type AddrMatch, type Counters, type Match, type PortRange, type Rule, type Table, type TableName, type Target,
} from './rule';
import { ICMP_TYPES, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, PROTO_NAMES, REJECT_WITH, XT_LIMIT_BURST, XT_LIMIT_SCALE } from './xt_names';

export class IptablesError extends BpfsimError {
  constructor(readonly file: string, readonly line: number, readonly column: number, message: string) {
    super('IPTABLES_PARSE', `${file}:${line}:${column}: ${message}`);
  }
}

interface Token {
  text: string;
  col: number;
}

/** Split a line as iptables-restore does: blanks separate, double quotes group, backslash escapes inside quotes. */
function tokenize(line: string, fail: (col: number, msg: string) => never): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length) break;
    const col = i + 1;
    let text = '';
    let quoted = false;
    while (i < line.length && (quoted || !/\s/.test(line[i]))) {
      const c = line[i];
      if (c === '"') { quoted = !quoted; i++; continue; }
      if (quoted && c === '\\' && i + 1 < line.length) { text += line[i + 1]; i += 2; continue; }
      text += c;
      i++;
    }
    if (quoted) fail(col, 'unterminated quoted string');
    out.push({ text, col });
  }
  return out;
}

const BUILTIN_TARGETS = new Set(['ACCEPT', 'DROP', 'RETURN', 'REJECT', 'LOG']);
const MAX_CHAIN_NAME = 28; // XT_EXTENSION_MAXNAMELEN - 1 ... iptables: chain names up to 28 characters

function parseIpv4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const p = m.slice(1).map(Number);
  if (p.some((x) => x > 255)) return null;
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

/** a.b.c.d[/len|/mask]: the network (masked) and the mask, as iptables stores them. */
function parseAddr(s: string, inv: boolean): AddrMatch | string {
  const [a, m] = s.split('/', 2);
  const addr = parseIpv4(a);
  if (addr === null) return `host/network '${a}' not found (bpfsim takes dotted IPv4 addresses)`;
  let mask = 0xffffffff;
  if (m !== undefined) {
    if (/^\d+$/.test(m)) {
      const len = Number(m);
      if (len > 32) return `invalid mask '${m}' specified`;
      mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    } else {
      const mm = parseIpv4(m);
      if (mm === null) return `invalid mask '${m}' specified`;
      mask = mm;
    }
  }
  return { addr: (addr & mask) >>> 0, mask, inv };
}

function parsePort(s: string): number | null {
  if (!/^\d+$/.test(s)) return null;
  const n = Number(s);
  return n <= 65535 ? n : null;
}

/** PORT or LO:HI, either end may be left out (:HI from 0, LO: to 65535). */
function parseRange(s: string): PortRange | string {
  if (!s.includes(':')) {
    const p = parsePort(s);
    return p === null ? `invalid port/service '${s}' specified` : { lo: p, hi: p };
  }
  const [a, b] = s.split(':', 2);
  const lo = a === '' ? 0 : parsePort(a);
  const hi = b === '' ? 65535 : parsePort(b);
  if (lo === null || hi === null) return `invalid port/service '${s}' specified`;
  if (lo > hi) return `invalid portrange (min > max) '${s}'`;
  return { lo, hi };
}

function parseFlags(s: string): number | string {
  let v = 0;
  for (const f of s.split(',')) {
    const u = f.toUpperCase();
    if (u === 'ALL') v |= 0x3f;
    else if (u === 'NONE') continue;
    else {
      const e = TCP_FLAG_NAMES.find(([n]) => n === u);
      if (!e) return `unknown TCP flag '${f}'`;
      v |= e[1];
    }
  }
  return v;
}

function parseStates(s: string, conntrack: boolean): number | string {
  let v = 0;
  for (const f of s.split(',')) {
    const e = CT_STATE_NAMES.find(([n]) => n === f.toUpperCase());
    if (!e) return `bad ${conntrack ? 'ctstate' : 'state'} '${f}'`;
    v |= e[1];
  }
  return v;
}

/** libxt_limit's parse_rate: N[/second|/minute|/hour|/day] (any prefix of the unit) → 1/10000 s per packet. */
function parseRate(s: string): number | string {
  const [n, unit] = s.split('/', 2);
  let mult = 1;
  if (unit !== undefined) {
    const u = unit.toLowerCase();
    const hit = [['second', 1], ['minute', 60], ['hour', 3600], ['day', 86400]].find(([name]) => u.length > 0 && (name as string).startsWith(u));
    if (!hit) return `bad rate '${s}'`;
    mult = hit[1] as number;
  }
  const r = /^\d+/.test(n) ? parseInt(n, 10) : 0;
  if (!r) return `bad rate '${s}'`;
  const avg = Math.floor((XT_LIMIT_SCALE * mult) / r);
  if (avg === 0) return `rate too fast '${s}'`;
  return avg;
}

function parseIcmpType(s: string, inv: boolean): Match | string {
  const named = ICMP_TYPES[s];
  if (named) return { kind: 'icmp', type: named[0], codeLo: named[1], codeHi: named[2], inv };
  const m = /^(\d+)(?:\/(\d+))?$/.exec(s);
  if (!m || Number(m[1]) > 255 || (m[2] !== undefined && Number(m[2]) > 255)) return `invalid ICMP type '${s}'`;
  const code = m[2] === undefined ? null : Number(m[2]);
  return { kind: 'icmp', type: Number(m[1]), codeLo: code ?? 0, codeHi: code ?? 0xff, inv };
}

/** Which loaded match takes an option (the last loaded that knows it, as xtables offers it). */
const MATCH_OPTIONS: Record<string, readonly string[]> = {
  tcp: ['--sport', '--source-port', '--dport', '--destination-port', '--tcp-flags', '--syn'],
  udp: ['--sport', '--source-port', '--dport', '--destination-port'],
  icmp: ['--icmp-type'],
  multiport: ['--sports', '--source-ports', '--dports', '--destination-ports', '--ports'],
  conntrack: ['--ctstate'],
  state: ['--state'],
  limit: ['--limit', '--limit-burst'],
  comment: ['--comment'],
};

function newMatch(name: string): Match | null {
  switch (name) {
    case 'tcp': return { kind: 'tcp' };
    case 'udp': return { kind: 'udp' };
    case 'icmp': return { kind: 'icmp', type: -1, codeLo: 0, codeHi: 0xff, inv: false };
    case 'multiport': return { kind: 'multiport', dir: 'any', ports: [], inv: false };
    case 'conntrack': return { kind: 'conntrack', states: -1, inv: false };
    case 'state': return { kind: 'state', states: -1, inv: false };
    // The default rate is 3/hour (XT_LIMIT_AVG).
    case 'limit': return { kind: 'limit', avg: (XT_LIMIT_SCALE * 3600) / 3, burst: XT_LIMIT_BURST };
    case 'comment': return { kind: 'comment', text: '' };
    default: return null;
  }
}

export interface Ruleset {
  tables: Map<TableName, Table>;
}

/**
 * Parse iptables-save text. Tables not mentioned are absent (the caller keeps what it has for them);
 * chain and rule counters are taken from the text ([p:b]), as `iptables-restore -c` does.
 */
export function parseIptablesSave(text: string, file = 'iptables-save'): Ruleset {
  const tables = new Map<TableName, Table>();
  let table: Table | null = null;
  let tableLine = 0;
  const jumps: { table: Table; chain: string; line: number; col: number; from: string }[] = [];
  const lines = text.split('\n');
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln].replace(/\r$/, '');
    const lineNo = ln + 1;
    const fail = (col: number, msg: string): never => { throw new IptablesError(file, lineNo, col, msg); };
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const col0 = line.indexOf(trimmed) + 1;
    if (trimmed.startsWith('*')) {
      if (table) fail(col0, `table '${table.name}' (line ${tableLine}) has no COMMIT before this table`);
      const name = trimmed.slice(1) as TableName;
      if (!(name in TABLE_HOOKS)) fail(col0 + 1, `unknown table '${trimmed.slice(1)}' (bpfsim models raw, mangle, nat and filter)`);
      if (tables.has(name)) fail(col0, `table '${name}' appears twice`);
      table = emptyTable(name);
      tableLine = lineNo;
      continue;
    }
    if (trimmed === 'COMMIT') {
      if (!table) fail(col0, 'COMMIT outside a table');
      tables.set(table!.name, table!);
      table = null;
      continue;
    }
    if (!table) fail(col0, 'a chain or rule before any *table line');
    const t = table!;
    if (trimmed.startsWith(':')) {
      const toks = tokenize(line, fail);
      const name = toks[0].text.slice(1);
      if (!name) fail(toks[0].col, 'empty chain name');
      if (name.length > MAX_CHAIN_NAME) fail(toks[0].col + 1, `chain name '${name}' is longer than ${MAX_CHAIN_NAME} characters`);
      const policy = toks[1]?.text;
      if (!policy) fail(col0 + toks[0].text.length, `chain '${name}' has no policy`);
      const counters = toks[2] ? parseCounters(toks[2], fail) : zeroCounters();
      const builtin = (TABLE_HOOKS[t.name] as readonly string[]).includes(name);
      if (builtin) {
        if (policy !== 'ACCEPT' && policy !== 'DROP') fail(toks[1].col, `policy of built-in chain '${name}' must be ACCEPT or DROP, not '${policy}'`);
        const c = t.chains.get(name)!;
        c.policy = policy as 'ACCEPT' | 'DROP';
        c.counters = counters;
      } else {
        if (policy !== '-') fail(toks[1].col, `user chain '${name}' cannot have a policy ('${policy}'; write '-')`);
        if (t.chains.has(name)) fail(toks[0].col, `chain '${name}' already exists`);
        if (BUILTIN_TARGETS.has(name) || name.startsWith('-') || name === '!') fail(toks[0].col + 1, `invalid chain name '${name}'`);
        t.chains.set(name, { name, counters, rules: [] });
      }
      continue;
    }
    const toks = tokenize(line, fail);
    let i = 0;
    let counters = zeroCounters();
    if (toks[0].text.startsWith('[')) { counters = parseCounters(toks[0], fail); i = 1; }
    const a = toks[i];
    if (!a || (a.text !== '-A' && a.text !== '--append')) fail(a?.col ?? col0, `expected -A CHAIN (iptables-save writes only appends), got '${a?.text ?? ''}'`);
    const chainTok = toks[i + 1];
    if (!chainTok) fail(a.col, '-A needs a chain name');
    const chain = t.chains.get(chainTok.text);
    if (!chain) fail(chainTok.col, `no chain '${chainTok.text}' in table '${t.name}' (declare it with :${chainTok.text} - [0:0])`);
    const rule = parseRule(toks.slice(i + 2), fail, t, chainTok.text, jumps, lineNo);
    if (rule.counters.packets === 0n && rule.counters.bytes === 0n) rule.counters = counters;
    rule.line = lineNo;
    chain!.rules.push(rule);
  }
  if (table) throw new IptablesError(file, tableLine, 1, `table '${table.name}' has no COMMIT`);
  for (const j of jumps) {
    const target = j.table.chains.get(j.chain);
    if (!target) throw new IptablesError(file, j.line, j.col, `no chain or target '${j.chain}' (targets: ACCEPT, DROP, RETURN, REJECT, LOG or a user chain of '${j.table.name}')`);
    if (target.policy) throw new IptablesError(file, j.line, j.col, `cannot jump to built-in chain '${j.chain}'`);
  }
  for (const t of tables.values()) checkLoops(t, file);
  return { tables };
}

function parseCounters(tok: Token, fail: (col: number, msg: string) => never): Counters {
  const m = /^\[(\d+):(\d+)\]$/.exec(tok.text);
  if (!m) return fail(tok.col, `bad counters '${tok.text}' (expected [packets:bytes])`);
  return { packets: BigInt(m[1]), bytes: BigInt(m[2]) };
}

/** The kernel refuses a table whose user chains jump in a circle (mark_source_chains: ELOOP). */
function checkLoops(t: Table, file: string): void {
  const state = new Map<string, 1 | 2>();
  const visit = (name: string, via: Rule | undefined): void => {
    const s = state.get(name);
    if (s === 2) return;
    if (s === 1) throw new IptablesError(file, via?.line ?? 0, 1, `table '${t.name}': chain '${name}' is reached from itself (a jump loop; the kernel answers ELOOP)`);
    state.set(name, 1);
    for (const r of t.chains.get(name)!.rules) {
      if (r.target.kind === 'jump' || r.target.kind === 'goto') visit(r.target.chain, r);
    }
    state.set(name, 2);
  };
  for (const c of t.chains.values()) visit(c.name, undefined);
}

function parseRule(
  toks: Token[], fail: (col: number, msg: string) => never, t: Table, chainName: string,
  jumps: { table: Table; chain: string; line: number; col: number; from: string }[], line: number,
): Rule {
  const rule: Rule = { matches: [], target: { kind: 'none' }, counters: zeroCounters() };
  let inv = false;
  let invCol = 0;
  let targetSet = false;
  const arg = (k: number, what: string): Token => toks[k] ?? fail((toks[k - 1]?.col ?? 1) + (toks[k - 1]?.text.length ?? 0), `${toks[k - 1].text} needs ${what}`);
  const noInv = (tok: Token): void => { if (inv) fail(invCol, `'!' is not allowed before ${tok.text}`); };
  for (let k = 0; k < toks.length; k++) {
    const tok = toks[k];
    const o = tok.text;
    if (o === '!') {
      if (inv) fail(tok.col, "two '!' in a row");
      inv = true;
      invCol = tok.col;
      continue;
    }
    const take = (what: string): Token => arg(++k, what);
    switch (o) {
      case '-s': case '--source': case '--src': case '-d': case '--destination': case '--dst': {
        const v = take('an address');
        const a = parseAddr(v.text, inv);
        if (typeof a === 'string') fail(v.col, a);
        // iptables-nft cannot express a negated match on no bits (the kernel answers EINVAL).
        if (inv && (a as AddrMatch).mask === 0) fail(invCol, `'! ${o} ${v.text}' negates a /0 prefix: iptables-nft's rule is refused (Invalid argument)`);
        // A /0 prefix matches every address: iptables stores no match for it.
        const am = (a as AddrMatch).mask === 0 ? undefined : (a as AddrMatch);
        if (o.startsWith('-s') || o === '--source' || o === '--src') { if (rule.src) fail(tok.col, 'multiple -s flags not allowed'); rule.src = am; }
        else { if (rule.dst) fail(tok.col, 'multiple -d flags not allowed'); rule.dst = am; }
        break;
      }
      case '-i': case '--in-interface': case '-o': case '--out-interface': {
        const v = take('an interface name');
        if (v.text.length > 15 || v.text === '') fail(v.col, `interface name '${v.text}' must be 1 to 15 characters`);
        const m = { name: v.text.endsWith('+') ? v.text.slice(0, -1) : v.text, wildcard: v.text.endsWith('+'), inv };
        if (o === '-i' || o === '--in-interface') {
          if (chainName === 'OUTPUT' || chainName === 'POSTROUTING') fail(tok.col, `can't use -i with ${chainName}`);
          rule.inIf = m;
        } else {
          if (chainName === 'INPUT' || chainName === 'PREROUTING') fail(tok.col, `can't use -o with ${chainName}`);
          rule.outIf = m;
        }
        break;
      }
      case '-p': case '--protocol': {
        const v = take('a protocol');
        const name = v.text.toLowerCase();
        const num = name in PROTO_NAMES ? PROTO_NAMES[name] : /^\d+$/.test(name) && Number(name) <= 255 ? Number(name) : -1;
        if (num < 0) fail(v.col, `unknown protocol '${v.text}' specified`);
        if (num === 0 && inv) fail(invCol, "rule would never match protocol ('! -p all')");
        if (num !== 0) rule.proto = { num, inv };
        break;
      }
      case '-m': case '--match': {
        noInv(tok);
        const v = take('a match name');
        const m = newMatch(v.text);
        if (!m) fail(v.col, `match '${v.text}' is not modelled by bpfsim (tcp, udp, icmp, multiport, conntrack, state, limit, comment are)`);
        if (m!.kind === 'tcp' || m!.kind === 'udp' || m!.kind === 'icmp') {
          const want = { tcp: IPPROTO_TCP, udp: IPPROTO_UDP, icmp: IPPROTO_ICMP }[m!.kind];
          if (rule.proto?.num !== want || rule.proto.inv) fail(v.col, `-m ${v.text} needs -p ${v.text} before it`);
          if (rule.matches.some((x) => x.kind === m!.kind)) break; // loaded again: the same match
        }
        if (m!.kind === 'multiport' && (rule.proto?.num !== IPPROTO_TCP && rule.proto?.num !== IPPROTO_UDP)) fail(v.col, 'multiport needs `-p tcp` or `-p udp`');
        rule.matches.push(m!);
        break;
      }
      case '-j': case '--jump': case '-g': case '--goto': {
        noInv(tok);
        if (targetSet) fail(tok.col, 'only one target (-j or -g) per rule');
        const v = take('a target');
        targetSet = true;
        if (o === '-g' || o === '--goto') {
          rule.target = { kind: 'goto', chain: v.text };
          jumps.push({ table: t, chain: v.text, line, col: v.col, from: chainName });
        } else if (v.text === 'ACCEPT' || v.text === 'DROP' || v.text === 'RETURN') rule.target = { kind: v.text };
        else if (v.text === 'REJECT') {
          if (t.name !== 'filter' && t.name !== 'mangle' && t.name !== 'raw') fail(v.col, `REJECT is not valid in table '${t.name}'`);
          rule.target = { kind: 'REJECT', with: 'icmp-port-unreachable' };
        } else if (v.text === 'LOG') rule.target = { kind: 'LOG', prefix: '', level: LOG_DEFAULT_LEVEL, flags: 0 };
        else if (/^[A-Z]+$/.test(v.text) && !t.chains.has(v.text)) fail(v.col, `target '${v.text}' is not modelled by bpfsim (ACCEPT, DROP, RETURN, REJECT, LOG and user chains are)`);
        else {
          rule.target = { kind: 'jump', chain: v.text };
          jumps.push({ table: t, chain: v.text, line, col: v.col, from: chainName });
        }
        break;
      }
      case '-c': case '--set-counters': {
        noInv(tok);
        const p = take('a packet count'), b = arg(++k, 'a byte count');
        if (!/^\d+$/.test(p.text)) fail(p.col, `bad packet counter '${p.text}'`);
        if (!/^\d+$/.test(b.text)) fail(b.col, `bad byte counter '${b.text}'`);
        rule.counters = { packets: BigInt(p.text), bytes: BigInt(b.text) };
        break;
      }
      default: {
        if (!o.startsWith('-')) fail(tok.col, `unexpected '${o}' (an option starting with - was expected)`);
        if (targetSet && targetOption(rule.target, toks, k, fail, inv, invCol)) {
          k += targetArgs(o);
          break;
        }
        k = matchOption(rule, toks, k, fail, inv, invCol);
      }
    }
    inv = false;
  }
  if (inv) fail(invCol, "'!' at the end of the rule");
  for (const m of rule.matches) {
    if (m.kind === 'icmp' && m.type < 0) fail(toks[0]?.col ?? 1, '-m icmp needs --icmp-type');
    if ((m.kind === 'conntrack' || m.kind === 'state') && m.states < 0) fail(toks[0]?.col ?? 1, `-m ${m.kind} needs --${m.kind === 'state' ? 'state' : 'ctstate'}`);
    if (m.kind === 'multiport' && m.ports.length === 0) fail(toks[0]?.col ?? 1, '-m multiport needs --sports, --dports or --ports');
  }
  if (rule.target.kind === 'REJECT' && rule.target.with === 'tcp-reset' && (rule.proto?.num !== IPPROTO_TCP || rule.proto.inv))
    fail(toks.find((x) => x.text === 'tcp-reset' || x.text === 'tcp-rst')?.col ?? 1, 'TCP RST can only be used with -p tcp');
  return rule;
}

function targetArgs(o: string): number {
  return o === '--reject-with' || o === '--log-prefix' || o === '--log-level' ? 1 : 0;
}

/** A target's own option; false when the target does not know it. */
function targetOption(target: Target, toks: Token[], k: number, fail: (col: number, msg: string) => never, inv: boolean, invCol: number): boolean {
  const o = toks[k].text;
  const val = (): Token => toks[k + 1] ?? fail(toks[k].col + o.length, `${o} needs a value`);
  if (target.kind === 'REJECT' && o === '--reject-with') {
    if (inv) fail(invCol, `'!' is not allowed before ${o}`);
    const v = val();
    const w = REJECT_WITH[v.text];
    if (!w) fail(v.col, `unknown reject type '${v.text}'`);
    target.with = w;
    return true;
  }
  if (target.kind === 'LOG') {
    if (inv && (o.startsWith('--log'))) fail(invCol, `'!' is not allowed before ${o}`);
    if (o === '--log-prefix') {
      const v = val();
      if (v.text.length > 29) fail(v.col, 'maximum prefix length 29 for --log-prefix');
      target.prefix = v.text;
      return true;
    }
    if (o === '--log-level') {
      const v = val();
      const n = /^\d+$/.test(v.text) ? Number(v.text) : LOG_LEVELS[v.text.toLowerCase()];
      if (n === undefined || n > 7) fail(v.col, `log level '${v.text}' unknown`);
      target.level = n;
      return true;
    }
    const f = LOG_FLAGS.find(([name]) => name === o);
    if (f) { target.flags |= f[1]; return true; }
  }
  return false;
}

/** A match option at toks[k]: offered to the loaded matches, newest first, then to the protocol's match. Returns the last index used. */
function matchOption(rule: Rule, toks: Token[], k: number, fail: (col: number, msg: string) => never, inv: boolean, invCol: number): number {
  const tok = toks[k];
  const o = tok.text;
  let m = [...rule.matches].reverse().find((x) => MATCH_OPTIONS[x.kind]?.includes(o));
  if (!m) {
    // Implicit load of -p's match (tcp/udp/icmp), as xtables does for an unknown option.
    const proto = rule.proto && !rule.proto.inv ? rule.proto.num : -1;
    const implicit = proto === IPPROTO_TCP ? 'tcp' : proto === IPPROTO_UDP ? 'udp' : proto === IPPROTO_ICMP ? 'icmp' : '';
    if (implicit && MATCH_OPTIONS[implicit].includes(o)) {
      m = newMatch(implicit)!;
      rule.matches.push(m);
    } else {
      fail(tok.col, `unknown option '${o}'${rule.target.kind === 'none' ? '' : ' for this rule\'s matches and target'}`);
    }
  }
  const mm = m!;
  const val = (): Token => toks[k + 1] ?? fail(tok.col + o.length, `${o} needs a value`);
  switch (mm.kind) {
    case 'tcp': case 'udp': {
      if (o === '--syn') {
        if (mm.kind !== 'tcp') break;
        mm.flags = { mask: 0x17, cmp: 0x02, inv };
        return k;
      }
      if (o === '--tcp-flags') {
        if (mm.kind !== 'tcp') break;
        const a = val(), b = toks[k + 2] ?? fail(a.col + a.text.length, '--tcp-flags needs a mask and the flags to compare');
        const mask = parseFlags(a.text), cmp = parseFlags(b.text);
        if (typeof mask === 'string') fail(a.col, mask);
        if (typeof cmp === 'string') fail(b.col, cmp);
        mm.flags = { mask: mask as number, cmp: cmp as number, inv };
        return k + 2;
      }
      const v = val();
      const r = parseRange(v.text);
      if (typeof r === 'string') fail(v.col, r);
      const pr = { ...(r as PortRange), inv };
      if (o === '--sport' || o === '--source-port') mm.sport = pr;
      else mm.dport = pr;
      return k + 1;
    }
    case 'icmp': {
      const v = val();
      const r = parseIcmpType(v.text, inv);
      if (typeof r === 'string') fail(v.col, r);
      Object.assign(mm, r);
      return k + 1;
    }
    case 'multiport': {
      const v = val();
      const ports: PortRange[] = [];
      let count = 0;
      for (const p of v.text.split(',')) {
        const r = parseRange(p);
        if (typeof r === 'string') fail(v.col, r);
        ports.push(r as PortRange);
        count += (r as PortRange).lo === (r as PortRange).hi ? 1 : 2;
      }
      if (count > 15) fail(v.col, 'too many ports specified (multiport takes 15, a range counting 2)');
      mm.dir = o === '--ports' ? 'any' : o === '--sports' || o === '--source-ports' ? 'src' : 'dst';
      mm.ports = ports;
      mm.inv = inv;
      return k + 1;
    }
    case 'conntrack': case 'state': {
      const v = val();
      const s = parseStates(v.text, mm.kind === 'conntrack');
      if (typeof s === 'string') fail(v.col, s);
      mm.states = s as number;
      mm.inv = inv;
      return k + 1;
    }
    case 'limit': {
      if (inv) fail(invCol, `'!' is not allowed before ${o}`);
      const v = val();
      if (o === '--limit') {
        const r = parseRate(v.text);
        if (typeof r === 'string') fail(v.col, r);
        mm.avg = r as number;
      } else {
        if (!/^\d+$/.test(v.text) || Number(v.text) > 10000) fail(v.col, `bad --limit-burst '${v.text}' (0..10000)`);
        mm.burst = Number(v.text);
      }
      return k + 1;
    }
    case 'comment': {
      if (inv) fail(invCol, `'!' is not allowed before ${o}`);
      const v = val();
      if (v.text.length > 255) fail(v.col, 'comment may not exceed 255 characters');
      mm.text = v.text;
      return k + 1;
    }
  }
  return fail(tok.col, `unknown option '${o}'`);
}

