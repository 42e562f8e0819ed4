/** Issue 14: YAML alias errors and the parser's alias-count guard escaped as ReferenceError. */
import { HEAD, loadError } from './helpers';

describe('YAML aliases', () => {
  test('an undefined alias is one clear line', () => {
    const e = loadError(`${HEAD}name: *nowhere\n`);
    expect(e.message).toMatch(/s\.yaml:1:1: \(top level\): bad YAML: Unresolved alias/);
  });

  test('billion laughs: nested aliases past the limit are refused', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const e = loadError(`${HEAD}${lines.join('\n')}\n`);
    expect(e.message).toMatch(/bad YAML: aliases expand to more than 1000 nodes/);
  });

  test('one anchor reused 100,000 times is refused, not expanded', () => {
    const e = loadError(`${HEAD}description: &d "x"\nnote: [${Array(100_000).fill('*d').join(',')}]\n`);
    expect(e.message).toMatch(/bad YAML: aliases expand to more than 1000 nodes/);
  });

  test('a handful of aliases still works', () => {
    expect(() => loadError(`${HEAD}events:\n  - run: &r {program: p, data: "0000000000000000000000000000"}\n  - run: *r\n`)).toThrow(/expected the scenario to be refused/);
  });
});

describe('deep YAML', () => {
  test('100,000 nested brackets and 3,000 nested block lists are one line each', () => {
    expect(loadError(`${HEAD}name: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`).message).toMatch(/bad YAML: nested too deeply|nested deeper than 64 levels/);
    const block = Array.from({ length: 3000 }, (_, i) => `${'  '.repeat(i)}- \n`).join('');
    expect(loadError(`${HEAD}name:\n${block}`).message).toMatch(/bad YAML: nested too deeply|nested deeper than 64 levels/);
  });

  test('a field pattern nested 200 deep is refused before it is walked', () => {
    expect(loadError(`${HEAD}expect:\n  - ringbuf: {map: m, type: x, events: [${'['.repeat(200)}${']'.repeat(200)}]}\n`).message)
      .toMatch(/the document is nested deeper than 64 levels/);
  });
});
