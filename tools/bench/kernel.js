'use strict';
/**
 * The kernel side of the benchmark: how fast the running kernel (JIT, when
 * net.core.bpf_jit_enable=1) runs a program, measured with BPF_PROG_TEST_RUN
 * and `repeat`, never attached.
 *
 *   const { measureKernel } = require('./kernel');
 *   const r = measureKernel({ insns, insnsPerRun: vmResult.insns });
 *   if (r.ok) console.log(r.insnsPerSec);
 *
 * The kernel reports time per run, not instructions executed, so the caller
 * passes insnsPerRun: the instruction count the VM reports for the same
 * program and input (RunResult.insns), i.e. the same unit the VM figure uses.
 */
const oracle = require('../oracle');

const BPF_PROG_TYPE_XDP = 6;
/** Aim for this much kernel time per measurement (the repeat count adapts). */
const TARGET_NS = 200e6;

function encode(insns) {
  if (insns instanceof Uint8Array) return insns;
  // An Insn[] from @bpfsim/isa.
  const out = new Uint8Array(insns.length * 8);
  insns.forEach((insn, i) => insn.encodeInto(out, i * 8));
  return out;
}

/**
 * Load `insns` (slot bytes or Insn[]) as `type` (default XDP), run it with
 * BPF_PROG_TEST_RUN on `dataIn` (default 64 zero bytes) `repeat` times (default:
 * grown until one measurement takes ~200 ms), best of `rounds` (default 3).
 * Returns { ok: true, insnsPerSec, nsPerRun, runsPerSec, repeat, retval } or
 * { ok: false, reason } (oracle unavailable, rejected with the kernel's
 * final error line, or the run failed).
 */
function measureKernel(opts) {
  const a = oracle.available();
  if (!a.ok) return { ok: false, reason: a.reason };
  if (!(opts.insnsPerRun > 0)) return { ok: false, reason: 'insnsPerRun (the VM\'s instruction count for this program and input) is required' };
  const load = oracle.progLoad({
    type: opts.type ?? BPF_PROG_TYPE_XDP, insns: encode(opts.insns), logLevel: 1,
    expectedAttachType: opts.expectedAttachType, fdArray: opts.fdArray, name: opts.name ?? 'bpfsim_bench',
  });
  if (load.fd === null) return { ok: false, reason: `kernel rejected the program (${load.errnoName}): ${oracle.lastErrorLine(load.log)}` };
  try {
    const dataIn = opts.dataIn ?? new Uint8Array(64);
    const run = (repeat) => oracle.testRun(load.fd, { dataIn, ctxIn: opts.ctxIn, repeat });
    let repeat = opts.repeat ?? 1000;
    let t = run(repeat);
    if (t.errno) return { ok: false, reason: `BPF_PROG_TEST_RUN failed: ${t.errnoName}` };
    if (opts.repeat === undefined) {
      // duration is the mean ns per run; scale repeat so a measurement lasts ~TARGET_NS.
      while (repeat < 1e8 && t.duration * repeat < TARGET_NS / 4) {
        repeat = Math.min(1e8, Math.ceil(TARGET_NS / Math.max(1, t.duration)), repeat * 100);
        t = run(repeat);
        if (t.errno) return { ok: false, reason: `BPF_PROG_TEST_RUN failed: ${t.errnoName}` };
      }
    }
    let best = t.duration;
    for (let i = 1; i < (opts.rounds ?? 3); i++) {
      const u = run(repeat);
      if (!u.errno) best = Math.min(best, u.duration);
    }
    // duration is an integer number of ns; programs faster than 1 ns/run cannot be resolved.
    const nsPerRun = Math.max(best, 1);
    return {
      ok: true, nsPerRun, runsPerSec: 1e9 / nsPerRun, insnsPerSec: (opts.insnsPerRun * 1e9) / nsPerRun,
      repeat, retval: t.retval,
    };
  } finally {
    oracle.close(load.fd);
  }
}

module.exports = { measureKernel };
