/**
 * The shape shared by every protocol module: a layer is a plain object with a `kind`; encoding
 * goes inside-out (a header is built around the bytes of everything after it), decoding goes
 * outside-in (a header says how long it is and what follows it).
 */
import type { PseudoHeader } from './checksum';
import type { EthSpec, Sll2Spec, SllSpec } from './ethernet';
import type { VlanSpec } from './vlan';
import type { ArpSpec } from './arp';
import type { Ipv4Spec } from './ipv4';
import type { Ipv6Spec, Ipv6ExtSpec } from './ipv6';
import type { TcpSpec } from './tcp';
import type { UdpSpec } from './udp';
import type { IcmpSpec, Icmpv6Spec } from './icmp';
import type { GreSpec, VxlanSpec } from './encap';

export interface PayloadSpec {
  kind: 'payload';
  /** Bytes, or a string sent as UTF-8. */
  data: Uint8Array | string | readonly number[];
}

export type Layer =
  | EthSpec
  | SllSpec
  | Sll2Spec
  | VlanSpec
  | ArpSpec
  | Ipv4Spec
  | Ipv6Spec
  | Ipv6ExtSpec
  | TcpSpec
  | UdpSpec
  | IcmpSpec
  | Icmpv6Spec
  | GreSpec
  | VxlanSpec
  | PayloadSpec;

export type LayerKind = Layer['kind'];
export type HeaderKind = Exclude<LayerKind, 'payload'>;

export interface EncodeContext {
  /** The layer right after this one, if any (decides type/protocol fields by default). */
  next?: Layer;
  /** Addresses of the nearest enclosing IP header, for L4 pseudo-header checksums. */
  ph?: PseudoHeader;
}

export interface DecodeContext {
  ph?: PseudoHeader;
  /** The EtherType/TPID that announced this layer (VLAN tags record it). */
  etherType?: number;
  /** Inside a non-first or incomplete fragment: L4 checksums cannot be verified. */
  fragment?: boolean;
}

export type DecodeStep<L = Layer> =
  | {
      layer: L;
      /** Header length in bytes. */
      hdrLen: number;
      /** Where this layer's payload ends (its length field, clipped to the bytes present). */
      end: number;
      next: HeaderKind | null;
      /** A non-fatal finding (declared length beyond the capture, ...). */
      issue?: string;
      /** Context changes for inner layers. */
      ctx?: Partial<DecodeContext>;
    }
  | { stop: string };
