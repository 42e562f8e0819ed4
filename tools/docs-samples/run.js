#!/usr/bin/env node
'use strict';
/**
 * Executes the samples of README.md and docs/*.md (tools/docs-samples/extract.js):
 *   shell  each command runs in bash from the repository root (or the marker's cwd),
 *          in document order, with node_modules/.bin on PATH; `/tmp/` in a command
 *          becomes a temporary directory of the run, so runs never share files
 *   ts     type-checked together against the built packages (their .d.ts), then
 *          run with node (or jest, for a sample that declares tests)
 *   yaml   a scenario (it has `bpfsim:`) goes through the scenario loader; other
 *          YAML (CI files) is parsed
 *   c      must appear in the file its `excerpt` marker names
 *   text   output shown in the docs: not run, counted
 * A failure names the document and line.
 *
 *   node tools/docs-samples/run.js [DOC.md...]     run them, print a summary; exit 1 on a failure
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ROOT, allSamples, documents, shellCommands } = require('./extract');

const where = (s, offset = 0) => `${s.file}:${s.line + 1 + offset}`;
const stripComment = (cmd) => cmd.replace(/\s+#.*$/, '').trim();

/** A run of samples: one temporary directory, shared by the samples of a document in order. */
class Session {
  constructor() {
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-docs-samples-'));
    // TypeScript samples resolve packages as a user's project would: through node_modules.
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(this.tmp, 'node_modules'));
    this.shellTmp = new Map();
    this.tsResults = null;
  }

  close() {
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }

  /** The per-document directory `/tmp/` in its shell samples stands for. */
  tmpFor(file) {
    if (!this.shellTmp.has(file)) {
      const d = path.join(this.tmp, 'sh-' + file.replace(/[^\w]+/g, '_'));
      fs.mkdirSync(d);
      this.shellTmp.set(file, d);
    }
    return this.shellTmp.get(file);
  }
}

/**
 * A shell block runs as one bash script, the way a reader pastes it into one
 * shell: `cd` carries over to the next command and, through the session, to
 * the page's next block. After each command the script checks its status.
 * Returns { status: 'pass' | 'fail' | 'skip', detail, skipped: [{ where, command, reason }] }.
 */
