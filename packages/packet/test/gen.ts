/** fast-check arbitraries for layer stacks the builder accepts (shared by the round-trip and tcpdump tests). */
import fc from 'fast-check';
import { ipv6Text, macText, type Layer, type TcpOption } from '@bpfsim/packet';

export const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => macText(b));
export const ip4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((q) => q.join('.'));
export const ip6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => ipv6Text(b));
const bytes = (max: number) => fc.uint8Array({ maxLength: max });

const tcpOption: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant<TcpOption>({ kind: 'nop' }),
  fc.integer({ min: 0, max: 0xffff }).map((value): TcpOption => ({ kind: 'mss', value })),
  fc.integer({ min: 0, max: 14 }).map((value): TcpOption => ({ kind: 'wscale', value })),
  fc.constant<TcpOption>({ kind: 'sackok' }),
  fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 3 }).map((blocks): TcpOption => ({ kind: 'sack', blocks })),
  fc.tuple(fc.nat(), fc.nat()).map(([val, ecr]): TcpOption => ({ kind: 'ts', val, ecr })),
);
// At most 40 bytes of options: 3 options of at most 26 bytes would not fit, so cap the SACKs.
const tcpOptions = fc.array(tcpOption, { maxLength: 4 }).filter((os) => {
  let n = 0;
  for (const o of os) n += o.kind === 'nop' ? 1 : o.kind === 'mss' ? 4 : o.kind === 'wscale' ? 3 : o.kind === 'sackok' ? 2 : o.kind === 'ts' ? 10 : o.kind === 'sack' ? 2 + 8 * o.blocks.length : 0;
  return n <= 40;
});

export const tcp = fc.record({
  kind: fc.constant('tcp' as const),
  sport: fc.integer({ min: 0, max: 0xffff }),
  dport: fc.integer({ min: 0, max: 0xffff }),
  seq: fc.nat(),
  ack: fc.nat(),
  flags: fc.integer({ min: 0, max: 255 }),
  win: fc.integer({ min: 0, max: 0xffff }),
  options: tcpOptions,
});
export const udp = fc.record({ kind: fc.constant('udp' as const), sport: fc.integer({ min: 0, max: 0xffff }), dport: fc.integer({ min: 0, max: 0xffff }).filter((p) => p !== 4789) });

const v4 = fc.record({
  kind: fc.constant('ipv4' as const),
  src: ip4,
  dst: ip4,
  tos: fc.nat(255),
  id: fc.integer({ min: 0, max: 0xffff }),
  ttl: fc.integer({ min: 1, max: 255 }),
  flags: fc.constantFrom(0, 2),
  // Option bytes are carried raw: End-of-list padded to 4.
  options: fc.constantFrom(new Uint8Array(0), Uint8Array.of(1, 1, 1, 0), Uint8Array.of(7, 7, 4, 0, 0, 0, 0, 0)),
});
const v6 = fc.record({ kind: fc.constant('ipv6' as const), src: ip6, dst: ip6, tc: fc.nat(255), flow: fc.integer({ min: 0, max: 0xfffff }), hlim: fc.integer({ min: 1, max: 255 }) });
// Well-formed option TLVs (an unknown type whose top bits say "skip"), so real tools accept them.
const tlvs = fc.array(fc.uint8Array({ maxLength: 6 }), { maxLength: 2 }).map((ds) => Uint8Array.from(ds.flatMap((d) => [0x1e, d.length, ...d])));
// RFC 8200 order: hop-by-hop first, then destination options, then a fragment header.
const v6ext: fc.Arbitrary<Layer[]> = fc
  .tuple(fc.option(tlvs, { nil: undefined }), fc.option(tlvs, { nil: undefined }), fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }))
  .map(([hop, dst, frag]) => [
    ...(hop ? [{ kind: 'ipv6-hop', options: hop } as Layer] : []),
    ...(dst ? [{ kind: 'ipv6-dst', options: dst } as Layer] : []),
    ...(frag !== undefined ? [{ kind: 'ipv6-frag', id: frag } as Layer] : []),
  ]);
const payload = bytes(64).map((data): Layer => ({ kind: 'payload', data }));

/** Upper layers for a given IP version: TCP, UDP, ICMP echo, ICMP error with a quote, GRE, VXLAN. */
function upper(v: 4 | 6): fc.Arbitrary<Layer[]> {
  const icmpKind = v === 4 ? ('icmp' as const) : ('icmpv6' as const);
  const inner = v === 4 ? v4 : v6;
  return fc.oneof(
    fc.tuple(tcp, payload).map(([t, p]): Layer[] => [t, p]),
    fc.tuple(udp, payload).map(([u, p]): Layer[] => [u, p]),
    fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), payload).map(([id, seq, p]): Layer[] => [{ kind: icmpKind, type: 'echo-request', id, seq }, p]),
    fc.tuple(inner, udp, payload).map(([i, u, p]): Layer[] => [{ kind: icmpKind, type: 'unreach', code: 3 }, i, u, p]),
    fc.tuple(fc.option(fc.nat(), { nil: undefined }), v4, udp, payload).map(([key, i, u, p]): Layer[] => [{ kind: 'gre', checksum: true, key }, i, u, p]),
    fc.tuple(fc.integer({ min: 0, max: 0xffffff }), mac, mac, v4, tcp, payload).map(([vni, s, d, i, t, p]): Layer[] => [
      { kind: 'udp', sport: 40000 },
      { kind: 'vxlan', vni },
      { kind: 'eth', src: s, dst: d },
      i,
      t,
      p,
    ]),
  );
}

const net: fc.Arbitrary<Layer[]> = fc.oneof(
  fc.tuple(v4, upper(4)).map(([i, u]): Layer[] => [i, ...u]),
  fc.tuple(v6, v6ext, upper(6)).map(([i, e, u]): Layer[] => [i, ...e, ...u]),
  fc.tuple(fc.constantFrom<1 | 2>(1, 2), mac, ip4, mac, ip4).map(([op, sha, spa, tha, tpa]): Layer[] => [{ kind: 'arp', op, sha, spa, tha, tpa }]),
);

export const link = fc.oneof(
  fc.tuple(mac, mac).map(([src, dst]): Layer[] => [{ kind: 'eth', src, dst }]),
  fc.tuple(mac, mac, fc.integer({ min: 0, max: 4095 }), fc.nat(7)).map(([src, dst, vid, pcp]): Layer[] => [{ kind: 'eth', src, dst }, { kind: 'vlan', vid, pcp }]),
  fc.tuple(mac, mac, fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 4095 })).map(([src, dst, a, b]): Layer[] => [{ kind: 'eth', src, dst }, { kind: 'vlan', vid: a }, { kind: 'vlan', vid: b }]),
);

/** An Ethernet frame: link headers, then an IPv4/IPv6/ARP packet. */
export const frame: fc.Arbitrary<Layer[]> = fc.tuple(link, net).map(([l, n]) => [...l, ...n]);
