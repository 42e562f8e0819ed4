/**
 * The IPv4 netfilter of one network namespace, as the stack calls it at the
 * five hooks (NetfilterHooks): at each hook, the tables registered there in
 * priority order (raw -300, conntrack -200, mangle -150, filter 0, conntrack
 * confirm last), stopping at the first that does not accept (nf_hook_slow).
 * Rule sets come from iptables-save text (`restore`) and print back as
 * iptables-save does (`save`). Conntrack runs only once a rule needs it
 * (xt_conntrack/xt_state take a reference on the namespace's conntrack, as
 * nf_ct_netns_get does). Costs: per hook with tables, per rule looked at, per
 * extension match run, per conntrack lookup (docs/cost-model.md).
 */
import type { NetDevice } from '../netdevice';
import type { NetfilterHooks, NfHookName, NfVerdict } from '../netfilter_hooks';
import type { NetSkb } from '../skbuff';
import { doTable, type WalkContext } from './ip_tables';
import { iptablesSave } from './iptables_save';
import { IptablesError, parseIptablesSave, type Ruleset } from './iptables_restore';
import { Conntrack, type Conn } from './nf_conntrack';
import { parseNfPacket, type NfPacket } from './nf_packet';
import { CT_INVALID, TABLE_HOOKS, TCP_FLAG_NAMES, emptyTable, type Match, type Rule, type Table, type TableName } from './rule';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, PROTO_BY_NUM } from './xt_names';

/** What netfilter needs from the kernel: the clock, the trace, and charging its costs. */
export interface NetfilterEnv {
  nowNs(): bigint;
  /** jiffies at CONFIG_HZ (limit's token bucket runs on them). */
  jiffies(): bigint;
  hz: number;
  emit(rec: Record<string, string | number>): void;
  charge(ns: number): void;
  /** The namespace's name, for log records. */
  ns: string;
}

export interface NfCosts {
  /** nf_hook_slow + ipt_do_table set-up, per table walked. */
  table: number;
  /** One rule's ip_packet_match (the IPv4 part every rule has). */
  rule: number;
  /** One extension match (tcp, multiport, conntrack, ...). */
  match: number;
  /** nf_conntrack_in: hash lookup (or creation) of the packet's connection. */
  conntrack: number;
}

export const DEFAULT_NF_COSTS: Readonly<NfCosts> = { table: 30, rule: 8, match: 6, conntrack: 90 };

/** The order tables run at a hook (their NF_IP_PRI_* priority); 'ct' is conntrack's -200. */
const HOOK_ORDER: Record<NfHookName, readonly (TableName | 'ct' | 'confirm')[]> = {
  PREROUTING: ['raw', 'ct', 'mangle'],
  INPUT: ['mangle', 'filter', 'confirm'],
  FORWARD: ['mangle', 'filter'],
  OUTPUT: ['raw', 'ct', 'mangle', 'filter'],
  POSTROUTING: ['mangle', 'confirm'],
};

/** xt_limit: CREDITS_PER_JIFFY for HZ (POW2_BELOW32(0xFFFFFFFF / (HZ*60*60*24))). */
function creditsPerJiffy(hz: number): number {
  const max = Math.floor(0xffffffff / (hz * 86400));
  let p = 1;
  while (p * 2 <= max) p *= 2;
  return p;
}

interface LimitState {
  credit: number;
  cap: number;
  cost: number;
  prev: bigint;
}

interface SkbCt {
  state: number;
  conn?: Conn;
}

export class Netfilter implements NetfilterHooks {
  readonly tables = new Map<TableName, Table>();
  readonly conntrack: Conntrack;
  readonly costs: NfCosts;
  private readonly limits = new WeakMap<Match, LimitState>();
  private readonly skbCt = new WeakMap<NetSkb, SkbCt>();
  private readonly cpj: number;
  private tracking = false;

  constructor(private readonly env: NetfilterEnv, o: { costs?: Partial<NfCosts> } = {}) {
    this.costs = { ...DEFAULT_NF_COSTS, ...o.costs };
    this.conntrack = new Conntrack(() => env.nowNs());
    this.cpj = creditsPerJiffy(env.hz);
  }

  /**
   * iptables-restore (without --noflush): each table in the text replaces the table of that name,
   * counters as given. Nothing changes when the text has an error.
   */
  restore(text: string, file = 'iptables-save'): this {
    const rs = parseIptablesSave(text, file);
    for (const t of rs.tables.values()) {
      if (t.name === 'nat') throw new IptablesError(file, 1, 1, "table 'nat' is not modelled by bpfsim (no SNAT/DNAT)");
      for (const c of t.chains.values()) for (const r of c.rules) for (const m of r.matches) if (m.kind === 'limit') this.initLimit(m, file, r);
    }
    for (const t of rs.tables.values()) this.tables.set(t.name, t);
    this.tracking = [...this.tables.values()].some((t) => [...t.chains.values()].some((c) => c.rules.some((r) => r.matches.some((m) => m.kind === 'conntrack' || m.kind === 'state'))));
    return this;
  }

  /** `iptables-save` (`-c`: with rule counters) of the tables loaded so far. */
  save(o: { counters?: boolean } = {}): string {
    return iptablesSave({ tables: this.tables } as Ruleset, o);
  }

