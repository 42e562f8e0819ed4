/**
 * The scenario vocabulary for networks: a top-level `network:` (namespaces,
 * veth pairs, addresses, routes, iptables rule sets, XDP and tc programs on
 * devices by name), packet events (`packet:` one frame, `flow:` a flood at N
 * packets per virtual second) and expectations on what devices captured, their
 * counters and the iptables counters. format.ts registers them.
 */
import { t, type Type } from './schema';
import { bytes, numberMatcher, textMatcher, type BytesSpec, type Matcher } from './values';

const name = t.str('a name', /^[A-Za-z_][\w.-]*$/);
const devName = t.str('a device name (1 to 15 characters)', /^[^\s/:]{1,15}$/);
const nsName = t.str('a namespace name', /^[A-Za-z_][\w.-]*$/);
const cidrText = t.str('an address with its prefix, such as 10.0.0.1/24', /^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/);
const ipText = t.str('an IPv4 address', /^\d{1,3}(\.\d{1,3}){3}$/);
const macText = t.str('a MAC address such as 02:00:00:00:00:01', /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/);

/** A device: its name, and the namespace it lives in (default init). */
export interface DevRef {
  device: string;
  ns?: string;
}
const devRef = { device: devName, ns: nsName };

export interface VethSpec {
  name: string;
  ns?: string;
  peer: string;
  peer_ns?: string;
  mac?: string;
  peer_mac?: string;
  mtu?: number;
}

export interface NetworkSpec {
  /** Namespaces to create besides init, in order. */
  namespaces?: string[];
  veth?: VethSpec[];
  addresses?: (DevRef & { addr: string })[];
  routes?: { ns?: string; dst: string; via?: string; device?: string; metric?: number }[];
  /** Namespaces with net.ipv4.ip_forward=1. */
  forwarding?: string[];
  /** iptables-restore in a namespace: iptables-save text (`rules`) or a file of it (`file`). */
  iptables?: { ns?: string; rules?: string; file?: string }[];
  xdp?: (DevRef & { program: string; mode?: 'native' | 'generic' })[];
  tc?: (DevRef & { program: string; dir: 'ingress' | 'egress'; priority?: number })[];
}

export const networkSpec = t.obj('a network', {
  namespaces: t.list(nsName),
  veth: t.list(t.obj('a veth pair', {
    name: devName, ns: nsName, peer: devName, peer_ns: nsName, mac: macText, peer_mac: macText, mtu: t.int(68, 65535),
  }, ['name', 'peer'])),
  addresses: t.list(t.obj('an address', { ...devRef, addr: cidrText }, ['device', 'addr'])),
  routes: t.list(t.obj('a route', {
    ns: nsName, dst: t.str('a prefix such as 10.1.0.0/16, or default', /^(default|\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?)$/),
    via: ipText, device: devName, metric: t.int(0, 2 ** 32 - 1),
  }, ['dst'])),
  forwarding: t.list(nsName),
  iptables: t.list(t.obj('an iptables rule set', { ns: nsName, rules: t.str('iptables-save text'), file: t.str('a file of iptables-save text') })),
  xdp: t.list(t.obj('an XDP attachment', { ...devRef, program: name, mode: t.enum(['native', 'generic'] as const) }, ['device', 'program'])),
  tc: t.list(t.obj('a tc filter', { ...devRef, program: name, dir: t.enum(['ingress', 'egress'] as const), priority: t.int(1, 65535) }, ['device', 'program', 'dir'])),
}) as unknown as Type<NetworkSpec>;

/** One packet: bytes, a packet expression (`build`), or the packets of a capture file (`pcap`). */
export interface PacketSource {
  bytes?: BytesSpec;
  build?: string;
  pcap?: string;
}

export interface PacketEvent extends DevRef, PacketSource {
  /** `wire` (default): the frame arrives at the device; `host`: the namespace's host sends it out of the device. */
  from?: 'wire' | 'host';
}

export interface FlowEvent extends DevRef, PacketSource {
  count: number;
  /** Packets per virtual second; each is sent at its slot, or as soon as the CPU is free when the path is slower. */
  rate: number;
  from?: 'wire' | 'host';
  /** Packets whose kernel records stay in the trace (default 2); the rest are counted in the outcome. */
  trace?: number;
}

const source = { bytes, build: t.str('a packet expression such as eth(dst=...)/ipv4(src=...,dst=...)/udp(dport=53)'), pcap: t.str('a pcap or pcapng file') };
const from = t.enum(['wire', 'host'] as const);

export type NetEventBody =
  | { kind: 'packet'; packet: PacketEvent }
  | { kind: 'flow'; flow: FlowEvent };

export const netEvents: Record<string, Type<unknown>> = {
  packet: t.obj('a packet', { ...devRef, ...source, from }, ['device']),
  flow: t.obj('a flow of packets', {
    ...devRef, ...source, from, count: t.int(1, 10_000_000), rate: t.int(1, 1_000_000_000), trace: t.int(0, 1000),
  }, ['device', 'count', 'rate']),
};

export interface CaptureExpectation extends DevRef {
  /** `in` (received, after XDP), `out` (sent), or both (default). */
  dir?: 'in' | 'out';
  count?: Matcher;
  /** Matchers for the first packets, in order, against `<dir> <one-line summary>` (or the summary alone). */
  packets?: Matcher[];
}

export interface DeviceExpectation extends DevRef {
  rx_packets?: Matcher; rx_bytes?: Matcher; rx_dropped?: Matcher;
  tx_packets?: Matcher; tx_bytes?: Matcher; tx_dropped?: Matcher;
}

export type NetExpectation =
  | { kind: 'capture'; capture: CaptureExpectation }
  | { kind: 'device'; device: DeviceExpectation }
  | { kind: 'iptables'; iptables: { ns?: string; save: Matcher } };

export const netExpectations: Record<string, Type<unknown>> = {
  capture: t.obj('a capture expectation', { ...devRef, dir: t.enum(['in', 'out'] as const), count: numberMatcher(), packets: t.list(textMatcher) }, ['device']),
  device: t.obj('device counters', {
    ...devRef, rx_packets: numberMatcher(), rx_bytes: numberMatcher(), rx_dropped: numberMatcher(),
    tx_packets: numberMatcher(), tx_bytes: numberMatcher(), tx_dropped: numberMatcher(),
  }, ['device']),
  iptables: t.obj('iptables counters', { ns: nsName, save: textMatcher }, ['save']),
};
