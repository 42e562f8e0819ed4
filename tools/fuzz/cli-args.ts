/**
 * The `cli-args` fuzz target: random argv over every command and option of `bpfsim` (read from the
 * commands' yargs builders), run in-process through the CLI's main with a fake stdout, stderr and
 * process.exit. Property: the exit code is 0, 1 or 2; a failure says so in at most one line on
 * stderr; nothing escapes main as an exception; no file outside the case's temporary directory is
 * written, renamed or removed. `explore` and `explore-worker` are left out: they start processes.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import yargs from 'yargs/yargs';
import { main } from '../../packages/cli/src/main';
import { commands } from '../../packages/cli/src/commands';
import { Rng } from './rng';
import { stringLiteral } from './mutate';

const ROOT = path.resolve(__dirname, '..', '..');
/** The fs module object itself (an `import * as` namespace has read-only getters): patched while a case runs. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeFs: typeof fs = require('fs');
const SKIP = new Set(['explore', 'explore-worker']);
const SLOW = new Set(['btf', 'learn', 'conformance']);

/** A command's name, positionals and options, as its builder declares them. */
interface CommandShape { name: string; positionals: string[]; variadic: boolean; options: string[]; choices: Record<string, unknown[]>; booleans: Set<string> }

let shapes: CommandShape[] | undefined;
function commandShapes(): CommandShape[] {
  if (shapes) return shapes;
  shapes = commands.filter((c) => !SKIP.has(c.command.split(' ')[0])).map((c) => {
    const y = yargs([]);
    c.builder(y);
    // yargs' getOptions() is untyped: the options the builder declared, by kind
    const o = (y as unknown as { getOptions(): { key: Record<string, unknown>; boolean: string[]; choices: Record<string, unknown[]> } }).getOptions();
    const words = c.command.split(' ');
    const positionals = words.slice(1).map((w) => w.replace(/[<>[\].]/g, ''));
    const options = Object.keys(o.key).filter((k) => !positionals.includes(k) && k !== 'help' && k !== 'version' && k !== '$0');
    return { name: words[0], positionals, variadic: /\.\.\.?[>\]]$/.test(c.command), options, choices: o.choices ?? {}, booleans: new Set(o.boolean ?? []) };
  });
  return shapes;
}

/**
 * The files a case may name, in one directory made once per process: a real object, program text,
 * a scenario with its object, junk, an empty file, a directory, a suite. Every case runs with this
 * directory as its working directory; outputs it names land here.
 */
let sandbox: string | undefined;
function sandboxDir(): string {
  if (sandbox && fs.existsSync(sandbox)) return sandbox;
  const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-cli-fuzz-')));
  const corpus = path.join(ROOT, 'corpus');
  fs.copyFileSync(path.join(corpus, 'hello.bpf.o'), path.join(d, 'hello.bpf.o'));
  fs.writeFileSync(path.join(d, 'prog.s'), 'r0 = 2\nexit\n');
  fs.writeFileSync(path.join(d, 'junk.bin'), Uint8Array.from({ length: 512 }, (_, i) => (i * 151 + 7) & 0xff));
  fs.writeFileSync(path.join(d, 'empty'), '');
  fs.mkdirSync(path.join(d, 'dir'));
  fs.mkdirSync(path.join(d, 'suite'));
  const sc = path.join(ROOT, 'scenarios', 'percpu-counters');
  for (const f of ['percpu-counters.yaml', 'percpu_counters.bpf.o']) {
    fs.copyFileSync(path.join(sc, f), path.join(d, f));
    fs.copyFileSync(path.join(sc, f), path.join(d, 'suite', f));
  }
  fs.writeFileSync(path.join(d, 'bad.yaml'), 'bpfsim: 1\nname: x\nevents: [ { run: { program: nope } } ]\n');
  sandbox = d;
  return d;
}

/** Remove the sandbox (tests call it when done). */
export function removeSandbox(): void {
  if (sandbox) fs.rmSync(sandbox, { recursive: true, force: true });
  sandbox = undefined;
}

const FILES = ['hello.bpf.o', 'prog.s', 'percpu-counters.yaml', 'bad.yaml', 'junk.bin', 'empty', 'dir', 'suite', 'missing', '.', '/dev/null', 'percpu_counters.bpf.o'];
const OUTPUTS = ['out.json', 'out/x.pcap', 'dir', 'new.o', 'suite/golden.json', ''];
const VALUES = ['', '0', '1', '2', '-1', '3', '10', '1e308', 'abc', '4294967296', '0x10', 'NaN', '-0', '1.5', '65536', 'xdp', 'kprobe', 'kernel', 'llvm', 'dump', 'c', 'raw', 'interp', 'compiled', '00ff', 'zz', '\u001b[31m', 'x'.repeat(300), '--', '-', 'prog', 'xdp_count'];

