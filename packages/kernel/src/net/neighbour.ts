/**
 * net/core/neighbour.c for IPv4 (the ARP table): one entry per (device, address)
 * in NUD_INCOMPLETE while a request is out, NUD_REACHABLE once answered. Packets
 * waiting for the answer queue on the entry (arp_queue, at most 3 here, the
 * oldest dropped first as __neigh_event_send does past unres_qlen) and leave when
 * it comes. There are no timers: an unanswered entry stays incomplete (its
 * queued packets wait), entries never age out; `ip neigh add` makes a permanent one.
 */
import type { NetDevice } from './netdevice';
import type { NetSkb } from './skbuff';

export type NudState = 'incomplete' | 'reachable' | 'permanent' | 'failed';

export interface Neighbour {
  dev: NetDevice;
  addr: number;
  mac: Uint8Array | null;
  state: NudState;
  /** Requests sent while incomplete. */
  probes: number;
  queue: NetSkb[];
}

/** NEIGH_VAR(UNRES_QLEN) expressed in packets (the kernel counts bytes: 212992 / truesize). */
export const UNRES_QLEN = 3;

export class NeighTable {
  private readonly entries = new Map<string, Neighbour>();

  lookup(dev: NetDevice, addr: number): Neighbour | undefined {
    return this.entries.get(`${dev.ifindex}:${addr}`);
  }

  /** neigh_create (or the existing entry). */
  create(dev: NetDevice, addr: number): Neighbour {
    const k = `${dev.ifindex}:${addr}`;
    let n = this.entries.get(k);
    if (!n) this.entries.set(k, (n = { dev, addr, mac: null, state: 'incomplete', probes: 0, queue: [] }));
    return n;
  }

  /** neigh_update with a learnt address; returns the packets that were waiting for it. */
  update(dev: NetDevice, addr: number, mac: Uint8Array, permanent = false): NetSkb[] {
    const n = this.create(dev, addr);
    if (n.state === 'permanent' && !permanent) return [];
    n.mac = mac.slice(0, 6);
    n.state = permanent ? 'permanent' : 'reachable';
    const q = n.queue;
    n.queue = [];
    return q;
  }

  /** Valid entries (NUD_VALID) have an address to send to. */
  static valid(n: Neighbour | undefined): n is Neighbour & { mac: Uint8Array } {
    return !!n && !!n.mac && (n.state === 'reachable' || n.state === 'permanent');
  }

  /** Entries in insertion order (`ip neigh show`). */
  get all(): Neighbour[] {
    return [...this.entries.values()];
  }
}
