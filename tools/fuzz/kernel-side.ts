/**
 * The kernel side of the differential test: load a generated case as XDP,
 * run it once with BPF_PROG_TEST_RUN, report what it returned and the packet.
 */
import { encodeProgram } from '@bpfsim/isa';
import * as oracle from '../oracle';
import type { GeneratedCase } from './generator';

const BPF_PROG_TYPE_XDP = 6;

export type KernelOutcome =
  | { accepted: false; errnoName: string; log: string }
  | { accepted: true; retval: number; packet: Uint8Array; errnoName: string };

/** Load (log_level 1 only when asked: it is slow), test-run once, close. */
export function runInKernel(c: GeneratedCase, withLog = false): KernelOutcome {
  const load = oracle.progLoad({ type: BPF_PROG_TYPE_XDP, insns: encodeProgram(c.insns), logLevel: withLog ? 1 : 0, name: 'bpfsim_fuzz' });
  if (load.fd === null) {
    // Reload with a log to explain the rejection.
    const log = withLog ? load.log : kernelLog(c, 1);
    return { accepted: false, errnoName: load.errnoName, log };
  }
  try {
    const t = oracle.testRun(load.fd, { dataIn: c.packet, dataSizeOut: c.packet.length });
    return { accepted: true, retval: t.retval, packet: t.dataOut ?? new Uint8Array(0), errnoName: t.errnoName };
  } finally {
    oracle.close(load.fd);
  }
}

/** The verifier log of the case at `logLevel` (the program is closed again if accepted). */
export function kernelLog(c: GeneratedCase, logLevel: number): string {
  const r = oracle.progLoad({ type: BPF_PROG_TYPE_XDP, insns: encodeProgram(c.insns), logLevel });
  if (r.fd !== null) oracle.close(r.fd);
  return r.log;
}
