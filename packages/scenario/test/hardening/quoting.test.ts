/** Issue 14: error messages echoed the input verbatim: a 10 MB name on one line, raw control bytes. */
import { formatReport, replayLoaded } from '@bpfsim/scenario';
import { HEAD, load, loadError } from './helpers';

describe('messages quote a bounded, escaped prefix of the input', () => {
  test('a 10 MB unknown field name', () => {
    const e = loadError(`${HEAD}? ${'k'.repeat(10_000_000)}\n: 1\n`);
    expect(e.message.length).toBeLessThan(1000);
    expect(e.message).toMatch(/unknown field 'k{80}…\(\+9999920 chars\)'/);
  });

  test('control bytes in a key, a program name and a hex value are escaped', () => {
    const esc = loadError(`${HEAD}"evil\\e[31m\\x07": 1\n`).message;
    expect(esc).toContain("unknown field 'evil\\u001b[31m\\u0007'");
    expect(esc).not.toMatch(/[\u0000-\u001f]/);
    const prog = loadError(`${HEAD}events:\n  - run: {program: "q\\e[2J"}\n`).message;
    expect(prog).not.toMatch(/[\u0000-\u001f]/);
    const hex = loadError(`${HEAD}events:\n  - run: {program: p, data: "zz\\e]0;pwned\\a${'x'.repeat(5000)}"}\n`).message;
    expect(hex).toContain('zz\\u001b]0;pwned\\u0007');
    expect(hex.length).toBeLessThan(600);
  });
});

test('an event note with terminal escapes is printed escaped in the timeline', () => {
  const r = replayLoaded(load(`${HEAD}events:\n  - advance: 1\n    note: "clear\\e[2J${'n'.repeat(500)}"\n`));
  const line = formatReport(r).find((l) => l.includes('# clear'))!;
  expect(line).toContain('# clear\\u001b[2J');
  expect(line).not.toMatch(/\u001b/);
  expect(line.length).toBeLessThan(300);
});
