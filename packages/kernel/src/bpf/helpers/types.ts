/**
 * What a helper implementation sees: the kernel, the running program and the
 * run's context. Helpers are plain functions (env, call, r1..r5) -> r0,
 * bound to a run through `HelperDispatch` (index.ts).
 */
import type { HelperCall } from '@bpfsim/vm';
import type { Kernel } from "../../kernel/kernel";
import type { BpfProg } from '../prog';
import type { SkBuff } from '../ctx/skb';
import type { XdpBuff } from '../ctx/xdp';

export interface RunEnv {
  kernel: Kernel;
  /** The program being run (the tail-call target once a tail call was taken). */
  prog: BpfProg;
  cpu: number;
  /** Hook name the run was fired from ("test_run", "xdp:eth0", ...). */
  hook: string;
  ctxAddr: bigint;
  xdp?: XdpBuff;
  skb?: SkBuff;
  /** bpf_get_attach_cookie */
  attachCookie: bigint;
  /** bpf_get_func_ip: address of the traced function (kprobe/fentry). */
  funcIp: bigint;
}

export type KernelHelper = (env: RunEnv, call: HelperCall, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;

/** Helpers of one area, by kernel name ("bpf_ktime_get_ns"). */
export type HelperArea = Readonly<Record<string, KernelHelper>>;

/** A negative errno as the u64 a helper returns in r0. */
export const neg = (errno: number): bigint => BigInt.asUintN(64, BigInt(-errno));
