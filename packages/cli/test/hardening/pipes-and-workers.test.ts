/**
 * Issue 14: piping into `head` ended in an EPIPE stack trace; explore started
 * more workers than cores, and its workers outlived a SIGTERM to explore.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawn } from 'child_process';
import { BIN, STACK, builtTest, tmpDir } from './spawn';

const kprobe = path.resolve(__dirname, '../../../../scenarios/kprobe-openat/kprobe-openat.yaml');
const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;

/** Run `bpfsim args`, read its first line of output, then close the pipe as `head -1` does. */
function headOne(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; first: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let first = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.once('data', (d) => {
      first = String(d).split('\n')[0];
      child.stdout.destroy();
    });
    child.on('close', (code, signal) => resolve({ code, signal, first, err }));
  });
}

const children = (pid: number): number[] => {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pipes and workers', () => {
  builtTest.each([
    [['disasm', path.resolve(__dirname, '../../../../corpus/perfbuf.bpf.o')]],
    [['replay', '__BIG__']],
  ])('%j | head -1 ends quietly, exit 0', async (args) => {
    const dir = tmpDir();
    const big = path.join(dir, 'big.yaml');
    fs.writeFileSync(big, 'bpfsim: 1\nprograms:\n  - name: p\n    type: xdp\n    asm: |\n      r0 = 2\n      exit\nevents:\n'
      + Array(3000).fill('  - advance: 1').join('\n') + '\n');
    const r = await headOne((args as string[]).map((a) => (a === '__BIG__' ? big : a)));
    expect(r.first).not.toBe('');
    expect(r.err).not.toMatch(STACK);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  builtTest('explore --jobs is capped at the cores; SIGTERM to explore ends its workers', async () => {
    const child = spawn(process.execPath, [BIN, 'explore', kprobe, '--seeds', '1..100000', '--jobs', String(cores + 6)], { stdio: 'ignore' });
    let workers: number[] = [];
    for (let i = 0; i < 200 && workers.length < Math.min(cores, 2); i++) {
      await sleep(50);
      workers = children(child.pid!);
    }
    expect(workers.length).toBeGreaterThan(0);
    await sleep(300);
    workers = children(child.pid!);
    expect(workers.length).toBeLessThanOrEqual(cores);
    const exited = new Promise<NodeJS.Signals | number | null>((r) => child.on('exit', (code, sig) => r(sig ?? code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(128 + 15);
    for (let i = 0; i < 100 && workers.some(alive); i++) await sleep(50);
    expect(workers.filter(alive)).toEqual([]);
  });

  builtTest('workers of an explore killed outright (SIGKILL) end at their next result', async () => {
    const child = spawn(process.execPath, [BIN, 'explore', kprobe, '--seeds', '1..100000', '--jobs', '1'], { stdio: 'ignore' });
    let workers: number[] = [];
    for (let i = 0; i < 200 && workers.length === 0; i++) {
      await sleep(50);
      workers = children(child.pid!);
    }
    expect(workers.length).toBe(1);
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGKILL');
    await exited;
    for (let i = 0; i < 200 && workers.some(alive); i++) await sleep(50);
    expect(workers.filter(alive)).toEqual([]);
  });
});
