/**
 * struct net_device as the packet path needs it: name, ifindex, address, MTU,
 * up/down, counters, the XDP program and the clsact chains, a capture tap and
 * the queue of packets handed to the stack (sockets come later). The driver
 * (veth, loopback) decides what transmitting means.
 */
import { writePcap } from '@bpfsim/packet';
import { BpfProgType, BpfsimError } from '@bpfsim/uapi';
import type { BpfProg } from '../bpf/prog';
import type { KernelObjectRef } from '../bpf/maps/map';
import { TcChain, type TcAttachOptions, type TcFilter } from './cls_bpf';
import { devQueueXmit, netifRx } from './dev';
import type { NetNs } from './netns';
import { newSkb } from './skbuff';
import { packetTap } from './af_packet';
import { cidr } from './ipv4/inaddr';
import { XDP_FLAGS_DRV_MODE, XDP_FLAGS_HW_MODE, XDP_FLAGS_MASK, XDP_FLAGS_SKB_MODE, XDP_FLAGS_UPDATE_IF_NOEXIST, type XdpAttachment } from './xdp';

export interface DevStats {
  rxPackets: number;
  rxBytes: number;
  rxDropped: number;
  txPackets: number;
  txBytes: number;
  txDropped: number;
}

/** One captured packet: when, which way, the bytes as a packet socket on the device sees them. */
export interface CapturedPacket {
  tsNs: bigint;
  dir: 'in' | 'out';
  data: Uint8Array;
}

/** A packet the device handed to the stack (what netfilter/sockets will take later). */
export interface DeliveredPacket {
  tsNs: bigint;
  /** The frame with any VLAN tag written back (as a packet socket capture shows it). */
  data: Uint8Array;
  mark: number;
  priority: number;
  vlan: { tci: number; proto: number } | null;
  /** XDP metadata still in front of the packet. */
  meta: Uint8Array;
}

export type DeviceKind = 'loopback' | 'veth';

/** A program given as a BpfProg or as anything holding one (a ProgHandle). */
export type ProgLike = BpfProg | { prog: BpfProg };
const progOf = (p: ProgLike): BpfProg => ('prog' in p && !('insns' in p) ? p.prog : (p as BpfProg));

const ETH_MIN = 14;
/** ETH_MAX_MTU */
const MAX_MTU = 0xffff;

export class NetDevice implements KernelObjectRef {
  up = true;
  mtu: number;
  readonly stats: DevStats = { rxPackets: 0, rxBytes: 0, rxDropped: 0, txPackets: 0, txBytes: 0, txDropped: 0 };
  xdp: XdpAttachment | undefined;
  /** clsact's chains; `clsact` false until the first filter (the qdisc is added with it). */
  readonly tcIngress: TcChain;
  readonly tcEgress: TcChain;
  /** The veth peer (undefined for loopback). */
  peer: NetDevice | undefined;
  readonly delivered: DeliveredPacket[] = [];
  private capture: CapturedPacket[] | null = null;

  constructor(
    readonly ns: NetNs,
    readonly name: string,
    readonly ifindex: number,
    readonly kind: DeviceKind,
    readonly mac: Uint8Array,
    mtu: number,
  ) {
    this.mtu = mtu;
    this.tcIngress = new TcChain(`${name} ingress`);
    this.tcEgress = new TcChain(`${name} egress`);
  }

  /** KernelObjectRef: what a devmap stores (its lookups report the ifindex, not this). */
  get id(): number {
    return this.ifindex;
  }

  /** `ip link set X up|down` (dev_change_flags IFF_UP); loopback coming up gets 127.0.0.1/8. */
  setUp(up: boolean): this {
    this.up = up;
    if (up && this.kind === 'loopback') this.ns.devinet.loopbackUp(this);
    return this;
  }

  /** `ip addr add A/P dev X` */
  addAddress(cidrText: string): this {
    const [a, p] = cidr(cidrText, `${this.name} address`);
    this.ns.devinet.add(this, a, p);
    return this;
  }

