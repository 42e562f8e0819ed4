import { eth } from '@bpfsim/packet';
import { Kernel, Network } from '@bpfsim/kernel';
import { netOf } from '@bpfsim/scenario';
import { bpfsim, matchers } from '../src';
import { failureOf, scenarioFile } from './paths';

expect.extend(matchers);

describe('toHaveSentPacket / toHaveDropped', () => {
  const r = bpfsim.scenario(scenarioFile('xdp-tx-reflect', 'xdp-tx-reflect.yaml'));
  const veth1 = netOf(r.world).network.ns('b').device('veth1');

  test('a scenario or a device: what was transmitted (XDP_TX included) and what was dropped, by summary, bytes, device, reason', () => {
    expect(r).toHaveSentPacket('10.0.0.2:7 → 10.0.0.1:40000 UDP');
    expect(veth1).toHaveSentPacket({ summary: /UDP len=5$/, device: 'veth1', ns: 'b' });
    expect(veth1).not.toHaveSentPacket('10.0.0.1:40000 → 10.0.0.2:7');
    expect(r).toHaveSentPacket(Uint8Array.from(Buffer.from('02000000000a02000000000b08004500002100000000401166ca0a0000020a00000100079c40000d0bb868656c6c6f', 'hex')));
    expect(r).not.toHaveDropped({ reason: 'xdp' });
  });

  test('drops anywhere on the path, with their reason', () => {
    const k = new Kernel({ seed: 'm' });
    const net = new Network(k);
    const [a] = net.addVeth(net.createNs('a'), 'veth0', net.createNs('b'), 'veth1');
    a.setUp(true).transmit(eth({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }).ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }).udp({ sport: 1, dport: 9 }).build());
    a.peer!.setUp(false);
    a.transmit(eth({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }).ipv4({ src: '10.0.0.1', dst: '10.0.0.3' }).udp({ sport: 1, dport: 9 }).build());
    expect(k).toHaveDropped({ summary: '10.0.0.3', device: 'veth0' });
    expect(a).toHaveDropped(/10\.0\.0\.3/);
    expect(k).not.toHaveDropped({ summary: '10.0.0.3', reason: 'xdp_drop' });
  });

  test('a failure lists what the subject did send or drop', () => {
    const msg = failureOf(() => expect(veth1).toHaveSentPacket('TCP'));
    // A flow keeps the records of its first packets only (`trace: 1` here): 4 transmissions in the trace.
    expect(msg).toContain('device b/veth1 sent no packet matching "TCP"; it sent 4:');
    expect(msg).toContain('  b/veth1: IPv4 10.0.0.2:7 → 10.0.0.1:40000 UDP len=5\n  b/veth1: ARP reply 10.0.0.2 is-at 02:00:00:00:00:0b');
    expect(failureOf(() => expect(r).toHaveDropped('anything'))).toMatch(/dropped no packet matching "anything"; it dropped none$/);
    expect(failureOf(() => expect(42).toHaveSentPacket('x'))).toContain('this matcher takes a device (NetDevice), a scenario result');
  });
});
