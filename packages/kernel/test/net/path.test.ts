/**
 * The packet path in bpfsim alone: devices and namespaces, every XDP action,
 * metadata from XDP to tc, tc verdicts and priorities, redirects (ifindex,
 * devmap, broadcast, tc egress/ingress/peer), captures, and the errors of bad input.
 */
import * as fs from 'fs';
import * as path from 'path';
import { eth, parsePacket, readPcap } from '@bpfsim/packet';
import { Kernel, Network, type LoadedObject, type NetDevice, type NetTraceRecord } from '@bpfsim/kernel';

const OBJ = fs.readFileSync(path.join(__dirname, 'fixtures', 'net_progs.bpf.o'));
const CORPUS = path.join(__dirname, '..', '..', '..', '..', 'corpus');

const MAC_A = '02:00:00:00:00:0a', MAC_B = '02:00:00:00:00:0b';
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n >>> 0]).buffer);

function world(): { k: Kernel; net: Network; obj: LoadedObject; a: NetDevice; b: NetDevice } {
  const k = new Kernel({ seed: 'net' });
  const net = new Network(k);
  const nsA = net.createNs('a'), nsB = net.createNs('b');
  const [a, b] = net.addVeth(nsA, 'veth0', nsB, 'veth1', { mac: MAC_A, peerMac: MAC_B });
  const obj = k.loadObject(OBJ, { file: 'net_progs.bpf.o' });
  return { k, net, obj, a, b };
}

const udp = (dport = 9): Uint8Array =>
  eth({ src: MAC_B, dst: MAC_A }).ipv4({ src: '10.0.0.2', dst: '10.0.0.1' }).udp({ sport: 1234, dport }).payload('hello').build();

const netRecords = (k: Kernel): NetTraceRecord[] => (k.trace.records as unknown as NetTraceRecord[]).filter((r) => r.kind === 'net' || r.kind === 'net_tracepoint');