  /** A table (the built-in chains only, policy ACCEPT, when nothing was loaded for it). */
  table(name: TableName): Table {
    let t = this.tables.get(name);
    if (!t) { t = emptyTable(name); this.tables.set(name, t); }
    return t;
  }

  /** limit_mt_check: the bucket starts full; avg × burst must fit in 32 bits as the kernel computes it. */
  private initLimit(m: Extract<Match, { kind: 'limit' }>, file: string, r: Rule): void {
    const u2c = (user: number): number => {
      const lim = Math.floor(0xffffffff / (this.env.hz * this.cpj));
      return user > lim ? Math.floor(user / 10000) * this.env.hz * this.cpj : Math.floor((user * this.env.hz * this.cpj) / 10000);
    };
    const product = Number((BigInt(m.avg) * BigInt(m.burst)) & 0xffffffffn);
    const credit = u2c(product);
    if (m.burst === 0 || credit < u2c(m.avg)) throw new IptablesError(file, r.line ?? 0, 1, `limit: overflow, try lower: ${m.avg}/${m.burst} (the kernel answers ERANGE)`);
    this.limits.set(m, { credit, cap: credit, cost: u2c(m.avg), prev: this.env.jiffies() });
  }

  /** limit_mt: refill by the jiffies passed, spend one packet's cost if there is credit. */
  private limit(m: Extract<Match, { kind: 'limit' }>): boolean {
    const s = this.limits.get(m);
    if (!s) return true;
    const now = this.env.jiffies();
    s.credit += Number(now - s.prev) * this.cpj;
    s.prev = now;
    if (s.credit > s.cap) s.credit = s.cap;
    if (s.credit >= s.cost) { s.credit -= s.cost; return true; }
    return false;
  }

  hook(hook: NfHookName, skb: NetSkb, io: { indev?: NetDevice; outdev?: NetDevice }): NfVerdict {
    const pkt = parseNfPacket(skb);
    if (!pkt) return 'ACCEPT';
    for (const step of HOOK_ORDER[hook]) {
      if (step === 'ct') {
        if (!this.tracking) continue;
        if (this.skbCt.has(skb)) continue; // already tracked (looped back from OUTPUT)
        this.env.charge(this.costs.conntrack);
        const v = this.conntrack.in(pkt);
        this.skbCt.set(skb, { state: v.state, conn: v.conn });
        continue;
      }
      if (step === 'confirm') {
        const ct = this.skbCt.get(skb);
        if (ct?.conn) this.conntrack.confirm(ct.conn);
        continue;
      }
      const table = this.tables.get(step);
      if (!table || !(TABLE_HOOKS[step] as readonly string[]).includes(hook)) continue;
      this.env.charge(this.costs.table);
      const v = doTable(table, hook, this.walkContext(hook, skb, pkt, io));
      if (v !== 'ACCEPT') return v;
    }
    return 'ACCEPT';
  }

  private walkContext(hook: NfHookName, skb: NetSkb, pkt: NfPacket, io: { indev?: NetDevice; outdev?: NetDevice }): WalkContext {
    return {
      pkt,
      inName: io.indev?.name ?? '',
      outName: io.outdev?.name ?? '',
      // No conntrack attached yet (raw, before conntrack runs): xt_conntrack calls that INVALID.
      ctState: () => this.skbCt.get(skb)?.state ?? CT_INVALID,
      limit: (m) => this.limit(m),
      log: (rule, chain) => this.log(hook, chain, rule, pkt, io),
      onRule: () => this.env.charge(this.costs.rule),
      onMatch: () => this.env.charge(this.costs.match),
    };
  }

  /** The LOG target: one trace record with nf_log_ip_packet's line (prefix, devices, addresses, ports). */
  private log(hook: NfHookName, chain: string, rule: Rule, p: NfPacket, io: { indev?: NetDevice; outdev?: NetDevice }): void {
    if (rule.target.kind !== 'LOG') return;
    const ip = (n: number): string => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
    let line = `${rule.target.prefix}IN=${io.indev?.name ?? ''} OUT=${io.outdev?.name ?? ''} SRC=${ip(p.src)} DST=${ip(p.dst)} LEN=${p.len}` +
      ` TTL=${p.ip[8]} ID=${(p.ip[4] << 8) | p.ip[5]} PROTO=${(PROTO_BY_NUM.get(p.proto) ?? String(p.proto)).toUpperCase()}`;
    if ((p.proto === IPPROTO_TCP || p.proto === IPPROTO_UDP) && p.sport !== undefined) line += ` SPT=${p.sport} DPT=${p.dport}`;
    if (p.proto === IPPROTO_TCP && p.tcpFlags !== undefined) {
      for (const n of TCP_LOG_ORDER) if (p.tcpFlags & TCP_FLAG_NAMES.find(([f]) => f === n)![1]) line += ` ${n}`;
    }
    if (p.proto === IPPROTO_ICMP && p.icmpType !== undefined) line += ` TYPE=${p.icmpType} CODE=${p.icmpCode}`;
    this.env.emit({ kind: 'nf_log', t: this.env.nowNs().toString(), ns: this.env.ns, hook, chain, level: rule.target.level, line });
  }
}

/** nf_log_dump_tcp_header prints flags in this order. */
const TCP_LOG_ORDER = ['URG', 'ACK', 'PSH', 'RST', 'SYN', 'FIN'];
