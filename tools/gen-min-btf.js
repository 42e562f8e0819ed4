#!/usr/bin/env node
'use strict';
/**
 * Regenerate corpus/btf/vmlinux.min.btf: the subset of the running kernel's
 * BTF (/sys/kernel/btf/vmlinux) that the corpus' CO-RE relocations need,
 * computed by `bpftool gen min_core_btf`. Committed, so CO-RE tests resolve
 * against the same target on every machine; corpus/btf/vmlinux.min.json
 * records which kernel it came from. Run after adding CO-RE reads to the corpus.
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'corpus', 'btf', 'vmlinux.min.btf');
const VMLINUX = process.env.VMLINUX_BTF || '/sys/kernel/btf/vmlinux';

function main() {
  if (!fs.existsSync(VMLINUX)) {
    process.stderr.write(`gen-min-btf: ${VMLINUX} not found (needs a kernel with CONFIG_DEBUG_INFO_BTF)\n`);
    return 2;
  }
  const objects = fs.readdirSync(path.join(ROOT, 'corpus')).filter((f) => f.endsWith('.bpf.o')).sort().map((f) => path.join('corpus', f));
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  const r = spawnSync('bpftool', ['gen', 'min_core_btf', VMLINUX, OUT, ...objects], { cwd: ROOT, encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    process.stderr.write(`gen-min-btf: bpftool gen min_core_btf failed: ${r.error ? r.error.message : r.stderr}\n`);
    return 1;
  }
  const meta = { kernel: os.release(), source: VMLINUX, objects: objects.map((o) => path.basename(o)), generator: 'bpftool gen min_core_btf' };
  fs.writeFileSync(OUT.replace(/\.btf$/, '.json'), JSON.stringify(meta, null, 2) + '\n');
  process.stdout.write(`gen-min-btf: wrote ${path.relative(ROOT, OUT)} (${fs.statSync(OUT).size} bytes)\n`);
  return 0;
}

process.exitCode = main();
