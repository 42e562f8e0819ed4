'use strict';
/**
 * Verifier throughput: processed instructions per CPU-second of
 * @bpfsim/verifier, beside the running kernel's own figure for the same
 * program (BPF_PROG_LOAD with log_level 4 = BPF_LOG_STATS: `verification time
 * N usec` and `processed N insns`). Uses the built dist: run
 * `npx tsc -b packages/verifier` first.
 *
 *   node tools/bench/verifier.js [--quick] [--json FILE]
 *
 * Programs: straight-line code of 4k, 32k and (without --quick) 1M slots, and
 * chains of data-dependent branches whose paths the verifier cannot prune
 * (2^11 and, without --quick, 2^14 and 2^16 paths: 20k, 164k and 655k
 * processed, the last near the 1M complexity limit). States that keep failing
 * to prune are evicted as the kernel evicts them, so the time per processed
 * instruction stays flat as the chain grows. The 1M program is skipped, with a
 * note, when the 32k rate predicts more than a minute for it. Both verdicts are printed:
 * the comparison is fair when both reach the same verdict after the same number
 * of instructions (the loop is refused by both, E2BIG at the limit). The kernel and bpfsim may
 * process different counts on branchy programs (bpfsim prunes less, see
 * docs/verifier.md), so rates are compared, not times.
 */
const { Insn } = require('@bpfsim/isa');
const { verify } = require('@bpfsim/verifier');
const oracle = require('../oracle');

const BPF_PROG_TYPE_XDP = 6;
const BPF_LOG_STATS = 4;
const BPF_FUNC_get_prandom_u32 = 7;
/** Skip the 1M-slot program when one bpfsim run of it would take longer than this. */
const MAX_1M_CPU_S = 60;

// Opcode bytes (include/uapi/linux/bpf.h).
const ALU64_K = (op) => 0x07 | op;
const ALU64_X = (op) => 0x0f | op;
const ALU32_K = (op) => 0x04 | op;
const JMP_K = (op) => 0x05 | op;
const ADD = 0x00, SUB = 0x10, OR = 0x40, AND = 0x50, LSH = 0x60, RSH = 0x70, XOR = 0xa0, MOV = 0xb0;
const JEQ = 0x10, JSET = 0x40;
const LDX_DW = 0x79, STX_DW = 0x7b, CALL = 0x85, EXIT = 0x95;
const R10 = 10;

const I = (code, dst = 0, src = 0, off = 0, imm = 0) => new Insn(code, dst, src, off, imm);

/**
 * `slots` instructions without a branch: a repeating mix of 64/32-bit ALU on
 * known scalars and stack spills/fills, the bulk of real programs' straight
 * code. Every value stays a constant, so both verifiers only track state.
 */
function straightLine(slots) {
  const pattern = [
    I(ALU64_X(MOV), 1, 0),            // r1 = r0
    I(ALU64_K(ADD), 1, 0, 0, 3),      // r1 += 3
    I(ALU64_K(XOR), 0, 0, 0, 0x55),   // r0 ^= 0x55
    I(STX_DW, R10, 1, -8),            // *(u64 *)(r10 - 8) = r1
    I(LDX_DW, 2, R10, -8),            // r2 = *(u64 *)(r10 - 8)
    I(ALU64_K(LSH), 2, 0, 0, 2),      // r2 <<= 2
    I(ALU32_K(AND), 2, 0, 0, 0xffff), // w2 &= 0xffff
    I(ALU64_K(RSH), 0, 0, 0, 1),      // r0 >>= 1
    I(ALU64_X(OR), 0, 2),             // r0 |= r2
    I(ALU64_K(SUB), 0, 0, 0, 1),      // r0 -= 1
  ];
  const insns = [I(ALU64_K(MOV), 0, 0, 0, 0)];
  while (insns.length < slots - 2) insns.push(pattern[(insns.length - 1) % pattern.length]);
  insns.push(I(ALU64_K(MOV), 0, 0, 0, 2)); // return XDP_PASS
  insns.push(I(EXIT));
  return insns;
}

/**
 * `depth` branches on bits of one unknown value (bpf_get_prandom_u32), each
 * adding a different constant to r6 on its taken side, so every one of the
 * 2^depth paths carries a different r6. The final comparison of r6 with a
 * constant is decided on every path, which makes the kernel mark r6 precise
 * (mark_chain_precision): states with different r6 are then never equal and
 * no path is pruned. `pad` ALU instructions per level make the paths longer.
 */
