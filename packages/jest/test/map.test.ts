import '../src/setup';
import { bpfsim } from '../src';
import { failureOf, scenarioFile } from './paths';

const ICMP = '02 00 00 00 00 02 02 00 00 00 00 01 08 00 45 00 00 20 00 01 00 00 40 01 66 da 0a 00 00 01 0a 00 00 02 08 00 19 2d 00 01 00 01 70 69 6e 67';
const SSH = '02 00 00 00 00 02 02 00 00 00 00 01 08 00 45 00 00 28 00 01 00 00 40 06 66 cd 0a 00 00 01 0a 00 00 02 9c 40 00 16 00 00 00 01 00 00 00 00 50 02 ff ff 00 00 00 00';

function firewall() {
  const obj = bpfsim.kernel({ seed: 1 }).load(scenarioFile('xdp-firewall', 'xdp_firewall.bpf.o'));
  obj.run('xdp_firewall', { data: ICMP });
  obj.run('xdp_firewall', { data: SSH });
  obj.run('xdp_firewall', { data: SSH });
  return obj;
}

describe('toHaveMapEntry', () => {
  test('integers, bigints, bytes and asymmetric matchers against the counters the program kept', () => {
    const obj = firewall();
    const stats = obj.map('stats');
    expect(stats).toHaveMapEntry(0, 2); // passed: two SSH packets
    expect(stats).toHaveMapEntry(1, 1n); // dropped ICMP
    expect(stats).toHaveMapEntry(2, 0);
    expect(stats).toHaveMapEntry(0); // exists
    expect(stats).toHaveMapEntry(0, '02 00 00 00 00 00 00 00');
    expect(stats).toHaveMapEntry(0, Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0));
    expect(stats).toHaveMapEntry(0, expect.any(Number));
    expect(stats).not.toHaveMapEntry(0, 3);
    expect(stats).not.toHaveMapEntry(7);
  });

  test('user-space updates through the handle show up; the hash map is empty until then', () => {
    const obj = firewall();
    const blocked = obj.map('blocked_ports');
    expect(blocked).not.toHaveMapEntry(22);
    blocked.set(22, 1);
    expect(blocked).toHaveMapEntry(22, 1);
    expect(obj.run('xdp_firewall', { data: SSH })).toReturn('XDP_DROP');
    expect(obj.map('stats')).toHaveMapEntry(2, 1);
  });

  test('a wrong value shows the difference and the bytes; a missing key lists the entries', () => {
    const obj = firewall();
    const msg = failureOf(() => expect(obj.map('stats')).toHaveMapEntry(0, 5));
    expect(msg).toMatch(/map stats\[0\]/);
    expect(msg).toMatch(/Expected: 5n?\nReceived: 2n/);
    expect(msg).toMatch(/value bytes: 02 00 00 00 00 00 00 00/);
    obj.map('blocked_ports').set(22, 1);
    const missing = failureOf(() => expect(obj.map('blocked_ports')).toHaveMapEntry(80, 1));
    expect(missing).toMatch(/map blocked_ports has no entry 80\nits 1 entry:\n +22 += 1/);
    expect(failureOf(() => expect({}).toHaveMapEntry(0, 1))).toMatch(/this matcher takes a map of a loaded object/);
  });

  test('struct keys decoded through BTF: an LPM trie of struct ipv4_lpm_key', () => {
    const obj = bpfsim.kernel({ seed: 1 }).load(scenarioFile('lpm-firewall', 'lpm_firewall.bpf.o'));
    const rules = obj.map('rules');
    // 10.0.0.0/8 deny: prefixlen 8 (host order), addr in network order
    rules.set('08 00 00 00 0a 00 00 00', 1);
    expect(rules).toHaveMapEntry({ prefixlen: 8, addr: 0x0a }, 1);
    expect(rules).toHaveMapEntry(expect.objectContaining({ prefixlen: 8 }), expect.anything());
    expect(rules).not.toHaveMapEntry({ prefixlen: 16, addr: 0x0a });
    const msg = failureOf(() => expect(rules).toHaveMapEntry({ prefixlen: 8, addr: 0x0a }, 0));
    expect(msg).toMatch(/map rules\[\{"prefixlen":8,"addr":10\}\]/);
    expect(obj.run('xdp_lpm_firewall', { data: ICMP })).toReturn('XDP_DROP');
    expect(obj.map('verdicts')).toHaveMapEntry(2, 1);
  });

  test('per-CPU maps: an integer is the sum over CPUs, an array the per-CPU values', () => {
    const k = bpfsim.kernel({ seed: 3, cpus: 2 });
    const obj = k.load(scenarioFile('percpu-counters', 'percpu_counters.bpf.o'));
    // raw_syscalls:sys_enter records: 8-byte common header, id, six arguments
    const rec = (id: number) => { const b = Buffer.alloc(64); b.writeBigInt64LE(BigInt(id), 8); return new Uint8Array(b); };
    const tp = obj.program('count_syscalls');
    tp.run({ ctx: rec(0), cpu: 0 });
    tp.run({ ctx: rec(1), cpu: 1 });
    tp.run({ ctx: rec(59), cpu: 1 });
    const sys = obj.map('syscalls');
    expect(sys).toHaveMapEntry(0, 3);
    expect(sys).toHaveMapEntry(0, [1, 2]);
    expect(sys).toHaveMapEntry(1, [0, 59]); // the last syscall number each CPU saw
    const msg = failureOf(() => expect(sys).toHaveMapEntry(0, [2, 1]));
    expect(msg).toMatch(/per CPU: \[1,2\]/);
    expect(failureOf(() => expect(sys).toHaveMapEntry(0, 4))).toMatch(/map syscalls\[0\] \(sum over CPUs\)\n[^]*Received: 3n/);
  });
});
