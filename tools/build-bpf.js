#!/usr/bin/env node
'use strict';
/**
 * Build the C eBPF sources: corpus/*.bpf.c -> corpus/*.bpf.o (and the loader's test
 * fixtures, packages/loader/test/fixtures/*.bpf.c, and scenarios/NAME/*.bpf.c) with clang-19
 * (-O2 -g -target bpf) and the libbpf-dev headers.
 *
 * Reproducible: clang runs from the repository root on relative paths, and
 * -ffile-prefix-map / -fdebug-compilation-dir keep the checkout's absolute
 * path out of DWARF and BTF, so every checkout builds identical bytes.
 *
 *   node tools/build-bpf.js            build every object (only stale ones unless --force)
 *   node tools/build-bpf.js --check    rebuild into a temp dir; exit 1 if a committed object differs
 *   node tools/build-bpf.js --force    rebuild everything
 *   node tools/build-bpf.js FILE...    build only these sources
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const CORPUS = 'corpus';
/**
 * Directories whose *.bpf.c are built: the corpus, the loader's test fixtures
 * that share its headers, and each example scenario's directory.
 */
function sourceDirs() {
  const scen = path.join(ROOT, 'scenarios');
  const scenarioDirs = fs.existsSync(scen)
    ? fs.readdirSync(scen).sort().map((d) => `scenarios/${d}`).filter((d) => fs.statSync(path.join(ROOT, d)).isDirectory())
    : [];
  // The teaching path's lessons, scenarios/learn/NN-topic, one level deeper.
  const learn = path.join(scen, 'learn');
  const lessonDirs = fs.existsSync(learn)
    ? fs.readdirSync(learn).sort().map((d) => `scenarios/learn/${d}`).filter((d) => fs.statSync(path.join(ROOT, d)).isDirectory())
    : [];
  // Tracing tools, scenarios/tools/NAME, one level deeper too.
  const tools = path.join(scen, 'tools');
  const toolDirs = fs.existsSync(tools)
    ? fs.readdirSync(tools).sort().map((d) => `scenarios/tools/${d}`).filter((d) => fs.statSync(path.join(ROOT, d)).isDirectory())
    : [];
  return [CORPUS, 'packages/loader/test/fixtures', ...scenarioDirs, ...lessonDirs, ...toolDirs, ...exampleDirs()];
}

/**
 * The profile kernel's vmlinux.h (what `bpfsim btf dump --format c` prints), generated from the
 * committed BTF into build/vmlinux/ for sources that include it (tracing tools use CO-RE).
 */
const VMLINUX_DIR = 'build/vmlinux';
function ensureVmlinuxH() {
  const out = path.join(ROOT, VMLINUX_DIR, 'vmlinux.h');
  if (fs.existsSync(out)) return;
  let loader, kernel;
  try {
    loader = require(path.join(ROOT, 'packages/loader/dist'));
    kernel = require(path.join(ROOT, 'packages/kernel/dist'));
  } catch (e) {
    throw new Error(`vmlinux.h is generated from the packages' build: run \`npm run build\` first (${e.message})`);
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out + '.tmp', loader.formatBtfC(kernel.vmlinuxBtf()));
  fs.renameSync(out + '.tmp', out);
}

/** Example user projects (examples/NAME) whose package.json builds their object with clang. */
function exampleDirs() {
  const ex = path.join(ROOT, 'examples');
  if (!fs.existsSync(ex)) return [];
  return fs.readdirSync(ex).sort().map((d) => `examples/${d}`).filter((d) => exampleClang(d) !== null);
}

/**
 * An example project's own build command (its package.json "build" script, the clang
 * line a user runs in that folder), as an argument list; null when it has none.
 */
function exampleClang(dir) {
  const f = path.join(ROOT, dir, 'package.json');
  if (!fs.existsSync(f)) return null;
  const script = (JSON.parse(fs.readFileSync(f, 'utf8')).scripts || {}).build || '';
  const args = script.trim().split(/\s+/);
  return /^clang/.test(args[0] || '') && args.includes('-o') ? args : null;
}
const CLANG = process.env.CLANG || 'clang-19';

