'use strict';
/**
 * Start-up: whole-process wall time of `bpfsim replay` on a small scenario
 * (scenarios/xdp-firewall), beside plain `node -e 0`, and the CPU time the
 * children used (from this process's cutime/cstime in /proc/self/stat, so it
 * counts every thread of the child). The first replay fills the V8 code
 * cache (packages/cli/src/compile-cache.ts); the figures are steady state,
 * plus the same replay with the cache off. Uses the built CLI (npm run build).
 *
 *   node tools/bench/startup.js [--quick] [--json FILE]
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const argv = process.argv.slice(2);
const RUNS = argv.includes('--quick') ? 5 : 15;
const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'packages/cli/bin/bpfsim.js');
const SCENARIO = path.join(ROOT, 'scenarios/xdp-firewall/xdp-firewall.yaml');
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-bench-cache-'));
const TICK_MS = 10; // USER_HZ = 100 on Linux

function childCpuTicks() {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[13]) + Number(f[14]); // cutime, cstime (fields 16 and 17)
}

function measure(args, env) {
  const walls = [];
  const before = childCpuTicks();
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    walls.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  }
  walls.sort((a, b) => a - b);
  return { min: walls[0], median: walls[walls.length >> 1], cpu: ((childCpuTicks() - before) * TICK_MS) / RUNS };
}

const cases = [
  { name: 'node -e 0', engine: 'node', args: ['-e', '0'], env: {} },
  { name: 'replay xdp-firewall', engine: 'compiled', args: [BIN, 'replay', SCENARIO], env: { BPFSIM_COMPILE_CACHE: cacheDir } },
  { name: 'replay xdp-firewall, no code cache', engine: 'compiled', args: [BIN, 'replay', SCENARIO], env: { BPFSIM_COMPILE_CACHE: '0' } },
];
spawnSync(process.execPath, cases[1].args, { stdio: 'ignore', env: { ...process.env, ...cases[1].env } }); // fill the cache
const rows = [];
const json = [];
for (const c of cases) {
  const m = measure(c.args, c.env);
  rows.push({ command: c.name, 'wall ms (min)': +m.min.toFixed(0), 'wall ms (median)': +m.median.toFixed(0), 'cpu ms (mean)': +m.cpu.toFixed(0) });
  json.push({ bench: 'startup', name: c.name, engine: c.engine, metric: 'wall_ms_min', value: m.min });
  json.push({ bench: 'startup', name: c.name, engine: c.engine, metric: 'wall_ms_median', value: m.median });
  json.push({ bench: 'startup', name: c.name, engine: c.engine, metric: 'cpu_ms_mean', value: m.cpu });
}
fs.rmSync(cacheDir, { recursive: true, force: true });
console.table(rows);
console.log(`${RUNS} runs each; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
if (argv.includes('--json')) fs.writeFileSync(argv[argv.indexOf('--json') + 1], `${JSON.stringify(json, null, 1)}\n`);
