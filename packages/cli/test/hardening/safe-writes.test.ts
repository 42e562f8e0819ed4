/**
 * Issue 14, "Data loss and escapes": every file bpfsim writes goes to a
 * temporary file renamed over the target; symlinked targets and directories
 * are refused; an interrupted or failed write leaves the earlier file whole.
 */
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { decodeRecording } from '@bpfsim/scenario';
import { STACK, asmScenario, builtTest, largeScenario, runBin, startBin, tmpDir } from './spawn';

const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;

/** Start `bpfsim args`, and SIGINT it the moment a file named like `match` appears or changes in `dir`. */
function interruptOnWrite(dir: string, args: string[], match: (name: string) => boolean): Promise<{ code: number | null; signal: NodeJS.Signals | null; sawTemp: boolean; err: string }> {
  return new Promise((resolve) => {
    let sawTemp = false;
    let err = '';
    const child = startBin(args);
    child.stderr!.on('data', (d) => (err += d));
    const watcher = fs.watch(dir, (_ev, name) => {
      if (!name || !match(String(name))) return;
      if (/\.tmp$/.test(String(name))) sawTemp = true;
      child.kill('SIGINT');
    });
    child.on('exit', (code, signal) => {
      watcher.close();
      resolve({ code, signal, sawTemp, err });
    });
  });
}

describe('safe writes', () => {
  builtTest('test --update refuses a golden trace that is a symlink, and the file it points to is untouched', () => {
    const suite = tmpDir();
    const outside = tmpDir();
    asmScenario(suite, 'a.yaml');
    const victim = path.join(outside, 'victim.txt');
    fs.writeFileSync(victim, 'precious\n');
    fs.symlinkSync(victim, path.join(suite, 'a.trace.json'));
    const r = runBin(['test', suite, '--update']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/a\.trace\.json': cannot write: it is a symbolic link/);
    expect(r.out + r.err).not.toMatch(STACK);
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
  });

  builtTest('test --update never writes through a symlinked directory', () => {
    const suite = tmpDir();
    const outside = tmpDir();
    asmScenario(outside, 'b.yaml');
    fs.symlinkSync(outside, path.join(suite, 'linked'));
    // Walking the suite: the link is not followed.
    const walk = runBin(['test', suite, '--update']);
    expect(walk.out).toContain(`SKIP ${path.join(suite, 'linked')} (a symbolic link to a directory: not followed)`);
    // Naming the scenario through the link: its directory is a link, refused.
    const named = runBin(['test', path.join(suite, 'linked', 'b.yaml'), '--update']);
    expect(named.code).toBe(1);
    expect(named.out).toMatch(/cannot write: its directory '.*linked' is a symbolic link/);
    expect(fs.existsSync(path.join(outside, 'b.trace.json'))).toBe(false);
  });

  builtTest('record refuses an output that is a symlink', () => {
    const dir = tmpDir();
    const s = asmScenario(dir, 's.yaml', 'events:\n  - run: {program: p, data: "00000000000000000000000000000000"}\n');
    const target = path.join(tmpDir(), 'elsewhere.msgpack');
    fs.writeFileSync(target, 'old');
    fs.symlinkSync(target, path.join(dir, 'out.msgpack'));
    const r = runBin(['record', s, '-o', path.join(dir, 'out.msgpack')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^bpfsim: '.*out\.msgpack': cannot write: it is a symbolic link/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(fs.readFileSync(target, 'utf8')).toBe('old');
  });

  (hasPrlimit ? builtTest : test.skip)('a write that fails with EFBIG leaves the previous recording and golden trace whole', () => {
    const dir = tmpDir();
    const s = largeScenario(dir, 'big.yaml', 1, 200_000);
    const out = path.join(dir, 'big.msgpack');
    const before = Buffer.from('an earlier recording');
    fs.writeFileSync(out, before);
    const r = runBin(['record', s, '-o', out], { prefix: ['prlimit', '--fsize=100000'] });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^bpfsim: '.*big\.msgpack': cannot write: EFBIG\n$/);
    expect(fs.readFileSync(out).equals(before)).toBe(true);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]); // the temporary file is removed

    const golden = path.join(dir, 'big.trace.json');
    fs.writeFileSync(golden, '{"seed": 1, "trace": []}\n');
    const u = runBin(['test', s, '--update'], { prefix: ['prlimit', '--fsize=100000'] });
    expect(u.code).toBe(1);
    expect(u.out).toMatch(/big\.trace\.json': cannot write: EFBIG/);
    expect(fs.readFileSync(golden, 'utf8')).toBe('{"seed": 1, "trace": []}\n');
  });

  /**
   * Interrupt `args` the moment its temporary file appears, up to 4 times (on a loaded machine the
   * write may finish before the signal lands). Every attempt must leave the target either exactly
   * as it was or complete; at least one must have been caught mid-write with the target untouched.
   */
  async function interruptUntilCaught(setup: (dir: string) => { args: string[]; target: string; before: Buffer; prefix: string }, complete: (b: Buffer) => boolean) {
    let caught = 0;
    for (let attempt = 0; attempt < 4 && caught === 0; attempt++) {
      const dir = tmpDir();
      const { args, target, before, prefix } = setup(dir);
      const r = await interruptOnWrite(dir, args, (n) => n.startsWith(prefix) || n === path.basename(target));
      expect(r.sawTemp).toBe(true); // written through a temporary file, never the target itself
      expect(r.err).not.toMatch(STACK);
      const now = fs.readFileSync(target);
      if (r.signal === 'SIGINT' && now.equals(before)) caught++;
      else expect(complete(now)).toBe(true);
    }
    expect(caught).toBeGreaterThan(0);
  }

  builtTest('SIGINT in the middle of writing a recording leaves the earlier recording intact', async () => {
    await interruptUntilCaught((dir) => {
      const s = largeScenario(dir, 'large.yaml');
      const target = path.join(dir, 'large.msgpack');
      const before = Buffer.from('the recording from yesterday');
      fs.writeFileSync(target, before);
      return { args: ['record', s, '-o', target], target, before, prefix: '.large.msgpack.' };
    }, (b) => {
      try {
        return decodeRecording(new Uint8Array(b), 'x').trace.length === 5;
      } catch {
        return false;
      }
    });
  });

  builtTest('SIGINT in the middle of test --update leaves the earlier golden trace intact', async () => {
    await interruptUntilCaught((dir) => {
      largeScenario(dir, 'large.yaml');
      const target = path.join(dir, 'large.trace.json');
      const before = Buffer.from('{"seed": 1, "trace": ["from yesterday"]}\n');
      fs.writeFileSync(target, before);
      return { args: ['test', dir, '--update'], target, before, prefix: '.large.trace.json.' };
    }, (b) => {
      try {
        return JSON.parse(b.toString('utf8')).trace.length === 5;
      } catch {
        return false;
      }
    });
  });
});
