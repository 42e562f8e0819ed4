/** The parser on hostile bytes: truncated, mutated, random — a typed result, never an exception. */
import fc from 'fast-check';
import { buildPacket, parsePacket, summarize, toLayers, eth, ipv4, type LinkLayer } from '@bpfsim/packet';
import { frame } from './gen';

describe('parsePacket on malformed input', () => {
  test('every prefix of a packet: stops with the layer, offset and reason, and rebuilds exactly', () => {
    const bytes = eth().vlan({ vid: 5 }).ipv4({ src: '10.0.0.1', dst: '10.0.0.2', options: [1, 1, 1, 1] }).tcp({ flags: 'PA', options: [{ kind: 'ts', val: 1, ecr: 2 }] }).payload('data').build();
    for (let n = 0; n < bytes.length; n++) {
      const cut = bytes.subarray(0, n);
      const p = parsePacket(cut);
      expect(buildPacket(toLayers(p))).toEqual(cut);
      const headerEnds = [14, 18, 42, 74];
      const stoppedIn = headerEnds.findIndex((e) => n < e);
      if (stoppedIn >= 0) {
        expect(p.stop).toEqual({ layer: ['eth', 'vlan', 'ipv4', 'tcp'][stoppedIn], offset: [0, 14, 18, 42][stoppedIn], reason: expect.stringMatching(/needs \d+ bytes, \d+ present/) });
      } else expect(p.stop).toBeUndefined();
      // The IPv4 total length promises more than a cut packet holds: a non-fatal issue.
      if (n >= 42 && n < bytes.length) expect(p.issues).toEqual([expect.objectContaining({ layer: 'ipv4', offset: 18, reason: expect.stringMatching(/total length 60 exceeds the \d+ bytes present/) })]);
      expect(typeof summarize(p)).toBe('string');
    }
  });

  test('nonsense fields stop with a reason', () => {
    const p = parsePacket(ipv4({ src: '1.2.3.4', dst: '5.6.7.8', ihl: 4 }).build(), { link: 'ipv4' });
    expect(p.stop).toEqual({ layer: 'ipv4', offset: 0, reason: 'IPv4 header length 16 < 20' });
    const q = parsePacket(eth().ipv4({ src: '1.2.3.4', dst: '5.6.7.8' }).tcp({ dataOffset: 15 }).build());
    expect(q.stop).toEqual({ layer: 'tcp', offset: 34, reason: 'TCP header with options needs 60 bytes, 20 present' });
    const r = parsePacket(eth().ipv4({ src: '1.2.3.4', dst: '5.6.7.8', totalLength: 10 }).build());
    expect(r.stop?.reason).toBe('IPv4 total length 10 < header length 20');
    const u = parsePacket(eth().ipv4({ src: '1.2.3.4', dst: '5.6.7.8' }).udp({ length: 100 }).payload('x').build());
    expect(u.issues.map((i) => i.reason)).toEqual(['UDP length 100 exceeds the 9 bytes present']);
    expect(summarize(u)).toBe('IPv4 1.2.3.4:12345 → 5.6.7.8:53 UDP len=1');
  });

  test('Ethernet padding after a short IPv4 packet is a trailer, not payload', () => {
    const ip = eth().ipv4({ src: '1.2.3.4', dst: '5.6.7.8' }).udp({ dport: 7 }).payload('ab').build();
    const padded = new Uint8Array(60);
    padded.set(ip);
    const p = parsePacket(padded);
    expect(Array.from(p.payload)).toEqual([0x61, 0x62]);
    expect(p.trailer.length).toBe(60 - ip.length);
    expect((p.layers[2] as { checksumOk?: boolean }).checksumOk).toBe(true);
    expect(buildPacket(toLayers(p))).toEqual(padded);
  });

  test('fuzz: mutated and random bytes parse to a result that rebuilds them exactly', () => {
    const links: LinkLayer[] = ['eth', 'sll', 'sll2', 'ipv4', 'ipv6', 'raw'];
    const mutated = fc.tuple(frame, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 6 }), fc.nat()).map(([layers, edits, cut]) => {
      const b = buildPacket(layers);
      for (const [at, v] of edits) if (b.length) b[at % b.length] = v;
      return b.subarray(0, b.length ? cut % (b.length + 1) : 0);
    });
    fc.assert(
      fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 120 })), fc.constantFrom(...links), (bytes, link) => {
        const p = parsePacket(bytes, { link });
        expect(buildPacket(toLayers(p))).toEqual(bytes);
        expect(typeof summarize(p)).toBe('string');
      }),
      { seed: 1303, numRuns: 3000 },
    );
  });
});
