/**
 * struct net as the packet path needs it: the devices of one network
 * namespace by ifindex and by name, loopback first (ifindex 1, as
 * net_dev_init registers it in every new namespace), and the namespace's
 * ifindex allocator (dev_index_reserve: the next free index after the last
 * one given, from 1 up).
 */
import { BpfsimError } from '@bpfsim/uapi';
import { NetDevice, type DeviceKind } from './netdevice';
import type { Network } from './network';

/** IFNAMSIZ - 1 */
const MAX_NAME = 15;
const ETH_DATA_LEN = 1500;
/** Loopback's MTU (LOOPBACK_MTU: 64 KiB). */
const LOOPBACK_MTU = 65536;

export class NetNs {
  private readonly byIndex = new Map<number, NetDevice>();
  private readonly byName = new Map<string, NetDevice>();
  /** The last ifindex given (net->ifindex). */
  private lastIfindex = 0;
  readonly lo: NetDevice;

  constructor(readonly network: Network, readonly name: string) {
    this.lo = this.register('lo', 'loopback', new Uint8Array(6), LOOPBACK_MTU);
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
