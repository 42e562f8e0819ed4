/**
 * Generated frames for the packet-path comparison, from a seed (xorshift32:
 * the same seed gives the same packets everywhere): valid IPv4/IPv6 TCP, UDP
 * and ICMP, ARP and other EtherTypes, VLAN (802.1Q and QinQ) tags, IPv6
 * extension headers, IPv4 options, truncated frames and malformed headers,
 * to every kind of destination address.
 */
import { eth, type PacketBuilder } from '@bpfsim/packet';

export class Rand {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  u32(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return this.u32() % n;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.u32() & 0xff);
  }
}

export interface GenOptions {
  /** The receiving device's address (most frames go to it). */
  dst: string;
  src: string;
  /** Destination ports the generator favours (the programs' interesting ones). */
  ports?: readonly number[];
  /** Longest frame (default 1514: the veth MTU plus the Ethernet header). */
  maxLen?: number;
}

const KINDS = ['tcp', 'udp', 'icmp', 'tcp6', 'udp6', 'icmp6', 'arp', 'other'] as const;

export function generatePackets(seed: number, n: number, o: GenOptions): Uint8Array[] {
  const r = new Rand(seed);
  const maxLen = o.maxLen ?? 1514;
  const ports = o.ports ?? [7, 22, 23, 53, 80, 443, 8080];
  const port = (): number => (r.int(3) ? r.pick(ports) : r.int(65536));
  const out: Uint8Array[] = [];
  while (out.length < n) {
    const dst = r.pick([o.dst, o.dst, o.dst, 'ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:01', '02:00:00:00:99:99']);
    let b: PacketBuilder = eth({ src: o.src, dst });
    const tags = r.int(10);
    if (tags >= 7) b = b.vlan({ vid: r.int(4095) + 1, pcp: r.int(8) });
    if (tags === 9) b = b.vlan({ vid: r.int(4095) + 1 });
    const kind = r.pick(KINDS);
    const payload = r.bytes(r.int(10) === 0 ? r.int(1400) : r.int(64));
    const v4 = { src: `10.0.${r.int(3)}.${r.int(255)}`, dst: `10.0.0.${r.int(4)}`, tos: r.int(4) ? 0 : r.int(256), ttl: 1 + r.int(255) };
    const v6 = { src: `fd00::${r.int(0xffff).toString(16)}`, dst: 'fd00::1', hlim: 64 };
    try {
      if (kind === 'tcp' || kind === 'udp' || kind === 'icmp') {
        const opts = r.int(8) === 0 ? { options: [1, 1, 1, 0] } : {};
        b = b.ipv4({ ...v4, ...opts, flags: r.int(6) === 0 ? 'MF' : r.int(2) ? 'DF' : 0 });
        if (kind === 'tcp') b = b.tcp({ sport: r.int(65536), dport: port(), flags: r.pick(['S', 'SA', 'A', 'PA', 'R', 'F', '']) });
        else if (kind === 'udp') b = b.udp({ sport: r.int(65536), dport: port() });
        else b = b.icmp({ type: r.pick(['echo-request', 'echo-reply', 'dest-unreach', 'time-exceeded']) as 'echo-request' });
      } else if (kind === 'arp') {
        b = b.arp({ op: r.int(2) + 1, spa: '10.0.0.2', tpa: '10.0.0.1', sha: o.src });
      } else if (kind === 'other') {
        // An unknown EtherType (or a length field: 802.3) with raw bytes.
        b = eth({ src: o.src, dst, type: r.pick([0x88b6, 0x9000, 0x0040, 0x05dc, 0x86dd, 0x0800]) });
      } else {
        b = b.ipv6(v6);
        const ext = r.int(6);
        if (ext === 1) b = b.hop({ options: [1, 4, 0, 0, 0, 0] });
        if (ext === 2) b = b.dstopts({});
        if (ext === 3) b = b.route({ routingType: 0, segmentsLeft: 0 });
        if (ext === 4) b = b.frag({ offset: r.int(2) * 100, m: r.int(2), id: r.u32() });
        if (ext === 5) b = b.hop({}).dstopts({});
        if (kind === 'tcp6') b = b.tcp({ dport: port(), flags: 'S' });
        else if (kind === 'udp6') b = b.udp({ dport: port() });
        else b = b.icmpv6({ type: 'echo-request' });
      }
      let frame = b.payload(payload).build();
      // Malformed: a header field broken (IPv4 version/IHL/length, garbage after Ethernet).
      const bad = r.int(12);
      const l3 = 14 + (tags >= 7 ? 4 : 0) + (tags === 9 ? 4 : 0);
      if (bad === 0 && frame.length > l3) frame[l3] = (r.int(16) << 4) | r.int(16);
      if (bad === 1 && frame.length > l3 + 3) frame[l3 + 3] ^= 0xff;
      if (bad === 2 && frame.length > l3 + 8) frame.set(r.bytes(Math.min(16, frame.length - l3)), l3);
      // Truncated: cut anywhere from the Ethernet header on.
      if (r.int(6) === 0) frame = frame.slice(0, 14 + r.int(Math.max(1, frame.length - 13)));
      if (frame.length > maxLen) frame = frame.slice(0, maxLen);
      out.push(frame);
    } catch {
      // A combination the builder refuses is simply not generated.
    }
  }
  return out;
}

/** The frame that follows each packet in a judged run (EtherType 0x88b5, then the sequence number). */
export function marker(dst: string, src: string, seq: number): Uint8Array {
  const m = new Uint8Array(60);
  const mac = (s: string): number[] => s.split(':').map((h) => parseInt(h, 16));
  m.set(mac(dst), 0);
  m.set(mac(src), 6);
  m[12] = 0x88;
  m[13] = 0xb5;
  new DataView(m.buffer).setUint32(14, seq);
  return m;
}

export const isMarker = (f: Uint8Array): boolean => f.length === 60 && f[12] === 0x88 && f[13] === 0xb5;