  setMtu(mtu: number): this {
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > MAX_MTU) throw new BpfsimError('EINVAL', `device ${this.name}: MTU ${mtu} is not in 68..${MAX_MTU}`);
    this.mtu = mtu;
    return this;
  }

  /**
   * dev_xdp_attach. Without a mode flag the driver's own hook is used when it
   * has one: veth has (native mode, as `ip link set dev X xdp obj` gives);
   * loopback has not (generic). XDP_FLAGS_SKB_MODE forces generic; HW mode is EOPNOTSUPP.
   */
  attachXdp(p: ProgLike, flags = 0): this {
    const prog = progOf(p);
    if (flags & ~XDP_FLAGS_MASK) throw new BpfsimError('EINVAL', `device ${this.name}: XDP flags 0x${flags.toString(16)}`);
    if (flags & XDP_FLAGS_HW_MODE) throw new BpfsimError('EOPNOTSUPP', `device ${this.name}: no XDP offload`);
    if (flags & XDP_FLAGS_SKB_MODE && flags & XDP_FLAGS_DRV_MODE) throw new BpfsimError('EINVAL', `device ${this.name}: SKB and DRV mode both given`);
    if (flags & XDP_FLAGS_DRV_MODE && this.kind !== 'veth') throw new BpfsimError('EOPNOTSUPP', `device ${this.name}: native XDP not supported by ${this.kind}`);
    if (prog.type !== BpfProgType.XDP) throw new BpfsimError('EINVAL', `device ${this.name}: program ${prog.label} is not an XDP program`);
    if (this.xdp && flags & XDP_FLAGS_UPDATE_IF_NOEXIST) throw new BpfsimError('EBUSY', `device ${this.name}: an XDP program is attached`);
    const mode = flags & XDP_FLAGS_SKB_MODE || this.kind !== 'veth' ? 'generic' : 'native';
    this.xdp = { prog, flags, mode };
    this.ns.network.emitAttach(prog, `xdp:${this.name}`);
    return this;
  }

  detachXdp(): this {
    this.xdp = undefined;
    return this;
  }

  /** `tc qdisc add dev X clsact; tc filter add dev X <dir> bpf da obj ...` */
  attachTc(dir: 'ingress' | 'egress', p: ProgLike, opts: TcAttachOptions = {}): TcFilter {
    const prog = progOf(p);
    if (prog.type !== BpfProgType.SCHED_CLS && prog.type !== BpfProgType.SCHED_ACT) throw new BpfsimError('EINVAL', `device ${this.name}: program ${prog.label} is not a sched_cls/sched_act program`);
    const f = (dir === 'ingress' ? this.tcIngress : this.tcEgress).add(prog, opts);
    this.ns.network.emitAttach(prog, `tc:${this.name}:${dir}`);
    return f;
  }

  /** A frame arriving from the wire at this device (the driver's receive). */
  receive(bytes: Uint8Array): void {
    this.checkFrame(bytes, 'receive');
    netifRx(this.ns.network, this, newSkb(bytes.slice()));
  }

  /** A frame sent out of this device by the host (dev_queue_xmit: tc egress, then the driver). */
  transmit(bytes: Uint8Array): void {
    this.checkFrame(bytes, 'transmit');
    devQueueXmit(this.ns.network, this, newSkb(bytes.slice()));
    this.ns.network.runBacklog();
  }

  private checkFrame(bytes: Uint8Array, what: string): void {
    if (!(bytes instanceof Uint8Array)) throw new BpfsimError('EINVAL', `device ${this.name}: ${what} needs bytes`);
    // A packet socket refuses frames shorter than the link header (dev_validate_header).
    if (bytes.length < ETH_MIN) throw new BpfsimError('EINVAL', `device ${this.name}: ${what} of ${bytes.length} bytes, shorter than an Ethernet header`);
    if (bytes.length > MAX_MTU + 18) throw new BpfsimError('EMSGSIZE', `device ${this.name}: ${what} of ${bytes.length} bytes`);
  }

  // ---- capture ----

  startCapture(): this {
    this.capture ??= [];
    return this;
  }

  get captured(): readonly CapturedPacket[] {
    return this.capture ?? [];
  }

  /** dev_queue_xmit_nit / deliver_skb: what a packet socket on the device would get. */
  tap(dir: 'in' | 'out', data: Uint8Array): void {
    if (this.capture) this.capture.push({ tsNs: this.ns.network.kernel.clock.monotonicNs, dir, data: data.slice() });
    packetTap(this, dir, data);
  }

  /** The capture as a classic pcap file (Ethernet, nanosecond timestamps). */
  pcap(): Uint8Array {
    return writePcap(this.captured.map((c) => ({ tsNs: c.tsNs, data: c.data })), { nanos: true });
  }
}
