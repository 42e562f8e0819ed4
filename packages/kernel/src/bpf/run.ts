/**
 * Running a loaded program: place it on a CPU, map its context, bind the
 * helpers to the run, resolve tail calls through prog_array maps, run it on
 * the VM in the kernel's address space, charge virtual time, and record the
 * run in the trace.
 */
import { BpfMapType, BpfsimError, HELPER_NAMES, isBpfsimError } from '@bpfsim/uapi';
import { run, type Region, type SkbLoader } from '@bpfsim/vm';
import type { Kernel } from '../kernel/kernel';
import { virtualCtx, type CtxLayout } from './ctx/layout';
import type { SkBuff } from './ctx/skb';
import type { XdpBuff } from './ctx/xdp';
import { HelperDispatch, type HelperOverrides } from './helpers';
import type { RunEnv } from './helpers/types';
import type { BpfMap, ProgArrayMap } from './maps/map';
import type { BpfProg } from './prog';

/** The context a program runs on. */
export type CtxSpec =
  | { layout: CtxLayout; bytes: Uint8Array }
  /** Plain bytes (tracepoint records, pt_regs, raw tracepoint args, a ctx given as bytes). */
  | { bytes: Uint8Array; writable?: boolean; struct?: string };

export interface RunCtx {
  ctx: CtxSpec;
  xdp?: XdpBuff;
  skb?: SkBuff;
  /** Pin the run to a CPU (BPF_F_TEST_RUN_ON_CPU); otherwise the scheduler chooses. */
  cpu?: number;
  funcIp?: bigint;
  cookie?: bigint;
  /** Run this many times on the same context (BPF_PROG_TEST_RUN's repeat); one trace record counts them. Default 1. */
  repeat?: number;
}

export interface RunOutcome {
  r0: bigint;
  insns: number;
  tailCalls: number;
  cpu: number;
  /** Virtual time all runs took (ns). */
  durationNs: bigint;
  /** Runs made (repeat). */
  runs: number;
}

const SKF_NET_OFF = -0x100000;
const SKF_LL_OFF = -0x200000;

/** LD_ABS/LD_IND reads of an skb, as bpf_skb_load_helper_* do. */
function skbLoader(skb: SkBuff): SkbLoader {
  return (_ctx, offset, size) => {
    const p = skb.pkt;
    let from: number;
    if (offset >= 0) {
      from = p.data + offset;
      if (offset + size > p.len) return undefined;
    } else {
      if (offset >= SKF_NET_OFF) from = skb.networkHeader + (offset - SKF_NET_OFF);
      else if (offset >= SKF_LL_OFF) from = skb.macHeader + (offset - SKF_LL_OFF);
      else return undefined;
      if (from < 0 || from + size > p.end) return undefined;
    }
    return p.slice(from, from + size);
  };
}

/** One helper table per kernel (keyed by its overrides), not one per run. */
const dispatches = new WeakMap<HelperOverrides, HelperDispatch>();
function dispatchOf(overrides: HelperOverrides): HelperDispatch {
  let d = dispatches.get(overrides);
  if (!d) dispatches.set(overrides, (d = new HelperDispatch(overrides)));
  return d;
}

/** Run `prog` once on `rc`. Errors are typed and name the program. */
export function runProgram(kernel: Kernel, prog: BpfProg, rc: RunCtx, hook: string): RunOutcome {
  if (prog.missingHelpers.length) {
    const names = prog.missingHelpers.map((id) => `${HELPER_NAMES[id] ?? 'unknown'}#${id}`).join(', ');
    throw new BpfsimError('EHELPER', `run program ${prog.label}: bpfsim does not implement helper ${names} (loaded by a verify-only kernel)`);
  }
  const cpu = kernel.sched.place(rc.cpu);
  const spec = rc.ctx;
  const region: Region = 'layout' in spec
    ? kernel.mem.map('ctx', spec.bytes, { name: `ctx ${spec.layout.struct}`, virtual: virtualCtx(spec.layout, spec.bytes) })
    : kernel.mem.map('ctx', spec.bytes, { name: `ctx ${spec.struct ?? 'bytes'}`, writable: spec.writable ?? true });
  const env: RunEnv = {
    kernel, prog, cpu, hook, ctxAddr: region.base, xdp: rc.xdp, skb: rc.skb,
    attachCookie: rc.cookie ?? 0n, funcIp: rc.funcIp ?? 0n,
  };
  const started = kernel.clock.monotonicNs;
  const runs = Math.max(1, rc.repeat ?? 1);
  const dispatch = dispatchOf(kernel.helpers);
  const outer = dispatch.env;
  dispatch.env = env;
  try {
    const opts = {
      args: [region.base],
      helpers: dispatch.table,
      memory: kernel.mem,
      maxInsns: kernel.maxInsnsPerRun,
      engine: kernel.vmEngine,
      tailCall: (mapAddr: bigint, index: bigint) => {
        const r = kernel.mem.find(mapAddr, 1);
        const map = r?.owner as BpfMap | undefined;
        if (!map || map.type !== BpfMapType.PROG_ARRAY) return undefined;
        if (index >= BigInt(map.maxEntries)) return null;
        const target = (map as ProgArrayMap).getProg(Number(index));
        const tp = target ? kernel.bpf.progById(target.id) : undefined;
        if (!tp) return undefined;
        env.prog = tp;
        return tp.insns;
      },
      skbLoad: rc.skb ? skbLoader(rc.skb) : undefined,
    };
    let r0 = 0n;
    let insns = 0;
    let tailCalls = 0;
    let duration = 0n;
    for (let i = 0; i < runs; i++) {
      env.prog = prog;
      const res = run(prog.insns, opts);
      const cost = BigInt(res.insns) * kernel.nsPerInsn;
      kernel.clock.advance(cost);
      duration += cost;
      r0 = res.r0;
      insns += res.insns;
      tailCalls += res.tailCalls;
      prog.runCnt++;
      prog.runTimeNs += cost;
    }
    kernel.trace.emit({
      kind: 'prog_run', t: started.toString(), cpu, prog: prog.label, progId: prog.id, hook, retval: r0.toString(), insns, runs,
    });
    return { r0, insns, tailCalls, cpu, durationNs: duration, runs };
  } catch (e) {
    if (isBpfsimError(e)) throw e.wrap(`run program ${prog.label}`);
    throw e;
  } finally {
    dispatch.env = outer;
    kernel.mem.unmap(region);
  }
}