function runShell(s, session) {
  if (s.markers.skip) return { status: 'skip', detail: s.markers.skip, skipped: [] };
  const tmp = session.tmpFor(s.file);
  const state = path.join(tmp, '.cwd');
  const cwd = s.markers.cwd ? path.join(ROOT, s.markers.cwd) : fs.existsSync(state) ? fs.readFileSync(state, 'utf8').trim() : ROOT;
  const env = { ...process.env, PATH: `${path.join(ROOT, 'node_modules', '.bin')}:${process.env.PATH}`, FORCE_COLOR: '0', NO_COLOR: '1' };
  delete env.NODE_OPTIONS;
  const skipped = [];
  const cmds = shellCommands(s.code);
  const run = [];
  const script = [`cd ${JSON.stringify(cwd)} || exit 100`];
  for (const [i, c] of cmds.entries()) {
    const bare = stripComment(c.text.split('\n')[0]);
    const rule = s.markers.skipCommands.find((r) => r.commands.some((n) => bare === n || bare.startsWith(n + ' ')));
    if (rule) {
      skipped.push({ where: where(s, c.line + 1), command: bare, reason: rule.reason });
      continue;
    }
    const want = i === cmds.length - 1 && s.markers.exit !== undefined ? s.markers.exit : 0;
    run.push({ c, bare, want });
    script.push(c.text.replace(/(^|[\s='"])\/tmp\//g, `$1${tmp}/`));
    script.push(`__st=$?; if [ $__st -ne ${want} ]; then echo "@@sample-failed ${run.length - 1} $__st" >&2; exit 100; fi`);
  }
  if (run.length === 0) return { status: 'skip', detail: [...new Set(skipped.map((k) => k.reason))].join('; '), skipped: [] };
  script.push(`pwd > ${JSON.stringify(state)}`);
  const r = spawnSync('bash', ['-c', script.join('\n')], { cwd: ROOT, env, encoding: 'utf8', timeout: 300000, maxBuffer: 64 << 20 });
  if (r.status === 0 && s.markers.output !== undefined && !`${r.stdout}${r.stderr}`.includes(s.markers.output)) {
    return { status: 'fail', detail: `${where(s)}: the output does not contain "${s.markers.output}":\n${`${r.stdout}${r.stderr}`.split('\n').slice(-25).join('\n')}`, skipped };
  }
  if (r.status === 0) return { status: 'pass', detail: `${run.length} command(s)`, skipped };
  const m = /@@sample-failed (\d+) (\d+)/.exec(r.stderr);
  const failed = m ? run[Number(m[1])] : null;
  const out = `${r.stdout}${r.stderr.replace(/@@sample-failed.*\n?/, '')}`.split('\n').slice(-25).join('\n');
  if (!failed) return { status: 'fail', detail: `${where(s)}: the block failed (exit ${r.status ?? r.signal}):\n${out}`, skipped };
  const got = m[2];
  return { status: 'fail', detail: `${where(s, failed.c.line + 1)}: \`${failed.bare}\` exited ${got}${failed.want ? ` (the docs say ${failed.want})` : ''}:\n${out}`, skipped };
}

function runYaml(s) {
  if (s.markers.skip) return { status: 'skip', detail: s.markers.skip };
  const YAML = require('yaml');
  let doc;
  try {
    doc = YAML.parse(s.code);
  } catch (e) {
    return { status: 'fail', detail: `${where(s)}: not YAML: ${e.message.split('\n')[0]}` };
  }
  if (!doc || typeof doc !== 'object' || !('bpfsim' in doc) || s.markers.abridged) return { status: 'pass', detail: s.markers.abridged ? 'abridged scenario: YAML syntax' : 'YAML syntax' };
  const { parseScenarioText } = require(path.join(ROOT, 'node_modules', '@bpfsim', 'scenario'));
  const dir = path.join(ROOT, s.markers.cwd || path.dirname(s.file));
  try {
    parseScenarioText(s.code, path.join(dir, `${path.basename(s.file)}:${s.line + 1}.yaml`));
  } catch (e) {
    // ScenarioError places are relative to the block: line 1 is the line after the fence.
    return { status: 'fail', detail: `${where(s)}: the scenario loader refuses it: ${e.message}` };
  }
  return { status: 'pass', detail: 'scenario valid' };
}

function runExcerpt(s) {
  if (s.markers.skip) return { status: 'skip', detail: s.markers.skip };
  if (!s.markers.excerpt) return { status: 'fail', detail: `${where(s)}: a ${s.lang} block needs an \`excerpt FILE\` or \`skip: REASON\` marker` };
  const file = path.join(ROOT, s.markers.excerpt);
  if (!fs.existsSync(file)) return { status: 'fail', detail: `${where(s)}: excerpt of ${s.markers.excerpt}, which does not exist` };
  const norm = (t) => t.replace(/[ \t]+/g, ' ').replace(/\s*\n\s*/g, '\n').trim();
  if (!norm(fs.readFileSync(file, 'utf8')).includes(norm(s.code))) return { status: 'fail', detail: `${where(s)}: the block no longer appears in ${s.markers.excerpt}` };
  return { status: 'pass', detail: `excerpt of ${s.markers.excerpt}` };
}

const isJestSample = (code) => /^\s*(test|it|describe)\(/m.test(code);

/** Type-check every TypeScript sample at once (one program), then run each. Results by sample key. */
function runTypeScript(samples, session) {
  const ts = require('typescript');
  const results = new Map();
  const todo = [];
  for (const s of samples) {
    if (s.markers.skip) { results.set(s, { status: 'skip', detail: s.markers.skip }); continue; }
    const base = `${s.file.replace(/[^\w]+/g, '_')}_${s.line + 1}`;
    const setup = s.markers.setup.join('\n');
    const file = path.join(session.tmp, `${base}${isJestSample(s.code) ? '.sample.test' : ''}.ts`);
    fs.writeFileSync(file, `${setup}\n${s.code}\nexport {};\n`);
    todo.push({ s, file, offset: setup.split('\n').length });
  }
  if (!todo.length) return results;
  const globals = path.join(session.tmp, 'globals.d.ts');
  fs.writeFileSync(globals, "import '@bpfsim/jest/setup';\n");
  const program = ts.createProgram([globals, ...todo.map((t) => t.file)], {
    noEmit: true, strict: false, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16,
    types: ['node', 'jest'], typeRoots: [path.join(ROOT, 'node_modules', '@types')], skipLibCheck: true, esModuleInterop: true,
  });
  const diags = ts.getPreEmitDiagnostics(program);
  for (const t of todo) {
    const mine = diags.filter((d) => d.file && path.resolve(d.file.fileName) === t.file);
    if (mine.length) {
      const msgs = mine.slice(0, 5).map((d) => {
        const { line } = d.file.getLineAndCharacterOfPosition(d.start);
        const at = line < t.offset ? `${where(t.s, -1)} (setup marker)` : where(t.s, line - t.offset);
        return `${at}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
      results.set(t.s, { status: 'fail', detail: `does not compile against the packages' types:\n${msgs.join('\n')}` });
      continue;
    }
    const js = t.file.replace(/\.ts$/, '.js');
    fs.writeFileSync(js, ts.transpileModule(fs.readFileSync(t.file, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText);
    const cwd = path.join(ROOT, t.s.markers.cwd || '.');
    const env = { ...process.env, FORCE_COLOR: '0' };
    delete env.NODE_OPTIONS;
    let r;
    if (isJestSample(t.s.code)) {
      const config = JSON.stringify({ rootDir: session.tmp, testEnvironment: 'node', testMatch: ['**/*.sample.test.js'], setupFilesAfterEnv: ['@bpfsim/jest/setup'], transform: {} });
      r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci', '--config', config, '--runTestsByPath', js], { cwd, env, encoding: 'utf8', timeout: 180000 });
    } else {
      r = spawnSync(process.execPath, [js], { cwd, env, encoding: 'utf8', timeout: 180000 });
    }
    if (r.status !== 0) {
      const out = `${r.stdout}${r.stderr}`.split('\n').slice(-30).join('\n');
      results.set(t.s, { status: 'fail', detail: `${where(t.s)}: the sample fails when run (exit ${r.status ?? r.signal}):\n${out}` });
    } else {
      results.set(t.s, { status: 'pass', detail: isJestSample(t.s.code) ? 'jest tests pass' : 'ran' });
    }
  }
  return results;
}

/**
 * Run every sample of the given documents. Returns
 * [{ sample, status, detail, skipped: [{ where, command, reason }] }] in document order.
 */
function runAll(files = documents(), session = new Session()) {
  const samples = allSamples(files);
  const tsResults = runTypeScript(samples.filter((s) => s.kind === 'ts'), session);
  const out = [];
  for (const s of samples) {
    const t0 = Date.now(); // for the runner's own report of slow samples, never compared
    let r;
    if (s.kind === 'shell') r = runShell(s, session);
    else if (s.kind === 'ts') r = tsResults.get(s);
    else if (s.kind === 'yaml') r = runYaml(s);
    else if (s.kind === 'c') r = runExcerpt(s);
    else if (s.kind === 'text') r = s.markers.excerpt ? runExcerpt(s) : { status: 'text', detail: 'output or text, not run' };
    else r = { status: 'fail', detail: `${where(s)}: unknown sample language "${s.lang}" (sh, ts, js, yaml, c, text)` };
    out.push({ sample: s, skipped: [], ...r, ms: Date.now() - t0 });
  }
  return out;
}

function main(argv) {
  const files = argv.length ? argv.map((f) => path.relative(ROOT, path.resolve(f))) : documents();
  const session = new Session();
  try {
    const results = runAll(files, session);
    const count = (st) => results.filter((r) => r.status === st).length;
    for (const r of results) {
      const tag = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP', text: 'TEXT' }[r.status];
      process.stdout.write(`${tag} ${where(r.sample, -1)} ${r.sample.lang || 'text'} (${(r.ms / 1000).toFixed(1)} s)${r.status === 'pass' ? '' : `: ${r.detail}`}\n`);
      for (const k of r.skipped) process.stdout.write(`  not run: ${k.where} \`${k.command}\`: ${k.reason}\n`);
    }
    const cmdSkips = results.reduce((n, r) => n + r.skipped.length, 0);
    process.stdout.write(`\n${results.length} samples: ${count('pass')} passed, ${count('fail')} failed, ${count('skip')} not run (marked), ${count('text')} output/text; ${cmdSkips} shell command(s) marked not run\n`);
    return count('fail') ? 1 : 0;
  } finally {
    session.close();
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
module.exports = { Session, runAll, runShell, runYaml, runTypeScript, runExcerpt, main };
