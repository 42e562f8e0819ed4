/** IPv4 netfilter: iptables tables, chains and rules, conntrack, the five hooks (docs/network.md). */
import type { NetNs } from '../netns';
import { Netfilter, type NfCosts } from './netfilter';

export { Netfilter, DEFAULT_NF_COSTS, type NfCosts, type NetfilterEnv } from './netfilter';
export { parseIptablesSave, IptablesError, type Ruleset } from './iptables_restore';
export { iptablesSave, ruleText, saveString } from './iptables_save';
export { Conntrack, TCP_CT_NAMES, type Conn, type Tuple } from './nf_conntrack';
export { parseNfPacket, type NfPacket } from './nf_packet';
export { REJECT_ICMP } from './xt_names';
export {
  CT_ESTABLISHED, CT_INVALID, CT_NEW, CT_RELATED, CT_UNTRACKED, TABLE_HOOKS,
  type Rule as NfRule, type Chain as NfChain, type Table as NfTable, type TableName as NfTableName,
  type Match as NfMatch, type Target as NfTarget, type Counters as NfCounters,
} from './rule';

/**
 * The namespace's netfilter, created on first use (the iptables modules load when a rule set is
 * restored into the namespace): `netfilterOf(ns).restore(text)`.
 */
export function netfilterOf(ns: NetNs, o: { costs?: Partial<NfCosts> } = {}): Netfilter {
  const holder = ns as NetNs & { netfilter?: unknown };
  if (holder.netfilter instanceof Netfilter) return holder.netfilter;
  const k = ns.network.kernel;
  const nf = new Netfilter({
    nowNs: () => k.clock.monotonicNs,
    jiffies: () => k.clock.jiffies,
    hz: Number(1_000_000_000n / k.clock.tickNs),
    emit: (rec) => k.trace.emit(rec as never),
    charge: (n) => ns.network.charge(n),
    ns: ns.name,
  }, o);
  holder.netfilter = nf;
  return nf;
}
