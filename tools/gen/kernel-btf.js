#!/usr/bin/env node
'use strict';
/**
 * Regenerate packages/kernel/data/vmlinux.btf.br: the running kernel's whole BTF
 * (/sys/kernel/btf/vmlinux), brotli-compressed, as the simulated kernel's BTF. Tracing
 * programs (tp_btf/...) are verified against it: attach_btf_id is an id in it, the
 * verifier walks its struct layouts and prints its type ids, so only the kernel's own
 * blob (not a subset, whose ids would differ) gives the kernel's verdicts and logs.
 * vmlinux.btf.json records which kernel it came from. Run after moving to a new kernel.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'packages', 'kernel', 'data', 'vmlinux.btf.br');
const VMLINUX = process.env.VMLINUX_BTF || '/sys/kernel/btf/vmlinux';

function main() {
  if (!fs.existsSync(VMLINUX)) {
    process.stderr.write(`kernel-btf: ${VMLINUX} not found (needs a kernel with CONFIG_DEBUG_INFO_BTF)\n`);
    return 2;
  }
  const raw = fs.readFileSync(VMLINUX);
  const br = zlib.brotliCompressSync(raw, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
      [zlib.constants.BROTLI_PARAM_LGWIN]: 24,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, br);
  const sha = require('crypto').createHash('sha256').update(raw).digest('hex');
  const meta = { kernel: os.release(), source: VMLINUX, bytes: raw.length, sha256: sha, generator: 'tools/gen/kernel-btf.js (brotli q11)' };
  fs.writeFileSync(OUT.replace(/\.btf\.br$/, '.btf.json'), JSON.stringify(meta, null, 2) + '\n');
  process.stdout.write(`kernel-btf: wrote ${path.relative(ROOT, OUT)} (${br.length} bytes from ${raw.length})\n`);
  return 0;
}

process.exitCode = main();
