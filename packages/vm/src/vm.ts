/**
 * Entry points: prepare a program once (Vm / prepare) and run it as often as
 * needed (Vm.run / run).
 */
import type { Program } from '@bpfsim/isa';
import type { RunOptions, RunResult } from './api';
import { VmUsageError } from './errors';
import { execCompiled } from './compiled/engine';
import { exec } from './interpreter';
import { Machine, Unwind, regValue, setReg } from './machine';
import { AddressSpace } from './memory/address-space';
import { PreparedProgram } from './prepare';
import { preparedFor } from './program-cache';

export const DEFAULT_MAX_INSNS = 10_000_000;

/** Released machines per address space, for the next run. */
const machines = new WeakMap<AddressSpace, Machine[]>();

export interface PrepareOptions {
  /** Program name used in error messages ("prog xdp_prog: insn 12 ..."). */
  name?: string;
}

/** Decode a program once for repeated runs. */
export function prepare(prog: Program, opts: PrepareOptions = {}): PreparedProgram {
  return new PreparedProgram(prog.slice(), opts.name);
}

/** A prepared program: construct once, run many times. */
export class Vm {
  readonly program: PreparedProgram;
  constructor(prog: Program | PreparedProgram, opts: PrepareOptions = {}) {
    this.program = prog instanceof PreparedProgram ? prog : prepare(prog, opts);
  }
  run(opts: RunOptions = {}): RunResult {
    return runPrepared(this.program, opts);
  }
}

/**
 * Run a program to its exit. r1..r5 come from opts.args (r1 is usually the
 * context), r10 points at the top of a zeroed 512-byte stack frame mapped in
 * opts.memory (a fresh AddressSpace by default). Throws a VmError subclass on
 * a fault; a thrown non-Error from a helper propagates unchanged.
 */
export function run(prog: Program | PreparedProgram | Vm, opts: RunOptions = {}): RunResult {
  return runPrepared(prog instanceof Vm ? prog.program : preparedFor(prog), opts);
}

function runPrepared(prog: PreparedProgram, opts: RunOptions): RunResult {
  const mem = opts.memory ?? new AddressSpace();
  if (!(mem instanceof AddressSpace)) throw new VmUsageError('RunOptions.memory must be an AddressSpace of @bpfsim/vm');
  const maxInsns = opts.maxInsns ?? DEFAULT_MAX_INSNS;
  if (!Number.isSafeInteger(maxInsns) || maxInsns < 0) throw new VmUsageError(`RunOptions.maxInsns must be a non-negative integer (got ${maxInsns})`);
  const budget = opts.mayGotoBudget;
  if (budget !== undefined && (!Number.isInteger(budget) || budget < 0 || budget > 0x7fffffff)) {
    throw new VmUsageError(`RunOptions.mayGotoBudget must be an integer in [0, 2^31) (got ${budget})`);
  }
  const args = opts.args ?? [];
  if (args.length > 5) throw new VmUsageError(`RunOptions.args holds r1..r5 (got ${args.length} values)`);
  const after = opts.compileAfter;
  if (after !== undefined && !(Number.isSafeInteger(after) && after >= 0)) throw new VmUsageError(`RunOptions.compileAfter must be a non-negative integer (got ${after})`);
  const engine = opts.engine ?? 'interp';
  if (engine !== 'interp' && engine !== 'compiled') throw new VmUsageError(`RunOptions.engine must be 'interp' or 'compiled' (got ${String(engine)})`);
  const run = engine === 'compiled' ? execCompiled : exec;
  // A released machine of this address space, else a new one (nested runs take their own).
  let pool = machines.get(mem);
  if (!pool) machines.set(mem, (pool = []));
  const m = pool.pop()?.reuse(opts, maxInsns, run) ?? new Machine(mem, opts, maxInsns, run);
  args.forEach((v, i) => setReg(m.lo, m.hi, i + 1, BigInt.asUintN(64, v)));
  let r0: bigint;
  try {
    m.enterFrame(0, prog);
    run(m, 0, 0);
    r0 = regValue(m.lo, m.hi, 0);
  } catch (e) {
    if (!(e instanceof Unwind)) throw e;
    r0 = e.r0;
  } finally {
    m.release();
  }
  const res = { r0, insns: maxInsns - m.remaining, tailCalls: m.tailCalls };
  if (pool.length < 4) pool.push(m);
  return res;
}
