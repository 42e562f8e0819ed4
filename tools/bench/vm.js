'use strict';
/**
 * VM throughput: instructions per second of @bpfsim/vm on the three programs
 * of programs.js. Uses the built dist: run `npx tsc -b packages/vm` first.
 *
 *   node tools/bench/vm.js [--kernel]
 *
 * Two figures per program: a long loop (1,000,000 rounds in one run: pure
 * interpreter throughput) and the 1000-round program the kernel side runs,
 * repeated (includes per-run setup). --kernel adds the real kernel's figure
 * for the same 1000-round program (BPF_PROG_TEST_RUN, see kernel.js) when the
 * oracle is available.
 */
const { Vm } = require('@bpfsim/vm');
const { PROGRAMS } = require('./programs');

const TARGET_NS = 400e6;
const OPTS = { maxInsns: 1e9 };

/**
 * Best-of-3 instructions per CPU-second of vm.run() repeated for about
 * TARGET_NS each. CPU time (process.cpuUsage), not wall time, so a busy
 * shared machine skews the figure less; the kernel side reports its own run
 * time the same way (BPF_PROG_TEST_RUN duration).
 */
function measure(vm) {
  const first = vm.run(OPTS);
  for (let i = 0; i < 3; i++) vm.run(OPTS); // warm up
  let best = 0;
  for (let round = 0; round < 3; round++) {
    let insns = 0;
    const c0 = process.cpuUsage();
    let cpuNs = 0;
    while (cpuNs < TARGET_NS / 3) {
      insns += vm.run(OPTS).insns;
      const c = process.cpuUsage(c0);
      cpuNs = (c.user + c.system) * 1000;
    }
    best = Math.max(best, (insns / cpuNs) * 1e9);
  }
  return { insnsPerSec: best, insnsPerRun: first.insns, r0: first.r0 };
}

function fmt(n) {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} M` : `${(n / 1e3).toFixed(1)} k`;
}

function main() {
  const withKernel = process.argv.includes('--kernel');
  const kernel = withKernel ? require('./kernel') : undefined;
  const rows = [];
  for (const p of PROGRAMS) {
    const long = measure(new Vm(p.build(1_000_000).insns, { name: p.name }));
    const small = p.build(1000);
    const short = measure(new Vm(small.insns, { name: p.name }));
    const row = {
      program: p.name,
      description: p.description,
      'insns/run (1M rounds)': long.insnsPerRun,
      'VM insns/cpu-s (1M rounds)': fmt(long.insnsPerSec),
      'insns/run (1000 rounds)': short.insnsPerRun,
      'VM insns/cpu-s (1000 rounds)': fmt(short.insnsPerSec),
      r0: `0x${short.r0.toString(16)}`,
    };
    if (kernel) {
      const k = kernel.measureKernel({ insns: small.insns, insnsPerRun: short.insnsPerRun, name: `bench_${p.name}` });
      row['kernel insns/s (1000 rounds)'] = k.ok ? fmt(k.insnsPerSec) : `n/a (${k.reason})`;
      if (k.ok) row['kernel r0'] = `0x${(k.retval >>> 0).toString(16)}`;
    }
    rows.push(row);
  }
  console.table(rows);
}

main();
