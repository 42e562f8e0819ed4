/**
 * drivers/net/veth.c: a pair of devices where what one transmits the other
 * receives. The peer may live in another namespace (`ip link add a type veth
 * peer name b netns X`); each side takes its ifindex from its own namespace,
 * the peer first, as veth_newlink registers it first.
 */
import { BpfsimError } from '@bpfsim/uapi';
import type { NetDevice } from './netdevice';
import type { NetNs } from './netns';

export interface VethOptions {
  mac?: Uint8Array | string;
  peerMac?: Uint8Array | string;
  mtu?: number;
}

/** A locally administered address derived from a counter (the kernel would pick one at random: eth_hw_addr_random). */
export function macOf(v: Uint8Array | string | undefined, fallback: () => Uint8Array): Uint8Array {
  if (v === undefined) return fallback();
  if (v instanceof Uint8Array) {
    if (v.length !== 6) throw new BpfsimError('EINVAL', `MAC address of ${v.length} bytes`);
    return v.slice();
  }
  const m = /^([0-9a-f]{2})(?::([0-9a-f]{2})){5}$/i.exec(v);
  if (!m) throw new BpfsimError('EINVAL', `MAC address ${JSON.stringify(v)} is not aa:bb:cc:dd:ee:ff`);
  return Uint8Array.from(v.split(':').map((h) => parseInt(h, 16)));
}

export function createVethPair(ns: NetNs, name: string, peerNs: NetNs, peerName: string, o: VethOptions = {}): [NetDevice, NetDevice] {
  if (ns === peerNs && name === peerName) throw new BpfsimError('EEXIST', `veth ${name}: a device cannot be its own peer`);
  if (peerNs.network !== ns.network) throw new BpfsimError('EINVAL', `veth ${name}: the peer's namespace belongs to another network`);
  const net = ns.network;
  const peerMac = macOf(o.peerMac, () => net.nextMac());
  const mac = macOf(o.mac, () => net.nextMac());
  const mtu = o.mtu ?? 1500;
  // Check both names before registering either, so a failure leaves nothing behind.
  for (const [n, nm] of [[peerNs, peerName], [ns, name]] as const) {
    if (n.devices.some((d) => d.name === nm)) throw new BpfsimError('EEXIST', `netns ${n.name}: device ${nm} exists`);
  }
  const peer = peerNs.register(peerName, 'veth', peerMac, mtu);
  const dev = ns.register(name, 'veth', mac, mtu);
  dev.peer = peer;
  peer.peer = dev;
  return [dev, peer];
}
