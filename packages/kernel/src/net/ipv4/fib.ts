/**
 * net/ipv4/fib_frontend.c + fib_trie.c as a list: the local table (local and
 * broadcast routes of the namespace's addresses) and the main table (connected
 * prefixes, static routes, the default route), looked up local first, then by
 * longest prefix, lowest metric, first added. Routes through a device that is
 * down are skipped (fib_sync_down_dev marks their nexthops dead).
 */
import { BpfsimError } from '@bpfsim/uapi';
import type { NetDevice } from '../netdevice';
import type { InIfaddr } from './devinet';
import { inPrefix, ip4Text, maskOf } from './inaddr';

/** RTN_* route types the model knows. */
export type RtnType = 'unicast' | 'local' | 'broadcast' | 'blackhole' | 'unreachable' | 'prohibit';

export interface FibRoute {
  table: 'local' | 'main';
  type: RtnType;
  dst: number;
  prefix: number;
  dev?: NetDevice;
  /** Next hop (0: on link). */
  gw: number;
  /** Preferred source (the address a connected route came from). */
  prefsrc: number;
  metric: number;
  /** The address the nexthop's source is chosen for (fib_info_update_nhc_saddr: the gateway as given). */
  saddrFor?: number;
  scope: 'host' | 'link' | 'universe';
  proto: 'kernel' | 'static';
}

export interface RouteSpec {
  /** "10.0.0.0/24" or "default" */
  dst: string | [number, number];
  dev?: NetDevice;
  via?: number;
  metric?: number;
  type?: Exclude<RtnType, 'local' | 'broadcast'>;
  src?: number;
}

export class Fib {
  readonly routes: FibRoute[] = [];

  /** fib_add_ifaddr: `prim` is the primary address of the subnet (the address itself when primary), every route's source. */
  addIfaddr(ifa: InIfaddr, prim = ifa.addr): void {
    const { dev, addr, prefix } = ifa;
    this.routes.push({ table: 'local', type: 'local', dst: addr, prefix: 32, dev, gw: 0, prefsrc: prim, metric: 0, scope: 'host', proto: 'kernel' });
    if (ifa.broadcast && !this.routes.some((r) => r.table === 'local' && r.type === 'broadcast' && r.dst === ifa.broadcast && r.dev === dev)) {
      this.routes.push({ table: 'local', type: 'broadcast', dst: ifa.broadcast, prefix: 32, dev, gw: 0, prefsrc: prim, metric: 0, scope: 'link', proto: 'kernel' });
    }
    // fib_add_ifaddr: a secondary address adds no prefix route of its own.
    if (prefix < 32 && ifa.primary) {
      const net = (addr & maskOf(prefix)) >>> 0;
      // Loopback's 127/8 is a local route in the local table (fib_add_ifaddr with a host-scope address).
      if (ifa.scope === 'host') this.routes.push({ table: 'local', type: 'local', dst: net, prefix, dev, gw: 0, prefsrc: addr, metric: 0, scope: 'host', proto: 'kernel' });
      else this.routes.push({ table: 'main', type: 'unicast', dst: net, prefix, dev, gw: 0, prefsrc: addr, metric: 0, scope: 'link', proto: 'kernel' });
    }
  }

  delIfaddr(ifa: InIfaddr): void {
    for (let i = this.routes.length - 1; i >= 0; i--) {
      const r = this.routes[i];
      if (r.proto !== 'kernel' || r.dev !== ifa.dev) continue;
      if ((r.type === 'local' && r.prefix === 32 && r.dst === ifa.addr) || (ifa.primary && r.prefsrc === ifa.addr)) this.routes.splice(i, 1);
    }
  }

