'use strict';
/**
 * The published packages as a user gets them: `npm pack` of every workspace
 * package, unpacked into a project's node_modules the way `npm install` lays
 * them out, with third-party dependencies linked from the monorepo's
 * node_modules (so it works offline, on a clean clone after `npm ci`).
 *
 * Only what the packages declare is linked: an import a package.json does not
 * declare fails to resolve in such a project, as it would for a user.
 */
const { spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ROOT, workspacePackages, walk } = require('./workspace');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** A digest of what `npm pack` would read for every package (package.json, README, the `files`). */
function contentHash(pkgs) {
  const h = crypto.createHash('sha256');
  for (const { dir, pkg } of pkgs) {
    const files = [path.join(dir, 'package.json'), path.join(dir, 'README.md')];
    for (const entry of pkg.files || []) {
      const star = entry.indexOf('*');
      const base = path.join(dir, star < 0 ? entry : path.dirname(entry));
      const suffix = star < 0 ? '' : entry.slice(star + 1);
      if (fs.existsSync(base) && fs.statSync(base).isDirectory()) files.push(...walk(base, (n) => n.endsWith(suffix)));
      else files.push(base);
    }
    for (const f of files) {
      h.update(path.relative(ROOT, f));
      h.update(fs.existsSync(f) ? fs.readFileSync(f) : Buffer.alloc(0));
    }
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * `npm pack` of every workspace package into a cache directory named by the
 * packed content's hash (a second run with unchanged packages reuses it).
 * Returns [{ name, dir, pkg, tarball }].
 */
function packWorkspace({ cacheRoot = path.join(os.tmpdir(), 'bpfsim-tarballs') } = {}) {
  const pkgs = workspacePackages();
  const dest = path.join(cacheRoot, contentHash(pkgs));
  const done = path.join(dest, 'packed.json');
  if (!fs.existsSync(done)) {
    const tmp = `${dest}.${process.pid}.tmp`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    const ws = pkgs.flatMap(({ dir }) => ['-w', path.relative(ROOT, dir)]);
    const out = JSON.parse(run('npm', ['pack', ...ws, '--pack-destination', tmp, '--json', '--ignore-scripts'], { cwd: ROOT }));
    const packed = out.map((p) => ({ name: p.name, filename: p.filename, files: p.files.map((f) => f.path).sort() }));
    fs.writeFileSync(path.join(tmp, 'packed.json'), JSON.stringify(packed, null, 1));
    fs.rmSync(dest, { recursive: true, force: true });
    fs.renameSync(tmp, dest);
    // Keep the cache to the current content: older packings are never reused.
    for (const old of fs.readdirSync(cacheRoot)) {
      if (old !== path.basename(dest) && /^[0-9a-f]{16}$/.test(old)) fs.rmSync(path.join(cacheRoot, old), { recursive: true, force: true });
    }
  }
  const packed = JSON.parse(fs.readFileSync(done, 'utf8'));
  return pkgs.map((p) => {
    const entry = packed.find((e) => e.name === p.name);
    if (!entry) throw new Error(`npm pack did not pack ${p.name}`);
    return { ...p, tarball: path.join(dest, entry.filename), files: entry.files };
  });
}

/** The package.json inside a tarball. */
function tarballManifest(tarball) {
  return JSON.parse(run('tar', ['-xzOf', tarball, 'package/package.json']));
}

/**
 * Install the tarballs into project/node_modules: each unpacked as npm would,
 * their bins linked into node_modules/.bin, and every third-party package they
 * (and the project's package.json) depend on linked from the monorepo.
 * Returns the third-party names linked.
 */
function installTarballs(project, packed) {
  const nm = path.join(project, 'node_modules');
  fs.mkdirSync(path.join(nm, '.bin'), { recursive: true });
  const manifests = new Map();
  for (const { tarball } of packed) {
    const m = tarballManifest(tarball);
    const into = path.join(nm, ...m.name.split('/'));
    fs.rmSync(into, { recursive: true, force: true });
    fs.mkdirSync(into, { recursive: true });
    run('tar', ['-xzf', tarball, '-C', into, '--strip-components=1']);
    manifests.set(m.name, m);
    const bins = typeof m.bin === 'string' ? { [m.name.split('/').pop()]: m.bin } : m.bin || {};
    for (const [b, rel] of Object.entries(bins)) {
      const link = path.join(nm, '.bin', b);
      fs.rmSync(link, { force: true });
      fs.symlinkSync(path.relative(path.dirname(link), path.join(into, rel)), link);
      fs.chmodSync(path.join(into, rel), 0o755);
    }
  }
  const own = JSON.parse(fs.readFileSync(path.join(project, 'package.json'), 'utf8'));
  const wanted = new Set();
  for (const m of [own, ...manifests.values()]) {
    for (const dep of Object.keys({ ...m.dependencies, ...m.devDependencies, ...m.peerDependencies })) {
      if (!manifests.has(dep)) wanted.add(dep);
    }
  }
  const linked = [...wanted].sort();
  for (const dep of linked) {
    const from = path.join(ROOT, 'node_modules', ...dep.split('/'));
    if (!fs.existsSync(from)) throw new Error(`${dep} is a dependency but is not in ${path.relative(process.cwd(), path.join(ROOT, 'node_modules'))} (run npm ci)`);
    const to = path.join(nm, ...dep.split('/'));
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.rmSync(to, { recursive: true, force: true });
    fs.symlinkSync(fs.realpathSync(from), to);
  }
  return linked;
}

/**
 * Can commands run with the workspace hidden (a private mount namespace with
 * empty file systems over the monorepo's folders, and no network)? Needs root
 * and unshare; where it cannot, the caller says so and runs unisolated.
 */
function isolationAvailable() {
  if (process.platform !== 'linux' || typeof process.getuid !== 'function' || process.getuid() !== 0) return { ok: false, reason: 'not root on Linux' };
  const r = spawnSync('unshare', ['-m', '-n', 'true'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return { ok: false, reason: `unshare -m -n failed: ${r.error ? r.error.message : r.stderr.trim()}` };
  return { ok: true };
}

/** The monorepo's folders a packaged module must never reach: everything but node_modules. */
function workspaceFolders() {
  return fs.readdirSync(ROOT, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== 'node_modules' && !e.name.startsWith('.'))
    .map((e) => path.join(ROOT, e.name)).sort();
}

const shq = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/**
 * Run a command in `cwd`, isolated when possible: no network, and empty
 * read-only file systems mounted over the monorepo's folders, so any import or
 * file read that reaches back into the workspace fails. Returns spawnSync's result plus `isolated`.
 */
function runIsolated(cmd, args, { cwd, env = {}, timeout = 120000 } = {}) {
  const iso = isolationAvailable();
  const fullEnv = { ...process.env, ...env };
  delete fullEnv.NODE_OPTIONS;
  if (!iso.ok) return { ...spawnSync(cmd, args, { cwd, env: fullEnv, encoding: 'utf8', timeout }), isolated: false, reason: iso.reason };
  const hide = workspaceFolders().map((d) => `mount -t tmpfs -o ro,size=4k bpfsim-hidden ${shq(d)}`).join(' && ');
  const script = `${hide} && cd ${shq(cwd)} && exec ${[cmd, ...args].map(shq).join(' ')}`;
  const r = spawnSync('unshare', ['-m', '-n', '--propagation', 'private', 'sh', '-c', script], { env: fullEnv, encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
  return { ...r, isolated: true };
}

module.exports = { packWorkspace, tarballManifest, installTarballs, isolationAvailable, runIsolated, workspaceFolders, contentHash };
