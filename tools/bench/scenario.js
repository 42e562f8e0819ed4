'use strict';
/**
 * Scenario throughput: events per CPU-second of whole replays (load the
 * object, verify, run every event, check every expectation) of the bundled
 * scenarios, on both VM engines. Uses the built dist (npm run build).
 *
 *   node tools/bench/scenario.js [--quick] [--json FILE]
 */
const fs = require('fs');
const path = require('path');
const { loadScenarioFile, replayLoaded } = require('@bpfsim/scenario');

const argv = process.argv.slice(2);
const TARGET_NS = argv.includes('--quick') ? 300e6 : 1500e6;
const ROOT = path.resolve(__dirname, '../..');
const SCENARIOS = ['xdp-firewall/xdp-firewall.yaml', 'tail-calls/tail-calls.yaml', 'percpu-counters/percpu-counters.yaml'];
const cpuNs = () => { const c = process.cpuUsage(); return (c.user + c.system) * 1e3; };

const rows = [];
const json = [];
for (const rel of SCENARIOS) {
  const file = path.join(ROOT, 'scenarios', rel);
  if (!fs.existsSync(file)) continue;
  const loaded = loadScenarioFile(file);
  const events = (loaded.scenario.events ?? []).length;
  const row = { scenario: rel.split('/')[0], events };
  for (const engine of ['interp', 'compiled']) {
    replayLoaded(loaded, { vmEngine: engine }); // warm-up
    let n = 0;
    const t = cpuNs();
    while (cpuNs() - t < TARGET_NS) { replayLoaded(loaded, { vmEngine: engine }); n++; }
    const ns = cpuNs() - t;
    const eps = (n * events) / (ns / 1e9);
    row[`${engine} events/s`] = Math.round(eps);
    row[`${engine} replays/s`] = +((n / ns) * 1e9).toFixed(1);
    json.push({ bench: 'scenario', name: row.scenario, engine, metric: 'events_per_cpu_s', value: eps });
    json.push({ bench: 'scenario', name: row.scenario, engine, metric: 'replays_per_cpu_s', value: (n / ns) * 1e9 });
  }
  rows.push(row);
}
console.table(rows);
if (argv.includes('--json')) fs.writeFileSync(argv[argv.indexOf('--json') + 1], `${JSON.stringify(json, null, 1)}\n`);
