/**
 * The README's first test, run as written (its import line aside) in the
 * folder of the object it loads, so the sample cannot drift from the API.
 */
import '../src/setup';
import * as fs from 'fs';
import * as path from 'path';
import * as api from '../src';
import { scenarioFile } from './paths';

const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

/** The ```ts block under a heading. */
function sample(heading: string): string {
  const at = readme.indexOf(`## ${heading}\n`);
  const m = /```ts\n([^]*?)```/.exec(readme.slice(at));
  if (at < 0 || !m) throw new Error(`README has no ts sample under "## ${heading}"`);
  return m[1];
}

describe('README', () => {
  test('"A first test" passes as written', () => {
    const code = sample('A first test');
    const imported = /^import \{ ([^}]+) \} from '@bpfsim\/jest';$/m.exec(code);
    expect(imported).not.toBeNull();
    const names = imported![1].split(',').map((s) => s.trim());
    const body = code.replace(imported![0], '');
    // The sample declares a jest test: collect it, then run it in the object's folder.
    const tests: { name: string; fn: () => void }[] = [];
    new Function(...names, 'test', 'expect', body)(...names.map((n) => (api as Record<string, unknown>)[n]), (name: string, fn: () => void) => tests.push({ name, fn }), expect);
    expect(tests.map((t) => t.name)).toEqual(['ICMP is dropped and counted']);
    const cwd = process.cwd();
    process.chdir(scenarioFile('xdp-firewall'));
    try {
      tests[0].fn();
    } finally {
      process.chdir(cwd);
    }
  });
});
