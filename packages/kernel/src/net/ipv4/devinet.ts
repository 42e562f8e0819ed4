/**
 * net/ipv4/devinet.c: the IPv4 addresses of a namespace's devices. Adding one
 * adds its routes (fib_add_ifaddr: the local /32 and broadcast in the local
 * table, the connected prefix in main); loopback gets 127.0.0.1/8 when it comes
 * up (inetdev_event NETDEV_UP), as in a fresh namespace after `ip link set lo up`.
 */
import { BpfsimError } from '@bpfsim/uapi';
import type { NetDevice } from '../netdevice';
import type { Fib } from './fib';
import { INADDR_LOOPBACK, inPrefix, ip4Text, maskOf } from './inaddr';

export interface InIfaddr {
  dev: NetDevice;
  addr: number;
  prefix: number;
  broadcast: number;
  /** RT_SCOPE_HOST for 127/8 on loopback, else universe. */
  scope: 'host' | 'global';
  /** Not IFA_F_SECONDARY: the first address of its subnet on the device. */
  primary: boolean;
}

export class Devinet {
  /** In the order added (per device, the first is the primary address). */
  readonly list: InIfaddr[] = [];

  constructor(private readonly fib: Fib) {}

  /** `ip addr add A/P dev D`: EEXIST for an address already on the device. */
  add(dev: NetDevice, addr: number, prefix: number): InIfaddr {
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new BpfsimError('EINVAL', `${dev.name}: prefix length ${prefix}`);
    if (this.list.some((a) => a.dev === dev && a.addr === addr)) throw new BpfsimError('EEXIST', `${dev.name}: address ${ip4Text(addr)} exists`);
    const broadcast = prefix >= 31 ? 0 : (addr | ~maskOf(prefix)) >>> 0;
    // inet_insert_ifa: an address in the subnet of one already on the device (same mask) is secondary.
    const primary = !this.list.some((a) => a.dev === dev && a.primary && a.prefix === prefix && inPrefix(addr, a.addr, prefix));
    const ifa: InIfaddr = { dev, addr, prefix, broadcast, scope: dev.kind === 'loopback' && addr >>> 24 === 127 ? 'host' : 'global', primary };
    this.list.push(ifa);
    const prim = primary ? addr : this.list.find((a) => a.dev === dev && a.primary && a.prefix === prefix && inPrefix(addr, a.addr, prefix))!.addr;
    this.fib.addIfaddr(ifa, prim);
    return ifa;
  }

  remove(dev: NetDevice, addr: number): void {
    const i = this.list.findIndex((a) => a.dev === dev && a.addr === addr);
    if (i < 0) throw new BpfsimError('EADDRNOTAVAIL', `${dev.name}: no address ${ip4Text(addr)}`);
    const [ifa] = this.list.splice(i, 1);
    this.fib.delIfaddr(ifa);
  }

  of(dev: NetDevice): InIfaddr[] {
    return this.list.filter((a) => a.dev === dev);
  }

  /** The address `addr` is local to the namespace on an up device (inet_addr_type == RTN_LOCAL). */
  local(addr: number): InIfaddr | undefined {
    return this.list.find((a) => a.addr === addr && a.dev.up);
  }

  /** Any address of the namespace, up or not (bind's check: inet_addr_type_dev_table). */
  exists(addr: number): boolean {
    return this.list.some((a) => a.addr === addr);
  }

  /**
   * inet_select_addr: the source for packets out of `dev` towards `dst`: a primary address of
   * the device in dst's subnet, else its first global one, else any global address of the namespace.
   */
  selectAddr(dev: NetDevice, dst: number): number {
    const mine = this.of(dev).filter((a) => a.primary);
    const same = dst ? mine.find((a) => inPrefix(dst, a.addr, a.prefix)) : undefined;
    if (same) return same.addr;
    const first = mine.find((a) => a.scope === 'global') ?? mine[0];
    if (first) return first.addr;
    return this.list.find((a) => a.scope === 'global' && a.primary && a.dev.up)?.addr ?? 0;
  }

  /** NETDEV_UP on loopback: 127.0.0.1/8. */
  loopbackUp(lo: NetDevice): void {
    if (!this.list.some((a) => a.dev === lo && a.addr === INADDR_LOOPBACK)) this.add(lo, INADDR_LOOPBACK, 8);
  }
}
