#!/usr/bin/env node
'use strict';
/**
 * node tools/realworld/realworld.js [--bcc GITDIR] [--bootstrap GITDIR] [--work DIR] [--only SUBSTR] [--json FILE] [--markdown]
 *
 * Real-world parity: public libbpf programs (bcc's libbpf-tools, libbpf-bootstrap's examples/c)
 * compiled unmodified, each program loaded alone into the running kernel by the system libbpf
 * (tools/libbpf-load --only: autoload for that program only, never attached) and verified by
 * `bpfsim verify --json` on the same object. Prints one row per program, then the figures:
 * objects compiled, programs, kernel-accepted, bpfsim verdict equal, and the disagreements
 * grouped by their cause (bpfsim's first error line).
 *
 * The sources are git directories (a bare clone or a `fetch` snapshot); nothing fetched is
 * copied into the repository: sources, vmlinux.h and objects go under --work (default
 * /tmp/bpfsim-realworld). Deterministic order: sources, then files, then programs as libbpf
 * lists them. Needs root (bpf()), clang-19, bpftool, gcc + libbpf-dev, and `npm run build`.
 * Exit status: 0 measured, 2 cannot run.
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const CLANG = process.env.CLANG || 'clang-19';
const BPFSIM = path.join(ROOT, 'packages', 'cli', 'bin', 'bpfsim.js');

function parseArgs(argv) {
  const a = {
    bcc: process.env.REALWORLD_BCC_GIT || '/work/.mirror/iovisor+bcc/repo',
    bootstrap: process.env.REALWORLD_BOOTSTRAP_GIT || '/work/.mirror/libbpf+libbpf-bootstrap/repo',
    work: path.join(os.tmpdir(), 'bpfsim-realworld'),
    only: undefined, json: undefined, markdown: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) die(`${k} needs a value`);
      return argv[++i];
    };
    if (k === '--bcc') a.bcc = v();
    else if (k === '--bootstrap') a.bootstrap = v();
    else if (k === '--work') a.work = path.resolve(v());
    else if (k === '--only') a.only = v();
    else if (k === '--json') a.json = path.resolve(v());
    else if (k === '--markdown') a.markdown = true;
    else if (k === '--help' || k === '-h') {
      process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(2, 19).map((l) => l.replace(/^ \*\/?/, '')).join('\n') + '\n');
      process.exit(0);
    } else die(`unknown argument ${k}`);
  }
  return a;
}

function die(msg) {
  process.stderr.write(`realworld: ${msg}\n`);
  process.exit(2);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20, ...opts });
  if (r.error) return { status: -1, stdout: '', stderr: String(r.error.message) };
  return { status: r.status === null ? -1 : r.status, signal: r.signal, stdout: r.stdout || '', stderr: r.stderr || '' };
}

/** The sets measured: which tree of which repository, and the headers its Makefile adds. */
function sourceSets(a) {
  return [
    { id: 'bcc/libbpf-tools', git: a.bcc, dir: 'libbpf-tools', includes: ['libbpf-tools', 'libbpf-tools/x86'] },
    { id: 'libbpf-bootstrap/examples/c', git: a.bootstrap, dir: 'examples/c', includes: ['examples/c'] },
  ];
}

/**
 * Extract `dir` of HEAD blob by blob (git archive stops at the first blob a snapshot lacks:
 * snapshots leave out files of 4 MiB and more). Returns the commit and the paths missing.
 */
function extract(set, dest) {
  const head = run('git', [`--git-dir=${set.git}`, 'rev-parse', 'HEAD']);
  if (head.status !== 0) die(`${set.id}: ${set.git} is not a git directory (${head.stderr.trim()})`);
  const ls = run('git', [`--git-dir=${set.git}`, 'ls-tree', '-r', '-z', 'HEAD', '--', set.dir]);
  if (ls.status !== 0) die(`${set.id}: git ls-tree failed: ${ls.stderr.trim()}`);
  const missing = [];
  for (const entry of ls.stdout.split('\0').filter(Boolean).sort()) {
    const [meta, file] = entry.split('\t');
    const [mode, kind, sha] = meta.split(' ');
    if (kind !== 'blob' || mode === '120000') continue; // submodules, symlinks (arch vmlinux.h: ours is generated)
    const out = path.join(dest, file);
    const blob = spawnSync('git', [`--git-dir=${set.git}`, 'cat-file', 'blob', sha], { maxBuffer: 256 << 20 });
    if (blob.status !== 0) {
      missing.push(file);
      continue;
    }
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, blob.stdout);
  }
  return { commit: head.stdout.trim(), missing };
}

