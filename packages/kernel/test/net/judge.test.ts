/**
 * The real kernel judges the packet path: the project's XDP and tc programs
 * on a veth pair between two network namespaces (tools/netns-judge), the same
 * generated packets through bpfsim's network of the same shape, and the
 * answers compared packet by packet (what arrived on which side, byte for
 * byte, and whether the send failed) and map by map. The real runs are on the
 * kernel tape: `BPFSIM_KERNEL=record npx jest packages/kernel/test/net/judge.test.ts`
 * records them; the plain run replays. BPFSIM_JUDGE_PACKETS=N raises the count per case (a campaign).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Kernel, Network, type LoadedObject, type NetDevice } from '@bpfsim/kernel';
import { generatePackets, isMarker, marker } from './gen-packets';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const tape = require('../../../../tools/oracle/tape');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { judge } = require('../../../../tools/netns-judge');

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const MACS = ['02:00:00:00:00:0a', '02:00:00:00:00:0b', '02:00:00:00:00:0c', '02:00:00:00:00:0d'];
const PER_CASE = Number(process.env.BPFSIM_JUDGE_PACKETS || 250);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const u32 = (n: number): string => hex(new Uint8Array(new Uint32Array([n >>> 0]).buffer));

interface Update { map: string; key: string; value: string }
interface Case {
  name: string;
  file: string;
  section: string;
  program: string;
  hook: 'xdp' | 'xdp-native' | 'tc-egress' | 'tc-ingress';
  pairs?: 1 | 2;
  updates?: Update[];
  dump: string[];
  seed: number;
  /** Destination ports the generated packets favour (the program's interesting ones). */
  ports?: number[];
}

interface Answer {
  ifindex: Record<string, number>;
  results: { sendErr: number; a: string[]; b: string[]; c: string[] }[];
  maps: Record<string, [string, string][]>;
  /** tc-ingress: packets clsact dropped. */
  tcDrops?: number;
}

const CASES: Case[] = [
  {
    name: 'xdp_firewall (scenarios/xdp-firewall) with ports 22 and 8080 blocked', file: 'scenarios/xdp-firewall/xdp_firewall.bpf.o', section: 'xdp',
    program: 'xdp_firewall', hook: 'xdp', seed: 1, ports: [22, 8080, 80, 53], dump: ['stats', 'blocked_ports'],
    updates: [{ map: 'blocked_ports', key: '1600', value: '01' }, { map: 'blocked_ports', key: '901f', value: '01' }],
  },
  { name: 'xdp_drop_icmp (corpus)', file: 'corpus/xdp_drop_icmp.bpf.o', section: 'xdp', program: 'xdp_drop_icmp', hook: 'xdp', seed: 2, dump: [] },
  { name: 'xdp_udp_echo (corpus/xdp_rewrite): XDP_TX reflection', file: 'corpus/xdp_rewrite.bpf.o', section: 'xdp', program: 'xdp_udp_echo', hook: 'xdp', seed: 3, ports: [7, 7, 9], dump: [] },
  { name: 'xdp_count_array (corpus/xdp_counters)', file: 'corpus/xdp_counters.bpf.o', section: 'xdp', program: 'xdp_count_array', hook: 'xdp', seed: 4, dump: ['stats_array'] },
  { name: 'tc_classify (scenarios/tc-classifier) at veth1 egress', file: 'scenarios/tc-classifier/tc_classifier.bpf.o', section: 'tc', program: 'tc_classify', hook: 'tc-egress', seed: 5, dump: ['class_bytes'] },
  { name: 'tc_drop_telnet (corpus/tc_drop) at veth1 egress', file: 'corpus/tc_drop.bpf.o', section: 'tc', program: 'tc_drop_telnet', hook: 'tc-egress', seed: 6, ports: [23, 22], dump: ['dropped'] },
  {
    name: 'tc_drop_telnet (corpus/tc_drop) at veth0 ingress (verdicts through the qdisc drop count and the map)', file: 'corpus/tc_drop.bpf.o',
    section: 'tc', program: 'tc_drop_telnet', hook: 'tc-ingress', seed: 9, ports: [23, 80], dump: ['dropped'],
  },
  {
    name: 'redirect between two veth pairs: devmap (UDP) and bpf_redirect (TCP) from veth0 to veth2', file: 'packages/kernel/test/net/fixtures/xdp_devmap.bpf.o',
    section: 'xdp', program: 'xdp_devmap', hook: 'xdp', pairs: 2, seed: 7, dump: ['ports', 'cfg'],
    updates: [
      { map: 'ports', key: u32(0), value: u32(3) }, { map: 'cfg', key: u32(0), value: u32(0) }, { map: 'cfg', key: u32(2), value: u32(3) },
    ],
  },
  {
    name: 'native XDP on veth (xdpdrv): XDP_TX to a peer without a NAPI ring is lost', file: 'corpus/xdp_rewrite.bpf.o', section: 'xdp',
    program: 'xdp_udp_echo', hook: 'xdp-native', seed: 10, ports: [7, 7, 9], dump: [],
  },
  {
    name: 'native XDP on veth (xdpdrv): devmap and ifindex redirects to a veth whose peer has no NAPI ring are lost',
    file: 'packages/kernel/test/net/fixtures/xdp_devmap.bpf.o', section: 'xdp', program: 'xdp_devmap', hook: 'xdp-native', pairs: 2, seed: 11, dump: ['ports'],
    updates: [{ map: 'ports', key: u32(0), value: u32(3) }, { map: 'cfg', key: u32(2), value: u32(3) }],
  },
  {
    name: 'devmap broadcast to both pairs, and broadcast excluding the ingress device', file: 'packages/kernel/test/net/fixtures/xdp_devmap.bpf.o',
    section: 'xdp', program: 'xdp_devmap', hook: 'xdp', pairs: 2, seed: 8, dump: ['ports'],
    updates: [
      { map: 'ports', key: u32(0), value: u32(2) }, { map: 'ports', key: u32(1), value: u32(3) },
      { map: 'cfg', key: u32(1), value: u32(8 | 16) }, { map: 'cfg', key: u32(2), value: u32(2) },
    ],
  },
];

