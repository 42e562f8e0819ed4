/**
 * bpf_fib_lookup from an XDP program (BPF_PROG_TEST_RUN in the initial namespace) answering
 * from the namespace's FIB and ARP table: each BPF_FIB_LKUP_RET_* code the model gives, and the
 * fields the helper writes back (ifindex, rt_metric, gateway, MACs, source, MTU). The program
 * copies a struct bpf_fib_lookup from the packet, calls the helper, and writes the return value
 * and the struct back into the packet. (Expected values follow net/core/filter.c's
 * bpf_ipv4_fib_lookup; they are not recorded from the real kernel.)
 */
import { assemble } from '@bpfsim/isa';
import { Network } from '../../src/net/network';
import { newKernel } from './sock-kit';

const XDP = 6;
const RET = { SUCCESS: 0, BLACKHOLE: 1, UNREACHABLE: 2, PROHIBIT: 3, NOT_FWDED: 4, FWD_DISABLED: 5, NO_NEIGH: 7, FRAG_NEEDED: 8 };
const F = { DIRECT: 1, OUTPUT: 2, SKIP_NEIGH: 4, TBID: 8, SRC: 16 };

const copy = (from: string, to: string) => Array.from({ length: 8 }, (_, i) => `r1 = *(u64 *)(${from} + ${i * 8})\n*(u64 *)(${to} + ${i * 8}) = r1`).join('\n');
const PROG = [
  'r6 = r1',
  'r7 = *(u32 *)(r6 + 0)',
  'r8 = *(u32 *)(r6 + 4)',
  'r1 = r7',
  'r1 += 72',
  'if r1 > r8 goto out',
  'r9 = *(u32 *)(r7 + 4)',
  'r2 = r7',
  'r2 += 8',
  copy('r2', 'r10 - 64').replace(/\(r10 - 64 \+ (\d+)\)/g, (_, o) => `(r10 - ${64 - Number(o)})`),
  'r1 = r6',
  'r2 = r10',
  'r2 += -64',
  'r3 = 64',
  'r4 = r9',
  'call 69',
  '*(u32 *)(r7 + 0) = r0',
  copy('r10 - 64', 'r7 + 8').replace(/\(r10 - 64 \+ (\d+)\)/g, (_, o) => `(r10 - ${64 - Number(o)})`).replace(/\(r7 \+ 8 \+ (\d+)\)/g, (_, o) => `(r7 + ${8 + Number(o)})`),
  'out:',
  'r0 = 2',
  'exit',
].join('\n');

function setup() {
  const k = newKernel('fib');
  const net = new Network(k);
  const init = net.init;
  const other = net.createNs('peer');
  const [eth0] = net.addVeth(init, 'eth0', other, 'p0', { mac: '02:00:00:00:00:01', peerMac: '02:00:00:00:00:02' });
  const [eth1] = net.addVeth(init, 'eth1', other, 'p1', { mac: '02:00:00:00:01:01', peerMac: '02:00:00:00:01:02' });
  eth0.addAddress('10.0.0.1/24');
  eth1.addAddress('192.168.1.1/24').setMtu(1400);
  init.addRoute('default via 10.0.0.254');
  init.addRoute('172.16.0.0/16 via 192.168.1.2 metric 7');
  init.addRoute('unreachable 10.99.0.0/16');
  init.addRoute('blackhole 10.98.0.0/16');
  init.addRoute('prohibit 10.97.0.0/16');
  init.arp.update(eth1, 0xc0a80102, Uint8Array.from([2, 0, 0, 0, 1, 2]));
  const p = k.bpf.progLoad({ progType: XDP, insns: assemble(PROG, { dialect: 'kernel' }), license: 'GPL' });
  if (p.fd < 0) throw new Error(p.log);
  const lookup = (dst: string, o: { ifindex?: number; flags?: number; totLen?: number } = {}) => {
    const pkt = new Uint8Array(80);
    const dv = new DataView(pkt.buffer);
    dv.setUint32(4, o.flags ?? 0, true);
    pkt[8] = 2; // AF_INET
    dv.setUint16(8 + 6, o.totLen ?? 0, true);
    dv.setUint32(8 + 8, o.ifindex ?? eth0.ifindex, true);
    dst.split('.').forEach((x, i) => (pkt[8 + 32 + i] = Number(x)));
    const r = k.bpfSyscall('PROG_TEST_RUN', { progFd: p.fd, dataIn: pkt, dataSizeOut: 80 });
    const out = r.testRun!.dataOut!;
    const ov = new DataView(out.buffer, out.byteOffset);
    const q = out.subarray(8);
    return {
      rc: ov.getInt32(0, true), ifindex: ov.getUint32(16, true), metric: ov.getUint32(20, true), mtu: ov.getUint16(14, true),
      src: [...q.subarray(16, 20)].join('.'), dst: [...q.subarray(32, 36)].join('.'),
      smac: [...q.subarray(52, 58)].map((b) => b.toString(16)).join(':'), dmac: [...q.subarray(58, 64)].map((b) => b.toString(16)).join(':'),
    };
  };
  return { k, init, eth0, eth1, lookup };
}

