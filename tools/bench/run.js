#!/usr/bin/env node
'use strict';
/**
 * `npm run bench`: every benchmark, one after another in child processes,
 * each beside the kernel's own figure where one exists. Speed is measured
 * here, never in tests. Machines are noisy: compare ratios within one run.
 *
 *   npm run bench [-- --only vm,maps,verifier] [-- --quick]
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const BENCHES = [
  { name: 'vm', file: 'vm.js', args: ['--kernel'], what: 'interpreter instructions/s vs the kernel JIT (BPF_PROG_TEST_RUN repeat)' },
  { name: 'maps', file: 'maps.js', node: ['--expose-gc'], what: 'map operations/s and memory per entry' },
  { name: 'verifier', file: 'verifier.js', what: 'verifier processed instructions/s vs the kernel (log_level 4 verification time)' },
];

const argv = process.argv.slice(2);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1].split(',') : undefined;
const passThrough = argv.filter((a) => a === '--quick');

let failed = 0;
for (const b of BENCHES) {
  if (only && !only.includes(b.name)) continue;
  const file = path.join(__dirname, b.file);
  if (!fs.existsSync(file)) {
    console.log(`\n== ${b.name}: skipped (${b.file} does not exist yet)`);
    continue;
  }
  console.log(`\n== ${b.name}: ${b.what}`);
  const r = spawnSync(process.execPath, [...(b.node ?? []), file, ...(b.args ?? []), ...passThrough], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.log(`== ${b.name}: exited with ${r.status ?? r.signal}`);
  }
}
process.exitCode = failed ? 1 : 0;
