#!/usr/bin/env node
'use strict';
// Compile the oracle's native addon: gcc -shared -fPIC against node_api.h.
// It must never fail an install: on any problem it prints one line and exits 0;
// available() then reports why the oracle cannot run.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const here = __dirname;
const src = path.join(here, 'src', 'oracle.c');
const outDir = path.join(here, 'build');
const out = path.join(outDir, 'oracle.node');

function say(msg) {
  process.stdout.write(`@bpfsim/oracle: ${msg}\n`);
}

function includeDir() {
  // Headers ship with node in <prefix>/include/node; /usr/include/node on Debian.
  const candidates = [
    process.env.BPFSIM_NODE_INCLUDE,
    path.join(path.dirname(path.dirname(process.execPath)), 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter(Boolean);
  return candidates.find((d) => fs.existsSync(path.join(d, 'node_api.h')));
}

function main() {
  if (process.platform !== 'linux') return say(`skipped: bpf() needs Linux (this is ${process.platform})`);
  const inc = includeDir();
  if (!inc) return say('skipped: node_api.h not found (set BPFSIM_NODE_INCLUDE)');
  // Up to date? Keep `prepare` fast.
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= fs.statSync(src).mtimeMs) return;
  fs.mkdirSync(outDir, { recursive: true });
  const cc = process.env.CC || 'gcc';
  const args = ['-O2', '-Wall', '-Wextra', '-Wno-unused-parameter', '-shared', '-fPIC', `-I${inc}`, '-o', out, src];
  const r = spawnSync(cc, args, { encoding: 'utf8' });
  if (r.error) return say(`skipped: ${cc} not available (${r.error.code ?? r.error.message})`);
  if (r.status !== 0) {
    const first = (r.stderr || '').split('\n').find((l) => /error/.test(l)) || `exit ${r.status}`;
    return say(`build failed: ${first.trim()}`);
  }
  if (r.stderr && r.stderr.trim()) process.stderr.write(r.stderr);
}

try {
  main();
} catch (e) {
  say(`build failed: ${e && e.message ? e.message : String(e)}`);
}
process.exitCode = 0;