  /** `ip route add`: a gateway must be reachable on link through a connected route (ENETUNREACH otherwise, as fib_check_nh). */
  add(spec: RouteSpec): FibRoute {
    const [dst, prefix] = spec.dst === 'default' ? [0, 0] : typeof spec.dst === 'string' ? parseCidr(spec.dst) : spec.dst;
    const type = spec.type ?? 'unicast';
    let dev = spec.dev;
    let gwLocal = false;
    const gw = spec.via ?? 0;
    if (type === 'unicast') {
      if (gw) {
        // fib_check_nh_v4_gw: the gateway must be reached by a route of scope link or narrower
        // (a connected or device route, or a local address), not through another gateway.
        let via: FibRoute | undefined;
        for (const table of ['local', 'main'] as const) {
          for (const r of this.routes) {
            if (r.table !== table || r.scope === 'universe' || !inPrefix(gw, r.dst, r.prefix)) continue;
            if (dev && r.dev !== dev) continue;
            if (!via || r.prefix > via.prefix || (r.prefix === via.prefix && r.metric < via.metric)) via = r;
          }
          if (via) break;
        }
        if (!via) throw new BpfsimError('ENETUNREACH', `route ${ip4Text(dst)}/${prefix} via ${ip4Text(gw)}: Nexthop has invalid gateway`);
        if (via.type !== 'unicast' && via.type !== 'local') throw new BpfsimError('EINVAL', `route ${ip4Text(dst)}/${prefix} via ${ip4Text(gw)}: Nexthop has invalid gateway`);
        dev ??= via.dev;
        // A gateway that is a local address is no gateway at all (nh scope host: rt_uses_gateway is 0).
        if (via.type === 'local') gwLocal = true;
      }
      if (!dev) throw new BpfsimError('ENODEV', `route ${ip4Text(dst)}/${prefix}: no device and no gateway`);
    }
    const masked = (dst & maskOf(prefix)) >>> 0;
    const metric = spec.metric ?? 0;
    if (this.routes.some((r) => r.table === 'main' && r.dst === masked && r.prefix === prefix && r.metric === metric)) {
      throw new BpfsimError('EEXIST', `route ${ip4Text(masked)}/${prefix} metric ${metric} exists`);
    }
    const r: FibRoute = { table: 'main', type, dst: masked, prefix, dev, gw: gwLocal ? 0 : gw, saddrFor: gw, prefsrc: spec.src ?? 0, metric, scope: gw ? 'universe' : 'link', proto: 'static' };
    this.routes.push(r);
    return r;
  }

  del(dst: string, metric?: number): void {
    const [d, p] = dst === 'default' ? [0, 0] : parseCidr(dst);
    const i = this.routes.findIndex((r) => r.table === 'main' && r.dst === ((d & maskOf(p)) >>> 0) && r.prefix === p && (metric === undefined || r.metric === metric));
    if (i < 0) throw new BpfsimError('ESRCH', `no route ${dst}`);
    this.routes.splice(i, 1);
  }

  /**
   * fib_lookup: the local table, then main. `oif` restricts the answer to routes out of that
   * device (flowi4_oif); `table` restricts to one table (bpf_fib_lookup's BPF_FIB_LOOKUP_TBID).
   */
  lookup(daddr: number, o: { oif?: number; table?: 'local' | 'main' } = {}): FibRoute | undefined {
    let best: FibRoute | undefined;
    for (const table of ['local', 'main'] as const) {
      if (o.table && o.table !== table) continue;
      for (const r of this.routes) {
        if (r.table !== table || !inPrefix(daddr, r.dst, r.prefix)) continue;
        if (r.dev && !r.dev.up) continue;
        if (o.oif && r.dev && r.dev.ifindex !== o.oif && r.type !== 'local' && r.type !== 'broadcast') continue;
        if (!best || r.prefix > best.prefix || (r.prefix === best.prefix && r.metric < best.metric)) best = r;
      }
      if (best) return best;
    }
    return undefined;
  }
}

function parseCidr(s: string): [number, number] {
  const [a, p] = s.split('/');
  const parts = a.split('.').map(Number);
  const len = p === undefined ? 32 : Number(p);
  if (parts.length !== 4 || parts.some((x) => !Number.isInteger(x) || x < 0 || x > 255) || !Number.isInteger(len) || len < 0 || len > 32) {
    throw new BpfsimError('EINVAL', `route destination ${JSON.stringify(s)} is not A.B.C.D/N`);
  }
  return [((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0, len];
}