function branchChain(depth, pad) {
  const insns = [
    I(CALL, 0, 0, 0, BPF_FUNC_get_prandom_u32),
    I(ALU64_X(MOV), 7, 0),            // r7 = random
    I(ALU64_K(MOV), 6, 0, 0, 0),      // r6 = 0
    I(ALU64_K(MOV), 8, 0, 0, 0),      // r8 = 0
  ];
  for (let level = 0; level < depth; level++) {
    insns.push(I(JMP_K(JSET), 7, 0, 1, 1 << level)); // if r7 & bit goto +1
    insns.push(I(JMP_K(0x00), 0, 0, 1, 0));          // goto +1 (skip the add)
    insns.push(I(ALU64_K(ADD), 6, 0, 0, 1 << level)); // r6 += bit
    for (let p = 0; p < pad; p++) insns.push(I(ALU64_K(p % 2 ? XOR : ADD), 8, 0, 0, p + 1));
  }
  insns.push(I(JMP_K(JEQ), 6, 0, 1, 0x7fffffff));    // always false: decided, marks r6 precise
  insns.push(I(ALU64_K(MOV), 0, 0, 0, 2));           // return XDP_PASS
  insns.push(I(EXIT));
  return insns;
}

/**
 * A loop on an unknown counter that never converges: every iteration narrows the counter's range a
 * little, so both verifiers walk it to the complexity limit (E2BIG after 1,000,001 instructions),
 * remembering a state every 20 jumps and evicting those that keep missing. Non-constant scalars all
 * the way: the bounds arithmetic's cost.
 */
function loopToLimit() {
  return [
    I(CALL, 0, 0, 0, BPF_FUNC_get_prandom_u32),
    I(ALU64_X(MOV), 1, 0),       // r1 = random
    I(ALU64_K(MOV), 0, 0, 0, 0), // r0 = 0
    I(ALU64_K(ADD), 1, 0, 0, -1), // r1 -= 1
    I(JMP_K(0x50), 1, 0, -2, 0), // if r1 != 0 goto -2
    I(EXIT),
  ];
}

function encode(insns) {
  const out = new Uint8Array(insns.length * 8);
  insns.forEach((insn, i) => insn.encodeInto(out, i * 8));
  return out;
}

function cpuNs(c0) {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) * 1000;
}

/** One bpfsim verify at log level 0 (the kernel side logs only stats): processed and CPU time. */
function runBpfsim(insns) {
  const c0 = process.cpuUsage();
  const r = verify(insns, { progType: BPF_PROG_TYPE_XDP, logLevel: 0 });
  const ns = cpuNs(c0);
  return { accepted: r.accepted, error: r.error, processed: r.processed, ns };
}

/**
 * Best of `rounds` bpfsim runs, stopping early once the runs used `budgetNs`
 * of CPU (large programs are measured once).
 */
function measureBpfsim(insns, rounds, budgetNs) {
  let best;
  let spent = 0;
  for (let i = 0; i < rounds && (i === 0 || spent < budgetNs); i++) {
    const r = runBpfsim(insns);
    spent += r.ns;
    if (!best || r.ns < best.ns) best = r;
  }
  return best;
}

/** Best of `rounds` kernel loads with BPF_LOG_STATS: the kernel's own verification time. */
function measureKernel(insns, rounds) {
  const a = oracle.available();
  if (!a.ok) return { ok: false, reason: a.reason };
  const bytes = encode(insns);
  let best;
  for (let i = 0; i < rounds; i++) {
    const r = oracle.progLoad({ type: BPF_PROG_TYPE_XDP, insns: bytes, logLevel: BPF_LOG_STATS, name: 'bpfsim_vbench' });
    if (r.fd !== null) oracle.close(r.fd);
    const m = /^verification time (\d+) usec$/m.exec(r.log);
    const stats = oracle.verifierStats(r.log);
    if (!m || !stats) return { ok: false, reason: `no stats in the kernel log (${r.errnoName || 'accepted'}): ${oracle.lastErrorLine(r.log)}` };
    const k = { ok: true, accepted: r.fd !== null, errnoName: r.errnoName, error: oracle.lastErrorLine(r.log), processed: stats.processed, usec: Number(m[1]) };
    if (!best || k.usec < best.usec) best = k;
  }
  return best;
}