function compile(set, srcRoot, include, objDir, file) {
  const src = path.join(srcRoot, set.dir, file);
  const out = path.join(objDir, file.replace(/\.c$/, '.o'));
  const args = ['-O2', '-g', '-target', 'bpf', '-D__TARGET_ARCH_x86', `-I${include}`,
    ...set.includes.map((d) => `-I${path.join(srcRoot, d)}`),
    '-idirafter', '/usr/include/x86_64-linux-gnu', '-c', src, '-o', out];
  const r = run(CLANG, args);
  if (r.status === 0) return { ok: true, out };
  const first = r.stderr.split('\n').find((l) => /error:/.test(l)) || r.stderr.split('\n')[0] || `exit ${r.status}`;
  return { ok: false, error: first.replace(`${srcRoot}/`, '').trim() };
}

const ERRNO_NAME = Object.fromEntries(Object.entries(os.constants.errno).map(([k, v]) => [v, k]));
ERRNO_NAME[524] = 'ENOTSUPP';
const errnoName = (n) => ERRNO_NAME[n] || `errno ${n}`;

/** The system libbpf on the running kernel: one program, autoload for it only. */
function kernelVerdict(tool, obj, prog) {
  const r = run(tool, ['--only', prog, '--no-insns', obj], { timeout: 300000 });
  const line = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((l) => l.name === prog);
  if (!line) return { accepted: false, errno: 'libbpf', log: (r.stderr.trim().split('\n').pop() || `exit ${r.status}`).slice(0, 200) };
  return { accepted: line.accepted, errno: line.accepted ? null : errnoName(line.errno), log: line.log };
}

/** `bpfsim verify --json` on the whole object: one verdict per program (each in a fresh kernel). */
function bpfsimVerdicts(obj) {
  const r = run(process.execPath, [BPFSIM, 'verify', obj, '--json', '--log-level', '1'], { timeout: 900000 });
  const out = new Map();
  for (const l of r.stdout.split('\n')) {
    if (!l.startsWith('{')) continue;
    const v = JSON.parse(l);
    out.set(v.program, { accepted: v.accepted, errno: v.errno, error: v.error || (v.accepted ? null : (v.log || '').trim().split('\n').pop()) });
  }
  // exit 2: the object could not be loaded at all (a map, a relocation): every program gets that message
  const whole = r.status === 2 || (r.status !== 0 && r.status !== 1)
    ? (r.stderr.split('\n').find((l) => l.startsWith('bpfsim:')) || r.stderr.split('\n').find((l) => /Error|error/.test(l)) || `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}`).trim()
    : undefined;
  const missing = `bpfsim: no verdict for this program (exit ${r.status}${r.signal ? `, ${r.signal}` : ''}: ${(r.stderr.trim().split('\n').pop() || '').slice(0, 160)})`;
  return { byProg: out, whole: whole && (r.status === 2 ? whole : `crash: ${whole}`), missing };
}

/** A disagreement's group: bpfsim's first error line with numbers blanked (register, insn, offset). */
function causeOf(row) {
  if (row.bpfsim.accepted) return `bpfsim accepts; the kernel refuses: ${row.kernel.errno}: ${row.kernel.log}`.replace(/\d+/g, 'N');
  return `${row.bpfsim.errno ? `${row.bpfsim.errno}: ` : ''}${row.bpfsim.error || ''}`.replace(/\d+/g, 'N');
}

