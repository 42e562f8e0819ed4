'use strict';
/**
 * VM throughput: instructions per CPU-second of @bpfsim/vm on the programs of
 * programs.js, on both engines (the reference interpreter and the compiled
 * engine), beside the kernel's figure. Uses the built dist: run
 * `npx tsc -b packages/vm` first.
 *
 *   node tools/bench/vm.js [--kernel] [--quick] [--json FILE]
 *
 * Two figures per program and engine: a long loop (1,000,000 rounds in one
 * run, 100,000 with --quick: pure engine throughput) and the 1000-round
 * program the kernel side runs, repeated (includes per-run setup). --kernel
 * adds the real kernel's figure for the same 1000-round program
 * (BPF_PROG_TEST_RUN, see kernel.js) when the oracle is available. --json
 * writes every figure as rows {bench, name, engine, metric, value}.
 */
const fs = require('fs');
const { AddressSpace, Vm } = require('@bpfsim/vm');
const { PROGRAMS, benchPacket, MAP_ENTRIES } = require('./programs');

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const TARGET_NS = QUICK ? 150e6 : 400e6;
const LONG_ROUNDS = QUICK ? 100_000 : 1_000_000;
const ENGINES = ['interp', 'compiled'];
const BPF_MAP_TYPE_ARRAY = 2;

/** Values of the benchmark's array map: entry i holds i * 0x101 (u64, little-endian). */
function mapValues() {
  const bytes = new Uint8Array(MAP_ENTRIES * 8);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < MAP_ENTRIES; i++) dv.setBigUint64(i * 8, BigInt(i * 0x101), true);
  return bytes;
}

/**
 * The VM side of program p at `rounds`: its Vm and run options. A map is a
 * 'map' region (what r1 names) plus its values, looked up by a plain array
 * lookup helper; a packet is mapped with an xdp_md context whose 32-bit
 * data/data_end loads give 64-bit packet pointers, as the kernel's rewrite does.
 */
function vmSetup(p, rounds) {
  const memory = new AddressSpace();
  const opts = { memory, maxInsns: 1e9 };
  let built;
  if (p.needs === 'map') {
    const obj = memory.map('map', new Uint8Array(64), { name: 'bench_map' });
    const values = memory.map('map_value', mapValues(), { name: 'bench_map values' });
    const lookup = (call, map, key) => {
      if (map !== obj.base) return 0n;
      const k = call.mem.readU32(key);
      return k < MAP_ENTRIES ? values.base + BigInt(k * 8) : 0n;
    };
    opts.helpers = new Map([[1, lookup]]);
    built = p.build(rounds, { addr: obj.base });
  } else if (p.needs === 'packet') {
    const bytes = benchPacket();
    const pkt = memory.map('packet', bytes, { name: 'packet' });
    const end = pkt.base + BigInt(bytes.length);
    const virtual = { load: (off) => (off === 0 ? pkt.base : off === 4 ? end : 0n), store: () => {} };
    const ctx = memory.map('ctx', new Uint8Array(24), { name: 'xdp_md', writable: false, virtual });
    opts.args = [ctx.base];
    built = p.build(rounds);
  } else {
    built = p.build(rounds);
  }
  return { vm: new Vm(built.insns, { name: p.name }), opts };
}

/**
 * Best-of-3 instructions per CPU-second of vm.run() repeated for about
 * TARGET_NS each. CPU time (process.cpuUsage), not wall time, so a busy
 * shared machine skews the figure less; the kernel side reports its own run
 * time the same way (BPF_PROG_TEST_RUN duration).
 */
function measure({ vm, opts }, engine) {
  const o = { ...opts, engine, compileAfter: 0 }; // steady state: no interpreter tier
  const first = vm.run(o);
  // Warm up for a while, not a few runs: V8 must optimize the interpreter loop or the generated code first.
  const w0 = process.cpuUsage();
  for (let i = 0; i < 5 || cpuSince(w0) < TARGET_NS / 4; i++) vm.run(o);
  let best = 0;
  for (let round = 0; round < 3; round++) {
    let insns = 0;
    const c0 = process.cpuUsage();
    let cpuNs = 0;
    while (cpuNs < TARGET_NS / 3) {
      insns += vm.run(o).insns;
      const c = process.cpuUsage(c0);
      cpuNs = (c.user + c.system) * 1000;
    }
    best = Math.max(best, (insns / cpuNs) * 1e9);
  }
  return { insnsPerSec: best, insnsPerRun: first.insns, r0: first.r0 };
}

