/** Running the built `bpfsim` in a child process, as a user's shell would. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawn, spawnSync, type ChildProcess } from 'child_process';

export const BIN = path.resolve(__dirname, '../../bin/bpfsim.js');
export const built = fs.existsSync(path.resolve(__dirname, '../../dist/main.js'));
/** Spawned-CLI tests need the build (`npm run build`, which `npm ci` runs). */
export const builtTest = built ? test : test.skip;

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

export function runBin(args: string[], opts: { cwd?: string; timeout?: number; input?: string; prefix?: string[] } = {}): Ran {
  const cmd = opts.prefix ? opts.prefix[0] : process.execPath;
  const argv = opts.prefix ? [...opts.prefix.slice(1), process.execPath, BIN, ...args] : [BIN, ...args];
  const r = spawnSync(cmd, argv, { cwd: opts.cwd, encoding: 'utf8', timeout: opts.timeout ?? 120_000, input: opts.input, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, signal: r.signal, out: r.stdout ?? '', err: r.stderr ?? '' };
}

export function startBin(args: string[], cwd?: string): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function tmpDir(prefix = 'bpfsim-hard-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A stack trace in output: what none of these inputs may produce. */
export const STACK = /^\s+at .+\(.+:\d+:\d+\)$|^\s+at .+:\d+:\d+$/m;

/** An XDP scenario in `dir` whose program is assembly (no object file needed). */
export function asmScenario(dir: string, name: string, extra = ''): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, `bpfsim: 1\nprograms:\n  - name: p\n    type: xdp\n    asm: |\n      r0 = 2\n      exit\n${extra}`);
  return f;
}

/**
 * A scenario with a large trace that replays in seconds: kprobe runs on
 * 1 MB contexts, each leaving its context in the trace as hex.
 */
export function largeScenario(dir: string, name: string, runs = 4, ctxBytes = 1_000_000): string {
  const lines = ['bpfsim: 1', 'programs:', '  - name: p', '    type: kprobe', '    asm: |', '      r0 = 0', '      exit', 'events:'];
  for (let i = 0; i < runs; i++) lines.push(`  - run: {program: p, ctx: {str: "x${i}", size: ${ctxBytes}}}`);
  const f = path.join(dir, name);
  fs.writeFileSync(f, lines.join('\n') + '\n');
  return f;
}