/** One argv: a command (or none), its positionals from the pools, options with values of every kind. */
export function cliArgsInput(r: Rng): string[] {
  const argv: string[] = [];
  if (r.chance(0.03)) return r.chance(0.5) ? [] : [r.pick(['--help', 'nosuch', '--version', '-x'])];
  // the slow ones (a whole BTF dump, replaying a lesson) less often
  const all = commandShapes();
  const c = r.chance(0.9) ? r.pick(all.filter((x) => !SLOW.has(x.name))) : r.pick(all);
  argv.push(c.name);
  const value = (opt?: string): string => {
    const choices = opt ? c.choices[opt] : undefined;
    if (choices && r.chance(0.6)) return String(r.pick(choices));
    if (opt && /output|^o$|trace|pcap|json|update|merge/.test(opt) && r.chance(0.5)) return r.pick(OUTPUTS);
    if (r.chance(0.4)) return r.pick(FILES);
    return r.pick(VALUES);
  };
  for (const p of c.positionals) {
    if (r.chance(0.9)) argv.push(p === 'action' ? r.pick(['dump', 'list', '']) : r.chance(0.8) ? r.pick(FILES) : value());
    if (c.variadic && r.chance(0.3)) argv.push(r.pick(FILES));
  }
  const n = r.int(0, 4);
  for (let i = 0; i < n; i++) {
    const opt = r.chance(0.95) && c.options.length ? r.pick(c.options) : r.pick(['nosuch', 'h', 'help']);
    const flag = opt.length === 1 ? `-${opt}` : `--${opt}`;
    if (c.booleans.has(opt) && r.chance(0.7)) argv.push(r.chance(0.8) ? flag : `--no-${opt}`);
    else if (r.chance(0.2)) argv.push(`${flag}=${value(opt)}`);
    else if (r.chance(0.1)) argv.push(flag);
    else argv.push(flag, value(opt));
  }
  if (r.chance(0.05)) argv.splice(r.int(0, argv.length), 0, r.pick(['--', '--json', '-', '--seed', '--help']));
  return argv;
}

/** Keep the first 200 lines of what a run printed (`btf dump` prints megabytes). */
function addLines(sink: string[], text: string): void {
  if (sink.length >= 200) return;
  for (const l of text.replace(/\n$/, '').split('\n', 200 - sink.length)) sink.push(l);
}

/** What one run did. */
export interface CliRun {
  code: number | 'exception'; out: string[]; err: string[]; exception?: string; writes: string[];
  /** Directories the run made with mkdtemp (in the system's temporary directory): it may write there. */
  tempDirs?: string[];
}

class ExitCalled extends Error {
  constructor(readonly code: number) { super(`process.exit(${code})`); }
}

type Fn = (...a: never[]) => unknown;

/** fs functions that write, rename or remove, and which of their arguments are paths. */
const WRITERS: Record<string, number[]> = {
  writeFileSync: [0], appendFileSync: [0], renameSync: [0, 1], mkdirSync: [0], rmSync: [0], rmdirSync: [0], unlinkSync: [0],
  copyFileSync: [1], symlinkSync: [1], linkSync: [1], truncateSync: [0], createWriteStream: [0],
  writeFile: [0], appendFile: [0], rename: [0, 1], mkdir: [0], rm: [0], unlink: [0],
};
const WRITE_FLAGS = fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_APPEND;

/**
 * Run bpfsim's main on `argv` in the sandbox, capturing its output, every write through fs and
 * process.exit, and restoring everything after.
 */
