/**
 * inet_bind / inet_autobind and the port choice of inet_csk_get_port and
 * udp_lib_get_port for one namespace's tables (rules in inet_hashtables.ts).
 */
import type { NetNs } from '../netns';
import { bindConflict, ephemeralOrder, type PortRule } from '../inet_hashtables';
import type { Sock } from '../sock';
import { INADDR_ANY, INADDR_BROADCAST, ipv4IsMulticast } from './inaddr';

const EADDRINUSE = 98, EADDRNOTAVAIL = 99, EACCES = 13, EINVAL = 22;
/** net.ipv4.ip_unprivileged_port_start */
const PROT_SOCK = 1024;

function tableOf(ns: NetNs, sk: Sock): { list: Sock[]; proto: 'tcp' | 'udp' } {
  return sk.type === 1 ? { list: ns.socks.tcp, proto: 'tcp' } : { list: ns.socks.udp, proto: 'udp' };
}

function portFree(list: Sock[], sk: Sock, port: number, proto: 'tcp' | 'udp', saddr: number): boolean {
  for (const o of list) {
    if (o === sk || o.num !== port) continue;
    if (bindConflict(o, { rcvSaddr: saddr, reuseaddr: sk.reuseaddr, reuseport: sk.reuseport, bindIfindex: sk.bindIfindex }, proto)) return false;
  }
  return true;
}

/** A free port by `rule`, or 0 (EADDRINUSE for the caller). */
export function pickPort(ns: NetNs, sk: Sock, rule: PortRule, saddr: number, free?: (port: number) => boolean): number {
  const { list, proto } = tableOf(ns, sk);
  const [low, high] = ns.sysctl.ipLocalPortRange;
  const rng = ns.network.kernel.rng.stream(`ephemeral_port:${ns.name}`);
  for (const p of ephemeralOrder(low, high, (n) => rng.below(n), rule)) {
    if (free ? free(p) : portFree(list, sk, p, proto, saddr)) return p;
  }
  return 0;
}

/** inet_bind for AF_INET TCP/UDP: 0 or a negative errno. `privileged`: CAP_NET_BIND_SERVICE. */
export function inetBind(ns: NetNs, sk: Sock, addr: number, port: number, privileged: boolean): number {
  if (sk.num) return -EINVAL;
  if (addr !== INADDR_ANY && addr !== INADDR_BROADCAST && !ipv4IsMulticast(addr) && !ns.devinet.exists(addr)) return -EADDRNOTAVAIL;
  if (port && port < PROT_SOCK && !privileged) return -EACCES;
  const { list, proto } = tableOf(ns, sk);
  let p = port;
  if (p === 0) {
    p = pickPort(ns, sk, proto === 'tcp' ? 'bind' : 'udp', addr);
    if (!p) return -EADDRINUSE;
  } else if (!portFree(list, sk, p, proto, addr)) return -EADDRINUSE;
  sk.rcvSaddr = addr;
  sk.saddr = addr === INADDR_BROADCAST || ipv4IsMulticast(addr) ? 0 : addr;
  sk.num = p;
  sk.portLocked = port !== 0;
  list.push(sk);
  return 0;
}

/** inet_autobind: an unbound socket that sends or connects gets an ephemeral port. */
export function inetAutobind(ns: NetNs, sk: Sock): number {
  if (sk.num) return 0;
  return inetBind(ns, sk, INADDR_ANY, 0, true);
}
