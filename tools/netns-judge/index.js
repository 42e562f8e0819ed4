'use strict';
/**
 * The netns judge: the real kernel's answer for the packet path. `judge(question)` runs
 * judge.py (python3 + iproute2 + bpftool, as root) synchronously, so tests can put it
 * behind the kernel tape: tape.ask('netns.judge', question, () => judge(question)).
 *
 * question: { object: hex of the .bpf.o, section, hook: 'xdp' | 'tc-ingress' | 'tc-egress',
 *             macs: [veth0, veth1, veth2?, veth3?], pairs?: 1 | 2, packets: [hex],
 *             updates?: [{ map, key: hex, value: hex }], dump?: [map names], cpu? }
 * answer:   { ifindex: { veth0, veth1, ... }, results: [{ a: [hex], b: [hex], c: [hex] }] per packet,
 *             maps: { name: [[keyHex, valueHex]] sorted }, veth0: { rx_packets, rx_dropped } }
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const SCRIPT = path.join(__dirname, 'judge.py');

/** Why the judge cannot run here (null when it can). */
function unavailable() {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not root';
  for (const tool of ['ip', 'tc', 'bpftool', 'python3']) {
    const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    if (r.status !== 0) return `${tool} not found`;
  }
  if (!fs.existsSync('/sys/fs/bpf')) return 'no bpffs';
  return null;
}

function judge(question) {
  const r = spawnSync('python3', [SCRIPT], { input: JSON.stringify(question), encoding: 'utf8', maxBuffer: 1 << 30, timeout: 30 * 60 * 1000 });
  if (r.error) throw new Error(`netns judge: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`netns judge failed (exit ${r.status}): ${(r.stderr || '').trim().split('\n').slice(-5).join(' | ')}`);
  return JSON.parse(r.stdout);
}

module.exports = { judge, unavailable, SCRIPT };