export async function runCli(argv: readonly string[]): Promise<CliRun> {
  const dir = sandboxDir();
  const run: CliRun = { code: 'exception', out: [], err: [], writes: [] };
  const cwd = process.cwd();
  const saved: [object, string, unknown][] = [];
  const patch = (obj: object, name: string, f: unknown): void => {
    saved.push([obj, name, (obj as Record<string, unknown>)[name]]);
    (obj as Record<string, unknown>)[name] = f;
  };
  const note = (p: unknown): void => { if (typeof p === 'string' || p instanceof URL || Buffer.isBuffer(p)) run.writes.push(path.resolve(String(p))); };
  for (const [name, idx] of Object.entries(WRITERS)) {
    for (const mod of [nodeFs, nodeFs.promises] as unknown as Record<string, Fn>[]) {
      const orig = mod[name];
      if (typeof orig !== 'function') continue;
      // mkdir of a directory that exists (writeFileSafely's `mkdir -p` of the target's directory) changes nothing
      const noop = name === 'mkdirSync' || name === 'mkdir' ? (p: unknown) => typeof p === 'string' && nodeFs.existsSync(p) : () => false;
      patch(mod, name, function (this: unknown, ...a: never[]) { for (const i of idx) if (!noop(a[i])) note(a[i]); return orig.apply(this, a); });
    }
  }
  for (const mod of [nodeFs, nodeFs.promises] as unknown as Record<string, Fn>[]) {
    const orig = mod.openSync ?? mod.open;
    const name = mod === (nodeFs as unknown) ? 'openSync' : 'open';
    patch(mod, name, function (this: unknown, ...a: never[]) {
      const flags = a[1] as unknown;
      if ((typeof flags === 'string' && /[wa+]/.test(flags)) || (typeof flags === 'number' && flags & WRITE_FLAGS)) note(a[0]);
      return orig.apply(this, a);
    });
  }
  // a temporary directory of its own (`--check-determinism`) is the run's to write in
  const mkdtemp = nodeFs.mkdtempSync;
  patch(nodeFs, 'mkdtempSync', function (this: unknown, ...a: never[]) {
    const d = (mkdtemp as unknown as Fn).apply(this, a) as string;
    (run.tempDirs ??= []).push(path.resolve(d));
    return d;
  });
  const capture = (sink: string[]) => (chunk: unknown): boolean => { addLines(sink, String(chunk)); return true; };
  patch(process.stdout, 'write', capture(run.out));
  patch(process.stderr, 'write', capture(run.err));
  patch(process, 'exit', (code?: number) => { throw new ExitCalled(code ?? 0); });
  const exitCode = process.exitCode;
  try {
    process.chdir(dir);
    run.code = await main([...argv], { out: (t) => addLines(run.out, t), err: (t) => addLines(run.err, t), isTTY: false });
  } catch (e) {
    if (e instanceof ExitCalled) run.code = e.code;
    else run.exception = e instanceof Error ? (e.stack ?? String(e)) : String(e);
  } finally {
    process.chdir(cwd);
    for (const [obj, name, f] of saved.reverse()) (obj as Record<string, unknown>)[name] = f;
    process.exitCode = exitCode;
  }
  return run;
}

/** Commands that take several files and report each failing one on its own line. */
const PER_FILE = new Set(['verify', 'conformance']);

/** How many stderr lines a usage or input error may take: one, or one per file operand of `verify`/`conformance`. */
function errLinesAllowed(argv: readonly string[]): number {
  if (!PER_FILE.has(argv[0])) return 1;
  // yargs takes operands anywhere (`-1` is one): every word may be a file (an upper bound)
  return Math.max(1, argv.length - 1);
}

/** The property: a finding's description, or undefined when the run kept to it. */
export function cliProblem(run: CliRun, argv: readonly string[] = []): string | undefined {
  if (run.exception) return `an exception escaped main: ${run.exception}`;
  if (run.code !== 0 && run.code !== 1 && run.code !== 2) return `exit code ${run.code} (0, 1 or 2 expected)`;
  const errLines = run.err.filter((l) => l.trim() !== '');
  const allowed = errLinesAllowed(argv);
  if (run.code === 2 && (errLines.length === 0 || errLines.length > allowed)) {
    return `a usage or input error printed ${errLines.length} lines on stderr (${allowed === 1 ? 'one' : `one to ${allowed}, one per file`} expected): ${JSON.stringify(errLines.slice(0, 4))}`;
  }
  if (errLines.some((l) => /^\s+at .+\(.+:\d+:\d+\)$/.test(l))) return `a stack trace on stderr: ${JSON.stringify(errLines.slice(0, 4))}`;
  const roots = [sandbox ?? '', ...(run.tempDirs ?? [])];
  const outside = run.writes.filter((w) => !roots.some((r) => r !== '' && (w === r || w.startsWith(r + path.sep))));
  if (outside.length) return `wrote outside its directory: ${outside.slice(0, 3).join(', ')}`;
  return undefined;
}

/** The async target (the campaign runner awaits it): input, exec and the printed regression test. */
export const cliArgsTarget = {
  name: 'cli-args',
  about: "bpfsim's main on random argv over every command and option: exit 0/1/2, one stderr line, no write outside its directory",
  hangMs: 10000,
  input: cliArgsInput,
  async exec(argv: string[]): Promise<string | { tag: string }> {
    const run = await runCli(argv);
    return cliProblem(run, argv) ?? { tag: `exit ${run.code}` };
  },
  literal: (argv: string[]): string => `[${argv.map(stringLiteral).join(', ')}]`,
  test(seed: string, argv: string[], problem: string): string {
    return [
      `// tools/fuzz cli-args case "${seed}": ${problem.split('\n')[0].slice(0, 160).replace(/\*\//g, '* /')}`,
      "import { runCli, cliProblem, removeSandbox } from '../../tools/fuzz/cli-args';",
      'afterAll(removeSandbox);',
      `test('fuzz cli-args ${seed}: exit 0/1/2, one line on stderr, nothing written outside', async () => {`,
      `  const argv = ${cliArgsTarget.literal(argv)};`,
      '  expect(cliProblem(await runCli(argv), argv)).toBeUndefined();',
      '});',
    ].join('\n');
  },
};
