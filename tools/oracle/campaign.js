#!/usr/bin/env node
'use strict';
/**
 * The kernel campaigns over every test that asks the kernel (kernel-tests.js):
 *
 *   node tools/oracle/campaign.js record   (npm run record:kernel)  ask the running kernel and write
 *        the tapes in fixtures/linux-6.18; refused unless this kernel is the profile's (its BTF is
 *        the bundled one). Old tapes are replaced; tapes of tests that no longer ask are removed.
 *   node tools/oracle/campaign.js diff     (npm run diff:kernel)  ask the running kernel live and
 *        report every difference from bpfsim, with the host kernel's identity. Exit status: 1 when
 *        this host is the profile kernel and something differs; otherwise 0 (a report: a host that
 *        is not the profile may verify differently, and says so without failing anyone's run).
 *        `diff --report`: always 0 (CI: the suite's verdict never depends on the host's kernel).
 *
 * Extra arguments go to jest (e.g. a path filter).
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const tape = require('./tape');
const profile = require('./profile');
const { kernelTests } = require('./kernel-tests');

const ROOT = tape.ROOT;

function jest(mode, files, extra) {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-campaign-')), 'results.json');
  const r = spawnSync(process.execPath, [require.resolve('jest/bin/jest', { paths: [ROOT] }), '--json', `--outputFile=${out}`, ...extra, ...files], {
    cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, BPFSIM_KERNEL: mode },
  });
  let results = null;
  try { results = JSON.parse(fs.readFileSync(out, 'utf8')); } catch { /* jest died before writing */ }
  return { status: r.status, results };
}

function identity() {
  const host = tape.hostIdentity();
  const p = profile.hostMatchesProfile();
  process.stdout.write(`host kernel: ${host.version}\n`);
  process.stdout.write(`host BTF sha256: ${host.btfSha256 || 'none'}\n`);
  process.stdout.write(`profile: ${tape.PROFILE}, recorded on ${p.profileKernel} (BTF sha256 ${p.profile})\n`);
  process.stdout.write(`this host ${p.same ? 'IS' : 'is NOT'} the profile kernel\n`);
  return p.same;
}

function failures(results) {
  const out = [];
  for (const file of results ? results.testResults : []) {
    const rel = path.relative(ROOT, file.name);
    if (file.status === 'failed' && !file.assertionResults.some((a) => a.status === 'failed')) {
      out.push(`${rel}: ${(file.message || '').split('\n').find((l) => l.trim()) || 'failed'}`);
    }
    for (const a of file.assertionResults) {
      if (a.status !== 'failed') continue;
      const msg = (a.failureMessages[0] || '').split('\n').filter((l) => l.trim() && !/^\s+at /.test(l)).slice(0, 12).join('\n    ');
      out.push(`${rel} › ${a.fullName}\n    ${msg}`);
    }
  }
  return out;
}

function main(argv) {
  const [cmd, ...rest] = argv;
  const reportOnly = rest.includes('--report');
  const extra = rest.filter((a) => a !== '--report');
  const files = kernelTests();
  if (cmd === 'record') {
    const isProfile = identity();
    if (!isProfile) {
      process.stderr.write('record: this kernel is not the profile kernel; regenerate packages/kernel/data/vmlinux.btf.br with tools/gen/kernel-btf.js first if it is to become the profile\n');
      return 2;
    }
    fs.rmSync(tape.TAPE_DIR, { recursive: true, force: true });
    const r = jest('record', files, extra);
    const f = failures(r.results);
    process.stdout.write(`record: ${files.length} test files asked the kernel; tapes in ${path.relative(ROOT, tape.TAPE_DIR)}\n`);
    if (f.length) process.stdout.write(`record: ${f.length} tests failed while recording (bpfsim differs from this kernel):\n  ${f.join('\n  ')}\n`);
    return r.results ? 0 : 1;
  }
  if (cmd === 'diff') {
    const isProfile = identity();
    const r = jest('live', files, extra);
    if (!r.results) {
      process.stdout.write('diff: jest did not run\n');
      return isProfile && !reportOnly ? 1 : 0;
    }
    const f = failures(r.results);
    process.stdout.write(`diff: ${r.results.numPassedTests} tests agree with this kernel, ${f.length} differ, ${r.results.numPendingTests} skipped\n`);
    for (const line of f) process.stdout.write(`  ${line}\n`);
    if (f.length && (!isProfile || reportOnly)) process.stdout.write(`diff: ${isProfile ? '--report' : 'this host is not the profile kernel'}: differences reported, not failed\n`);
    return f.length && isProfile && !reportOnly ? 1 : 0;
  }
  process.stderr.write('usage: campaign.js record|diff [jest args]\n');
  return 2;
}

process.exitCode = main(process.argv.slice(2));
