/**
 * The network vocabulary of scenarios: `network:` (namespaces, veth, addresses,
 * iptables, XDP), `packet` and `flow` events (bytes, packet expressions, pcap
 * files), and the capture / device / iptables expectations — each checked to
 * pass when the behaviour holds and to fail, with a clear message, when not.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writePcap, packetFromExpr } from '@bpfsim/packet';
import { netOf, parseScenarioText, replayLoaded, ScenarioError, type ReplayResult } from '@bpfsim/scenario';

const repoRoot = path.resolve(__dirname, '../../..');
const XDP_OBJ = path.join(repoRoot, 'scenarios/learn/07-xdp/xdp.bpf.o');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-net-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(text: string): ReplayResult {
  const f = path.join(tmp, 's.yaml');
  fs.writeFileSync(f, text);
  return replayLoaded(parseScenarioText(text, f, { allowPaths: [repoRoot] }));
}

const PING = 'eth(src=02:00:00:00:00:0a,dst=02:00:00:00:00:0b)/ipv4(src=10.0.0.1,dst=10.0.0.2)/icmp(type=8,id=1,seq=1)/payload("ping")';
const DISCARD = 'eth(src=02:00:00:00:00:0a,dst=02:00:00:00:00:0b)/ipv4(src=10.0.0.1,dst=10.0.0.2)/udp(sport=5353,dport=9)/payload("x")';
const DNS = 'eth(src=02:00:00:00:00:0a,dst=02:00:00:00:00:0b)/ipv4(src=10.0.0.1,dst=10.0.0.2)/udp(sport=5353,dport=53)/payload("x")';

const BASE = `bpfsim: 2
seed: 1
programs:
  - name: pong
    object: ${XDP_OBJ}
    program: xdp_pong
network:
  namespaces: [a, b]
  veth:
    - { name: veth0, ns: a, peer: veth1, peer_ns: b, mac: "02:00:00:00:00:0a", peer_mac: "02:00:00:00:00:0b" }
  addresses:
    - { device: veth0, ns: a, addr: 10.0.0.1/24 }
    - { device: veth1, ns: b, addr: 10.0.0.2/24 }
  xdp:
    - { device: veth1, ns: b, program: pong, mode: generic }
`;

describe('network scenarios', () => {
  test('XDP_TX reflection: a ping sent from a comes back as the reply, captured on both sides', () => {
    const r = run(`${BASE}events:
  - packet: { device: veth0, ns: a, from: host, build: '${PING}' }
  - packet: { device: veth0, ns: a, from: host, build: '${DISCARD}' }
expect:
  - capture: { device: veth0, ns: a, packets: [{ contains: "10.0.0.1 → 10.0.0.2" }, { contains: "10.0.0.2 → 10.0.0.1" }, { contains: "10.0.0.1" }] }
  - capture: { device: veth0, ns: a, dir: in, count: 1, packets: [{ regex: "^in .*ICMP echo reply" }] }
  - device: { device: veth1, ns: b, rx_packets: 2, rx_dropped: 1, tx_packets: 1 }
`);
    expect(r.expectations.filter((x) => !x.pass)).toEqual([]);
    expect(r.passed).toBe(true);
    const ev = r.trace.filter((e) => e.ev >= 0);
    expect(ev[0].outcome).toMatchObject({ kind: 'packet', ns: 'a', device: 'veth0', from: 'host', packets: 1 });
    expect(ev[0].effects.some((x) => (x as { kind: string; event?: string; reason?: string }).event === 'xdp' && (x as { reason: string }).reason === 'XDP_TX')).toBe(true);
  });

  test('a failing capture expectation says what was expected and what the device saw', () => {
    const r = run(`${BASE}events:
  - packet: { device: veth0, ns: a, from: host, build: '${DISCARD}' }
expect:
  - capture: { device: veth0, ns: a, dir: in, count: 1 }
  - device: { device: veth1, ns: b, rx_dropped: 0 }
`);
    expect(r.passed).toBe(false);
    expect(r.expectations[0].diff).toEqual(['- expected: 1', '+ actual:   0']);
    expect(r.expectations[1]).toMatchObject({ pass: false, what: 'device b/veth1 rx_dropped', diff: ['- expected: 0', '+ actual:   1'] });
  });

  test('a flow is deterministic, paced at its rate when the path keeps up, and counts drops by reason', () => {
    const text = `${BASE}events:
  - flow: { device: veth0, ns: a, from: host, build: '${DISCARD}', count: 500, rate: 1000 }
  - flow: { device: veth0, ns: a, from: host, build: '${DNS}', count: 300, rate: 1000000000, trace: 0 }
`;
    const a = run(text), b = run(text);
    expect(Buffer.from(a.traceBytes).equals(Buffer.from(b.traceBytes))).toBe(true);
    const [slow, fast] = a.trace.filter((e) => e.ev >= 0).map((e) => e.outcome);
    expect(slow).toMatchObject({ kind: 'flow', count: 500, traced: 2, drops: 'xdp_drop=500' });
    // 1000 per second: the last packet is due at 499 ms; the flood at 10⁹/s is limited by the path's cost.
    expect(BigInt(slow.end as string) - BigInt(a.trace[0].t)).toBeGreaterThanOrEqual(499_000_000n);
    expect(Number(fast.pps_one_cpu)).toBeGreaterThan(0);
    expect(BigInt(fast.busy_ns as string)).toBe(BigInt(fast.ns_per_packet as string) * 300n + BigInt(fast.busy_ns as string) % 300n);
    expect(fast.drops).toBe('');
    // Only the first two packets of the first flow left records in the trace.
    const runs = a.trace.flatMap((e) => e.effects).filter((x) => (x as { kind: string }).kind === 'prog_run');
    expect(runs).toHaveLength(2);
  });

  test('iptables from iptables-save text: counters visible as iptables-save -c prints them; a pcap file as traffic', () => {
    const frames = [packetFromExpr(DNS), packetFromExpr(DISCARD.replace('dport=9', 'dport=99'))];
    fs.writeFileSync(path.join(tmp, 'two.pcap'), writePcap(frames.map((data, i) => ({ tsNs: BigInt(i), data }))));
    const r = run(`${BASE}  iptables:
    - ns: b
      rules: |
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        -A INPUT -p udp --dport 53 -j DROP
        COMMIT
events:
  - packet: { device: veth1, ns: b, pcap: two.pcap }
expect:
  - iptables: { ns: b, save: { contains: "[1:29] -A INPUT -p udp -m udp --dport 53 -j DROP" } }
  - iptables: { ns: b, save: { contains: ":INPUT ACCEPT [1:29]" } }
`);
    expect(r.expectations.filter((x) => !x.pass)).toEqual([]);
  });

  test('routes and forwarding: a router namespace forwards between two others, its FORWARD chain filters', () => {
    fs.writeFileSync(path.join(tmp, 'router.rules'), '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -i veth1 -o veth2 -p udp --dport 9 -j DROP\nCOMMIT\n');
    const frame = (dport: number): string => `eth(src=02:00:00:00:00:0a,dst=02:00:00:00:00:1a)/ipv4(src=10.0.1.1,dst=10.0.2.1,ttl=64)/udp(sport=4000,dport=${dport})/payload("x")`;
    const r = run(`bpfsim: 2
network:
  namespaces: [a, r, c]
  veth:
    - { name: veth0, ns: a, peer: veth1, peer_ns: r, mac: "02:00:00:00:00:0a", peer_mac: "02:00:00:00:00:1a" }
    - { name: veth2, ns: r, peer: veth3, peer_ns: c }
  addresses:
    - { device: veth0, ns: a, addr: 10.0.1.1/24 }
    - { device: veth1, ns: r, addr: 10.0.1.254/24 }
    - { device: veth2, ns: r, addr: 10.0.2.254/24 }
    - { device: veth3, ns: c, addr: 10.0.2.1/24 }
  routes:
    - { ns: a, dst: default, via: 10.0.1.254, device: veth0 }
    - { ns: c, dst: default, via: 10.0.2.254 }
  forwarding: [r]
  iptables:
    - { ns: r, file: router.rules }
events:
  - packet: { device: veth0, ns: a, from: host, build: '${frame(53)}' }
  - packet: { device: veth0, ns: a, from: host, build: '${frame(9)}' }
expect:
  - iptables: { ns: r, save: { contains: "[1:29] -A FORWARD -i veth1 -o veth2 -p udp -m udp --dport 9 -j DROP" } }
  - iptables: { ns: r, save: { contains: ":FORWARD ACCEPT [2:86]" } }
`);
    // The policy counted the UDP datagram to port 53 and c's ICMP port unreachable coming back (57 bytes).
    expect(r.expectations.filter((x) => !x.pass)).toEqual([]);
    const c = netOf(r.world).network.ns('c').device('veth3');
    const udpIn = c.captured.filter((p) => p.dir === 'in' && p.data[23] === 17);
    expect(udpIn).toHaveLength(1);
    expect(udpIn[0].data[22]).toBe(63); // one hop: TTL 64 - 1
    expect((udpIn[0].data[36] << 8) | udpIn[0].data[37]).toBe(53);
  });

  test('REJECT through the stack: the sender gets the ICMP error --reject-with names', () => {
    const r = run(`${BASE}  iptables:
    - ns: b
      rules: |
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        -A INPUT -p udp --dport 53 -j REJECT --reject-with icmp-admin-prohibited
        COMMIT
events:
  - packet: { device: veth0, ns: a, from: host, build: '${DNS}' }
expect:
  - capture: { device: veth0, ns: a, dir: in, packets: [{ contains: "ARP" }, { regex: "ICMP unreach code=13 / IPv4 10\\\\.0\\\\.0\\\\.1:5353 → 10\\\\.0\\\\.0\\\\.2:53 UDP" }] }
  - iptables: { ns: b, save: { contains: "[1:29] -A INPUT -p udp -m udp --dport 53 -j REJECT --reject-with icmp-admin-prohibited" } }
`);
    expect(r.expectations.filter((x) => !x.pass)).toEqual([]);
  });

  test('bad input gets a scenario error naming the place', () => {
    const bad = (extra: string, events = ''): string => {
      try {
        run(`${BASE}${extra}${events}`);
      } catch (e) {
        expect(e).toBeInstanceOf(ScenarioError);
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(bad('  iptables:\n    - { ns: b, rules: "*filter\\n-A INPUT -j NOPE\\nCOMMIT\\n" }\n')).toMatch(/network\.iptables\[0\].*:2:13: target 'NOPE'/);
    expect(bad('  routes:\n    - { ns: nowhere, dst: default }\n')).toMatch(/network\.routes\[0\]\.ns.*no network namespace 'nowhere'/);
    expect(bad('', 'events:\n  - packet: { device: veth9, ns: a, bytes: "00" }\n')).toMatch(/events\[0\]\.packet\.device.*no device 'veth9' in namespace 'a'/);
    expect(bad('', 'events:\n  - packet: { device: veth0, ns: a, bytes: "00 11" }\n')).toMatch(/events\[0\]\.packet.*shorter than an Ethernet header/);
    expect(bad('', 'events:\n  - packet: { device: veth0, ns: a, build: "eth()/ipv4(src=1.2.3.4)" }\n')).toMatch(/events\[0\]\.packet\.build/);
    fs.writeFileSync(path.join(tmp, 'bad.pcap'), Buffer.from('not a capture'));
    expect(bad('', 'events:\n  - packet: { device: veth0, ns: a, pcap: bad.pcap }\n')).toMatch(/events\[0\]\.packet\.pcap/);
    expect(bad('', 'events:\n  - packet: { device: veth0, ns: a }\n')).toMatch(/exactly one of 'bytes', 'build'/);
  });

  test("lesson 7's cost table in its README is the scenario's trace: ns per packet and packets/s per row", () => {
    const dir = path.join(repoRoot, 'scenarios/learn/07-xdp');
    const golden = JSON.parse(fs.readFileSync(path.join(dir, 'xdp.trace.json'), 'utf8')) as { trace: { outcome: Record<string, unknown> }[] };
    const flows = golden.trace.map((e) => e.outcome).filter((o) => o.kind === 'flow');
    const rows = fs.readFileSync(path.join(dir, 'README.md'), 'utf8').split('\n').filter((l) => /^\| .* \| \d+ \| [\d,]+ \|$/.test(l))
      .map((l) => l.split('|').map((c) => c.trim()));
    expect(rows.map((r) => [r[2], r[3].replace(/,/g, '')])).toEqual(flows.map((f) => [f.ns_per_packet, f.pps_one_cpu]));
    const doc = fs.readFileSync(path.join(repoRoot, 'docs/cost-model.md'), 'utf8');
    const docRows = doc.slice(doc.indexOf('## The cost table')).split('\n').filter((l) => /^\| .* \| \d+ \| [\d,]+ \|$/.test(l)).map((l) => l.split('|').map((c) => c.trim()));
    expect(docRows.map((r) => [r[3], r[4].replace(/,/g, '')])).toEqual(flows.map((f) => [f.ns_per_packet, f.pps_one_cpu]));
    // The claim itself: XDP sustains several times what iptables does, and every rule in front costs.
    const pps = flows.map((f) => Number(f.pps_one_cpu));
    expect(pps[0] / pps[2]).toBeGreaterThan(4);
    expect(pps[3]).toBeGreaterThan(pps[4] * 3);
  });
});
