'use strict';
/**
 * The published packages of the monorepo (packages/*) and what their code imports.
 * Shared by the packaging tests (tools/packaging/test) and the example-project run.
 */
const fs = require('fs');
const path = require('path');
const { builtinModules } = require('module');

const ROOT = path.resolve(__dirname, '..', '..');
const PACKAGES = path.join(ROOT, 'packages');

/** Every packages/NAME with a package.json, in name order: { dir, name, pkg }. */
function workspacePackages() {
  return fs.readdirSync(PACKAGES).sort()
    .map((d) => path.join(PACKAGES, d))
    .filter((dir) => fs.existsSync(path.join(dir, 'package.json')))
    .map((dir) => ({ dir, pkg: JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) }))
    .map(({ dir, pkg }) => ({ dir, name: pkg.name, pkg }));
}

/** Files under dir (recursively) whose name passes keep, sorted. */
function walk(dir, keep, out = []) {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== 'node_modules') walk(p, keep, out); } else if (keep(e.name)) out.push(p);
  }
  return out;
}

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Module specifiers in a JS/TS text: import/export ... from, import(), require(). */
function specifiers(text) {
  // Comments can mention modules ("see require('x')"); drop them first.
  const code = text.replace(/\/\*[^]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const out = [];
  const re = /(?:(?:^|[\s}*])from\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)(['"])([^'"\s]+)\1/gm;
  for (let m; (m = re.exec(code));) out.push(m[2]);
  return out;
}

/** The package a bare specifier names ('@a/b/c' -> '@a/b', 'x/y' -> 'x'); null for relative or built-in. */
function packageOf(spec) {
  if (spec.startsWith('.') || spec.startsWith('/') || BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0])) return null;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * Imports of a package's code (src *.ts and the compiled dist *.js / *.d.ts) that its
 * package.json does not declare: [{ file, spec, pkg }].
 */
function undeclaredImports({ dir, pkg }) {
  const declared = new Set([pkg.name, ...Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies })]);
  const files = [
    ...walk(path.join(dir, 'src'), (n) => n.endsWith('.ts')),
    ...walk(path.join(dir, 'dist'), (n) => n.endsWith('.js') || n.endsWith('.d.ts')),
    ...walk(path.join(dir, 'bin'), (n) => n.endsWith('.js')),
  ];
  const problems = [];
  for (const file of files) {
    for (const spec of specifiers(fs.readFileSync(file, 'utf8'))) {
      const p = packageOf(spec);
      if (p && !declared.has(p)) problems.push({ file: path.relative(ROOT, file), spec, pkg: p });
    }
  }
  return problems;
}

module.exports = { ROOT, PACKAGES, workspacePackages, walk, specifiers, packageOf, undeclaredImports };