describe('bpf_fib_lookup answers from the namespace FIB', () => {
  test('forwarding off: BPF_FIB_LKUP_RET_FWD_DISABLED whatever the destination', () => {
    const { lookup } = setup();
    expect(lookup('172.16.1.1').rc).toBe(RET.FWD_DISABLED);
  });

  test('each answer with forwarding on', () => {
    const { init, eth0, eth1, lookup } = setup();
    init.sysctl.ipForward = true;
    // A gateway route with a known neighbour: SUCCESS, the gateway as ipv4_dst, both MACs, the metric, the MTU.
    expect(lookup('172.16.5.5')).toMatchObject({ rc: RET.SUCCESS, ifindex: eth1.ifindex, metric: 7, dst: '192.168.1.2', smac: '2:0:0:0:1:1', dmac: '2:0:0:0:1:2', mtu: 1400 });
    // The default route's gateway is not in the ARP table: NO_NEIGH, with ifindex and gateway already written.
    expect(lookup('8.8.8.8')).toMatchObject({ rc: RET.NO_NEIGH, ifindex: eth0.ifindex, dst: '10.0.0.254' });
    // SKIP_NEIGH: SUCCESS without the neighbour (and the destination left as it was); SRC fills the source.
    expect(lookup('8.8.8.8', { flags: F.SKIP_NEIGH | F.SRC })).toMatchObject({ rc: RET.SUCCESS, dst: '8.8.8.8', src: '10.0.0.1' });
    expect(lookup('10.99.1.1').rc).toBe(RET.UNREACHABLE);
    expect(lookup('10.98.1.1').rc).toBe(RET.BLACKHOLE);
    expect(lookup('10.97.1.1').rc).toBe(RET.PROHIBIT);
    // A local destination or a broadcast is not forwarded.
    expect(lookup('10.0.0.1').rc).toBe(RET.NOT_FWDED);
    expect(lookup('10.0.0.255').rc).toBe(RET.NOT_FWDED);
    // tot_len beyond the route's MTU: FRAG_NEEDED with the MTU (XDP always checks).
    expect(lookup('172.16.5.5', { totLen: 1401 })).toMatchObject({ rc: RET.FRAG_NEEDED, mtu: 1400 });
    expect(lookup('172.16.5.5', { totLen: 1400 }).rc).toBe(RET.SUCCESS);
    // OUTPUT with an ifindex the route does not leave by: the default route through eth0 is skipped.
    expect(lookup('172.16.5.5', { flags: F.OUTPUT | F.SKIP_NEIGH, ifindex: eth0.ifindex })).toMatchObject({ rc: RET.SUCCESS, ifindex: eth0.ifindex });
    // DIRECT + TBID with table id 0: no such table.
    expect(lookup('172.16.5.5', { flags: F.DIRECT | F.TBID }).rc).toBe(RET.NOT_FWDED);
    // A device that does not exist: -ENODEV.
    expect(lookup('172.16.5.5', { ifindex: 99 }).rc).toBe(-19);
    // A device that is down takes its routes with it.
    eth1.setUp(false);
    expect(lookup('172.16.5.5')).toMatchObject({ rc: RET.NO_NEIGH, ifindex: eth0.ifindex, dst: '10.0.0.254' });
  });
});
