/**
 * @bpfsim/jest: test eBPF programs in jest on bpfsim's simulated kernel.
 *
 *   const k = bpfsim.kernel({ seed: 1 });
 *   const obj = k.load('xdp_firewall.bpf.o');
 *   expect(obj.run('xdp_firewall', { data })).toReturn('XDP_DROP');
 *   expect(obj.map('stats')).toHaveMapEntry(1, 1);
 *
 * Matchers come from `setupFilesAfterEnv: ['@bpfsim/jest/setup']` (or `expect.extend(matchers)`).
 */
import { BpfsimKernel, verify, type BpfsimKernelOptions } from './api/kernel';
import { scenario } from './scenario';
import { XdpAction, TcAction, SkAction, BpfRetCode } from '@bpfsim/uapi';

export { BpfsimKernel, verify, type BpfsimKernelOptions, type LoadOptions, type PrintedLine } from './api/kernel';
export { BpfsimObject, BpfsimProgram, BpfsimMap, type RunInput, type RunResult } from './api/object';
export { verifyObject, failingInsn, type LoadVerdict, type VerifyObjectOptions } from './api/verdict';
export { describeScenario, scenarioCases, scenario, envSeed, type ScenarioOptions, type DescribeScenarioOptions, type ScenarioCase } from './scenario';
export { matchers, type EmittedOptions } from './matchers';
export type { BpfsimMatchers } from './matchers/types';
export { retvalLabel } from './matchers/return';
export { JestValueError, type BytesLike } from './values';
export { XdpAction, TcAction, SkAction, BpfRetCode, NfVerdict, CgroupVerdict, RETCODE_NAMES } from '@bpfsim/uapi';
// The return codes as constants, so `toReturn(XDP_DROP)` reads as the C does.
export const { XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT } = XdpAction;
export const { TC_ACT_UNSPEC, TC_ACT_OK, TC_ACT_RECLASSIFY, TC_ACT_SHOT, TC_ACT_PIPE, TC_ACT_STOLEN, TC_ACT_QUEUED, TC_ACT_REPEAT, TC_ACT_REDIRECT, TC_ACT_TRAP } = TcAction;
export const { SK_DROP, SK_PASS } = SkAction;
export const { BPF_OK, BPF_DROP, BPF_REDIRECT, BPF_LWT_REROUTE } = BpfRetCode;

/** The entry points a test starts from. */
export const bpfsim = {
  kernel: (opts?: BpfsimKernelOptions): BpfsimKernel => new BpfsimKernel(opts),
  verify,
  scenario,
};
