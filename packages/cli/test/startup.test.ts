/**
 * The start-up code cache (src/compile-cache.ts) changes how fast the bin
 * starts, never what it prints: the same output cold, warm, off and from a
 * damaged cache file; steady-state runs write nothing. Speed itself is
 * measured by tools/bench/startup.js, not here.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { cacheFile } from '../src/compile-cache';

const BIN = path.resolve(__dirname, '../bin/bpfsim.js');
const SCENARIO = path.resolve(__dirname, '../../../scenarios/xdp-firewall/xdp-firewall.yaml');

function bpfsim(cache: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, BPFSIM_COMPILE_CACHE: cache } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('start-up code cache', () => {
  test('cold, warm, off and damaged caches give the same output; a warm run writes nothing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-cc-'));
    const file = cacheFile({ BPFSIM_COMPILE_CACHE: dir })!;
    const off = bpfsim('0', 'replay', SCENARIO, '--json');
    expect(off.code).toBe(0);
    expect(fs.existsSync(file)).toBe(false);
    const cold = bpfsim(dir, 'replay', SCENARIO, '--json');
    expect(cold).toEqual(off);
    expect(fs.statSync(file).size).toBeGreaterThan(0);
    const before = fs.readFileSync(file);
    const warm = bpfsim(dir, 'replay', SCENARIO, '--json');
    expect(warm).toEqual(off);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    // Another command loads other modules: they are added, and the output is still the uncached one.
    expect(bpfsim(dir, 'disasm', '--help')).toEqual(bpfsim('0', 'disasm', '--help'));
    fs.writeFileSync(file, Buffer.from('not a cache'));
    expect(bpfsim(dir, 'replay', SCENARIO, '--json')).toEqual(off);
    expect(fs.readFileSync(file).toString()).not.toBe('not a cache');
    // Errors and exit codes are unchanged too.
    expect(bpfsim(dir, 'replay', path.join(dir, 'missing.yaml'))).toEqual(bpfsim('0', 'replay', path.join(dir, 'missing.yaml')));
  }, 120_000);

  test('where the cache lives', () => {
    expect(cacheFile({ BPFSIM_COMPILE_CACHE: '0' })).toBeUndefined();
    expect(cacheFile({ BPFSIM_COMPILE_CACHE: '/x' })).toBe(`/x/v8-code-${process.version}-${process.arch}.bin`);
    expect(cacheFile({ XDG_CACHE_HOME: '/c' })).toBe(`/c/bpfsim/v8-code-${process.version}-${process.arch}.bin`);
  });
});
