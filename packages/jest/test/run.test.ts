import '../src/setup';
import { expect as globalsExpect, jest as globalsJest } from '@jest/globals';
import { bpfsim, XDP_DROP, XDP_PASS, TC_ACT_SHOT, retvalLabel } from '../src';
import { BpfProgType } from '@bpfsim/uapi';
import { failureOf, corpusFile, scenarioFile } from './paths';

const hex = (s: string) => s;
const ICMP = hex('02 00 00 00 00 02 02 00 00 00 00 01 08 00 45 00 00 20 00 01 00 00 40 01 66 da 0a 00 00 01 0a 00 00 02 08 00 19 2d 00 01 00 01 70 69 6e 67');
const SSH = hex('02 00 00 00 00 02 02 00 00 00 00 01 08 00 45 00 00 28 00 01 00 00 40 06 66 cd 0a 00 00 01 0a 00 00 02 9c 40 00 16 00 00 00 01 00 00 00 00 50 02 ff ff 00 00 00 00');
const fwObject = scenarioFile('xdp-firewall', 'xdp_firewall.bpf.o');

describe('toReturn', () => {
  test('names and numbers: XDP_DROP for ICMP, XDP_PASS for SSH', () => {
    const obj = bpfsim.kernel({ seed: 1 }).load(fwObject);
    const icmp = obj.run('xdp_firewall', { data: ICMP });
    expect(icmp).toReturn(XDP_DROP);
    expect(icmp).toReturn('XDP_DROP');
    expect(icmp).toReturn(1);
    expect(icmp).not.toReturn('XDP_PASS');
    expect(obj.run('xdp_firewall', { data: SSH })).toReturn(XDP_PASS);
    // a test run's own result and a bare number work too
    expect(obj.program('xdp_firewall').handle.exercise({ dataIn: Buffer.from(SSH.replace(/ /g, ''), 'hex') })).toReturn('XDP_PASS');
    expect(2).toReturn(XDP_PASS);
  });

  test('a wrong code names both values and shows where r0 gets each, with the C lines', () => {
    const obj = bpfsim.kernel({ seed: 1 }).load(fwObject);
    const msg = failureOf(() => expect(obj.run('xdp_firewall', { data: SSH })).toReturn('XDP_DROP'));
    expect(msg).toMatch(/xdp_firewall returned "XDP_PASS \(2\)", expected "XDP_DROP \(1\)"/);
    expect(msg).toMatch(/run: \d+ instructions executed on CPU \d/);
    expect(msg).toMatch(/instructions that set r0 = XDP_PASS \(2\):\n +0: \(b7\) r0 = 2 +; xdp_firewall\.bpf\.c:36/);
    // clang sets r0 = 1 inside the inlined count() and jumps to the exit from `return count(2, XDP_DROP);`
    expect(msg).toMatch(/instructions that set r0 = XDP_DROP \(1\):\n +35: \(b7\) r0 = 1 +; xdp_firewall\.bpf\.c:31 .*\n +; then xdp_firewall\.bpf\.c:66 +return count\(2, XDP_DROP\);/);
    expect(msg).toMatch(/exits:\n.*exit/);
  });

  test('a name of another program type is pointed out; an unknown name lists the valid ones', () => {
    const obj = bpfsim.kernel({ seed: 1 }).load(fwObject);
    const r = obj.run('xdp_firewall', { data: ICMP });
    expect(failureOf(() => expect(r).toReturn('TC_ACT_SHOT'))).toMatch(/TC_ACT_SHOT is a return code of sched_cls\/sched_act, not of xdp programs/);
    expect(failureOf(() => expect(r).toReturn('XDP_DORP'))).toMatch(/unknown return code "XDP_DORP"; xdp programs return: XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT/);
  });

  test('tc programs: TC_ACT_* names', () => {
    const obj = bpfsim.kernel({ seed: 1 }).load(corpusFile('tc_drop.bpf.o'));
    const prog = obj.programNames.find((n) => obj.program(n).progType === BpfProgType.SCHED_CLS)!;
    const telnet = '02 00 00 00 00 02 02 00 00 00 00 01 08 00 45 00 00 28 00 01 00 00 40 06 66 cd 0a 00 00 01 0a 00 00 02 9c 40 00 17 00 00 00 01 00 00 00 00 50 02 ff ff 00 00 00 00';
    expect(obj.run(prog, { data: telnet })).toReturn(TC_ACT_SHOT);
    expect(obj.run(prog, { data: SSH })).toReturn('TC_ACT_OK');
    expect(failureOf(() => expect(obj.run(prog, { data: SSH })).toReturn('TC_ACT_SHOT'))).toMatch(/returned "TC_ACT_OK \(0\)", expected "TC_ACT_SHOT \(2\)"/);
  });

  test('labels per program type', () => {
    expect(retvalLabel(BpfProgType.SK_SKB, 1)).toBe('SK_PASS (1)');
    expect(retvalLabel(BpfProgType.SCHED_CLS, 0xffffffff)).toBe('TC_ACT_UNSPEC (-1)');
    expect(retvalLabel(BpfProgType.CGROUP_SKB, 1)).toBe('allow (1)');
    expect(retvalLabel(BpfProgType.LSM, 0xffffffff)).toBe('-EPERM (-1)');
    expect(retvalLabel(BpfProgType.KPROBE, 0)).toBe('0');
  });

  test("jest's own toReturn on mock functions keeps its meaning", () => {
    const f = globalsJest.fn(() => 1);
    expect(f).not.toReturn();
    f();
    expect(f).toReturn();
    expect(failureOf(() => expect(f).not.toReturn())).toMatch(/Received number of returns: 1/);
  });

  test("the matchers are typed for @jest/globals' expect as well", () => {
    const obj = bpfsim.kernel({ seed: 1 }).load(fwObject);
    globalsExpect(obj.run('xdp_firewall', { data: ICMP })).toReturn('XDP_DROP');
    globalsExpect(obj.map('stats')).toHaveMapEntry(1, 1);
  });
});
