/** pcap and pcapng: round trips, fixtures written by tcpdump and by an independent Python script, bad files. */
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { CaptureFormatError, eth, parsePacket, readCapture, readPcap, readPcapng, summarize, writePcap, writePcapng, linkLayerOf, type CapturePacket } from '@bpfsim/packet';

const fixture = (name: string): Uint8Array => new Uint8Array(fs.readFileSync(path.join(__dirname, 'fixtures', name)));

function formatError(f: () => unknown): CaptureFormatError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CaptureFormatError);
    expect((e as CaptureFormatError).code).toBe('PCAP_FORMAT');
    return e as CaptureFormatError;
  }
  throw new Error('no error');
}

const packetArb = fc.record({
  tsNs: fc.bigInt({ min: 0n, max: 4_000_000_000n * 1_000_000_000n }),
  data: fc.uint8Array({ maxLength: 100 }),
});

describe('pcap', () => {
  test('write → read round trip in both byte orders and both time units', () => {
    fc.assert(
      fc.property(fc.array(packetArb, { maxLength: 8 }), fc.constantFrom<'le' | 'be'>('le', 'be'), fc.boolean(), fc.constantFrom(1, 101, 113), (pkts, byteOrder, nanos, linkType) => {
        const f = readPcap(writePcap(pkts, { byteOrder, nanos, linkType }));
        expect(f).toMatchObject({ byteOrder, nanos, linkType, snaplen: 262144, versionMajor: 2, versionMinor: 4 });
        expect(f.packets).toEqual(pkts.map((p) => ({ interfaceId: 0, tsNs: nanos ? p.tsNs : (p.tsNs / 1000n) * 1000n, origLen: p.data.length, data: p.data })));
      }),
      { seed: 1305, numRuns: 300 },
    );
  });

  test('snaplen cuts packets and keeps the original length', () => {
    const f = readPcap(writePcap([{ tsNs: 5n, data: new Uint8Array(100) }], { snaplen: 64 }));
    expect(f.packets[0].data.length).toBe(64);
    expect(f.packets[0].origLen).toBe(100);
  });

  test('a capture tcpdump made on lo (µs), and its nanosecond rewrite', () => {
    for (const [name, nanos] of [
      ['lo-udp.pcap', false],
      ['lo-udp-ns.pcap', true],
    ] as const) {
      const f = readPcap(fixture(name), { file: name });
      expect(f).toMatchObject({ byteOrder: 'le', nanos, linkType: 1, snaplen: 262144 });
      // tcpdump -r lo-udp.pcap -nn -tt --nano printed these.
      expect(f.packets.map((p) => p.tsNs)).toEqual([1796683034885286000n, 1796683034985571000n, 1796683035085910000n]);
      const lines = f.packets.map((p) => summarize(parsePacket(p.data)));
      // Loopback leaves UDP checksums to an offload that never happens: tcpdump's capture holds a partial sum.
      expect(lines.map((l) => l.replace(' [bad cksum]', ''))).toEqual([5, 13, 100].map((n) => `IPv4 127.0.0.1:50998 → 127.0.0.1:50999 UDP len=${n}`));
    }
  });

  test('a capture tcpdump made with -i any (Linux cooked v2)', () => {
    const f = readPcap(fixture('lo-any-sll2.pcap'));
    expect(f).toMatchObject({ linkType: 276, nanos: false });
    // tcpdump -r lo-any-sll2.pcap -nn -e -tt --nano printed these.
    expect(f.packets.map((p) => p.tsNs)).toEqual([1796683906799468000n, 1796683906899798000n]);
    const parsed = f.packets.map((p) => parsePacket(p.data, { link: linkLayerOf(f.linkType)! }));
    expect(parsed[0].layers[0]).toEqual({ kind: 'sll2', protocol: 0x0800, reserved: 0, ifindex: 1, hatype: 772, pkttype: 0, addrLen: 6, addr: '00:00:00:00:00:00:00:00' });
    expect(parsed.map((p) => summarize(p).replace(' [bad cksum]', ''))).toEqual(['IPv4 127.0.0.1:50996 → 127.0.0.1:50997 UDP len=4', 'IPv4 127.0.0.1:50996 → 127.0.0.1:50997 UDP len=9']);
  });

  test('Python-written fixtures: big-endian µs Linux SLL, little-endian ns raw IP cut by snaplen', () => {
    const sll = readPcap(fixture('be-sll-us.pcap'));
    expect(sll).toMatchObject({ byteOrder: 'be', nanos: false, linkType: 113, snaplen: 65535 });
    expect(sll.packets.map((p) => p.tsNs)).toEqual([1700000000123456000n, 1700000001123457000n, 1700000002123458000n]);
    const lines = sll.packets.map((p) => summarize(parsePacket(p.data, { link: linkLayerOf(sll.linkType)! })));
    expect(lines).toEqual([
      'IPv4 10.0.0.1:1234 → 10.0.0.2:53 UDP len=3',
      'IPv4 10.0.0.1:40000 → 10.0.0.2:80 TCP [S] len=0',
      'IPv4 192.168.1.5:443 → 10.9.8.7:51000 TCP [P.] len=5',
    ]);
    const raw = readPcap(fixture('le-raw-ns.pcap'));
    expect(raw).toMatchObject({ byteOrder: 'le', nanos: true, linkType: 101, snaplen: 40 });
    expect(raw.packets.map((p) => [p.tsNs, p.data.length, p.origLen])).toEqual([
      [1700000100999999999n, 31, 31],
      [1700000100999999998n, 40, 48],
      [1700000100999999997n, 40, 53],
    ]);
    const cut = parsePacket(raw.packets[1].data, { link: 'raw' });
    expect(cut.stop).toEqual({ layer: 'tcp', offset: 20, reason: 'TCP header with options needs 28 bytes, 20 present' });
  });

  test('bad files: typed errors naming the byte offset', () => {
    const good = writePcap([{ tsNs: 1n, data: new Uint8Array(10) }, { tsNs: 2n, data: new Uint8Array(10) }], { snaplen: 16 });
    const e = (b: Uint8Array, at: number, msg: RegExp): void => {
      const err = formatError(() => readPcap(b, { file: 'x.pcap' }));
      expect(err.offset).toBe(at);
      expect(err.message).toMatch(msg);
      expect(err.message.startsWith(`x.pcap: at byte offset ${at}: `)).toBe(true);
    };
    e(good.subarray(0, 10), 0, /header needs 24 bytes/);
    const magic = good.slice();
    magic[0] = 0;
    e(magic, 0, /bad magic 0x00c3b2a1 \(pcap: a1b2c3d4 or a1b23c4d/);
    e(good.subarray(0, 30), 24, /record header needs 16 bytes, 6 left/);
    e(good.subarray(0, 45), 40, /packet data of 10 bytes, 5 left/);
    const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset);
    const lie = good.slice();
    dv(lie).setUint32(24 + 8, 17, true); // caplen 17 > snaplen 16
    dv(lie).setUint32(24 + 12, 17, true);
    e(lie, 32, /captured length 17 exceeds the file's snaplen 16/);
    const absurd = good.slice();
    dv(absurd).setUint32(16, 0, true); // snaplen 0: only the hard limit applies
    dv(absurd).setUint32(24 + 8, 0xfffffff0, true);
    e(absurd, 32, /captured length 4294967280 exceeds the limit 262144/);
    const orig = good.slice();
    dv(orig).setUint32(24 + 12, 9, true);
    e(orig, 32, /exceeds the original length 9/);
    const usec = good.slice();
    dv(usec).setUint32(24 + 4, 1_000_000, true);
    e(usec, 28, /fraction 1000000 is not below 1000000/);
    e(writePcapng([], { interfaces: [] }), 0, /this is a pcapng file/);
    expect(formatError(() => readPcap(good, { maxPackets: 1 })).offset).toBe(50);
  });
});

describe('pcapng', () => {
  test('write → read: several interfaces, link types, time resolutions, both byte orders, SPB', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ linkType: fc.constantFrom(1, 101, 113), tsresol: fc.constantFrom(6, 9, 3), name: fc.option(fc.constantFrom('eth0', 'veth-a', ''), { nil: undefined }) }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(packetArb, fc.nat()), { maxLength: 8 }),
        fc.constantFrom<'le' | 'be'>('le', 'be'),
        (ifaces, pkts, byteOrder) => {
          const toWrite = pkts.map(([p, i]) => ({ ...p, interfaceId: i % ifaces.length }));
          const f = readPcapng(writePcapng(toWrite, { interfaces: ifaces, byteOrder }));
          expect(f.sections).toEqual([{ byteOrder, versionMajor: 1, versionMinor: 0, firstInterface: 0 }]);
          expect(f.interfaces).toEqual(ifaces.map((i) => ({ linkType: i.linkType, snaplen: 262144, tsresol: i.tsresol, tsoffset: 0n, ...(i.name !== undefined ? { name: i.name } : {}) })));
          const unit = (r: number) => 10n ** BigInt(9 - r);
          expect(f.packets).toEqual(toWrite.map((p) => ({ interfaceId: p.interfaceId, tsNs: (p.tsNs / unit(ifaces[p.interfaceId].tsresol)) * unit(ifaces[p.interfaceId].tsresol), origLen: p.data.length, data: p.data })));
          const simple = readPcapng(writePcapng(toWrite, { interfaces: ifaces, byteOrder, simple: true }));
          expect(simple.packets.map((p) => p.data)).toEqual(toWrite.map((p) => p.data));
        },
      ),
      { seed: 1306, numRuns: 200 },
    );
  });

  test('Python-written fixtures: two interfaces with skipped blocks; big-endian with binary time units', () => {
    const f = readPcapng(fixture('two-ifaces.pcapng'));
    expect(f.interfaces).toEqual([
      { linkType: 1, snaplen: 262144, tsresol: 6, tsoffset: 0n, name: 'eth0' },
      { linkType: 101, snaplen: 0, tsresol: 9, tsoffset: 0n, name: 'tun0' },
    ]);
    expect(f.packets.map((p) => [p.interfaceId, p.tsNs])).toEqual([
      [0, 1700000000000001000n],
      [1, 1700000000000000002n],
      [0, 0n],
    ]);
    const lines = f.packets.map((p) => summarize(parsePacket(p.data, { link: linkLayerOf(f.interfaces[p.interfaceId].linkType)! })));
    expect(lines).toEqual([
      'IPv4 10.0.0.1:1234 → 10.0.0.2:53 UDP len=3',
      'IPv4 10.0.0.1:40000 → 10.0.0.2:80 TCP [S] len=0',
      'IPv4 192.168.1.5:443 → 10.9.8.7:51000 TCP [P.] len=5',
    ]);
    const be = readCapture(fixture('be-ether.pcapng'));
    expect(be.format).toBe('pcapng');
    // tcpdump --nano -tt printed 1700000000.500000000 and 1700000001.000976562.
    expect(be.packets.map((p) => p.tsNs)).toEqual([1700000000500000000n, 1700000001000976562n]);
  });

  test('bad files: typed errors naming the byte offset', () => {
    const good = writePcapng([{ tsNs: 1n, data: new Uint8Array(10) }], { interfaces: [{ linkType: 1, snaplen: 16 }] });
    // SHB: 28 + 16 bytes of shb_userappl option = 44; IDB: 20; EPB at 64.
    const at = (b: Uint8Array, msg: RegExp): number => {
      const err = formatError(() => readPcapng(b, { file: 'x.pcapng' }));
      expect(err.message).toMatch(msg);
      return err.offset;
    };
    const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset);
    expect(at(new Uint8Array(0), /empty file/)).toBe(0);
    expect(at(good.subarray(0, 70), /block header needs 12 bytes|block total length/)).toBe(64);
    const bom = good.slice();
    bom[8] = 0;
    expect(at(bom, /bad byte-order magic/)).toBe(8);
    const total = good.slice();
    dv(total).setUint32(64 + 4, 13, true);
    expect(at(total, /not a multiple of 4/)).toBe(68);
    const trail = good.slice();
    dv(trail).setUint32(good.length - 4, 8, true);
    expect(at(trail, /trailing block length 8 differs/)).toBe(good.length - 4);
    const ifid = good.slice();
    dv(ifid).setUint32(64 + 8, 3, true);
    expect(at(ifid, /names interface 3, the section has 1/)).toBe(72);
    const cap = good.slice();
    dv(cap).setUint32(64 + 20, 17, true);
    dv(cap).setUint32(64 + 24, 17, true);
    expect(at(cap, /captured length 17 exceeds interface 0's snaplen 16/)).toBe(64);
    expect(formatError(() => readCapture(writePcap([]).subarray(0, 3))).offset).toBe(0);
  });

  test('fuzz: mutated files read or fail with CaptureFormatError, never anything else', () => {
    const base: CapturePacket[] = [
      { interfaceId: 0, tsNs: 10n, origLen: 60, data: eth().ipv4({ src: '1.2.3.4', dst: '5.6.7.8' }).udp().payload('x').build() },
      { interfaceId: 1, tsNs: 20n, origLen: 43, data: eth().ipv4({ src: '1.2.3.4', dst: '5.6.7.8' }).tcp().build() },
    ];
    const files = [
      writePcap(base, { nanos: true }),
      writePcap(base, { byteOrder: 'be' }),
      writePcapng(base, { interfaces: [{ linkType: 1 }, { linkType: 101, tsresol: 9 }] }),
      writePcapng(base, { interfaces: [{ linkType: 1 }, { linkType: 1 }], byteOrder: 'be', simple: true }),
    ];
    fc.assert(
      fc.property(fc.constantFrom(...files), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }), fc.nat(), (file, edits, cut) => {
        const b = file.slice(0, 1 + (cut % file.length));
        for (const [i, v] of edits) b[i % b.length] = v;
        try {
          const c = readCapture(b, { maxPackets: 100 });
          for (const p of c.packets) expect(p.data.length).toBeLessThanOrEqual(262144);
        } catch (e) {
          expect(e).toBeInstanceOf(CaptureFormatError);
        }
      }),
      { seed: 1307, numRuns: 5000 },
    );
  });
});
