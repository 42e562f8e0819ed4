/**
 * The state of one run (registers, call frames, budget, tail-call count) and
 * its slow paths: frames, helper/kfunc calls, callbacks, tail calls. The hot
 * loop lives in interpreter.ts and calls in here only for these.
 */
import { BpfsimError } from '@bpfsim/uapi';
import type { HelperCall, HelperFn, RunOptions } from './api';
import {
  CallDepthExceeded, HelperError, InstructionLimitExceeded, ProgramCounterFault, UnknownHelper, VmError, VmUsageError,
} from './errors';
import type { AddressSpace, MappedRegion } from './memory/address-space';
import { STACK_FRAME_SIZE } from './memory/layout';
import { PreparedProgram } from './prepare';
import { preparedFor } from './program-cache';

export const MAX_CALL_FRAMES = 8;
/** MAX_TAIL_CALL_CNT of include/linux/bpf.h. */
export const MAX_TAIL_CALL_CNT = 33;
/** BPF_MAX_LOOPS: the may_goto budget the verifier's rewrite gives each frame. */
export const MAY_GOTO_BUDGET = 8 * 1024 * 1024;

/** Thrown by HelperCall.unwind (and caught by run()): ends the whole run with r0. */
export class Unwind {
  constructor(readonly r0: bigint) {}
}

/** Register value as an unsigned 64-bit bigint. */
export const regValue = (lo: Int32Array, hi: Int32Array, r: number): bigint =>
  (BigInt(hi[r] >>> 0) << 32n) | BigInt(lo[r] >>> 0);

export function setReg(lo: Int32Array, hi: Int32Array, r: number, v: bigint): void {
  lo[r] = Number(v & 0xffffffffn);
  hi[r] = Number((v >> 32n) & 0xffffffffn);
}

export class Machine {
  readonly lo = new Int32Array(11);
  readonly hi = new Int32Array(11);
  depth = 0;
  /** Program each frame runs (a tail call replaces its frame's entry). */
  readonly frameProg: PreparedProgram[] = [];
  /** Slot to resume at in frame d-1 when frame d exits. */
  readonly frameRet = new Int32Array(MAX_CALL_FRAMES);
  /** Caller's r6..r9 (lo, hi pairs) saved when frame d was entered. */
  readonly saved = new Int32Array(MAX_CALL_FRAMES * 8);
  /** may_goto budget left in each frame. */
  readonly mayGoto = new Int32Array(MAX_CALL_FRAMES);
  /** Stack frame region per depth, taken from the address space on first use. */
  readonly stacks: (MappedRegion | undefined)[] = [];
  /** Instructions the run may still execute. */
  remaining: number;
  /** Tail calls taken (the kernel's tail_call_cnt). */
  tailCalls = 0;

  /** may_goto budget a frame starts with. */
  private mayGotoBudget: number;

  constructor(
    readonly mem: AddressSpace,
    public opts: RunOptions,
    public maxInsns: number,
    /** The interpreter loop (injected to keep this file free of it). */
    private execFn: (m: Machine, base: number, pc: number) => void,
  ) {
    this.remaining = maxInsns;
    this.mayGotoBudget = opts.mayGotoBudget ?? MAY_GOTO_BUDGET;
  }

  /**
   * Make a released machine ready for another run (vm.ts keeps a few per address space: a run
   * allocates no typed arrays). Registers start at zero, as a new machine's do.
   */
  reuse(opts: RunOptions, maxInsns: number, execFn: (m: Machine, base: number, pc: number) => void): this {
    this.opts = opts;
    this.maxInsns = maxInsns;
    this.execFn = execFn;
    this.remaining = maxInsns;
    this.mayGotoBudget = opts.mayGotoBudget ?? MAY_GOTO_BUDGET;
    this.lo.fill(0);
    this.hi.fill(0);
    this.depth = 0;
    this.tailCalls = 0;
    this.frameProg.length = 0;
    return this;
  }

  /** Make `depth` a fresh frame running `prog`: zeroed stack, r10 at its top, full may_goto budget. */
  enterFrame(depth: number, prog: PreparedProgram): void {
    let st = this.stacks[depth];
    if (st === undefined) st = this.stacks[depth] = this.mem.takeStack(depth);
    else st.bytes.fill(0);
    this.frameProg[depth] = prog;
    this.mayGoto[depth] = this.mayGotoBudget;
    this.lo[10] = STACK_FRAME_SIZE;
    this.hi[10] = st.hiWord;
  }

  /** bpf-to-bpf call from `pc` (callee-saved r6..r9 kept for the return). */
  callLocal(pc: number): void {
    const d = this.depth + 1;
    if (d >= MAX_CALL_FRAMES) throw new CallDepthExceeded(d + 1);
    const { lo, hi, saved } = this;
    const s = d * 8;
    for (let r = 6; r <= 9; r++) {
      saved[s + (r - 6) * 2] = lo[r];
      saved[s + (r - 6) * 2 + 1] = hi[r];
    }
    this.frameRet[d] = pc + 1;
    this.enterFrame(d, this.frameProg[d - 1]);
    this.depth = d;
  }

  /** Exit of frame depth > 0: restore r6..r9 and r10; returns the caller's resume slot. */
  returnFromCall(): number {
    const d = this.depth;
    const { lo, hi, saved } = this;
    const s = d * 8;
    for (let r = 6; r <= 9; r++) {
      lo[r] = saved[s + (r - 6) * 2];
      hi[r] = saved[s + (r - 6) * 2 + 1];
    }
    this.depth = d - 1;
    lo[10] = STACK_FRAME_SIZE;
    hi[10] = this.stacks[d - 1]!.hiWord;
    return this.frameRet[d];
  }

