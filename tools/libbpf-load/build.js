#!/usr/bin/env node
'use strict';
/**
 * Build tools/libbpf-load (gcc ... -lbpf). Never fails hard: prints why and
 * exits 0, so tests can skip with that reason. Exports `ensureBuilt()`
 * returning { path } or { reason }.
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const SRC = path.join(__dirname, 'libbpf-load.c');
const OUT = path.join(__dirname, 'build', 'libbpf-load');

function ensureBuilt() {
  if (process.platform !== 'linux') return { reason: `bpf() needs Linux (this is ${process.platform})` };
  if (fs.existsSync(OUT) && fs.statSync(OUT).mtimeMs >= fs.statSync(SRC).mtimeMs) return { path: OUT };
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  const cc = process.env.CC || 'gcc';
  const r = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-o', OUT, SRC, '-lbpf', '-lelf', '-lz'], { encoding: 'utf8' });
  if (r.error) return { reason: `${cc} not available (${r.error.code ?? r.error.message})` };
  if (r.status !== 0) {
    const first = (r.stderr || '').split('\n').find((l) => /error/.test(l)) || `exit ${r.status}`;
    return { reason: `libbpf-load build failed (libbpf-dev installed?): ${first.trim()}` };
  }
  return { path: OUT };
}

if (require.main === module) {
  const r = ensureBuilt();
  process.stdout.write(r.path ? `libbpf-load: ${path.relative(process.cwd(), r.path)}\n` : `libbpf-load: skipped: ${r.reason}\n`);
}
module.exports = { ensureBuilt, OUT };
