#!/usr/bin/env node
'use strict';
/**
 * Map benchmark: user-space ops/s for hash and array maps of 1k and 1M
 * entries, program-side lookups (lookupAddr), iteration, and memory per
 * entry (heap + typed-array buffers, after gc).
 *
 *   node --expose-gc tools/bench/maps.js [--quick] [--json FILE]
 *
 * Runs the TypeScript sources directly (transpiled on load), so it measures
 * the code in the tree without a build step.
 */
const path = require('path');
const Module = require('module');
const fs = require('fs');
const ts = require('typescript');

const ROOT = path.join(__dirname, '..', '..');

// Load @bpfsim/* from packages/*/src (TypeScript, transpiled on require).
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const m = /^@bpfsim\/([a-z-]+)$/.exec(request);
  if (m) return path.join(ROOT, 'packages', m[1], 'src', 'index.ts');
  if (parent && parent.filename && parent.filename.endsWith('.ts') && request.startsWith('.')) {
    const base = path.resolve(path.dirname(parent.filename), request);
    for (const cand of [`${base}.ts`, path.join(base, 'index.ts')]) if (fs.existsSync(cand)) return cand;
  }
  return resolve.call(this, request, parent, ...rest);
};
require.extensions['.ts'] = (module, filename) => {
  const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: filename,
  });
  module._compile(out.outputText, filename);
};

const { createMap } = require(path.join(ROOT, 'packages/kernel/src/bpf/maps/map.ts'));
const { AddressSpace } = require('@bpfsim/vm');
const { BpfMapType } = require('@bpfsim/uapi');

const quick = process.argv.includes('--quick');
const gc = global.gc;
if (!gc) console.warn('(run with --expose-gc for memory figures)');

function mem() {
  if (gc) { gc(); gc(); }
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function ctx() {
  let id = 1;
  let s = 1;
  return { memory: new AddressSpace(), possibleCpus: 2, allocId: () => id++, rng: () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) };
}

/** ops/s of fn(i) for i over [0, n), repeated until at least minOps calls. */
function rate(n, minOps, fn) {
  let calls = 0;
  const t0 = process.hrtime.bigint();
  do {
    for (let i = 0; i < n; i++) fn(i);
    calls += n;
  } while (calls < minOps);
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  return calls / dt;
}

const fmt = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${(x / 1e3).toFixed(0)}k`);

function bench(kind, n) {
  const hash = kind === 'hash';
  const keySize = hash ? 8 : 4;
  const before = mem();
  const c = ctx();
  const m = createMap({ type: hash ? BpfMapType.HASH : BpfMapType.ARRAY, keySize, valueSize: 8, maxEntries: n }, c);
  if (typeof m === 'number') throw new Error(`create failed ${m}`);
  const key = new Uint8Array(keySize);
  const kv = new DataView(key.buffer);
  const value = new Uint8Array(8);
  const vv = new DataView(value.buffer);
  const setKey = (i) => kv.setUint32(0, hash ? Math.imul(i, 2654435761) >>> 0 : i, true);
  const minOps = quick ? 2e5 : 1e6;
  const r = {};
  r.update = rate(n, minOps, (i) => { setKey(i); vv.setUint32(0, i, true); if (m.update(key, value, 0)) throw new Error('update'); });
  const filled = mem();
  r.lookup = rate(n, minOps, (i) => { setKey(i); if (typeof m.lookup(key) === 'number') throw new Error('lookup'); });
  r.lookupAddr = rate(n, minOps, (i) => { setKey(i); if (!m.lookupAddr(key, 0)) throw new Error('lookupAddr'); });
  let k = null;
  r.getNextKey = rate(n, minOps, () => { const nk = m.getNextKey(k); k = typeof nk === 'number' ? null : nk; });
  if (hash) r.delete = rate(n, 1, (i) => { setKey(i); if (m.delete(key)) throw new Error('delete'); });
  const perEntry = (filled - before) / n;
  m.free();
  return { r, perEntry, total: filled - before };
}

const rows = [];
for (const kind of ['hash', 'array']) {
  for (const n of quick ? [1000, 100000] : [1000, 1 << 20]) {
    const { r, perEntry, total } = bench(kind, n);
    rows.push({ kind, n, r, perEntry, total });
    const ops = Object.entries(r).map(([op, x]) => `${op} ${fmt(x)}/s`).join(', ');
    console.log(`${kind.padEnd(5)} ${String(n).padStart(8)} entries: ${ops}; memory ${gc ? `${perEntry.toFixed(1)} B/entry (${(total / 2 ** 20).toFixed(1)} MiB)` : 'n/a'}`);
  }
}
// --json FILE: every figure as rows {bench, name, engine, metric, value} (engine: the map code is one implementation, 'bpfsim').
const argv = process.argv.slice(2);
if (argv.includes('--json')) {
  const json = [];
  for (const { kind, n, r, perEntry } of rows) {
    const name = `${kind} ${n}`;
    for (const [op, x] of Object.entries(r)) json.push({ bench: 'maps', name, engine: 'bpfsim', metric: `${op}_per_s`, value: x });
    if (gc) json.push({ bench: 'maps', name, engine: 'bpfsim', metric: 'bytes_per_entry', value: perEntry });
  }
  require('fs').writeFileSync(argv[argv.indexOf('--json') + 1], `${JSON.stringify(json, null, 1)}\n`);
}
