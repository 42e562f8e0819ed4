/** One-line summaries for timelines. */
import { eth, ipv6, parsePacket, summarize, packetFromExpr } from '@bpfsim/packet';

const line = (b: Uint8Array, link?: 'ipv4' | 'ipv6'): string => summarize(parsePacket(b, link ? { link } : {}));

test.each([
  [eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }).tcp({ sport: 1234, dport: 80, flags: 'S' }).payload('hi').build(), 'IPv4 10.0.0.1:1234 → 10.0.0.2:80 TCP [S] len=2'],
  [eth().vlan({ vid: 100 }).vlan({ vid: 10, pcp: 5 }).ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }).udp({ sport: 5, dport: 6 }).build(), 'vlan 100 vlan 10 p 5 IPv4 10.0.0.1:5 → 10.0.0.2:6 UDP len=0'],
  [
    eth().ipv6({ src: 'fe80::1', dst: 'fe80::2' }).hop().frag({ id: 7, offset: 0, m: 1 }).udp({ sport: 5, dport: 6 }).payload('abc').build(),
    'IPv6 [fe80::1]:5 → [fe80::2]:6 UDP len=3 [hop] [frag id=7 off=0+]',
  ],
  [eth().ipv6({ src: 'fe80::1', dst: 'fe80::2' }).frag({ id: 7, offset: 100 }).payload('abc').build(), 'IPv6 fe80::1 → fe80::2 proto 44 len=11 [frag id=7 off=800]'],
  [eth().ipv4({ src: '1.1.1.1', dst: '2.2.2.2', flags: 'MF', id: 9 }).ipv4({ src: '3.3.3.3', dst: '4.4.4.4' }).icmp({ id: 1, seq: 2 }).build(), 'IPv4 1.1.1.1 → 2.2.2.2 [frag id=9 off=0+] / IPv4 3.3.3.3 → 4.4.4.4 ICMP echo request id=1 seq=2'],
  [eth().arp({ op: 'request', spa: '10.0.0.1', tpa: '10.0.0.2' }).build(), 'ARP who-has 10.0.0.2 tell 10.0.0.1'],
  [eth().arp({ op: 'reply', spa: '10.0.0.2', sha: '02:00:00:00:00:09' }).build(), 'ARP reply 10.0.0.2 is-at 02:00:00:00:00:09'],
  [
    packetFromExpr('eth()/ipv4(src=10.0.0.2,dst=10.0.0.1)/icmp(type=unreach,code=3)/ipv4(src=10.0.0.1,dst=10.0.0.2,totalLength=100)/udp(sport=1,dport=2,length=80)'),
    'IPv4 10.0.0.2 → 10.0.0.1 ICMP unreach code=3 / IPv4 10.0.0.1:1 → 10.0.0.2:2 UDP len=0',
  ],
  [packetFromExpr('eth()/ipv4(src=1.1.1.1,dst=2.2.2.2)/gre(key=3)/eth()/ipv6(src=::1,dst=::2)/icmpv6(type=echo-reply,id=4,seq=5)'), 'IPv4 1.1.1.1 → 2.2.2.2 GRE key=3 / IPv6 ::1 → ::2 ICMPv6 echo reply id=4 seq=5'],
  [packetFromExpr('eth()/ipv4(src=1.1.1.1,dst=2.2.2.2,checksum=1)/udp(checksum=7)/vxlan(vni=9)/eth(src=02:00:00:00:00:03,dst=02:00:00:00:00:04,type=0x88cc)'), 'IPv4 1.1.1.1:12345 → 2.2.2.2:4789 UDP [bad cksum] len=22 [bad ip cksum] VXLAN vni=9 / ether 02:00:00:00:00:03 > 02:00:00:00:00:04 type 0x88cc'],
  [eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }).tcp({ flags: 'SA' }).build().subarray(0, 40), 'IPv4 10.0.0.1 → 10.0.0.2 proto 6 len=6 [stopped at tcp @34: TCP header needs 20 bytes, 6 present]'],
])('%#: %s', (bytes, want) => {
  expect(line(bytes)).toBe(want);
});

test('raw IPv6 link', () => {
  expect(line(ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }).tcp({ sport: 1, dport: 2, flags: 'FPA' }).build(), 'ipv6')).toBe('IPv6 [2001:db8::1]:1 → [2001:db8::2]:2 TCP [FP.] len=0');
});
