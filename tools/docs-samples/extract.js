'use strict';
/**
 * The code and command samples of README.md and docs/*.md: every fenced block,
 * with the `<!-- sample: ... -->` markers written right above it (the
 * convention is in docs/README.md).
 */
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');

/** The documents whose samples are executed: README.md, then docs/*.md in name order. */
function documents() {
  const docs = fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}

/** How each fence language is handled. */
const KINDS = {
  sh: 'shell', bash: 'shell', console: 'shell', shell: 'shell',
  ts: 'ts', typescript: 'ts', js: 'ts', javascript: 'ts',
  yaml: 'yaml', yml: 'yaml',
  c: 'c',
  '': 'text', text: 'text', txt: 'text', output: 'text',
};

/**
 * One marker comment: `<!-- sample: DIRECTIVE ARGS -->` (may span lines).
 *   skip: REASON                  not run (listed and counted by the test)
 *   skip "CMD", "CMD": REASON     shell: these commands are not run, the rest are
 *   cwd DIR                       run in DIR (relative to the repository root)
 *   setup CODE                    ts: code compiled and run before the sample (imports, inputs)
 *   excerpt FILE                  c and other excerpts: the block must appear in FILE
 *   abridged                      yaml: an abridged scenario, checked as YAML only
 *   exit N                        shell: the block's last command must exit with N (a failure the docs show)
 *   output TEXT                   shell: the block's output must contain TEXT
 */
function parseMarker(text, where) {
  const m = /^([a-z-]+)\b\s*([^]*)$/.exec(text.trim());
  if (!m) throw new Error(`${where}: empty sample marker`);
  const [, directive, rest] = m;
  switch (directive) {
    case 'skip': {
      const names = [];
      let r = rest;
      for (let q; (q = /^\s*"([^"]+)"\s*,?/.exec(r));) { names.push(q[1]); r = r.slice(q[0].length); }
      const reason = r.replace(/^\s*[:—-]\s*/, '').trim();
      if (!reason) throw new Error(`${where}: a skip marker must give its reason`);
      return { directive, commands: names, reason };
    }
    case 'cwd': case 'excerpt': case 'setup':
      if (!rest.trim()) throw new Error(`${where}: "${directive}" needs an argument`);
      return { directive, arg: directive === 'setup' ? rest.trim() : rest.trim().split(/\s+/)[0] };
    case 'abridged':
      return { directive };
    case 'output':
      if (!rest.trim()) throw new Error(`${where}: "output" needs the text to find`);
      return { directive, arg: rest.trim() };
    case 'exit':
      if (!/^\d+$/.test(rest.trim())) throw new Error(`${where}: "exit" needs a number`);
      return { directive, arg: Number(rest.trim()) };
    default:
      throw new Error(`${where}: unknown sample marker "${directive}" (skip, cwd, setup, excerpt, abridged, exit, output)`);
  }
}

/**
 * Every fenced block of a document: { file, line (of the opening fence), lang, kind,
 * code, markers: { skip?, skipCommands[], cwd?, setup[], excerpt?, abridged } }.
 */
function samplesOf(file, text = fs.readFileSync(path.join(ROOT, file), 'utf8')) {
  const lines = text.split('\n');
  const out = [];
  let pending = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const mk = /^\s*<!--\s*sample:/.exec(line);
    if (mk) {
      let body = line.slice(mk[0].length);
      const start = i;
      while (!body.includes('-->') && i + 1 < lines.length) body += '\n' + lines[++i];
      if (!body.includes('-->')) throw new Error(`${file}:${start + 1}: unterminated sample marker`);
      pending.push(parseMarker(body.slice(0, body.indexOf('-->')), `${file}:${start + 1}`));
      continue;
    }
    const fence = /^(\s*)(```+|~~~+)\s*([\w-]*)\s*$/.exec(line);
    if (!fence) {
      if (line.trim() !== '') pending = [];
      continue;
    }
    const [, indent, ticks, lang] = fence;
    const body = [];
    let j = i + 1;
    for (; j < lines.length && !new RegExp(`^\\s*${ticks[0] === '`' ? '`' : '~'}{${ticks.length},}\\s*$`).test(lines[j]); j++) {
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j]);
    }
    const kind = KINDS[lang.toLowerCase()];
    const markers = { skipCommands: [], setup: [], abridged: false };
    for (const m of pending) {
      if (m.directive === 'skip' && m.commands.length) markers.skipCommands.push({ commands: m.commands, reason: m.reason });
      else if (m.directive === 'skip') markers.skip = m.reason;
      else if (m.directive === 'setup') markers.setup.push(m.arg);
      else if (m.directive === 'abridged') markers.abridged = true;
      else markers[m.directive] = m.arg;
    }
    out.push({ file, line: i + 1, lang, kind: kind || 'unknown', code: body.join('\n') + '\n', markers });
    pending = [];
    i = j;
  }
  return out;
}

/** Every sample of every document, in document order. */
function allSamples(files = documents()) {
  return files.flatMap((f) => samplesOf(f));
}

/**
 * A shell block as commands: comment lines dropped, `\` continuations and
 * here-documents kept with their command. [{ line (in the block, 0-based), text }].
 */
function shellCommands(code) {
  const lines = code.split('\n');
  const cmds = [];
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*(#|$)/.test(lines[i])) continue;
    const start = i;
    let text = lines[i];
    while (/\\$/.test(text) && i + 1 < lines.length) text += '\n' + lines[++i];
    const here = /<<-?\s*'?"?(\w+)'?"?/.exec(text);
    if (here) {
      while (i + 1 < lines.length) {
        text += '\n' + lines[++i];
        if (lines[i].trim() === here[1]) break;
      }
    }
    cmds.push({ line: start, text });
  }
  return cmds;
}

module.exports = { ROOT, documents, samplesOf, allSamples, shellCommands, parseMarker, KINDS };
