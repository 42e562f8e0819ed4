#!/usr/bin/env node
'use strict';
/**
 * node tools/record-strace/summary.js [DIR] [--json]
 *
 * Per recorded workload: syscalls, distinct syscalls, unfinished/resumed pairs, signals, exits,
 * pids and unparsed lines, as read by the parser in packages/scenario/src/import/strace.
 * DIR defaults to the committed fixtures. Exit status 1 if any line of any log is unparsed.
 */
const fs = require('fs');
const path = require('path');

// The parser's TypeScript sources, transpiled on require (no build needed).
process.env.BPFSIM_FUZZ_SRC = '1';
require('../fuzz/register-ts');

const ROOT = path.resolve(__dirname, '..', '..');
const DEFAULT_DIR = path.join(ROOT, 'packages', 'scenario', 'test', 'fixtures', 'strace');

function summarize(dir, names) {
  const { parseStraceLog, summarizeStraceLog } = require(path.join(ROOT, 'packages/scenario/src/import/strace/index.ts'));
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
  const out = [];
  for (const f of files) {
    const name = f.slice(0, -4);
    if (names && !names.includes(name)) continue;
    const log = parseStraceLog(fs.readFileSync(path.join(dir, f), 'utf8'), path.relative(ROOT, path.join(dir, f)));
    out.push({ name, summary: summarizeStraceLog(log), errors: log.errors.map((e) => e.message) });
  }
  return out;
}

function table(rows) {
  const head = ['workload', 'syscalls', 'distinct', 'resumed', 'unfinished', 'failed', 'signals', 'exits', 'pids', 'unparsed'];
  const lines = [head];
  const tot = { syscalls: 0, resumedPairs: 0, signals: 0, unparsed: 0 };
  for (const r of rows) {
    const s = r.summary;
    lines.push([r.name, s.syscalls, s.distinct, s.resumedPairs, s.unfinished, s.failed, s.signals, s.exits, s.pids, s.unparsed].map(String));
    for (const k of Object.keys(tot)) tot[k] += s[k];
  }
  const w = head.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  const text = lines.map((l) => l.map((c, i) => (i ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ')).join('\n');
  return `${text}\n${rows.length} workloads, ${tot.syscalls} syscalls, ${tot.resumedPairs} unfinished/resumed pairs, ${tot.signals} signals, ${tot.unparsed} unparsed lines\n`;
}

module.exports = { summarize, table };

if (require.main === module) {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const dir = args.find((a) => !a.startsWith('--')) || DEFAULT_DIR;
  const rows = summarize(path.resolve(dir));
  if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else {
    process.stdout.write(table(rows));
    for (const r of rows) for (const e of r.errors) process.stdout.write(`${e}\n`);
  }
  process.exitCode = rows.some((r) => r.errors.length) ? 1 : 0;
}