describe('namespaces and devices', () => {
  test('loopback is ifindex 1 in every namespace; veth sides take the next index of their own namespace', () => {
    const { net, a, b } = world();
    expect(net.ns('a').lo.ifindex).toBe(1);
    expect(net.ns('a').devices.map((d) => `${d.ifindex}:${d.name}`)).toEqual(['1:lo', '2:veth0']);
    expect(b.ifindex).toBe(2);
    expect(a.peer).toBe(b);
    const [c] = net.addVeth(net.ns('a'), 'veth2', net.ns('a'), 'veth3');
    expect(net.ns('a').devices.map((d) => d.ifindex)).toEqual([1, 2, 3, 4]);
    expect(c.name).toBe('veth2');
  });

  test('bad input gets typed errors', () => {
    const { net, a } = world();
    expect(() => net.createNs('a')).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(() => net.ns('a').device('nope')).toThrow(expect.objectContaining({ code: 'ENODEV' }));
    expect(() => net.addVeth(net.ns('a'), 'veth0', net.ns('b'), 'x')).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(() => net.addVeth(net.ns('a'), 'a-name-much-too-long', net.ns('b'), 'x')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => a.receive(new Uint8Array(10))).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => net.addVeth(net.ns('a'), 'v9', net.ns('b'), 'v8', { mac: 'zz' })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  test('a packet sent on one side is received and delivered on the other, and both captures see it', () => {
    const { k, a, b } = world();
    a.startCapture();
    b.startCapture();
    const p = udp();
    b.transmit(p);
    expect(a.delivered.map((d) => Buffer.from(d.data).toString('hex'))).toEqual([Buffer.from(p).toString('hex')]);
    expect(b.stats.txPackets).toBe(1);
    expect(a.stats.rxPackets).toBe(1);
    expect(b.captured.map((c) => c.dir)).toEqual(['out']);
    expect(a.captured.map((c) => c.dir)).toEqual(['in']);
    const pcap = readPcap(a.pcap());
    expect(pcap.packets[0].data).toEqual(p);
    expect(netRecords(k).map((r) => (r.kind === 'net' ? `${r.dev}:${r.event}` : r.name))).toEqual(['veth1:tx', 'veth0:rx', 'veth0:deliver']);
    expect((netRecords(k)[1] as { summary: string }).summary).toMatch(/10\.0\.0\.2/);
  });

  test('loopback: what lo transmits it receives itself, XDP (generic) included', () => {
    const { k, net, obj } = world();
    const lo = net.ns('a').lo;
    expect(() => lo.attachXdp(obj.program('xdp_tx'), 4 /* DRV_MODE */)).toThrow(expect.objectContaining({ code: 'EOPNOTSUPP' }));
    lo.transmit(udp());
    expect(lo.delivered).toHaveLength(1);
    lo.attachXdp(obj.program('xdp_aborted'));
    expect(lo.xdp?.mode).toBe('generic');
    lo.transmit(udp());
    expect(lo.delivered).toHaveLength(1);
    expect(lo.stats).toMatchObject({ txPackets: 2, rxPackets: 2, rxDropped: 1 });
    expect(k.clock.monotonicNs).toBeGreaterThan(0n);
  });

  test('a down peer drops; an oversize frame drops at the peer', () => {
    const { a, b } = world();
    a.setUp(false);
    b.transmit(udp());
    expect(a.delivered).toHaveLength(0);
    expect(b.stats.txDropped).toBe(1);
    a.setUp(true);
    b.transmit(eth({ src: MAC_B, dst: MAC_A }).ipv4({ src: '10.0.0.2', dst: '10.0.0.1' }).udp({ dport: 9 }).payload(new Uint8Array(1600)).build());
    expect(a.delivered).toHaveLength(0);
    expect(b.stats.txDropped).toBe(2);
  });
});

describe('XDP actions', () => {
  test('corpus xdp_drop_icmp drops ICMP and passes UDP', () => {
    const { k, a, b } = world();
    const o = k.loadObject(fs.readFileSync(path.join(CORPUS, 'xdp_drop_icmp.bpf.o')));
    a.attachXdp(o.program('xdp_drop_icmp'), 2);
    b.transmit(eth({ src: MAC_B, dst: MAC_A }).ipv4({ src: '10.0.0.2', dst: '10.0.0.1' }).icmp({ type: 8 }).build());
    b.transmit(udp());
    expect(a.delivered).toHaveLength(1);
    expect(a.stats.rxDropped).toBe(1);
  });

  test('XDP_TX reflects out of the receiving device; the corpus echo program swaps addresses', () => {
    const { k, a, b } = world();
    const o = k.loadObject(fs.readFileSync(path.join(CORPUS, 'xdp_rewrite.bpf.o')));
    a.attachXdp(o.program('xdp_udp_echo'), 2 /* XDP_FLAGS_SKB_MODE */);
    expect(a.xdp?.mode).toBe('generic');
    b.transmit(udp(7));
    expect(a.delivered).toHaveLength(0);
    expect(b.delivered).toHaveLength(1);
    const back = parsePacket(b.delivered[0].data);
    expect(back.layers.map((l) => l.kind)).toContain('udp');
    expect(Buffer.from(b.delivered[0].data.subarray(0, 6)).toString('hex')).toBe('02000000000b');
  });

  test('native XDP on veth: XDP_TX reaches the peer only when the peer has a NAPI ring (its own native XDP)', () => {
    const { k, obj, a, b } = world();
    a.attachXdp(obj.program('xdp_tx'));
    expect(a.xdp?.mode).toBe('native');
    b.transmit(udp());
    expect(b.delivered).toHaveLength(0);
    expect(netRecords(k).filter((r) => r.kind === 'net_tracepoint').map((r) => (r.kind === 'net_tracepoint' ? [r.name, r.err] : []))).toEqual([['xdp:xdp_bulk_tx', -6]]);
    b.attachXdp(obj.program('xdp_meta'));
    b.transmit(udp());
    expect(b.delivered).toHaveLength(1);
    expect(b.delivered[0].data).toEqual(udp());
    expect(b.delivered[0].meta).toEqual(Uint8Array.from([0xef, 0xbe, 0xed, 0xfe]));
  });

  test('XDP_ABORTED and an invalid action fire xdp:xdp_exception and drop', () => {
    const { k, obj, a, b } = world();
    a.attachXdp(obj.program('xdp_aborted'));
    b.transmit(udp());
    a.attachXdp(obj.program('xdp_invalid'));
    b.transmit(udp());
    const tps = netRecords(k).filter((r) => r.kind === 'net_tracepoint');
    expect(tps.map((r) => (r.kind === 'net_tracepoint' ? [r.name, r.act, r.ifindex] : []))).toEqual([['xdp:xdp_exception', 0, 2], ['xdp:xdp_exception', 42, 2]]);
    expect(a.delivered).toHaveLength(0);
    expect(a.stats.rxDropped).toBe(2);
  });

  test('bpf_redirect sends to another device of the namespace; to a missing ifindex it fails with xdp_redirect_err', () => {
    const { k, net, obj, a, b } = world();
    const [c, d] = net.addVeth(net.ns('a'), 'veth2', net.ns('b'), 'veth3');
    obj.map('cfg').update(u32(0), u32(c.ifindex));
    a.attachXdp(obj.program('xdp_redirect_ifindex'));
    b.transmit(udp());
    // Native: veth2's peer has no NAPI ring, so the frame is lost at the flush.
    expect(d.delivered).toHaveLength(0);
    a.attachXdp(obj.program('xdp_redirect_ifindex'), 2);
    b.transmit(udp());
    expect(d.delivered).toHaveLength(1);
    obj.map('cfg').update(u32(0), u32(77));
    b.transmit(udp());
    expect(netRecords(k).some((r) => r.kind === 'net_tracepoint' && r.name === 'xdp:xdp_redirect_err' && r.toIfindex === 77)).toBe(true);
  });

  test('devmap redirect, broadcast and broadcast excluding the ingress device', () => {
    const k = new Kernel({ seed: 'net' });
    const net = new Network(k);
    const init = net.init;
    const peers = net.createNs('peers');
    const pairs = [0, 1, 2].map((i) => net.addVeth(init, `v${i}`, peers, `p${i}`));
    const obj = k.loadObject(OBJ);
    for (const [i, [v]] of pairs.entries()) obj.map('ports').update(u32(i), u32(v.ifindex));
    expect(obj.map('ports').lookup(u32(1))).toEqual(u32(pairs[1][0].ifindex));
    pairs[0][0].attachXdp(obj.program('xdp_redirect_devmap'), 2);
    const send = (key: number, flags: number): number[] => {
      obj.map('cfg').update(u32(0), u32(key));
      obj.map('cfg').update(u32(1), u32(flags));
      for (const [, p] of pairs) p.delivered.length = 0;
      pairs[0][1].transmit(udp());
      return pairs.map(([, p]) => p.delivered.length);
    };
    expect(send(2, 0)).toEqual([0, 0, 1]);
    expect(send(1, 8)).toEqual([1, 1, 1]);
    expect(send(1, 8 | 16)).toEqual([0, 1, 1]);
    // A missing key without BROADCAST: the fallback action in the flags' low bits (XDP_PASS = 2).
    expect(send(5, 2)).toEqual([0, 0, 0]);
    expect(pairs[0][0].delivered).toHaveLength(1);
  });

  test('metadata from bpf_xdp_adjust_meta is __sk_buff data_meta at tc ingress', () => {
    const { obj, a, b } = world();
    a.attachXdp(obj.program('xdp_meta'));
    a.attachTc('ingress', obj.program('tc_meta_mark'));
    b.transmit(udp());
    expect(a.delivered[0].mark).toBe(0xfeedbeef);
    expect(a.delivered[0].data).toEqual(udp());
  });
});

describe('tc', () => {
  const verdict = (obj: LoadedObject, v: number): void => obj.map('cfg').update(u32(2), u32(v));

  test.each([
    [0, 1], [2, 0], [-1, 1], [3, 1], [1, 1], [4, 0], [6, 1],
  ])('a direct-action verdict %i delivers %i packet', (v, n) => {
    const { obj, a, b } = world();
    verdict(obj, v);
    a.attachTc('ingress', obj.program('tc_verdict'));
    b.transmit(udp());
    expect(a.delivered).toHaveLength(n);
  });

  test('filters run by priority; UNSPEC/PIPE ask the next one, SHOT ends the chain', () => {
    const { k, obj, a, b } = world();
    verdict(obj, 3 /* PIPE */);
    a.attachTc('ingress', obj.program('tc_verdict'), { priority: 10 });
    a.attachTc('ingress', obj.program('tc_verdict'), { priority: 5 });
    b.transmit(udp());
    const seen = (): bigint => new DataView(obj.map('seen').lookup(u32(0))!.buffer).getBigUint64(0, true);
    expect(seen()).toBe(2n);
    expect(a.delivered).toHaveLength(1);
    verdict(obj, 2);
    b.transmit(udp());
    expect(seen()).toBe(3n);
    expect(a.delivered).toHaveLength(1);
    expect(a.tcIngress.list.map((f) => f.priority)).toEqual([5, 10]);
    expect(() => a.attachTc('ingress', obj.program('xdp_tx'))).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(k.trace.records.length).toBeGreaterThan(0);
  });

  test('tc egress SHOT drops before the wire', () => {
    const { obj, a, b } = world();
    verdict(obj, 2);
    b.attachTc('egress', obj.program('tc_verdict'));
    b.transmit(udp());
    expect(a.stats.rxPackets).toBe(0);
    expect(b.stats.txDropped).toBe(1);
  });

  test('tc redirect: egress of another device, BPF_F_INGRESS into its receive path, and bpf_redirect_peer', () => {
    const { net, obj, a, b } = world();
    const [c, d] = net.addVeth(net.ns('a'), 'veth2', net.ns('b'), 'veth3');
    a.attachTc('ingress', obj.program('tc_redirect'));
    obj.map('cfg').update(u32(0), u32(c.ifindex));
    b.transmit(udp());
    expect(d.delivered).toHaveLength(1);
    obj.map('cfg').update(u32(1), u32(1));
    b.transmit(udp());
    expect(c.delivered).toHaveLength(1);
    a.tcIngress.remove(a.tcIngress.list[0].priority);
    a.attachTc('ingress', obj.program('tc_redirect_peer'));
    b.transmit(udp());
    expect(d.delivered).toHaveLength(2);
    expect(a.delivered).toHaveLength(0);
  });

  test('VLAN-tagged frames reach tc untagged, and the stack sees the tag again', () => {
    const { a, b } = world();
    const p = eth({ src: MAC_B, dst: MAC_A }).vlan({ vid: 5 }).ipv4({ src: '10.0.0.2', dst: '10.0.0.1' }).udp({ dport: 9 }).build();
    b.transmit(p);
    expect(a.delivered[0].vlan).toEqual({ tci: 5, proto: 0x8100 });
    expect(a.delivered[0].data).toEqual(p);
  });
});

test('the same sends give the same trace and clock', () => {
  const run = (): string => {
    const { k, obj, a, b } = world();
    a.attachXdp(obj.program('xdp_meta'));
    a.attachTc('ingress', obj.program('tc_meta_mark'));
    for (let i = 0; i < 5; i++) b.transmit(udp(i));
    return JSON.stringify(k.trace.records) + k.clock.monotonicNs;
  };
  expect(run()).toBe(run());
});
