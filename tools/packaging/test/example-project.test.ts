/**
 * The example user project (examples/xdp-counter) run from the packed
 * tarballs: every workspace package is `npm pack`ed, a temporary copy of the
 * project gets them unpacked into its node_modules (third-party packages linked
 * from the monorepo's, offline), and its own jest suite and `bpfsim` command run
 * there. Where root and unshare are available the runs happen with no network
 * and with the monorepo's folders (all but node_modules) hidden under empty
 * mounts, so an import or file read reaching back into the workspace fails.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
/* eslint-disable @typescript-eslint/no-var-requires */
const { ROOT } = require('../workspace');
const { packWorkspace, installTarballs, runIsolated, isolationAvailable } = require('../tarballs');

const EXAMPLE = path.join(ROOT, 'examples', 'xdp-counter');
const iso = isolationAvailable();
if (!iso.ok) console.warn(`example project: running without isolation (${iso.reason}); the static checks in packages.test.ts still apply`);

let project: string;
let tmp: string;
let packed: { name: string; pkg: Record<string, any> }[];

beforeAll(() => {
  packed = packWorkspace();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-example-'));
  project = path.join(tmp, 'xdp-counter');
  // What a user has: the project's own files (never a node_modules of the checkout).
  fs.cpSync(EXAMPLE, project, { recursive: true, filter: (src) => path.basename(src) !== 'node_modules' });
  installTarballs(project, packed);
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const out = (r: { stdout: string; stderr: string; status: number | null }) => `exit ${r.status}\n${r.stdout}\n${r.stderr}`;

describe(`examples/xdp-counter from the packed tarballs${iso.ok ? ' (no network, workspace hidden)' : ` (not isolated: ${iso.reason})`}`, () => {
  test('every package and exported subpath loads from the project, nothing from the workspace', () => {
    const entries = packed.flatMap((p) => Object.keys(p.pkg.exports).filter((k) => k !== './package.json').map((k) => (k === '.' ? p.name : `${p.name}/${k.slice(2)}`)))
      // @bpfsim/jest needs jest's runtime (@jest/globals): the project's jest suite loads it
      .filter((e) => !e.startsWith('@bpfsim/jest'));
    const code = `for (const e of ${JSON.stringify(entries)}) require(e);` +
      `process.stdout.write(JSON.stringify(Object.keys(require.cache)))`;
    const r = runIsolated(process.execPath, ['-e', code], { cwd: project });
    expect(out(r)).toMatch(/^exit 0/);
    const loaded: string[] = JSON.parse(r.stdout).map((f: string) => fs.existsSync(f) ? fs.realpathSync(f) : f);
    const fromWorkspace = loaded.filter((f) => f.startsWith(ROOT + path.sep) && !f.startsWith(path.join(ROOT, 'node_modules') + path.sep));
    expect(fromWorkspace).toEqual([]);
    const ours = loaded.filter((f) => f.includes(`${path.sep}@bpfsim${path.sep}`) || f.includes(`${path.sep}node_modules${path.sep}bpfsim${path.sep}`));
    // every @bpfsim package (and the cli) was loaded from the project's node_modules
    expect(ours.length).toBeGreaterThan(packed.length - 1);
    expect(ours.filter((f) => !f.startsWith(fs.realpathSync(project)))).toEqual([]);
  });

  test("the project's jest suite passes (npm test there)", () => {
    const r = runIsolated(process.execPath, [path.join('node_modules', 'jest', 'bin', 'jest.js'), '--ci', '--colors=false'], { cwd: project, env: { FORCE_COLOR: '0' } });
    expect(out(r)).toMatch(/^exit 0/);
    expect(r.stderr).toMatch(/Tests:\s+5 passed, 5 total/);
  });

  test('a failing test in the project fails usefully', () => {
    // A user's mistake: expecting XDP_DROP for a ping. jest must fail, naming both return codes.
    const bad = path.join(project, 'test', 'mistake.test.js');
    fs.writeFileSync(bad, `const { bpfsim, XDP_DROP } = require('@bpfsim/jest');
const { eth } = require('@bpfsim/packet');
test('ping is dropped', () => {
  const obj = bpfsim.kernel({ seed: 1 }).load(require('path').join(__dirname, '..', 'xdp_counter.bpf.o'));
  expect(obj.run('xdp_counter', { data: eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }).icmp().build() })).toReturn(XDP_DROP);
});
`);
    try {
      const r = runIsolated(process.execPath, [path.join('node_modules', 'jest', 'bin', 'jest.js'), '--ci', '--colors=false', 'test/mistake.test.js'], { cwd: project, env: { FORCE_COLOR: '0' } });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('xdp_counter returned "XDP_PASS (2)", expected "XDP_DROP (1)"');
      expect(r.stderr).toMatch(/xdp_counter\.bpf\.c:\d+/); // the C source line, from the object's BTF
    } finally {
      fs.rmSync(bad, { force: true });
    }
  });

  test("the matchers' types reach a TypeScript project (npm run typecheck there)", () => {
    const r = runIsolated(process.execPath, [path.join('node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], { cwd: project });
    expect(out(r)).toMatch(/^exit 0/);
  });

  test('the installed bpfsim command verifies the object', () => {
    const r = runIsolated(path.join(project, 'node_modules', '.bin', 'bpfsim'), ['verify', 'xdp_counter.bpf.o'], { cwd: project });
    expect(out(r)).toMatch(/^exit 0/);
    expect(r.stdout).toContain('xdp_counter.bpf.o: xdp_counter (xdp): accepted');
  });
});
