'use strict';
/**
 * Paths in a package's code that leave the package: relative imports
 * (`require('../../tools/x')`) and files named from __dirname
 * (`path.resolve(__dirname, '../../../scenarios')`). Installed from a tarball,
 * such a path lands in the user's project, not in the monorepo.
 */
const fs = require('fs');
const path = require('path');
const { walk, specifiers } = require('./workspace');

/** String literals following __dirname in a path.join/resolve call, or null when one is not a literal. */
function dirnameCalls(code) {
  const out = [];
  const re = /path\.(?:resolve|join)\(\s*__dirname((?:\s*,\s*(?:'[^']*'|"[^"]*"|[A-Za-z_$][\w$.]*))*)\s*\)/g;
  for (let m; (m = re.exec(code));) {
    const args = [...m[1].matchAll(/,\s*('[^']*'|"[^"]*"|[A-Za-z_$][\w$.]*)/g)].map((a) => a[1]);
    out.push({ text: m[0], parts: args.map((a) => (/^['"]/.test(a) ? a.slice(1, -1) : null)) });
  }
  return out;
}

/**
 * Every place in the JS files under pkgRoot whose path leaves pkgRoot:
 * [{ file (relative to pkgRoot), text, target }].
 */
function pathsLeaving(pkgRoot) {
  const found = [];
  for (const file of walk(pkgRoot, (n) => n.endsWith('.js'))) {
    const rel = path.relative(pkgRoot, file);
    const code = fs.readFileSync(file, 'utf8');
    const here = path.dirname(rel);
    for (const spec of specifiers(code)) {
      if (!spec.startsWith('.')) continue;
      const target = path.normalize(path.join(here, spec));
      if (target.startsWith('..')) found.push({ file: rel, text: spec, target });
    }
    for (const call of dirnameCalls(code)) {
      // Only the literal prefix is known; a '..' after a variable cannot be judged here.
      const known = [];
      for (const p of call.parts) { if (p === null) break; known.push(p); }
      const target = path.normalize(path.join(here, ...known));
      if (target.startsWith('..')) found.push({ file: rel, text: call.text, target });
    }
  }
  return found;
}

module.exports = { pathsLeaving, dirnameCalls };