function main() {
  const a = parseArgs(process.argv.slice(2));
  if (typeof process.getuid === 'function' && process.getuid() !== 0) die('bpf(BPF_PROG_LOAD) needs root');
  if (!fs.existsSync(path.join(ROOT, 'packages', 'cli', 'dist', 'main.js'))) die('run `npm run build` first');
  const built = require(path.join(ROOT, 'tools', 'libbpf-load', 'build.js')).ensureBuilt();
  if (!built.path) die(`tools/libbpf-load: ${built.reason}`);
  const libbpfVersion = (run('dpkg-query', ['-W', '-f=${Version}', 'libbpf-dev']).stdout || 'unknown').trim();

  fs.rmSync(a.work, { recursive: true, force: true });
  const include = path.join(a.work, 'include');
  fs.mkdirSync(include, { recursive: true });
  const vmlinux = run('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c']);
  if (vmlinux.status !== 0) die(`bpftool btf dump failed: ${vmlinux.stderr.trim()}`);
  fs.writeFileSync(path.join(include, 'vmlinux.h'), vmlinux.stdout);

  const sets = [];
  const rows = [];
  for (const set of sourceSets(a)) {
    const srcRoot = path.join(a.work, 'src', set.id.split('/')[0]);
    const { commit, missing } = extract(set, srcRoot);
    const objDir = path.join(a.work, 'obj', set.id.split('/')[0]);
    fs.mkdirSync(objDir, { recursive: true });
    const files = fs.readdirSync(path.join(srcRoot, set.dir)).filter((f) => f.endsWith('.bpf.c')).filter((f) => !a.only || f.includes(a.only)).sort();
    const info = { id: set.id, commit, missing, files: files.length, compiled: 0, failed: [] };
    sets.push(info);
    for (const file of files) {
      const c = compile(set, srcRoot, include, objDir, file);
      if (!c.ok) {
        info.failed.push({ file, error: c.error });
        process.stderr.write(`  CC  ${set.id}/${file}: FAILED ${c.error}\n`);
        continue;
      }
      info.compiled++;
      const list = run(built.path, ['--list', c.out]);
      const progs = list.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      if (list.status !== 0 || !progs.length) {
        info.failed.push({ file, error: `libbpf cannot open it: ${list.stderr.trim().split('\n').pop() || `exit ${list.status}`}` });
        continue;
      }
      const sim = bpfsimVerdicts(c.out);
      for (const p of progs) {
        const kernel = kernelVerdict(built.path, c.out, p.prog);
        // A whole-object failure ("create map stackmap: EINVAL") carries its errno last.
        const b = sim.whole ? { accepted: false, errno: /: (E[A-Z0-9]+)$/.exec(sim.whole)?.[1] ?? null, error: sim.whole } : sim.byProg.get(p.prog) || { accepted: false, errno: null, error: sim.missing };
        const row = { set: set.id, file, prog: p.prog, section: p.section, kernel, bpfsim: b, agree: kernel.accepted === b.accepted };
        rows.push(row);
        process.stderr.write(`  ${row.agree ? 'ok  ' : 'DIFF'} ${set.id}/${file} ${p.prog}: kernel ${kernel.accepted ? 'accepts' : kernel.errno}, bpfsim ${b.accepted ? 'accepts' : b.errno || 'refuses'}\n`);
      }
    }
  }
  report(a, { libbpfVersion, kernel: os.release(), sets, rows });
}

function report(a, r) {
  const w = (s) => process.stdout.write(s + '\n');
  const verdict = (v) => (v.accepted ? 'accepted' : v.errno || 'refused');
  w('set | object | program | section | kernel | bpfsim | equal');
  for (const x of r.rows) w(`${x.set} | ${x.file} | ${x.prog} | ${x.section} | ${verdict(x.kernel)} | ${verdict(x.bpfsim)} | ${x.agree ? 'yes' : 'NO'}`);
  const groups = new Map();
  for (const x of r.rows.filter((y) => !y.agree)) {
    const k = causeOf(x);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(x);
  }
  const sorted = [...groups.entries()].sort((p, q) => q[1].length - p[1].length || (p[0] < q[0] ? -1 : 1));
  const acc = r.rows.filter((x) => x.kernel.accepted).length;
  const eq = r.rows.filter((x) => x.agree).length;
  const lines = [];
  lines.push(`kernel ${r.kernel}, system libbpf ${r.libbpfVersion}, ${CLANG}`);
  for (const s of r.sets) {
    lines.push(`${s.id} @ ${s.commit}: ${s.compiled}/${s.files} objects compiled${s.failed.length ? ` (${s.failed.map((f) => `${f.file}: ${f.error}`).join('; ')})` : ''}` +
      `${s.missing.length ? `; ${s.missing.length} files absent from the snapshot (${s.missing.join(', ')})` : ''}`);
  }
  lines.push(`programs: ${r.rows.length}; kernel-accepted: ${acc}; bpfsim verdict equal: ${eq}/${r.rows.length}` +
    ` (accepted by both ${r.rows.filter((x) => x.agree && x.kernel.accepted).length}, refused by both ${r.rows.filter((x) => x.agree && !x.kernel.accepted).length},` +
    ` of those with the same errno ${r.rows.filter((x) => x.agree && !x.kernel.accepted && x.kernel.errno === x.bpfsim.errno).length})`);
  lines.push(`disagreements: ${r.rows.length - eq}, by cause:`);
  for (const [k, xs] of sorted) lines.push(`  ${xs.length} × ${k}\n      ${xs.map((x) => `${x.file.replace(/\.bpf\.c$/, '')}:${x.prog}`).join(', ')}`);
  w('');
  for (const l of lines) w(l);
  if (a.markdown) {
    w('\n<!-- markdown -->');
    w(lines.map((l) => (l.startsWith('  ') ? l.replace(/^ {2}/, '- ').replace(/\n\s+/, ': ') : `${l}  `)).join('\n'));
  }
  if (a.json) fs.writeFileSync(a.json, JSON.stringify(r, null, 1) + '\n');
}

main();