/** bpfsim's side: the same namespaces, devices, program, updates and sends. */
function simulate(c: Case, obj: Uint8Array, packets: Uint8Array[]): Answer {
  const k = new Kernel({ seed: `judge-${c.seed}` });
  const net = new Network(k);
  // The maps' ifindexes resolve in the program's namespace: build it as the network's initial one.
  const a = net.init, b = net.createNs('b');
  const [veth0, veth1] = net.addVeth(a, 'veth0', b, 'veth1', { mac: MACS[0], peerMac: MACS[1] });
  let veth3: NetDevice | undefined;
  const ifindex: Record<string, number> = { veth0: veth0.ifindex, veth1: veth1.ifindex };
  if (c.pairs === 2) {
    const [veth2, v3] = net.addVeth(a, 'veth2', net.createNs('c'), 'veth3', { mac: MACS[2], peerMac: MACS[3] });
    veth3 = v3;
    Object.assign(ifindex, { veth2: veth2.ifindex, veth3: v3.ifindex });
  }
  const loaded: LoadedObject = k.loadObject(obj, { file: c.file });
  const prog = loaded.program(c.program);
  if (c.hook === 'xdp') veth0.attachXdp(prog, 2 /* XDP_FLAGS_SKB_MODE: xdpgeneric */);
  else if (c.hook === 'xdp-native') veth0.attachXdp(prog, 4 /* XDP_FLAGS_DRV_MODE: xdpdrv */);
  else if (c.hook === 'tc-egress') veth1.attachTc('egress', prog);
  else veth0.attachTc('ingress', prog);
  // The judge's packet sockets are taps: they see what arrives before tc ingress.
  for (const d of [veth0, veth1, veth3]) d?.startCapture();
  let seen = [0, 0, 0];
  for (const u of c.updates ?? []) loaded.map(u.map).update(Buffer.from(u.key, 'hex'), Buffer.from(u.value, 'hex'));
  const take = (d: NetDevice | undefined, i: number): string[] => {
    if (!d) return [];
    const fresh = d.captured.slice(seen[i]);
    seen[i] = d.captured.length;
    return fresh.filter((p) => p.dir === 'in' && !isMarker(p.data)).map((p) => hex(p.data));
  };
  const results = packets.map((p, seq) => {
    const before = k.trace.records.length;
    veth1.transmit(p);
    // dev_queue_xmit returns NET_XMIT_DROP only for a tc egress drop; the packet socket reports ENOBUFS.
    const shot = (k.trace.records.slice(before) as unknown as { kind: string; event?: string; reason?: string }[])
      .some((r) => r.kind === 'net' && r.event === 'drop' && r.reason === 'tc_egress');
    const sendErr = shot ? 105 /* ENOBUFS */ : 0;
    veth1.transmit(marker(MACS[0], MACS[1], seq));
    const r = { sendErr, a: take(veth0, 0), b: take(veth1, 1), c: take(veth3, 2) };
    seen = [veth0.captured.length, veth1.captured.length, veth3?.captured.length ?? 0];
    return r;
  });
  const tcDrops = (k.trace.records as unknown as { kind: string; event?: string; reason?: string }[])
    .filter((r) => r.kind === 'net' && r.event === 'drop' && r.reason === 'tc_ingress').length;
  const maps: Record<string, [string, string][]> = {};
  for (const name of c.dump) {
    const m = loaded.map(name);
    // As bpftool dumps: keys whose lookup fails (an empty devmap slot) are left out.
    maps[name] = m.keys().flatMap((key): [string, string][] => {
      const v = m.lookup(key);
      return v ? [[hex(key), hex(v)]] : [];
    }).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  }
  return { ifindex, results, maps, ...(c.hook === 'tc-ingress' ? { tcDrops } : {}) };
}

