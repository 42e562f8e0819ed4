'use strict';
/**
 * Which test files ask the kernel (and so have a tape in fixtures/linux-6.18): found by the calls
 * that reach it, through the addon, a small C loader or libbpf. Shared by the tape check
 * (test/tapes.test.ts) and the record/diff campaigns (campaign.js).
 */
const fs = require('fs');
const path = require('path');
const { ROOT } = require('./tape');

/** Calls that reach the kernel, and imports of the test-side loaders that do (gen/*-oracle, kernel-oracle). */
const ASKS = /\b(oracle\.(progLoad|loadVerdict|mapCreate|testRun|calls|mapUpdate)|loadPrograms|btfLoad|runLibbpfLoad|kernelVerdicts|libbpfKernelMaps|compareCase|new Dual|oracleOrSkip|runInKernel)\(|from '\.\/scalar-harness'|\btape\.ask\(|from '[^']*-oracle'/;

/** Files that match ASKS without asking in `npm test`, and why. */
const NOT_ASKING = {
  'packages/vm/test/conformance.test.ts': 'its runCase is the conformance runner, not the kernel',
  'packages/verifier/test/gen-report.test.ts': 'an opt-in report (BPFSIM_VERIFIER_GEN_N), skipped in npm test',
  'tools/oracle/test/tapes.test.ts': 'checks the tapes; its one question is meant to miss',
};

function walk(dir, out) {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name === 'build' || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.test.ts') && p.split(path.sep).includes('test')) out.push(p);
  }
  return out;
}

const rel = (p) => path.relative(ROOT, p).split(path.sep).join('/');

/** Repository-relative paths of the test files that ask the kernel, sorted. */
function kernelTests() {
  const all = [...walk(path.join(ROOT, 'packages'), []), ...walk(path.join(ROOT, 'tools'), [])];
  return all.filter((f) => ASKS.test(fs.readFileSync(f, 'utf8'))).map(rel).filter((f) => !(f in NOT_ASKING)).sort();
}

module.exports = { ASKS, NOT_ASKING, kernelTests, rel };
