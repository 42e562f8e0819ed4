/**
 * Packets from layer lists, and the fluent builder that reads like the packet:
 *   eth({ src, dst }).vlan({ vid: 10 }).ipv4({ src: '10.0.0.1', dst: '10.0.0.2' })
 *     .tcp({ sport: 1234, dport: 80, flags: 'S' }).payload('hi').build()
 * Lengths, type/protocol fields and checksums are computed unless given: give them to build
 * malformed packets on purpose.
 */
import { ipv6Bytes, ipv4Bytes } from './addr';
import { concat, utf8 } from './bytes';
import type { PseudoHeader } from './checksum';
import { encodeGre, encodeVxlan, type GreSpec, type VxlanSpec } from './encap';
import { encodeArp, type ArpSpec } from './arp';
import { encodeEth, encodeSll, encodeSll2, type EthSpec, type Sll2Spec, type SllSpec } from './ethernet';
import { encodeIcmp, type IcmpSpec, type Icmpv6Spec } from './icmp';
import { encodeIpv4, type Ipv4Spec } from './ipv4';
import { encodeIpv6, encodeIpv6Ext, routedDestination, type Ipv6FragSpec, type Ipv6OptsSpec, type Ipv6RouteSpec, type Ipv6Spec } from './ipv6';
import { PacketBuildError } from './errors';
import type { EncodeContext, Layer, PayloadSpec } from './layer';
import { encodeTcp, type TcpSpec } from './tcp';
import { encodeUdp, type UdpSpec } from './udp';
import { encodeVlan, type VlanSpec } from './vlan';

export function payloadBytes(d: PayloadSpec['data']): Uint8Array {
  return typeof d === 'string' ? utf8.encode(d) : Uint8Array.from(d);
}

/** The pseudo-header each layer sees: that of the nearest IP header before it. */
function pseudoHeaders(layers: readonly Layer[]): Array<PseudoHeader | undefined> {
  const out: Array<PseudoHeader | undefined> = [];
  let ph: PseudoHeader | undefined;
  for (const [i, l] of layers.entries()) {
    out.push(ph);
    try {
    if (l.kind === 'ipv4') ph = { src: ipv4Bytes(l.src, 'ipv4 src'), dst: ipv4Bytes(l.dst, 'ipv4 dst') };
    else if (l.kind === 'ipv6') ph = { src: ipv6Bytes(l.src, 'ipv6 src'), dst: ipv6Bytes(l.dst, 'ipv6 dst') };
    else if (l.kind === 'ipv6-route' && ph) {
      const final = routedDestination(l);
      if (final) ph = { src: ph.src, dst: final };
    } else if (l.kind === 'icmp' || l.kind === 'icmpv6') ph = undefined; // a quoted packet starts afresh
    } catch (e) {
      if (e instanceof PacketBuildError) e.layerIndex = i;
      throw e;
    }
  }
  return out;
}

function encodeOne(l: Layer, inner: Uint8Array, ctx: EncodeContext, afterNext: Layer | undefined): Uint8Array {
  switch (l.kind) {
    case 'eth':
      return encodeEth(l, inner, ctx, afterNext);
    case 'sll':
      return encodeSll(l, inner, ctx, afterNext);
    case 'sll2':
      return encodeSll2(l, inner, ctx, afterNext);
    case 'vlan':
      return encodeVlan(l, inner, ctx, afterNext);
    case 'arp':
      return encodeArp(l, inner);
    case 'ipv4':
      return encodeIpv4(l, inner, ctx);
    case 'ipv6':
      return encodeIpv6(l, inner, ctx);
    case 'ipv6-hop':
    case 'ipv6-dst':
    case 'ipv6-route':
    case 'ipv6-frag':
      return encodeIpv6Ext(l, inner, ctx);
    case 'tcp':
      return encodeTcp(l, inner, ctx);
    case 'udp':
      return encodeUdp(l, inner, ctx);
    case 'icmp':
    case 'icmpv6':
      return encodeIcmp(l, inner, ctx);
    case 'gre':
      return encodeGre(l, inner, ctx, afterNext);
    case 'vxlan':
      return encodeVxlan(l, inner);
    case 'payload':
      return concat([payloadBytes(l.data), inner]);
  }
}

