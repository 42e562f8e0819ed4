/**
 * The API reference (`npm run docs:api`, typedoc) generates cleanly from every
 * package's entry point: no warning (a broken {@link}, an unresolvable type)
 * and no package left out.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..', '..');
const CONFIG = path.join(ROOT, 'tools', 'api-docs', 'typedoc.json');

test('every package entry point is documented', () => {
  const config = JSON.parse(fs.readFileSync(CONFIG, 'utf8'));
  const listed = config.entryPoints.map((e: string) => path.relative(ROOT, path.resolve(path.dirname(CONFIG), e))).sort();
  const packages = fs.readdirSync(path.join(ROOT, 'packages')).filter((d) => fs.existsSync(path.join(ROOT, 'packages', d, 'src', 'index.ts')))
    .map((d) => path.join('packages', d, 'src', 'index.ts')).sort();
  expect(listed).toEqual(packages);
});

test('typedoc runs clean (warnings are errors)', () => {
  const r = spawnSync('nice', ['-n', '10', process.execPath, path.join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--options', CONFIG, '--emit', 'none', '--treatWarningsAsErrors'],
    { cwd: ROOT, encoding: 'utf8', timeout: 600000 });
  expect(`exit ${r.status}\n${r.stdout}${r.stderr}`).toBe('exit 0\n');
}, 600000);