describe('the packet path against the real kernel (veth pairs between network namespaces)', () => {
  test.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const obj = fs.readFileSync(path.join(ROOT, c.file));
    const packets = generatePackets(c.seed, PER_CASE, { dst: MACS[0], src: MACS[1], ports: c.ports });
    const question = {
      object: obj.toString('hex'), section: c.section, hook: c.hook, macs: MACS, pairs: c.pairs ?? 1,
      packets: packets.map(hex), updates: c.updates ?? [], dump: c.dump, cpu: 0,
    };
    const real: Answer = tape.ask('netns.judge', question, () => judge(question));
    const sim = simulate(c, obj, packets);
    expect(sim.ifindex).toEqual(real.ifindex);
    const diffs: string[] = [];
    real.results.forEach((r, i) => {
      const s = sim.results[i];
      const want = JSON.stringify({ sendErr: r.sendErr, a: r.a, b: r.b, c: r.c });
      const got = JSON.stringify(s);
      if (want !== got) diffs.push(`packet ${i} ${hex(packets[i]).slice(0, 80)}: kernel ${want.slice(0, 300)} bpfsim ${got.slice(0, 300)}`);
    });
    expect(diffs.slice(0, 5)).toEqual([]);
    expect(sim.results).toHaveLength(packets.length);
    expect(real.results).toHaveLength(packets.length);
    const realMaps = Object.fromEntries(c.dump.map((n) => [n, real.maps[n.slice(0, 15)]]));
    expect(sim.maps).toEqual(realMaps);
    expect(sim.tcDrops).toEqual(real.tcDrops);
    // Each case exercises more than one outcome (else it would judge little).
    const outcomes = new Set(sim.results.map((r) => `${r.sendErr}:${r.a.length}:${r.b.length}:${r.c.length}`));
    expect(outcomes.size + (sim.tcDrops ? 1 : 0)).toBeGreaterThan(1);
    if (process.env.BPFSIM_JUDGE_REPORT) {
      const tally: Record<string, number> = {};
      for (const r of sim.results) {
        const k = r.sendErr ? 'tc-dropped' : r.a.length ? 'delivered' : r.b.length ? 'reflected' : r.c.length ? 'redirected' : 'dropped';
        tally[k] = (tally[k] ?? 0) + 1;
      }
      console.log(`${c.name}: ${packets.length} packets ${JSON.stringify(tally)} tc ingress drops ${sim.tcDrops ?? '-'}`);
    }
  });
});
