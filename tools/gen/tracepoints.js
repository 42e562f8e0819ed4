#!/usr/bin/env node
'use strict';
/**
 * Regenerate packages/kernel/data/tracepoints.json.br: the text of every tracefs
 * `events/<system>/<event>/format` file of the running kernel, as the profile's
 * tracepoint formats (the simulated kernel fires these events with these layouts).
 * Only format files are read: no event is enabled, nothing is attached.
 * tracepoints.json records the kernel identity (release, /proc/version, count, sha256
 * of the uncompressed JSON). Needs tracefs: mount -t tracefs nodev /sys/kernel/tracing
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');
const crypto = require('crypto');

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'packages', 'kernel', 'data', 'tracepoints.json.br');
const TRACEFS = process.env.TRACEFS || '/sys/kernel/tracing';

function main() {
  const events = path.join(TRACEFS, 'events');
  if (!fs.existsSync(events)) {
    process.stderr.write(`tracepoints: ${events} not found (mount -t tracefs nodev ${TRACEFS})\n`);
    return 2;
  }
  const formats = {};
  // Sorted byte-wise so the data does not depend on readdir order.
  const sorted = (d) => fs.readdirSync(d).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const sys of sorted(events)) {
    const sdir = path.join(events, sys);
    if (!fs.statSync(sdir).isDirectory()) continue;
    for (const ev of sorted(sdir)) {
      const f = path.join(sdir, ev, 'format');
      if (!fs.existsSync(f)) continue;
      formats[`${sys}:${ev}`] = fs.readFileSync(f, 'utf8');
    }
  }
  const json = JSON.stringify({ formats });
  const raw = Buffer.from(json, 'utf8');
  const br = zlib.brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length } });
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, br);
  const meta = {
    kernel: os.release(),
    version: fs.readFileSync('/proc/version', 'utf8').trim(),
    source: events,
    count: Object.keys(formats).length,
    sha256: crypto.createHash('sha256').update(raw).digest('hex'),
    generator: 'tools/gen/tracepoints.js (brotli q11)',
  };
  fs.writeFileSync(OUT.replace(/\.json\.br$/, '.json'), JSON.stringify(meta, null, 2) + '\n');
  process.stdout.write(`tracepoints: wrote ${path.relative(ROOT, OUT)} (${meta.count} events, ${br.length} bytes from ${raw.length})\n`);
  return 0;
}

process.exitCode = main();
