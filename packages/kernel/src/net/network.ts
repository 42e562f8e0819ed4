/**
 * The simulated network: its namespaces, the per-CPU receive backlog that
 * netif_rx feeds and net_rx_action drains (one FIFO: bpfsim runs the path on
 * one simulated CPU at a time, so the order is the order packets were queued),
 * the stage costs, and the narrow interface helpers and maps use
 * (dev_get_by_index for devmap values).
 */
import { BpfsimError } from '@bpfsim/uapi';
import type { Kernel } from '../kernel/kernel';
import type { BpfProg } from '../bpf/prog';
import { DEFAULT_NET_COSTS, type NetCosts } from './cost';
import { netifReceiveSkb } from './dev';
import type { NetDevice } from './netdevice';
import { NetNs } from './netns';
import type { NetSkb } from './skbuff';
import type { InumAllocator } from '../ns/ns_common';
import { createVethPair, type VethOptions } from './veth';

export interface NetworkOptions {
  costs?: Partial<NetCosts>;
  /** Packets one receive may cause before the path gives up (a redirect loop); default 100000. */
  maxBacklogRun?: number;
}

export class Network {
  readonly costs: NetCosts;
  readonly init: NetNs;
  private readonly spaces = new Map<string, NetNs>();
  private readonly backlog: { dev: NetDevice; skb: NetSkb }[] = [];
  private draining = false;
  private macCounter = 0;
  private readonly maxBacklogRun: number;

  constructor(readonly kernel: Kernel, o: NetworkOptions = {}) {
    this.costs = { ...DEFAULT_NET_COSTS, ...o.costs };
    this.maxBacklogRun = o.maxBacklogRun ?? 100000;
    this.init = new NetNs(this, 'init');
    this.spaces.set('init', this.init);
    kernel.adoptNetwork(this);
    // Devmap values name devices of the namespace of the task that updates the map (its
    // current task's), the initial namespace when no process is current.
    kernel.bpf.resolveIfindex = (ifindex) => this.currentNs().deviceByIndex(ifindex);
  }

  /** The net namespace of the kernel's current task (init_net when it is not a process of the world). */
  currentNs(): NetNs {
    const cur = this.kernel.current as { nsproxy?: { net?: unknown } };
    const n = cur.nsproxy?.net;
    return n instanceof NetNs && n.network === this ? n : this.init;
  }

  /**
   * `ip netns add NAME`. The namespace gets a proc inode number from the kernel world (booting
   * it) and, unlike Linux's, an up loopback (the packet path's tests send on it directly).
   */
  createNs(name: string, o: { loUp?: boolean } = {}): NetNs {
    if (this.spaces.has(name)) throw new BpfsimError('EEXIST', `network namespace ${name} exists`);
    const ns = new NetNs(this, name, this.kernel.world.inums, o.loUp ?? true);
    this.spaces.set(name, ns);
    return ns;
  }

  /** copy_net_ns: a process's new namespace, named net:<inode number>, loopback down. */
  createProcessNs(inums: InumAllocator): NetNs {
    const ns = new NetNs(this, '', inums, false);
    (ns as { name: string }).name = `net:${ns.inum}`;
    this.spaces.set(ns.name, ns);
    return ns;
  }

  ns(name: string): NetNs {
    const ns = this.spaces.get(name);
    if (!ns) throw new BpfsimError('ENOENT', `no network namespace ${name}`);
    return ns;
  }

  /** Namespaces in creation order. */
  get namespaces(): NetNs[] {
    return [...this.spaces.values()];
  }

  /** `ip link add NAME type veth peer name PEER [netns PEERNS]` */
  addVeth(ns: NetNs, name: string, peerNs: NetNs, peerName: string, o?: VethOptions): [NetDevice, NetDevice] {
    return createVethPair(ns, name, peerNs, peerName, o);
  }

  /** The namespace of the packet whose programs are running (bpf_fib_lookup's dev_net(skb->dev)). */
  packetNs: NetNs | undefined;
  private sockCookies = 0;
  /** sock_gen_cookie: sockets numbered in creation order from 1. */
  nextSockCookie(): number {
    return ++this.sockCookies;
  }

  /** Set by the syscall layer: retry the sleeping syscalls (World.wake). */
  onWake: (() => void) | undefined;
  /** A socket's state changed: sleepers re-check (sk_data_ready / sk_state_change). */
  wakeSleepers(): void {
    this.onWake?.();
  }

  /** 02:00:00:00:xx:xx, counting up: deterministic stand-ins for eth_hw_addr_random. */
  nextMac(): Uint8Array {
    const n = ++this.macCounter;
    return Uint8Array.from([0x02, 0, 0, 0, (n >> 8) & 0xff, n & 0xff]);
  }

  /** Charge `ns` of virtual time for a stage. */
  charge(ns: number): void {
    if (ns > 0) this.kernel.clock.advance(ns);
  }

  emitAttach(prog: BpfProg, hook: string): void {
    this.kernel.trace.emit({ kind: 'attach', t: this.kernel.clock.monotonicNs.toString(), prog: prog.label, hook, linkId: 0 });
  }

  /** netif_rx: queue for the receive path; the backlog runs right away unless it is already running. */
  enqueue(dev: NetDevice, skb: NetSkb): void {
    this.backlog.push({ dev, skb });
    this.runBacklog();
  }

  /** net_rx_action over the backlog, in order, until it is empty. */
  runBacklog(): void {
    if (this.draining) return;
    this.draining = true;
    let n = 0;
    try {
      for (let item = this.backlog.shift(); item; item = this.backlog.shift()) {
        if (++n > this.maxBacklogRun) {
          this.backlog.length = 0;
          throw new BpfsimError('ENETLOOP', `network: more than ${this.maxBacklogRun} packets from one send (a redirect or XDP_TX loop?)`);
        }
        netifReceiveSkb(this, item.dev, item.skb);
      }
    } finally {
      this.draining = false;
    }
  }
}
