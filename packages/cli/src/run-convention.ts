/**
 * Running a bare program with the conformance convention: r1 = input memory
 * (writable), r2 = its length, helper 5 = unwind. Shared by `bpfsim run` and
 * `bpfsim conformance`.
 */
import type { Program } from '@bpfsim/isa';
import { AddressSpace, run, type Engine, type HelperFn, type RunResult } from '@bpfsim/vm';
import { isBpfsimError } from '@bpfsim/uapi';

/** Helper 5 returns its argument, and when that is 0 ends the whole program with r0 = 0. */
const UNWIND: HelperFn = (call, r1) => (r1 === 0n ? call.unwind(0n) : r1);

export function conventionHelpers(): Map<number, HelperFn> {
  return new Map([[5, UNWIND]]);
}

export interface ConventionOptions {
  maxInsns?: number;
  file?: string;
  /** VM engine (default: the VM's, the interpreter). */
  engine?: Engine;
}

export function runConvention(prog: Program, mem: Uint8Array, opts: ConventionOptions = {}): Pick<RunResult, 'r0' | 'insns'> {
  const memory = new AddressSpace();
  const region = memory.map('input', mem.slice(), { name: 'mem' });
  try {
    const res = run(prog, {
      args: [mem.length ? region.base : 0n, BigInt(mem.length)],
      memory,
      helpers: conventionHelpers(),
      maxInsns: opts.maxInsns ?? 10_000_000,
      engine: opts.engine,
    });
    return { r0: res.r0, insns: res.insns };
  } catch (e) {
    if (isBpfsimError(e) && opts.file) e.wrap(`${opts.file}: run`);
    throw e;
  }
}