function fmt(n) {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(1)} k`;
}

/** bpfsim's rate over the kernel's: `0.27x` (slower) or `1.35x` (faster). */
function ratio(rate, krate) {
  return `${(rate / krate).toFixed(2)}x`;
}

function verdict(accepted, why) {
  return accepted ? 'accepted' : `REJECTED: ${why}`;
}

function main() {
  const quick = process.argv.includes('--quick');
  const programs = [
    { name: 'straight 4k', insns: straightLine(4096) },
    { name: 'straight 32k', insns: straightLine(32768) },
    { name: 'straight 1M', insns: () => straightLine(1_000_000), big: true },
    { name: 'branches 2^11', insns: branchChain(11, 2) },
    { name: 'branches 2^14', insns: () => branchChain(14, 2), big: true },
    { name: 'branches 2^16', insns: () => branchChain(16, 2), big: true },
    { name: 'loop to the limit', insns: loopToLimit(), big: true },
  ];
  // Steady-state rates: warm V8's JIT up on both shapes of code first (one 4k run is not enough for
  // the optimising tier; a cold first verify in a fresh process costs a few ms more).
  for (let i = 0; i < 20; i++) {
    verify(straightLine(4096), { progType: BPF_PROG_TYPE_XDP, logLevel: 0 });
    verify(branchChain(8, 2), { progType: BPF_PROG_TYPE_XDP, logLevel: 0 });
  }
  const rows = [];
  const json = [];
  const figure = (name, engine, metric, value) => json.push({ bench: 'verifier', name, engine, metric, value });
  const notes = [];
  let straightRate = 0;
  for (const p of programs) {
    if (p.big && quick) {
      notes.push(`${p.name}: skipped with --quick`);
      continue;
    }
    if (typeof p.insns === 'function') p.insns = p.insns();
    if (p.name === 'straight 1M' && straightRate > 0 && p.insns.length / straightRate > MAX_1M_CPU_S) {
      notes.push(`${p.name}: skipped, the 32k rate predicts ${(p.insns.length / straightRate).toFixed(0)} s of CPU (over ${MAX_1M_CPU_S} s)`);
      continue;
    }
    // Large programs: one run; small ones once to warm up, then best of 5 within 5 s of CPU.
    if (!p.big) runBpfsim(p.insns);
    const b = measureBpfsim(p.insns, p.big ? 1 : 5, p.big ? 0 : 5e9);
    if (p.name === 'straight 32k') straightRate = (b.processed / b.ns) * 1e9;
    const k = measureKernel(p.insns, 3);
    const rate = (b.processed / b.ns) * 1e9;
    figure(p.name, 'bpfsim', 'insns_per_cpu_s', rate);
    figure(p.name, 'bpfsim', 'processed_insns', b.processed);
    const row = {
      program: p.name,
      slots: p.insns.length,
      'bpfsim verdict': verdict(b.accepted, b.error),
      'bpfsim processed': b.processed,
      'bpfsim cpu ms': +(b.ns / 1e6).toFixed(1),
      'bpfsim insns/s': fmt(rate),
    };
    if (k.ok) {
      const krate = (k.processed / k.usec) * 1e6;
      figure(p.name, 'kernel', 'insns_per_cpu_s', krate);
      figure(p.name, 'kernel', 'processed_insns', k.processed);
      Object.assign(row, {
        'kernel verdict': verdict(k.accepted, `${k.errnoName} ${k.error}`),
        'kernel processed': k.processed,
        'kernel ms': +(k.usec / 1e3).toFixed(1),
        'kernel insns/s': fmt(krate),
        'bpfsim/kernel': ratio(rate, krate),
      });
    } else {
      row['kernel'] = `n/a (${k.reason})`;
    }
    rows.push(row);
  }
  console.table(rows);
  const argv = process.argv.slice(2);
  if (argv.includes('--json')) require('fs').writeFileSync(argv[argv.indexOf('--json') + 1], `${JSON.stringify(json, null, 1)}\n`);
  for (const n of notes) console.log(`note: ${n}`);
  console.log('insns/s = processed instructions per CPU-second (bpfsim: process.cpuUsage around verify(), log level 0;'
    + ' kernel: `verification time` of log_level 4, best of 3). bpfsim/kernel = ratio of the two rates.');
}

main();
