/**
 * struct net as the packet path needs it: the devices of one network
 * namespace by ifindex and by name, loopback first (ifindex 1, as
 * net_dev_init registers it in every new namespace), and the namespace's
 * ifindex allocator (dev_index_reserve: the next free index after the last
 * one given, from 1 up).
 */
import { BpfsimError } from '@bpfsim/uapi';
import { InumAllocator, NS_INIT_INO, NsCommon } from '../ns/ns_common';
import type { NetNamespace } from '../ns/net_namespace';
import { NetDevice, type DeviceKind } from './netdevice';
import type { Network } from './network';
import type { NetfilterHooks } from './netfilter_hooks';
import { Fib, type FibRoute } from './ipv4/fib';
import { addRouteText } from './ipv4/route_text';
import { Devinet } from './ipv4/devinet';
import { NeighTable } from './neighbour';
import { SockTables } from './inet_hashtables';

/** The per-namespace sysctls the stack reads (net.ipv4.*, net.core.*), at their defaults. */
export interface NetSysctl {
  /** net.ipv4.ip_forward */
  ipForward: boolean;
  /** net.ipv4.ip_local_port_range */
  ipLocalPortRange: [number, number];
  /** net.ipv4.ip_default_ttl */
  ipDefaultTtl: number;
  /** net.core.somaxconn */
  somaxconn: number;
  /** net.ipv4.tcp_fin_timeout in ns (TIME_WAIT lasts TCP_TIMEWAIT_LEN, 60 s, whatever it says). */
  tcpTimewaitNs: bigint;
}

/** IFNAMSIZ - 1 */
const MAX_NAME = 15;
const ETH_DATA_LEN = 1500;
/** Loopback's MTU (LOOPBACK_MTU: 64 KiB). */
const LOOPBACK_MTU = 65536;

export class NetNs extends NsCommon implements NetNamespace {
  private readonly byIndex = new Map<number, NetDevice>();
  private readonly byName = new Map<string, NetDevice>();
  /** The last ifindex given (net->ifindex). */
  private lastIfindex = 0;
  readonly lo: NetDevice;
  readonly sysctl: NetSysctl = { ipForward: false, ipLocalPortRange: [32768, 60999], ipDefaultTtl: 64, somaxconn: 4096, tcpTimewaitNs: 60_000_000_000n };
  readonly fib = new Fib();
  readonly devinet = new Devinet(this.fib);
  readonly arp = new NeighTable();
  readonly socks = new SockTables();
  /**
   * Packets the IP stack dropped, by reason (the kernel's SKB_DROP_REASON_* names, lower case):
   * counted rather than traced, as the kernel counts them (kfree_skb's reasons, SNMP counters).
   */
  readonly drops = new Map<string, number>();
  /** Netlink port ids in use (netlink_insert's table). */
  readonly netlinkPorts = new Set<number>();
  /** Netfilter's hooks (net/netfilter/); absent: every hook accepts. */
  netfilter?: NetfilterHooks;

  /**
   * `inums` undefined: init_net (its fixed inode number). `loUp`: loopback starts up with
   * 127.0.0.1/8 (init_net after boot, and namespaces made through the Network API); a
   * namespace made by CLONE_NEWNET starts with loopback down, as Linux does.
   */
  constructor(readonly network: Network, readonly name: string, inums?: InumAllocator, loUp = true) {
    super('net', inums ? inums.alloc() : NS_INIT_INO.net, inums);
    this.lo = this.register('lo', 'loopback', new Uint8Array(6), LOOPBACK_MTU);
    this.lo.up = false;
    if (loUp) this.lo.setUp(true);
  }

  /** `ip route add TEXT` in this namespace (ipv4/route_text.ts). */
  addRoute(text: string): FibRoute {
    return addRouteText(this, text);
  }

  /** Count a drop of the stack. */
  drop(reason: string): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
  }

  /** copy_net_ns: a namespace of a process (CLONE_NEWNET), loopback down. */
  createChild(inums: InumAllocator): NetNs {
    return this.network.createProcessNs(inums);
  }

  /** register_netdevice: a new device under a free name, with the next ifindex (or the one asked for). */
  register(name: string, kind: DeviceKind, mac: Uint8Array, mtu = ETH_DATA_LEN, ifindex?: number): NetDevice {
    if (!name || name.length > MAX_NAME || /[\s/:]/.test(name) || name === '.' || name === '..') {
      throw new BpfsimError('EINVAL', `netns ${this.name}: invalid device name ${JSON.stringify(name)}`);
    }
    if (this.byName.has(name)) throw new BpfsimError('EEXIST', `netns ${this.name}: device ${name} exists`);
    let idx = ifindex;
    if (idx !== undefined) {
      if (!Number.isInteger(idx) || idx < 1 || idx > 0x7fffffff) throw new BpfsimError('EINVAL', `netns ${this.name}: ifindex ${idx}`);
      if (this.byIndex.has(idx)) throw new BpfsimError('EBUSY', `netns ${this.name}: ifindex ${idx} is taken`);
    } else {
      idx = this.lastIfindex + 1;
      while (this.byIndex.has(idx)) idx++;
    }
    this.lastIfindex = idx;
    const dev = new NetDevice(this, name, idx, kind, mac.slice(0, 6), mtu);
    this.byIndex.set(idx, dev);
    this.byName.set(name, dev);
    return dev;
  }

  /** The device called `name`; a typed error when there is none. */
  device(name: string): NetDevice {
    const d = this.byName.get(name);
    if (!d) throw new BpfsimError('ENODEV', `netns ${this.name}: no device ${name}`);
    return d;
  }

  /** dev_get_by_index */
  deviceByIndex(ifindex: number): NetDevice | undefined {
    return this.byIndex.get(ifindex);
  }

  /** Devices in ifindex order. */
  get devices(): NetDevice[] {
    return [...this.byIndex.values()].sort((a, b) => a.ifindex - b.ifindex);
  }
}