/** The kernel's figure for the 1000-round program (a real array map for 'maps', the packet for 'packet'). */
function kernelFigure(kernel, oracle, p, insnsPerRun) {
  const a = oracle.available();
  if (!a.ok) return { ok: false, reason: a.reason };
  const cleanup = [];
  try {
    let insns;
    let dataIn;
    if (p.needs === 'map') {
      const m = oracle.mapCreate({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: MAP_ENTRIES, name: 'bench_map' });
      if (m.fd === null) return { ok: false, reason: `map create failed (${m.errnoName})` };
      cleanup.push(() => oracle.close(m.fd));
      const values = mapValues();
      for (let i = 0; i < MAP_ENTRIES; i++) {
        oracle.mapUpdate(m.fd, Uint8Array.of(i, 0, 0, 0), values.slice(i * 8, i * 8 + 8));
      }
      insns = p.build(1000, { fd: m.fd }).insns;
    } else {
      insns = p.build(1000).insns;
      if (p.needs === 'packet') dataIn = benchPacket();
    }
    return kernel.measureKernel({ insns, insnsPerRun, name: `bench_${p.name}`, dataIn });
  } finally {
    for (const f of cleanup) f();
  }
}

function cpuSince(c0) {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) * 1000;
}

function fmt(n) {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} M` : `${(n / 1e3).toFixed(1)} k`;
}

function main() {
  const withKernel = argv.includes('--kernel');
  const jsonFile = argv.includes('--json') ? argv[argv.indexOf('--json') + 1] : undefined;
  const kernel = withKernel ? require('./kernel') : undefined;
  const oracle = withKernel ? require('../oracle') : undefined;
  const rows = [];
  const json = [];
  const figure = (name, engine, metric, value) => json.push({ bench: 'vm', name, engine, metric, value });
  for (const p of PROGRAMS) {
    const long = {};
    const short = {};
    for (const engine of ENGINES) {
      long[engine] = measure(vmSetup(p, LONG_ROUNDS), engine);
      short[engine] = measure(vmSetup(p, 1000), engine);
      if (long[engine].r0 !== long.interp.r0 || long[engine].insnsPerRun !== long.interp.insnsPerRun) {
        throw new Error(`${p.name}: the ${engine} engine disagrees with the interpreter (r0 or instruction count)`);
      }
      figure(p.name, engine, 'insns_per_cpu_s', long[engine].insnsPerSec);
      figure(`${p.name}_1000`, engine, 'insns_per_cpu_s', short[engine].insnsPerSec);
    }
    const row = {
      program: p.name,
      [`insns/run (${LONG_ROUNDS / 1000}k rounds)`]: long.interp.insnsPerRun,
      'interp /cpu-s': fmt(long.interp.insnsPerSec),
      'compiled /cpu-s': fmt(long.compiled.insnsPerSec),
      'compiled/interp': `${(long.compiled.insnsPerSec / long.interp.insnsPerSec).toFixed(1)}x`,
      'interp /cpu-s (1000 rounds)': fmt(short.interp.insnsPerSec),
      'compiled /cpu-s (1000 rounds)': fmt(short.compiled.insnsPerSec),
      'compiled/interp (1000)': `${(short.compiled.insnsPerSec / short.interp.insnsPerSec).toFixed(1)}x`,
      r0: `0x${short.interp.r0.toString(16)}`,
    };
    if (kernel) {
      const k = kernelFigure(kernel, oracle, p, short.interp.insnsPerRun);
      row['kernel /s (1000 rounds)'] = k.ok ? fmt(k.insnsPerSec) : `n/a (${k.reason})`;
      if (k.ok) {
        row['kernel r0'] = `0x${(k.retval >>> 0).toString(16)}`;
        figure(`${p.name}_1000`, 'kernel', 'insns_per_cpu_s', k.insnsPerSec);
      }
    }
    rows.push(row);
  }
  console.table(rows);
  if (jsonFile) fs.writeFileSync(jsonFile, `${JSON.stringify(json, null, 1)}\n`);
}

main();
