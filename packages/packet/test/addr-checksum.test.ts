/** Address text forms and the Internet checksum, checked against independent references. */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import fc from 'fast-check';
import { inetChecksum, ipv4Bytes, ipv4Text, ipv6Bytes, ipv6Text, macBytes, macText, PacketBuildError, pseudoSum, checksumValid } from '@bpfsim/packet';

describe('addresses', () => {
  test('IPv6 text is canonical (the WHATWG URL serializer agrees) and parses back', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }), (words) => {
        const b = new Uint8Array(16);
        words.forEach((w, i) => ((b[2 * i] = w >> 8), (b[2 * i + 1] = w & 0xff)));
        const t = ipv6Text(b);
        expect(net.isIPv6(t)).toBe(true);
        expect(new URL(`http://[${t}]/`).hostname).toBe(`[${t}]`);
        expect(ipv6Bytes(t)).toEqual(b);
      }),
      { seed: 1309, numRuns: 2000 },
    );
    expect(Array.from(ipv6Bytes('::ffff:192.0.2.1'))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]);
    expect(ipv6Text(ipv6Bytes('2001:DB8:0:0:1:0:0:1'))).toBe('2001:db8::1:0:0:1');
    expect(ipv6Text(ipv6Bytes('::'))).toBe('::');
  });

  test('IPv4 and MAC round trips; bad text is a PacketBuildError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 6, maxLength: 6 }), (ip, mac) => {
        expect(net.isIPv4(ipv4Text(ip))).toBe(true);
        expect(ipv4Bytes(ipv4Text(ip))).toEqual(ip);
        expect(macBytes(macText(mac))).toEqual(mac);
      }),
      { seed: 1310, numRuns: 500 },
    );
    for (const bad of ['1.2.3', '1.2.3.256', 'a.b.c.d', '1.2.3.4.5']) expect(() => ipv4Bytes(bad)).toThrow(PacketBuildError);
    for (const bad of [':::', '1::2::3', '1:2:3:4:5:6:7:8:9', 'g::1', '1:2:3:4:5:6:7', '::1.2.3']) expect(() => ipv6Bytes(bad)).toThrow(PacketBuildError);
    for (const bad of ['02:00:00:00:00', '02:00:00:00:00:0g', '']) expect(() => macBytes(bad)).toThrow(PacketBuildError);
  });
});

describe('Internet checksum', () => {
  test('the RFC 1071 §3 example', () => {
    // 00 01 f2 03 f4 f5 f6 f7: the sum is 0xddf2, the checksum its complement.
    expect(inetChecksum(Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7))).toBe(0x220d);
  });

  test('a real IPv4 header: the one tcpdump captured on lo', () => {
    // Packet 1 of test/fixtures/lo-udp.pcap: the IPv4 header the kernel sent, after 24 + 16 + 14 bytes.
    const file = new Uint8Array(fs.readFileSync(path.join(__dirname, 'fixtures', 'lo-udp.pcap')));
    const h = file.slice(54, 74);
    expect(h[0]).toBe(0x45);
    expect(checksumValid(h, 0, 20)).toBe(true);
    const sent = (h[10] << 8) | h[11];
    h[10] = h[11] = 0;
    expect(inetChecksum(h)).toBe(sent);
  });

  test('matches a BigInt reference on odd and even lengths, with any starting sum', () => {
    const ref = (b: Uint8Array, start: number): number => {
      let s = BigInt(start);
      for (let i = 0; i < b.length; i += 2) s += BigInt((b[i] << 8) | (b[i + 1] ?? 0));
      let r = Number(s % 0xffffn);
      if (r === 0 && s !== 0n) r = 0xffff;
      return 0xffff - r;
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 0, max: 0xffff }), (b, start) => {
        expect(inetChecksum(b, 0, b.length, start)).toBe(ref(b, start));
      }),
      { seed: 1311, numRuns: 1000 },
    );
  });

  test('IPv6 pseudo-header carries a 32-bit length', () => {
    const ph = { src: new Uint8Array(16), dst: new Uint8Array(16) };
    expect(pseudoSum(ph, 17, 0x10008)).toBe(17 + 1 + 8);
    expect(pseudoSum({ src: new Uint8Array(4), dst: new Uint8Array(4) }, 6, 20)).toBe(26);
  });
});
