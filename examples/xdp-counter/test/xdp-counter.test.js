// The example project's tests: xdp_counter.bpf.o loaded into bpfsim's simulated
// Linux kernel, run on packets built with @bpfsim/packet, checked with @bpfsim/jest.
const path = require('path');
const { bpfsim, XDP_PASS, XDP_DROP } = require('@bpfsim/jest');
const { eth } = require('@bpfsim/packet');

const OBJECT = path.join(__dirname, '..', 'xdp_counter.bpf.o');
const IPPROTO_ICMP = 1;
const IPPROTO_UDP = 17;

const ping = eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }).icmp().build();
const dns = eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }).udp({ sport: 5353, dport: 53 }).build();
const discard = eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }).udp({ sport: 4242, dport: 9 }).build();
const arp = eth().arp({ spa: '10.0.0.1', tpa: '10.0.0.2' }).build();

test('the verifier accepts the program', () => {
  expect(OBJECT).toBeAccepted();
});

describe('xdp_counter', () => {
  let k, obj;
  beforeEach(() => {
    k = bpfsim.kernel({ seed: 1 }); // a fresh simulated kernel per test
    obj = k.load(OBJECT);
  });

  test('passes ICMP and UDP to other ports, counting them by protocol', () => {
    expect(obj.run('xdp_counter', { data: ping })).toReturn(XDP_PASS);
    expect(obj.run('xdp_counter', { data: dns })).toReturn('XDP_PASS');
    expect(obj.run('xdp_counter', { data: dns })).toReturn(XDP_PASS);
    expect(obj.map('counters')).toHaveMapEntry(IPPROTO_ICMP, 1);
    expect(obj.map('counters')).toHaveMapEntry(IPPROTO_UDP, 2);
  });

  test('drops UDP to the discard port and says so in trace_pipe', () => {
    const run = obj.run('xdp_counter', { data: discard });
    expect(run).toReturn(XDP_DROP);
    expect(run).toHavePrintedLine('discard: dropped a packet from port 4242');
    expect(obj.map('counters')).toHaveMapEntry(IPPROTO_UDP, 1);
  });

  test('leaves non-IP traffic alone and uncounted', () => {
    expect(obj.run('xdp_counter', { data: arp })).toReturn(XDP_PASS);
    expect(obj.map('counters')).toHaveMapEntry(0, 0);
    expect(obj.map('counters')).not.toHaveMapEntry(IPPROTO_UDP, 1);
  });

  test('a failing expectation explains itself', () => {
    // What a mistake looks like: the message names the return codes symbolically.
    expect(() => expect(obj.run('xdp_counter', { data: ping })).toReturn(XDP_DROP))
      .toThrow(/returned "XDP_PASS \(2\)", expected "XDP_DROP \(1\)"/);
  });
});
