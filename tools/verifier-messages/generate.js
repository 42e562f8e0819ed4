#!/usr/bin/env node
'use strict';
/**
 * docs/verifier-messages.md from the verifier's source: every rejection message
 * written in packages/verifier/src (the first argument of eacces(), einval(),
 * new Reject(), and `{ msg, errno }` records), with its errno, the file it is in,
 * and the cause and fix bpfsim's explain() gives for it.
 *
 *   node tools/verifier-messages/generate.js           write docs/verifier-messages.md
 *   node tools/verifier-messages/generate.js --check   exit 1 when the file is not what the source gives
 */
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

const ROOT = path.resolve(__dirname, '..', '..');
const SRC = path.join(ROOT, 'packages', 'verifier', 'src');
const OUT = path.join(ROOT, 'docs', 'verifier-messages.md');

function files(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1)).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

const PLACEHOLDER = '…';

/**
 * The texts an expression can produce, with interpolations as `…`; null when it is not
 * built from literals (a variable, a call).
 */
function texts(node) {
  if (ts.isParenthesizedExpression(node)) return texts(node.expression);
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return [node.text];
  if (ts.isTemplateExpression(node)) {
    let out = [node.head.text];
    for (const span of node.templateSpans) {
      // a nested literal choice inside ${} (`${a ? 'x' : 'y'}`) is kept as a placeholder: the message shape is what matters
      out = out.map((t) => t + PLACEHOLDER + span.literal.text);
    }
    return out;
  }
  if (ts.isConditionalExpression(node)) {
    const a = texts(node.whenTrue);
    const b = texts(node.whenFalse);
    return a && b ? [...a, ...b] : a || b;
  }
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const a = texts(node.left) || [PLACEHOLDER];
    const b = texts(node.right) || [PLACEHOLDER];
    if (a.every((t) => t === PLACEHOLDER) && b.every((t) => t === PLACEHOLDER)) return null;
    return a.flatMap((x) => b.map((y) => x + y));
  }
  return null;
}

/** Every message the source writes: [{ text, errno, file }], plus the computed ones it cannot read. */
function collect() {
  const found = [];
  const computed = [];
  for (const file of files(SRC)) {
    const rel = path.relative(ROOT, file).split(path.sep).join('/');
    const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const add = (arg, errno, node) => {
      const t = texts(arg);
      if (!t) { computed.push({ file: rel, expr: arg.getText(sf) }); return; }
      // '@@logged@@' is the verifier's internal note that the message is already in the log
      for (const text of t) if (text.replace(/…/g, '').trim()) found.push({ text: text.replace(/^@@logged@@/, ''), errno, file: rel });
    };
    const visit = (node) => {
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && /^(eacces|einval)$/.test(node.expression.text) && node.arguments.length) {
        add(node.arguments[0], node.expression.text.toUpperCase(), node);
      } else if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'Reject' && node.arguments && node.arguments.length >= 2) {
        const e = node.arguments[1];
        add(node.arguments[0], ts.isStringLiteral(e) ? e.text : PLACEHOLDER, node);
      } else if (ts.isObjectLiteralExpression(node)) {
        const prop = (n) => node.properties.find((p) => ts.isPropertyAssignment(p) && p.name.getText(sf) === n);
        const msg = prop('msg');
        const errno = prop('errno');
        if (msg && errno) add(msg.initializer, ts.isStringLiteral(errno.initializer) ? errno.initializer.text : PLACEHOLDER, node);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return { found, computed };
}

/** explain() from the source (not dist/, which may be older): explain.ts imports nothing. */
function loadExplain() {
  const Module = require('module');
  const file = path.join(SRC, 'explain.ts');
  const js = ts.transpileModule(fs.readFileSync(file, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const m = new Module(file);
  m._compile(js, file);
  return m.exports;
}

/** One entry per message text: errnos and files merged, sorted by text (stable as code moves). */
function catalogue() {
  const { explain } = loadExplain();
  const { found, computed } = collect();
  const byText = new Map();
  for (const f0 of found) {
    // The final line is the kernel's error (what matchers and expectations match); lines before
    // it in the same message are the log's description of the access.
    const f = { ...f0, text: f0.text.split('\n').pop() };
    const e = byText.get(f.text) || { text: f.text, errnos: new Set(), files: new Set() };
    e.errnos.add(f.errno);
    e.files.add(f.file);
    byText.set(f.text, e);
  }
  const entries = [...byText.values()].sort((a, b) => (a.text.toLowerCase() < b.text.toLowerCase() ? -1 : a.text.toLowerCase() > b.text.toLowerCase() ? 1 : a.text < b.text ? -1 : 1));
  for (const e of entries) {
    // explain() reads the final error line; try the placeholders as a register number, then as a word
    const last = e.text;
    e.explanation = explain(last.replace(/…/g, '1')) || explain(last.replace(/…/g, 'scalar')) || null;
    // the sample register number filled in above is not the reader's: name it as the message does
    if (e.explanation && /R…/.test(last)) e.explanation = e.explanation.replace(/\bR1\b/g, 'R…');
  }
  return { entries, computed };
}

const code = (t) => {
  const ticks = t.includes('`') ? '``' : '`';
  return `${ticks}${ticks.length > 1 ? ' ' : ''}${t}${ticks.length > 1 ? ' ' : ''}${ticks}`;
};

function render() {
  const { entries, computed } = catalogue();
  const explained = entries.filter((e) => e.explanation).length;
  const lines = [
    '# Verifier messages',
    '',
    '<!-- Generated by tools/verifier-messages/generate.js from packages/verifier/src: do not edit by hand. -->',
    '',
    `Every rejection message bpfsim's verifier writes, as the Linux 6.18 kernel writes it: ${entries.length}`,
    'messages, read from `packages/verifier/src` (the text the kernel prints is the final line of',
    'the verifier log and the error `bpfsim verify`, `toBeRejectedWith()` and the scenario `verdict`',
    'expectation match). `…` stands for what the message fills in (a register, an offset, a type).',
    `For ${explained} of them bpfsim also gives a plain-language cause and fix (\`bpfsim verify\`, the`,
    'jest matchers and `VerifyResult.explanation` print it); for the others the kernel\'s',
    '`kernel/bpf/verifier.c` is the reference. `npm run docs:verifier-messages` regenerates this page;',
    'a test fails when a message in the source is missing here.',
    '',
    '| message | errno | cause and fix | source |',
    '|---|---|---|---|',
  ];
  const cell = (s) => s.replace(/\|/g, '\\|').replace(/\n/g, '<br>');
  for (const e of entries) {
    const shown = code(e.text);
    lines.push(`| ${cell(shown)} | ${[...e.errnos].sort().join(', ')} | ${e.explanation ? cell(e.explanation) : ''} | ${[...e.files].sort().map((f) => f.replace('packages/verifier/src/', '')).join(', ')} |`);
  }
  lines.push('', `Messages composed at run time (${computed.length} places: the kernel's words are built from parts, so they cannot be listed here): ` +
    [...new Set(computed.map((c) => c.file.replace('packages/verifier/src/', '')))].sort().join(', ') + '.', '');
  return lines.join('\n');
}

function main(argv) {
  const text = render();
  if (argv.includes('--check')) {
    const cur = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
    if (cur !== text) {
      process.stderr.write('docs/verifier-messages.md is not what packages/verifier/src gives: run `npm run docs:verifier-messages`\n');
      return 1;
    }
    return 0;
  }
  fs.writeFileSync(OUT, text);
  process.stdout.write(`docs/verifier-messages.md: ${catalogue().entries.length} messages\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
module.exports = { collect, catalogue, render, texts };
