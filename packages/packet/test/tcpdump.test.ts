/**
 * tcpdump as the judge: pcaps written here are read with `tcpdump -r -nn -vv -e`, and what it
 * prints (addresses, ports, flags, VLAN tags, tunnels, checksum verdicts) must match our parse.
 * Skipped where tcpdump is not installed.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import { buildPacket, eth, parsePacket, tcpFlagsText, writePcap, writePcapng, type Layer, type ParsedPacket } from '@bpfsim/packet';
import { frame } from './gen';

const hasTcpdump = spawnSync('tcpdump', ['--version']).status === 0;

function tcpdump(file: Uint8Array, args: string[] = []): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-packet-'));
  try {
    const f = path.join(dir, 'in.cap');
    fs.writeFileSync(f, file);
    const r = spawnSync('tcpdump', ['-r', f, '-nn', '-vv', '-e', '-tt', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(r.status).toBe(0);
    // One record per packet: each starts with its timestamp; inner frames (VXLAN) start with a MAC.
    return r.stdout.split(/^(?=\d+\.\d{6,9} )/m).filter((s) => s.trim() !== '');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** What tcpdump must print for a packet we parsed, and what it must not. */
function expectations(p: ParsedPacket): { has: string[]; hasNot: string[] } {
  const has: string[] = [];
  let afterFrag = false;
  let afterExt = false;
  let quoted: 'icmp' | 'icmpv6' | null = null;
  let ip: { src: string; dst: string } | undefined;
  p.layers.forEach((l, i) => {
    const next = p.layers[i + 1];
    if (quoted === 'icmpv6') return; // tcpdump does not print the packet an ICMPv6 error quotes
    switch (l.kind) {
      case 'vlan':
        has.push(`vlan ${l.vid}, p ${l.pcp}`);
        break;
      case 'ipv4':
      case 'ipv6':
        ip = { src: l.src, dst: l.dst };
        afterExt = false;
        if (next?.kind !== 'tcp' && next?.kind !== 'udp' && !next?.kind.startsWith('ipv6-')) has.push(`${l.src} > ${l.dst}`);
        break;
      case 'ipv6-frag':
        afterFrag = true;
        afterExt = true;
        break;
      case 'ipv6-hop':
      case 'ipv6-dst':
        afterExt = true;
        if (i === 2 || p.layers[i - 1].kind === 'ipv6') has.push(`${ip!.src} > ${ip!.dst}: ${l.kind === 'ipv6-hop' ? 'HBH' : 'DSTOPT'}`);
        break;
      case 'tcp':
        // After extension headers tcpdump prints the addresses before them, the ports here.
        has.push(`${afterExt ? '' : `${ip!.src}.`}${l.sport} > ${afterExt ? '' : `${ip!.dst}.`}${l.dport}: Flags [${tcpFlagsText(l.flags)}]`);
        if (!afterFrag && !quoted) has.push(`cksum 0x${l.checksum.toString(16).padStart(4, '0')} (correct)`);
        break;
      case 'udp':
        has.push(`${afterExt ? '' : `${ip!.src}.`}${l.sport} > ${afterExt ? '' : `${ip!.dst}.`}${l.dport}:`);
        if (!afterFrag && !quoted) has.push(`${afterExt ? '' : `${ip!.src}.`}${l.sport} > ${afterExt ? '' : `${ip!.dst}.`}${l.dport}: [udp sum ok]`);
        break;
      case 'icmp':
        if (l.id !== undefined) has.push(`ICMP echo request, id ${l.id}, seq ${l.seq}`);
        else if (next?.kind === 'ipv4') {
          const u = p.layers[i + 2];
          has.push(`ICMP ${next.dst} udp port ${u?.kind === 'udp' ? u.dport : '?'} unreachable`);
        }
        quoted = 'icmp';
        break;
      case 'icmpv6':
        if (!afterFrag) has.push('[icmp6 sum ok]');
        if (l.id !== undefined) has.push(`ICMP6, echo request, id ${l.id}, seq ${l.seq}`);
        else {
          has.push('ICMP6, destination unreachable, unreachable address');
          quoted = 'icmpv6';
        }
        break;
      case 'gre':
        has.push(`GREv0, Flags [checksum present${l.key !== undefined ? ', key present' : ''}]`);
        if (l.key !== undefined) has.push(`key=0x${l.key.toString(16)}`);
        break;
      case 'vxlan':
        has.push(`VXLAN, flags [I] (0x08), vni ${l.vni}`);
        break;
      case 'arp':
        has.push(l.op === 1 ? `Request who-has ${l.tpa} (${l.tha}) tell ${l.spa}` : `Reply ${l.spa} is-at ${l.sha}`);
        break;
    }
  });
  return { has, hasNot: ['bad cksum', 'incorrect', 'bad udp cksum', 'wrong icmp cksum', '[|tcp]', '[|udp]', '[|ip6]', '[|hbhopt]', '[|dstopt]', '[|gre]', '[|vxlan]'] };
}