/** The flags every object is built with (kept in one place; corpus/README.md shows them). */
function clangArgs(src, out) {
  return [
    '-O2', '-g', '-target', 'bpf',
    '-D__TARGET_ARCH_x86',
    '-Wall', '-Werror', '-Wno-unused-function',
    `-I${CORPUS}/include`,
    `-I${VMLINUX_DIR}`,
    // linux uapi headers include <asm/...>: take the host's multiarch copy.
    '-idirafter', '/usr/include/x86_64-linux-gnu',
    `-ffile-prefix-map=${ROOT}/=`,
    '-fdebug-compilation-dir=.',
    '-fno-ident',
    '-c', src, '-o', out,
  ];
}

function sources(argv) {
  const named = argv.filter((a) => !a.startsWith('--'));
  if (named.length) return named.map((f) => path.relative(ROOT, path.resolve(f)));
  return sourceDirs().filter((d) => fs.existsSync(path.join(ROOT, d))).flatMap((d) =>
    fs.readdirSync(path.join(ROOT, d)).filter((f) => f.endsWith('.bpf.c')).sort().map((f) => `${d}/${f}`));
}

function compile(src, out) {
  if (src.startsWith('examples/')) return compileExample(src, out);
  if (/^#include\s+"vmlinux\.h"/m.test(fs.readFileSync(path.join(ROOT, src), 'utf8'))) ensureVmlinuxH();
  const r = spawnSync(CLANG, clangArgs(src, out), { cwd: ROOT, encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run ${CLANG}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${CLANG} failed on ${src}:\n${r.stderr}`);
}

/** An example's object is built as its user builds it: its own clang line, in its folder. */
function compileExample(src, out) {
  const dir = path.dirname(src);
  const args = exampleClang(dir);
  if (!args) throw new Error(`${dir}/package.json has no clang "build" script`);
  const o = args.indexOf('-o');
  const argv = [...args.slice(1, o + 1), path.resolve(ROOT, out), ...args.slice(o + 2)];
  const r = spawnSync(args[0], argv, { cwd: path.join(ROOT, dir), encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run ${args[0]}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${args[0]} failed on ${src}:\n${r.stderr}`);
}

function newestInput(src) {
  const inc = path.join(ROOT, CORPUS, 'include');
  let t = fs.statSync(path.join(ROOT, src)).mtimeMs;
  for (const h of fs.readdirSync(inc)) t = Math.max(t, fs.statSync(path.join(inc, h)).mtimeMs);
  return t;
}

function main(argv) {
  const check = argv.includes('--check');
  const force = argv.includes('--force');
  const srcs = sources(argv);
  if (check) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-build-bpf-'));
    const stale = [];
    try {
      for (const src of srcs) {
        const committed = path.join(ROOT, src.replace(/\.c$/, '.o'));
        const fresh = path.join(tmp, path.basename(committed));
        compile(src, fresh);
        if (!fs.existsSync(committed) || !fs.readFileSync(committed).equals(fs.readFileSync(fresh))) stale.push(path.relative(ROOT, committed));
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    if (stale.length) {
      process.stderr.write(`build-bpf --check: ${stale.length} object(s) are stale; run \`npm run build:bpf\`:\n  ${stale.join('\n  ')}\n`);
      return 1;
    }
    process.stdout.write(`build-bpf --check: ${srcs.length} objects up to date\n`);
    return 0;
  }
  let built = 0;
  for (const src of srcs) {
    const out = src.replace(/\.c$/, '.o');
    const outAbs = path.join(ROOT, out);
    if (!force && fs.existsSync(outAbs) && fs.statSync(outAbs).mtimeMs >= newestInput(src)) continue;
    compile(src, out);
    built++;
    process.stdout.write(`  CC  ${out}\n`);
  }
  process.stdout.write(`build-bpf: ${built} built, ${srcs.length - built} up to date\n`);
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`build-bpf: ${e.message}\n`);
    process.exitCode = 1;
  }
}
module.exports = { clangArgs, main };