/** Encode a layer list, innermost first. Throws PacketBuildError for values that do not fit. */
export function buildPacket(layers: readonly Layer[]): Uint8Array {
  const phs = pseudoHeaders(layers);
  let bytes: Uint8Array = new Uint8Array(0);
  for (let i = layers.length - 1; i >= 0; i--) {
    try {
      bytes = encodeOne(layers[i], bytes, { next: layers[i + 1], ph: phs[i] }, layers[i + 2]);
    } catch (e) {
      if (e instanceof PacketBuildError && e.layerIndex === undefined) e.layerIndex = i;
      throw e;
    }
  }
  return bytes;
}

type Spec<T extends { kind: string }> = Omit<T, 'kind'>;

export class PacketBuilder {
  constructor(readonly layers: readonly Layer[] = []) {}

  /** A new builder with one more layer (builders are immutable, so prefixes can be shared). */
  push(l: Layer): PacketBuilder {
    return new PacketBuilder([...this.layers, l]);
  }

  eth(s: Spec<EthSpec> = {}): PacketBuilder {
    return this.push({ kind: 'eth', ...s });
  }
  sll(s: Spec<SllSpec> = {}): PacketBuilder {
    return this.push({ kind: 'sll', ...s });
  }
  sll2(s: Spec<Sll2Spec> = {}): PacketBuilder {
    return this.push({ kind: 'sll2', ...s });
  }
  vlan(s: Spec<VlanSpec>): PacketBuilder {
    return this.push({ kind: 'vlan', ...s });
  }
  arp(s: Spec<ArpSpec> = {}): PacketBuilder {
    return this.push({ kind: 'arp', ...s });
  }
  ipv4(s: Spec<Ipv4Spec>): PacketBuilder {
    return this.push({ kind: 'ipv4', ...s });
  }
  ipv6(s: Spec<Ipv6Spec>): PacketBuilder {
    return this.push({ kind: 'ipv6', ...s });
  }
  hop(s: Spec<Ipv6OptsSpec> = {}): PacketBuilder {
    return this.push({ kind: 'ipv6-hop', ...s });
  }
  dstopts(s: Spec<Ipv6OptsSpec> = {}): PacketBuilder {
    return this.push({ kind: 'ipv6-dst', ...s });
  }
  route(s: Spec<Ipv6RouteSpec> = {}): PacketBuilder {
    return this.push({ kind: 'ipv6-route', ...s });
  }
  frag(s: Spec<Ipv6FragSpec> = {}): PacketBuilder {
    return this.push({ kind: 'ipv6-frag', ...s });
  }
  tcp(s: Spec<TcpSpec> = {}): PacketBuilder {
    return this.push({ kind: 'tcp', ...s });
  }
  udp(s: Spec<UdpSpec> = {}): PacketBuilder {
    return this.push({ kind: 'udp', ...s });
  }
  icmp(s: Spec<IcmpSpec> = {}): PacketBuilder {
    return this.push({ kind: 'icmp', ...s });
  }
  icmpv6(s: Spec<Icmpv6Spec> = {}): PacketBuilder {
    return this.push({ kind: 'icmpv6', ...s });
  }
  gre(s: Spec<GreSpec> = {}): PacketBuilder {
    return this.push({ kind: 'gre', ...s });
  }
  vxlan(s: Spec<VxlanSpec> = {}): PacketBuilder {
    return this.push({ kind: 'vxlan', ...s });
  }
  payload(data: PayloadSpec['data']): PacketBuilder {
    return this.push({ kind: 'payload', data });
  }

  build(): Uint8Array {
    return buildPacket(this.layers);
  }
}

export const eth = (s: Spec<EthSpec> = {}): PacketBuilder => new PacketBuilder().eth(s);
export const sll = (s: Spec<SllSpec> = {}): PacketBuilder => new PacketBuilder().sll(s);
export const sll2 = (s: Spec<Sll2Spec> = {}): PacketBuilder => new PacketBuilder().sll2(s);
export const ipv4 = (s: Spec<Ipv4Spec>): PacketBuilder => new PacketBuilder().ipv4(s);
export const ipv6 = (s: Spec<Ipv6Spec>): PacketBuilder => new PacketBuilder().ipv6(s);
