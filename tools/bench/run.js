#!/usr/bin/env node
'use strict';
/**
 * `npm run bench`: every benchmark, one after another in child processes,
 * each beside the kernel's own figure where one exists. Speed is measured
 * here, never in tests. Machines are noisy: compare ratios within one run.
 *
 *   npm run bench [-- --only vm,maps,verifier,startup,scenario,run-path] [-- --quick] [-- --json FILE]
 *
 * --json FILE: every bench writes its figures as rows {bench, name, engine,
 * metric, value} to a file of its own; this joins them, in bench order, into
 * one JSON array in FILE.
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const BENCHES = [
  { name: 'vm', file: 'vm.js', args: ['--kernel'], what: 'interpreter instructions/s vs the kernel JIT (BPF_PROG_TEST_RUN repeat)' },
  { name: 'maps', file: 'maps.js', node: ['--expose-gc'], what: 'map operations/s and memory per entry' },
  { name: 'verifier', file: 'verifier.js', what: 'verifier processed instructions/s vs the kernel (log_level 4 verification time)' },
  { name: 'startup', file: 'startup.js', what: '`bpfsim replay` of a small scenario: whole-process wall time vs `node -e 0`' },
  { name: 'scenario', file: 'scenario.js', what: 'scenario events per CPU-second (whole replays) on both engines' },
  { name: 'run-path', file: 'run-path.js', what: 'runs per CPU-second through test-run, a device receive and fired syscalls; syscalls/s with and without programs' },
];

const argv = process.argv.slice(2);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1].split(',') : undefined;
const passThrough = argv.filter((a) => a === '--quick');
const jsonFile = argv.includes('--json') ? argv[argv.indexOf('--json') + 1] : undefined;
if (argv.includes('--json') && !jsonFile) {
  console.error('--json takes a file name');
  process.exit(2);
}
const jsonDir = jsonFile ? fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-bench-')) : undefined;
const figures = [];

let failed = 0;
for (const b of BENCHES) {
  if (only && !only.includes(b.name)) continue;
  const file = path.join(__dirname, b.file);
  if (!fs.existsSync(file)) {
    console.log(`\n== ${b.name}: skipped (${b.file} does not exist yet)`);
    continue;
  }
  console.log(`\n== ${b.name}: ${b.what}`);
  const part = jsonDir ? path.join(jsonDir, `${b.name}.json`) : undefined;
  const r = spawnSync(process.execPath, [...(b.node ?? []), file, ...(b.args ?? []), ...passThrough, ...(part ? ['--json', part] : [])], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.log(`== ${b.name}: exited with ${r.status ?? r.signal}`);
  }
  if (part && fs.existsSync(part)) figures.push(...JSON.parse(fs.readFileSync(part, 'utf8')));
}
if (jsonFile) {
  fs.writeFileSync(jsonFile, `${JSON.stringify(figures, null, 1)}\n`);
  fs.rmSync(jsonDir, { recursive: true, force: true });
  console.log(`\n${figures.length} figures written to ${jsonFile}`);
}
process.exitCode = failed ? 1 : 0;
