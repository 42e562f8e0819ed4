/** Builder defaults (type fields, lengths, ports) and overrides for malformed packets. */
import { buildPacket, eth, ipv4, ipv6, parsePacket, PacketBuildError, type Layer } from '@bpfsim/packet';

const hex = (b: Uint8Array, from: number, to: number): string => Buffer.from(b.subarray(from, to)).toString('hex');

describe('builder defaults', () => {
  test('EtherTypes and TPIDs follow the next layer (802.1ad outside, 802.1Q inside)', () => {
    const b = eth().vlan({ vid: 100 }).vlan({ vid: 10 }).ipv6({ src: '::1', dst: '::2' }).build();
    expect(hex(b, 12, 14)).toBe('88a8');
    expect(hex(b, 16, 18)).toBe('8100');
    expect(hex(b, 20, 22)).toBe('86dd');
    expect(hex(eth().arp().build(), 12, 14)).toBe('0806');
    expect(hex(eth().payload('x').build(), 12, 14)).toBe('88b5');
    expect(hex(eth({ type: 0x1234 }).ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).build(), 12, 14)).toBe('1234');
  });

  test('protocol numbers, ports and tunnels', () => {
    const proto = (l: Layer): number => ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).push(l).build()[9];
    expect([proto({ kind: 'tcp' }), proto({ kind: 'udp' }), proto({ kind: 'icmp' }), proto({ kind: 'gre' }), proto({ kind: 'ipv6', src: '::', dst: '::' })]).toEqual([6, 17, 1, 47, 41]);
    const v6 = ipv6({ src: '::1', dst: '::2' }).hop().dstopts().frag().icmpv6().build();
    expect([v6[6], v6[40], v6[48], v6[56]]).toEqual([0, 60, 44, 58]);
    const vx = ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).udp().vxlan({ vni: 0xabcdef }).eth().build();
    expect(hex(vx, 22, 24)).toBe('12b5'); // 4789
    expect(hex(vx, 28, 36)).toBe('08000000abcdef00');
    const gre = ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).gre({ key: 1, seq: 2 }).eth().build();
    expect(hex(gre, 20, 32)).toBe('3000655800000001' + '00000002');
  });

  test('lengths are computed unless given; given ones are kept even when they lie', () => {
    const ok = ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).udp().payload('abcd').build();
    expect([(ok[2] << 8) | ok[3], (ok[24] << 8) | ok[25]]).toEqual([32, 12]);
    const lie = ipv4({ src: '1.1.1.1', dst: '2.2.2.2', totalLength: 1000, ihl: 6 }).udp({ length: 3 }).payload('abcd').build();
    expect(lie.length).toBe(32);
    expect([lie[0], (lie[2] << 8) | lie[3], (lie[24] << 8) | lie[25]]).toEqual([0x46, 1000, 3]);
    const p = parsePacket(lie, { link: 'ipv4' });
    expect(p.issues[0]).toMatchObject({ layer: 'ipv4', offset: 0 });
    const opts = ipv4({ src: '1.1.1.1', dst: '2.2.2.2', options: [0x94, 4, 0, 0, 1] }).build();
    expect(opts.length).toBe(28); // 5 option bytes padded to 8
    expect(opts[0]).toBe(0x47);
  });

  test('values that do not fit are PacketBuildErrors naming the layer', () => {
    const bad: Array<[Layer[], RegExp, number]> = [
      [[{ kind: 'eth' }, { kind: 'vlan', vid: 4096 }], /vlan: vid: 4096 does not fit in 12 bits/, 1],
      [[{ kind: 'eth' }, { kind: 'ipv4', src: '1.1.1.1', dst: '2.2.2.2', ttl: 1.5 }], /ipv4: ttl: 1.5 does not fit/, 1],
      [[{ kind: 'ipv4', src: '1.1.1.1', dst: '2.2.2.2', options: new Array(41).fill(1) }], /options: 41 bytes do not fit/, 0],
      [[{ kind: 'tcp', flags: 'SX' }], /unknown flag 'X'/, 0],
      [[{ kind: 'tcp', sport: -1 }], /sport: -1 does not fit in 16 bits/, 0],
      [[{ kind: 'icmp', type: 'bogus' }], /unknown name 'bogus'/, 0],
      [[{ kind: 'ipv6', src: '::1', dst: '::2' }, { kind: 'ipv4', src: 'x', dst: '1.1.1.1' }], /'x' is not a dotted-quad/, 1],
      [[{ kind: 'eth', src: [1, 2, 3] }], /expected 6 bytes, got 3/, 0],
    ];
    for (const [layers, msg, at] of bad) {
      let err: unknown;
      try {
        buildPacket(layers);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PacketBuildError);
      expect((err as PacketBuildError).message).toMatch(msg);
      expect((err as PacketBuildError).code).toBe('PACKET_BUILD');
      expect((err as PacketBuildError).layerIndex).toBe(at);
    }
  });
});
