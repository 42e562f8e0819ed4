/**
 * Generated packets: build → parse → build gives the same bytes, the parse gives back every
 * field that was set, and every checksum agrees with an independent computation.
 */
import fc from 'fast-check';
import { buildPacket, parsePacket, toLayers, summarize, type Layer, type ParsedPacket } from '@bpfsim/packet';
import { frame } from './gen';

/** RFC 1071 by a different route than src/checksum.ts: end-around carry ≡ sum mod 0xffff. */
function refSum(parts: Uint8Array[]): number {
  let s = 0n;
  for (const b of parts) for (let i = 0; i < b.length; i += 2) s += BigInt((b[i] << 8) | (b[i + 1] ?? 0));
  const r = Number(s % 0xffffn);
  return r === 0 && s !== 0n ? 0xffff : r;
}
const refValid = (parts: Uint8Array[]): boolean => refSum(parts) === 0xffff;

function be16(n: number): Uint8Array {
  return Uint8Array.of(n >> 8, n & 0xff);
}

/** Check each checksum of a parsed packet with refValid, taking the addresses from the bytes. */
function checkAllChecksums(bytes: Uint8Array, p: ParsedPacket): number {
  let checked = 0;
  let addrs: Uint8Array[] = [];
  let quoted = false;
  p.layers.forEach((l, i) => {
    const off = p.offsets[i];
    const seg = bytes.subarray(off, p.ends[i]);
    const pseudo = (proto: number): Uint8Array[] => [...addrs, Uint8Array.of(0, proto), ...(addrs[0].length === 16 ? [be16(0), be16(seg.length)] : [be16(seg.length)])];
    switch (l.kind) {
      case 'ipv4':
        addrs = [bytes.subarray(off + 12, off + 16), bytes.subarray(off + 16, off + 20)];
        expect(refValid([bytes.subarray(off, off + p.hdrLens[i])])).toBe(true);
        checked++;
        break;
      case 'ipv6':
        addrs = [bytes.subarray(off + 8, off + 24), bytes.subarray(off + 24, off + 40)];
        break;
      case 'tcp':
      case 'udp':
      case 'icmpv6':
        if (quoted) break; // a quoted packet is cut short: its L4 checksum covers bytes not quoted
        expect(refValid([...pseudo(l.kind === 'tcp' ? 6 : l.kind === 'udp' ? 17 : 58), seg])).toBe(true);
        expect(l.checksumOk).toBe(true);
        checked++;
        if (l.kind === 'icmpv6') quoted = true;
        break;
      case 'icmp':
      case 'gre':
        if (quoted && l.kind === 'icmp') break;
        expect(refValid([seg])).toBe(true);
        expect(l.checksumOk).toBe(true);
        checked++;
        if (l.kind === 'icmp') quoted = true;
        break;
    }
  });
  return checked;
}

const kindsOf = (ls: readonly Layer[]): string[] => ls.filter((l) => l.kind !== 'payload').map((l) => l.kind);

describe('generated packets', () => {
  test('build → parse → build is the identity; fields and checksums check out', () => {
    let checksums = 0;
    fc.assert(
      fc.property(frame, (layers) => {
        const bytes = buildPacket(layers);
        const p = parsePacket(bytes);
        expect(p.stop).toBeUndefined();
        expect(kindsOf(p.layers as Layer[])).toEqual(kindsOf(layers));
        expect(buildPacket(toLayers(p))).toEqual(bytes);
        // Every field the generator set comes back (addresses as canonical text, options as bytes).
        layers.forEach((l, i) => {
          if (l.kind === 'payload') return;
          const got = p.layers[i] as unknown as Record<string, unknown>;
          for (const [k, v] of Object.entries(l)) {
            if (k === 'type' && typeof v === 'string') continue; // ICMP type names come back as numbers
            if (k === 'checksum' && v === true) continue;
            if (k === 'options' && l.kind !== 'tcp' && l.kind !== 'ipv4') continue; // padded
            if (v === undefined) continue;
            if (k === 'options' && l.kind === 'ipv4') expect(Array.from(got[k] as Uint8Array)).toEqual(Array.from(v as Uint8Array));
            else if (k === 'options') {
              // The builder pads TCP options with End-of-list bytes to a multiple of 4.
              const opts = [...(got[k] as Array<{ kind: string }>)];
              while (opts.length > (v as unknown[]).length && opts[opts.length - 1].kind === 'eol') opts.pop();
              expect(opts).toEqual(v);
            }
            else expect(got[k]).toEqual(v);
          }
        });
        const last = layers[layers.length - 1];
        if (last.kind === 'payload') expect(p.payload).toEqual(Uint8Array.from(last.data as Uint8Array));
        checksums += checkAllChecksums(bytes, p);
        expect(typeof summarize(p)).toBe('string');
      }),
      { seed: 1301, numRuns: 1000 },
    );
    expect(checksums).toBeGreaterThan(1000);
  });

  test('a wrong checksum given on purpose is kept and reported', () => {
    fc.assert(
      fc.property(frame, fc.integer({ min: 1, max: 0xfffe }), (layers, delta) => {
        const i = layers.findIndex((l) => l.kind === 'tcp' || l.kind === 'udp' || l.kind === 'ipv4');
        fc.pre(i >= 0);
        const good = parsePacket(buildPacket(layers)).layers[i] as { checksum: number };
        const bad = (good.checksum + delta) % 0xffff; // never ≡ good in ones' complement
        fc.pre(bad !== 0 || layers[i].kind === 'tcp');
        const tweaked = layers.map((l, j) => (j === i ? ({ ...l, checksum: bad } as Layer) : l));
        const p = parsePacket(buildPacket(tweaked));
        const l = p.layers[i] as { checksum: number; checksumOk?: boolean };
        expect(l.checksum).toBe(bad);
        expect(l.checksumOk).toBe(false);
        expect(summarize(p)).toMatch(/bad (ip )?cksum/);
      }),
      { seed: 1302, numRuns: 500 },
    );
  });

  test('examples read like tcpdump -nn', () => {
    const syn = parsePacket(
      buildPacket([
        { kind: 'eth' },
        { kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' },
        { kind: 'tcp', sport: 1234, dport: 80, flags: 'S' },
        { kind: 'payload', data: 'hi' },
      ]),
    );
    expect(summarize(syn)).toBe('IPv4 10.0.0.1:1234 → 10.0.0.2:80 TCP [S] len=2');
    const synack = buildPacket([{ kind: 'eth' }, { kind: 'vlan', vid: 10 }, { kind: 'ipv6', src: 'fe80::1', dst: '2001:db8::2' }, { kind: 'tcp', sport: 80, dport: 1234, flags: 'SA' }]);
    expect(summarize(parsePacket(synack))).toBe('vlan 10 IPv6 [fe80::1]:80 → [2001:db8::2]:1234 TCP [S.] len=0');
  });
});
