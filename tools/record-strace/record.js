#!/usr/bin/env node
'use strict';
/**
 * npm run record:strace [-- --only ls-la,cat] [--out DIR] [--keep-going]
 *
 * The recording campaign: runs every workload of ./workloads.js under
 * `strace -f -ttt -v -s 4096 -o <log>` on this machine and writes
 * <out>/<name>.log and <out>/<name>.json (command, kernel identity, strace version, date).
 * Default out: packages/scenario/test/fixtures/strace (the committed fixtures).
 *
 * Each workload runs in its own fresh directory /tmp/bpfsim-rec/<name> (a fixed path, so
 * re-recordings are comparable) with a fixed minimal environment; namespaces are created by the
 * workload's own command (unshare), never by touching the machine's. The directory is removed
 * afterwards, also when the workload or strace fails. Run by hand, as root; CI only reads the logs.
 * Exit status: 0 all recorded, 1 some workload failed, 2 cannot run here.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { workloads, BASE, ENV_PATH } = require('./workloads');

const ROOT = path.resolve(__dirname, '..', '..');
const DEFAULT_OUT = path.join(ROOT, 'packages', 'scenario', 'test', 'fixtures', 'strace');
const SIZE_WARN = 200 * 1024;

function parseArgs(argv) {
  const o = { out: DEFAULT_OUT, only: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out') o.out = path.resolve(argv[++i]);
    else if (a === '--only') o.only = argv[++i].split(',');
    else if (a === '--help' || a === '-h') o.help = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

function which(prog) {
  for (const d of ENV_PATH.split(':')) {
    const p = path.join(d, prog);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch { /* next */ }
  }
  return null;
}

function setUp(dir, files) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  // Sorted so the set-up's own order (and so inode allocation order) is the same every time.
  for (const rel of Object.keys(files).sort()) {
    const spec = files[rel];
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    if (typeof spec === 'string') fs.writeFileSync(p, spec);
    else if (spec.dir) fs.mkdirSync(p, { recursive: true });
    else if (spec.symlink) fs.symlinkSync(spec.symlink, p);
    else throw new Error(`workload file ${rel}: unknown kind`);
  }
}

function record(w, out, straceVersion, kernel, logDir) {
  const dir = path.join(BASE, w.name);
  const log = path.join(logDir, `${w.name}.log`);
  const env = { PATH: ENV_PATH, HOME: dir, LANG: 'C', LC_ALL: 'C', TERM: 'dumb' };
  let r;
  try {
    setUp(dir, w.files);
    r = spawnSync('strace', ['-f', '-ttt', '-v', '-s', '4096', '-o', log, '--', ...w.argv], {
      cwd: dir, env, input: '', encoding: 'utf8', timeout: 60000, killSignal: 'SIGKILL',
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (r.error) throw new Error(`strace: ${r.error.message}`);
  if (!fs.existsSync(log) || fs.statSync(log).size === 0) throw new Error(`no log written (strace: ${r.stderr.trim()})`);
  const text = fs.readFileSync(log, 'utf8');
  fs.writeFileSync(path.join(out, `${w.name}.log`), text);
  const meta = {
    name: w.name,
    command: w.argv,
    cwd: dir,
    env,
    files: w.files,
    strace: ['strace', '-f', '-ttt', '-v', '-s', '4096', '-o', '<log>', '--'],
    exitStatus: r.status,
    signal: r.signal,
    stdout: r.stdout,
    stderr: r.stderr,
    kernel,
    straceVersion,
    date: new Date().toISOString(),
  };
  fs.writeFileSync(path.join(out, `${w.name}.json`), `${JSON.stringify(meta, null, 2)}\n`);
  return { bytes: Buffer.byteLength(text), lines: text.split('\n').length - 1, status: r.status };
}

function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`record:strace: ${e.message}\n`);
    return 2;
  }
  if (o.help) {
    process.stdout.write('usage: npm run record:strace [-- --only a,b] [--out DIR]\n');
    return 0;
  }
  for (const p of ['strace', 'unshare']) {
    if (!which(p)) {
      process.stderr.write(`record:strace: ${p} is not installed; nothing recorded\n`);
      return 2;
    }
  }
  if (process.getuid && process.getuid() !== 0) {
    process.stderr.write('record:strace: the namespace workloads need root; nothing recorded\n');
    return 2;
  }
  const straceVersion = spawnSync('strace', ['-V'], { encoding: 'utf8' }).stdout.split('\n')[0].trim();
  const kernel = fs.readFileSync('/proc/version', 'utf8').trim();
  const chosen = o.only ? workloads.filter((w) => o.only.includes(w.name)) : workloads;
  if (o.only) {
    for (const n of o.only) if (!workloads.some((w) => w.name === n)) {
      process.stderr.write(`record:strace: no workload named ${n}\n`);
      return 2;
    }
  }
  fs.mkdirSync(o.out, { recursive: true });
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-strace-logs-'));
  let failed = 0;
  const cleanup = () => {
    fs.rmSync(logDir, { recursive: true, force: true });
    try { fs.rmdirSync(BASE); } catch { /* not empty or absent: leave others' files alone */ }
  };
  process.on('SIGINT', () => { cleanup(); process.exit(130); });
  try {
    for (const w of chosen) {
      const missing = (w.needs || []).filter((p) => !which(p));
      if (missing.length) {
        process.stdout.write(`${w.name}: skipped (${missing.join(', ')} not installed)\n`);
        continue;
      }
      try {
        const r = record(w, o.out, straceVersion, kernel, logDir);
        const warn = r.bytes > SIZE_WARN ? ` (over ${SIZE_WARN / 1024} KB)` : '';
        process.stdout.write(`${w.name}: ${r.lines} lines, ${(r.bytes / 1024).toFixed(1)} KB${warn}, exit ${r.status}\n`);
      } catch (e) {
        failed++;
        process.stdout.write(`${w.name}: FAILED: ${e.message}\n`);
      }
    }
  } finally {
    cleanup();
  }
  process.stdout.write(`${chosen.length - failed}/${chosen.length} workloads recorded into ${path.relative(ROOT, o.out) || '.'}\n\n`);
  // What the parser makes of the new logs (a log it cannot read completely fails the campaign).
  const { summarize, table } = require('./summary');
  const rows = summarize(o.out, chosen.map((w) => w.name));
  process.stdout.write(table(rows));
  for (const r of rows) for (const e of r.errors) process.stdout.write(`${e}\n`);
  return failed || rows.some((r) => r.errors.length) ? 1 : 0;
}

process.exitCode = main();
