/** Packet expressions: the same bytes as the fluent builder, and errors that name the column. */
import fc from 'fast-check';
import { isBpfsimError } from '@bpfsim/uapi';
import { eth, ipv4, packetFromExpr, parsePacketExpr, PacketExprError } from '@bpfsim/packet';

function exprError(src: string): PacketExprError {
  try {
    packetFromExpr(src);
  } catch (e) {
    expect(e).toBeInstanceOf(PacketExprError);
    expect(isBpfsimError(e) && e.code).toBe('PACKET_EXPR');
    return e as PacketExprError;
  }
  throw new Error(`no error for ${src}`);
}

describe('packet expressions', () => {
  test('the documented example equals the builder', () => {
    const text = 'eth(dst=02:00:00:00:00:02)/ipv4(src=10.0.0.1,dst=10.0.0.2)/udp(dport=53)/payload("abc")';
    expect(packetFromExpr(text)).toEqual(eth({ dst: '02:00:00:00:00:02' }).ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }).udp({ dport: 53 }).payload('abc').build());
  });

  test('every layer kind, with lists, hex, strings and escapes', () => {
    const text = [
      'eth(src=02:00:00:00:00:0a) / vlan(vid=100) / vlan(vid=0x10, pcp=3)',
      'ipv6(src=fe80::1, dst=2001:db8::2, hlim=7) / hop(options=[5,2,0,0]) / frag(id=9) / dstopts()',
      'tcp(sport=1, dport=2, flags=SA, options=[mss:1460, nop, wscale:7, sackok, ts:5:6, sack:1-2:3-4, eol])',
      'payload(0x00ff)',
    ].join('/');
    const built = eth({ src: '02:00:00:00:00:0a' })
      .vlan({ vid: 100 })
      .vlan({ vid: 16, pcp: 3 })
      .ipv6({ src: 'fe80::1', dst: '2001:db8::2', hlim: 7 })
      .hop({ options: [5, 2, 0, 0] })
      .frag({ id: 9 })
      .dstopts()
      .tcp({
        sport: 1,
        dport: 2,
        flags: 'SA',
        options: [{ kind: 'mss', value: 1460 }, { kind: 'nop' }, { kind: 'wscale', value: 7 }, { kind: 'sackok' }, { kind: 'ts', val: 5, ecr: 6 }, { kind: 'sack', blocks: [[1, 2], [3, 4]] }, { kind: 'eol' }],
      })
      .payload([0, 255])
      .build();
    expect(packetFromExpr(text)).toEqual(built);
    expect(parsePacketExpr('payload("a\\"b\\x41\\n")')).toEqual([{ kind: 'payload', data: new TextEncoder().encode('a"bA\n') }]);
    expect(packetFromExpr('ipv4(src=1.1.1.1,dst=2.2.2.2)/gre(key=5,checksum=true)/eth()/arp(op=reply,spa=10.0.0.1)')).toEqual(
      ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).gre({ key: 5, checksum: true }).eth().arp({ op: 'reply', spa: '10.0.0.1' }).build(),
    );
    expect(packetFromExpr('ipv4(src=1.1.1.1,dst=2.2.2.2)/udp()/vxlan(vni=7)/eth()/ipv4(src=3.3.3.3,dst=4.4.4.4)/icmp(type=echo-request,id=1,seq=2)/payload(zeros=3)').length).toBe(20 + 8 + 8 + 14 + 20 + 8 + 3);
  });

  test.each([
    ['eth(dst=02:00:00:00:00:02)/ipv5(src=1)', 28, /unknown layer 'ipv5'/],
    ['eth(dst=02:00:00:00:00:02', 26, /expected '\)', found end of input/],
    ['eth(dts=1)', 5, /eth: unknown field 'dts' \(src, dst, type\)/],
    ['ipv4(src=1.2.3.4,dst=1.2.3.4,ttl=abc)', 34, /ipv4\.ttl: expected a number/],
    ['ipv4(src=1.2.3.4,dst=1.2.3.4,ttl=1,ttl=2)', 36, /field 'ttl' given twice/],
    ['udp(sport=1)/payload("abc)', 22, /unterminated string/],
    ['eth()/ipv4(src=10.0.0.300,dst=1.2.3.4)', 7, /ipv4 src: '10.0.0.300' is not a dotted-quad/],
    ['eth()/vlan(vid=5000)', 7, /vlan: vid: 5000 does not fit in 12 bits/],
    ['tcp(options=[mss])', 14, /option mss: expected 1 value/],
    ['eth() eth()', 7, /unexpected 'e' after the last layer/],
    ['payload(0xabc)', 9, /0x followed by hex byte pairs/],
  ])('%s → column %d', (src, col, msg) => {
    const e = exprError(src);
    expect(e.column).toBe(col);
    expect(e.message).toMatch(msg);
    expect(e.message.startsWith(`packet expression:${col}: `)).toBe(true);
  });

  test('fuzz: any text gives bytes or a PacketExprError', () => {
    const alphabet = fc.constantFrom(...'eth(ipv4)udp/tcp=,[]"0x1.:ab S'.split(''), 'eth(', 'ipv4(src=1.2.3.4,dst=5.6.7.8)', '/', 'payload(');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 30 }).map((a) => a.join('')), (src) => {
        try {
          expect(packetFromExpr(src)).toBeInstanceOf(Uint8Array);
        } catch (e) {
          expect(e).toBeInstanceOf(PacketExprError);
          const col = (e as PacketExprError).column;
          expect(col >= 1 && col <= src.length + 1).toBe(true);
        }
      }),
      { seed: 1304, numRuns: 3000 },
    );
  });
});