  /** A helper (kfunc = false) or kfunc call at `pc`; sets r0. */
  callHelper(id: number, pc: number, kfunc: boolean): void {
    const fn = kfunc ? this.opts.kfuncs?.(id) : lookupHelper(this.opts, id);
    if (fn === undefined) throw new UnknownHelper(id, kfunc ? 'kfunc' : 'helper');
    this.invoke(fn, id, pc, kfunc);
  }

  /** callx: the conformance suite's convention, dst holds a helper id. */
  callIndirect(reg: number, pc: number): void {
    const v = regValue(this.lo, this.hi, reg);
    const fn = v < 0x80000000n ? lookupHelper(this.opts, Number(v)) : undefined;
    if (fn === undefined) throw new UnknownHelper(v, 'helper');
    this.invoke(fn, Number(v), pc, false);
  }

  private invoke(fn: HelperFn, id: number, pc: number, kfunc: boolean): void {
    const { lo, hi } = this;
    const call = new Call(this, pc, id, kfunc);
    let ret: unknown;
    try {
      ret = fn(call, regValue(lo, hi, 1), regValue(lo, hi, 2), regValue(lo, hi, 3), regValue(lo, hi, 4), regValue(lo, hi, 5));
    } catch (e) {
      throw helperFailure(e, id, pc, kfunc);
    }
    if (typeof ret === 'bigint') setReg(lo, hi, 0, BigInt.asUintN(64, ret));
    else if (typeof ret === 'number' && Number.isSafeInteger(ret)) setReg(lo, hi, 0, BigInt.asUintN(64, BigInt(ret)));
    else throw new VmUsageError(`${kfunc ? 'kfunc' : 'helper'} ${id} returned ${typeof ret} (a bigint is expected)`);
  }

  /** Run the callback at slot funcPc of the running program in a new frame; returns its r0. */
  callback(funcPc: number, args: readonly bigint[]): bigint {
    const prog = this.frameProg[this.depth];
    if (!Number.isInteger(funcPc) || funcPc < 0 || funcPc >= prog.length) {
      throw new ProgramCounterFault(funcPc, `callback at slot ${funcPc} is outside the program (${prog.length} slots)`);
    }
    const d = this.depth + 1;
    if (d >= MAX_CALL_FRAMES) throw new CallDepthExceeded(d + 1);
    const { lo, hi } = this;
    // A helper cannot change its caller's registers: keep them all across the callback.
    const keepLo = lo.slice();
    const keepHi = hi.slice();
    for (let i = 0; i < 5; i++) setReg(lo, hi, i + 1, BigInt.asUintN(64, args[i] ?? 0n));
    this.enterFrame(d, prog);
    this.depth = d;
    try {
      this.execFn(this, d, funcPc);
      return regValue(lo, hi, 0);
    } finally {
      this.depth = d - 1;
      lo.set(keepLo);
      hi.set(keepHi);
    }
  }

  /**
   * bpf_tail_call: the program to continue with (this frame replaced), or
   * undefined to fall through. As the x86-64 JIT does (checked on 6.18), only
   * calls that reach a program count against MAX_TAIL_CALL_CNT; calls to an
   * empty slot or out-of-range index do not.
   */
  tailCall(): PreparedProgram | undefined {
    const resolver = this.opts.tailCall;
    if (resolver === undefined) return undefined;
    const { lo, hi } = this;
    const target = resolver(regValue(lo, hi, 2), BigInt(lo[3] >>> 0));
    if (target === null || target === undefined) return undefined;
    if (this.tailCalls >= MAX_TAIL_CALL_CNT) return undefined;
    this.tailCalls++;
    const prepared = preparedFor(target);
    this.frameProg[this.depth] = prepared;
    this.mayGoto[this.depth] = this.mayGotoBudget;
    return prepared;
  }

  limitExceeded(): InstructionLimitExceeded {
    this.remaining = 0;
    return new InstructionLimitExceeded(this.maxInsns);
  }

  /** Return every stack frame to the address space's pool. */
  release(): void {
    this.stacks.forEach((st, depth) => {
      if (st) this.mem.returnStack(depth, st);
    });
    this.stacks.length = 0;
  }

}

export function lookupHelper(opts: RunOptions, id: number): HelperFn | undefined {
  const h = opts.helpers;
  if (h === undefined) return undefined;
  return typeof h === 'function' ? h(id) : h.get(id);
}

/**
 * Helper failures: BpfsimErrors get the helper's name (a fault already placed
 * inside a callback keeps its place and is marked as coming from the callback),
 * Errors become HelperError, other throwables (embedder control flow) pass through.
 */
export function helperFailure(e: unknown, id: number, pc: number, kfunc: boolean): unknown {
  const what = kfunc ? `kfunc ${id}` : `helper ${id}`;
  if (e instanceof VmError && e.insn !== undefined) return e.wrap(`insn ${pc}: ${what} callback`);
  if (e instanceof BpfsimError) return e.wrap(what);
  if (e instanceof Error) return new HelperError(id, e.message, e);
  return e;
}

export class Call implements HelperCall {
  readonly mem: AddressSpace;
  constructor(
    private readonly m: Machine,
    readonly pc: number,
    readonly helperId: number,
    readonly kfunc: boolean,
  ) {
    this.mem = m.mem;
  }
  callback(funcPc: number, args: readonly bigint[]): bigint {
    return this.m.callback(funcPc, args);
  }
  unwind(r0: bigint): never {
    throw new Unwind(BigInt.asUintN(64, r0));
  }
}
