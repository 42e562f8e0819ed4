/**
 * docs/verifier-messages.md stays true: every rejection message in
 * packages/verifier/src is in it, and it is exactly what the generator makes of
 * the source (`npm run docs:verifier-messages` rewrites it).
 */
import * as fs from 'fs';
import * as path from 'path';
/* eslint-disable @typescript-eslint/no-var-requires */
const { collect, render, texts } = require('../generate');
const ts = require('typescript');

const DOC = path.join(__dirname, '..', '..', '..', 'docs', 'verifier-messages.md');

test('every message written in the verifier source is in the catalogue', () => {
  const doc = fs.readFileSync(DOC, 'utf8');
  const { found } = collect();
  expect(found.length).toBeGreaterThan(100);
  const cell = (t: string) => (t.includes('`') ? `\`\` ${t} \`\`` : `\`${t}\``).replace(/\|/g, '\\|');
  // a message of several lines is catalogued by its last line, the kernel's error line
  const absent = found.filter((f: { text: string }) => !doc.includes(`| ${cell(f.text.split('\n').pop()!)} |`)).map((f: { text: string; file: string }) => `${f.file}: ${f.text}`);
  expect(absent).toEqual([]);
});

test('the catalogue is what the generator makes of the source (run `npm run docs:verifier-messages`)', () => {
  expect(fs.readFileSync(DOC, 'utf8')).toBe(render());
});

test('the reader of the source sees literals, templates, choices and concatenations', () => {
  const expr = (s: string) => (ts.createSourceFile('x.ts', `(${s})`, ts.ScriptTarget.Latest, true).statements[0] as any).expression.expression;
  expect(texts(expr("'div by zero'"))).toEqual(['div by zero']);
  expect(texts(expr('`R${r} !read_ok`'))).toEqual(['R… !read_ok']);
  expect(texts(expr("x ? 'a' : `b${y}`"))).toEqual(['a', 'b…']);
  expect(texts(expr("'R' + n + ' invalid'"))).toEqual(['R… invalid']);
  expect(texts(expr('someVariable'))).toBeNull();
});

test('an explained message carries its cause and fix', () => {
  const doc = fs.readFileSync(DOC, 'utf8');
  const row = doc.split('\n').find((l) => l.startsWith('| `R… offset is outside of the packet` |'));
  expect(row).toBeDefined();
  expect(row).toContain('EACCES');
  expect(row).toContain('before proving they are inside the packet');
});