(hasTcpdump ? describe : describe.skip)('tcpdump reads what we write', () => {
  const layerSets = fc.sample(frame, { seed: 1308, numRuns: 600 });
  const packets = layerSets.map((ls) => buildPacket(ls));

  test('600 generated frames: addresses, ports, flags, tags, tunnels and good checksums as tcpdump sees them', () => {
    const records = tcpdump(writePcap(packets.map((data, i) => ({ tsNs: BigInt(i) * 1000n, data }))));
    expect(records.length).toBe(packets.length);
    let checks = 0;
    packets.forEach((b, i) => {
      const { has, hasNot } = expectations(parsePacket(b));
      for (const s of has) {
        if (!records[i].includes(s)) throw new Error(`packet ${i}: tcpdump does not say '${s}':\n${records[i]}`);
        checks++;
      }
      for (const s of hasNot) if (records[i].includes(s)) throw new Error(`packet ${i}: tcpdump says '${s}':\n${records[i]}`);
    });
    expect(checks).toBeGreaterThan(1800);
  });

  test('checksums broken on purpose are reported bad by tcpdump', () => {
    const cases: Array<[Layer['kind'], string]> = [
      ['ipv4', 'bad cksum'],
      ['tcp', '(incorrect ->'],
      ['udp', 'bad udp cksum'],
      ['icmp', 'wrong icmp cksum'],
      ['icmpv6', 'bad icmp6 cksum'],
    ];
    const bad: Uint8Array[] = [];
    const want: string[] = [];
    for (const ls of layerSets) {
      const p = parsePacket(buildPacket(ls));
      if (p.layers.some((l) => l.kind === 'ipv6-frag')) continue; // tcpdump checks no checksum behind a fragment header
      // Rotate through the kinds so each one is tried; the outermost layer of that kind.
      // Nothing inside an ICMP error's quote: tcpdump does not check the quoted packet's sums.
      const q = p.layers.findIndex((l) => l.kind === 'icmp' || l.kind === 'icmpv6');
      const ok = (j: number): boolean => j >= 0 && (q < 0 || j <= q);
      const prefer = cases[bad.length % cases.length][0];
      const pi = p.layers.findIndex((l) => l.kind === prefer);
      const i = ok(pi) ? pi : p.layers.findIndex((l) => cases.some(([k]) => k === l.kind));
      if (i < 0) continue;
      const l = p.layers[i] as { checksum: number };
      const tweaked = ls.map((x, j) => (j === i ? ({ ...x, checksum: (l.checksum + 1) % 0xffff || 1 } as Layer) : x));
      bad.push(buildPacket(tweaked));
      want.push(cases.find(([k]) => k === p.layers[i].kind)![1]);
    }
    const records = tcpdump(writePcap(bad.map((data, i) => ({ tsNs: BigInt(i), data }))));
    expect(records.length).toBe(bad.length);
    records.forEach((r, i) => {
      if (!r.includes(want[i])) throw new Error(`packet ${i}: tcpdump does not say '${want[i]}':\n${r}`);
    });
    expect(new Set(want).size).toBe(cases.length);
  });

  test('IPv6 routing headers: upper-layer checksums use the final destination (types 0, 2, 4)', () => {
    const a = Array.from({ length: 16 }, (_, i) => i + 1);
    const v6 = eth().ipv6({ src: 'fe80::1', dst: 'fe80::2' });
    const pk = [
      v6.route({ routingType: 0, segmentsLeft: 1, data: [0, 0, 0, 0, ...a] }).tcp({ flags: 'S' }).build(),
      v6.route({ routingType: 4, segmentsLeft: 1, data: [0, 0, 0, 0, ...a, ...a.map((x) => x + 16)] }).udp({ dport: 9 }).payload('x').build(),
      v6.route({ routingType: 2, segmentsLeft: 1, data: [0, 0, 0, 0, ...a] }).udp({ dport: 9 }).payload('x').build(),
    ];
    for (const b of pk) expect((parsePacket(b).layers[3] as { checksumOk?: boolean }).checksumOk).toBe(true);
    const recs = tcpdump(writePcap(pk.map((data) => ({ tsNs: 0n, data }))));
    expect(recs[0]).toContain('type=0 [Deprecated], segleft=1');
    expect(recs[0]).toContain('12345 > 80: Flags [S], cksum 0x');
    expect(recs[0]).toContain('(correct)');
    expect(recs[1]).toMatch(/type=4, segleft=1.*12345 > 9: \[udp sum ok\]/s);
    expect(recs[2]).toMatch(/type=2, segleft=1.*12345 > 9: \[udp sum ok\]/s);
  });

  test('byte orders, nanosecond magic and pcapng all read with the same timestamps', () => {
    const pk = packets.slice(0, 20).map((data, i) => ({ tsNs: 1_700_000_000_123_456_789n + BigInt(i) * 1_000_001n, data }));
    const want = pk.map((p) => `${p.tsNs / 1_000_000_000n}.${(p.tsNs % 1_000_000_000n).toString().padStart(9, '0')}`);
    const us = want.map((w) => w.slice(0, -3) + '000');
    const ts = (recs: string[]) => recs.map((r) => r.split(' ')[0]);
    expect(ts(tcpdump(writePcap(pk, { nanos: true, byteOrder: 'be' }), ['--nano']))).toEqual(want);
    expect(ts(tcpdump(writePcap(pk, { byteOrder: 'be' }), ['--nano']))).toEqual(us);
    expect(ts(tcpdump(writePcapng(pk, { interfaces: [{ linkType: 1, tsresol: 9 }] }), ['--nano']))).toEqual(want);
    expect(ts(tcpdump(writePcapng(pk, { interfaces: [{ linkType: 1 }], byteOrder: 'be' }), ['--nano']))).toEqual(us);
    // Raw IP and Linux cooked link types.
    const raw = tcpdump(writePcap([{ tsNs: 0n, data: buildPacket([{ kind: 'ipv4', src: '10.1.2.3', dst: '10.3.2.1' }, { kind: 'udp', sport: 7, dport: 9 }]) }], { linkType: 101 }));
    expect(raw[0]).toContain('10.1.2.3.7 > 10.3.2.1.9: [udp sum ok]');
    const sll = tcpdump(writePcap([{ tsNs: 0n, data: buildPacket([{ kind: 'sll', pkttype: 4, addr: '02:00:00:00:00:09' }, { kind: 'ipv4', src: '10.1.2.3', dst: '10.3.2.1' }, { kind: 'tcp', flags: 'S' }]) }], { linkType: 113 }));
    const sll2 = tcpdump(writePcap([{ tsNs: 0n, data: buildPacket([{ kind: 'sll2', ifindex: 7, pkttype: 4, addr: '02:00:00:00:00:09' }, { kind: 'ipv6', src: 'fe80::1', dst: 'fe80::2' }, { kind: 'udp', sport: 7, dport: 9 }]) }], { linkType: 276 }));
    expect(sll2[0]).toMatch(/Out ifindex 7 02:00:00:00:00:09 ethertype IPv6 .*fe80::1\.7 > fe80::2\.9: \[udp sum ok\]/s);
    expect(sll[0]).toMatch(/Out 02:00:00:00:00:09 .*10\.1\.2\.3\.12345 > 10\.3\.2\.1\.80: Flags \[S\], cksum 0x[0-9a-f]+ \(correct\)/s);
  });
});
