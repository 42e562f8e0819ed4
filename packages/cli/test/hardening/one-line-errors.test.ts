/** Issue 14, "Stack traces instead of one clear line": each probe input, through the real CLI. */
import * as fs from 'fs';
import * as path from 'path';
import { STACK, asmScenario, builtTest, runBin, tmpDir } from './spawn';

const kprobe = path.resolve(__dirname, '../../../../scenarios/kprobe-openat/kprobe-openat.yaml');

function expectOneLine(r: { code: number | null; out: string; err: string }, code: number, msg: RegExp): void {
  expect(r.out + r.err).not.toMatch(STACK);
  expect(r.err).toMatch(msg);
  expect(r.err.trim().split('\n')).toHaveLength(1);
  expect(r.code).toBe(code);
}

describe('one clear line and the exit code of its class', () => {
  builtTest.each([
    [['replay', kprobe, '--seed', 'abc'], /^bpfsim: --seed takes a whole number from 0 to 4294967295 \(a scenario seed\), not abc$/m],
    [['record', kprobe, '-o', '/tmp/never-written.msgpack', '--seed', '1e308'], /--seed takes a whole number .*, not 1e308/],
    [['replay', kprobe, '--seed', '-1'], /--seed takes a whole number/],
    [['run', kprobe, '--repeat', 'abc'], /^bpfsim: --repeat takes a whole number from 1 to 1000000, not abc$/m],
    [['run', kprobe, '--repeat', '100000000'], /--repeat takes a whole number from 1 to 1000000, not 100000000/],
    [['run', kprobe, '--repeat', '4294967296'], /--repeat takes a whole number from 1 to 1000000/],
    [['run', kprobe, '--repeat', '1e308'], /--repeat takes a whole number from 1 to 1000000, not 1e308/],
    [['run', kprobe, '--max-insns', 'NaN'], /--max-insns takes a whole number/],
    [['maps', path.resolve(__dirname, '../../../../corpus/perfbuf.bpf.o'), '--repeat', '100000000'], /--repeat: expected a whole number from 0 to 1000000, got 100000000/],
    [['explore', kprobe, '--jobs', 'many'], /--jobs takes a whole number/],
    [['explore', kprobe, '--seeds', '1..99999999999999999999'], /--seeds 1\.\.99999999999999999999: seeds are whole numbers from 0 to 4294967295/],
    [['disasm', kprobe, '--flavour', 'x'], /^bpfsim: Invalid values: Argument: flavour, Given: "x", Choices: "kernel", "llvm"$/m],
    [['btf', 'dump', '--format', 'x'], /^bpfsim: Invalid values: Argument: format, Given: "x", Choices: "raw", "c"$/m],
  ])('usage error %j: exit 2', (argv, msg) => {
    expectOneLine(runBin(argv as string[]), 2, msg);
  });

  builtTest('an argument of 10 MB and control bytes comes back bounded and escaped', () => {
    const r = runBin(['replay', kprobe, '--seed', '\u001b[31m' + 'x'.repeat(100_000)]);
    expectOneLine(r, 2, /--seed takes a whole number .*, not \\u001b\[31mx{35}…\(\+\d+ chars\)$/m);
    expect(r.err).not.toMatch(/\u001b/);
    expect(r.err.length).toBeLessThan(300);
  });

  builtTest('bpfsim test on a directory with a symlink loop and a dangling link: a FAIL line each, no stack', () => {
    const dir = tmpDir();
    asmScenario(dir, 'ok.yaml');
    fs.symlinkSync('loop-b.yaml', path.join(dir, 'loop-a.yaml'));
    fs.symlinkSync('loop-a.yaml', path.join(dir, 'loop-b.yaml'));
    fs.symlinkSync('nowhere.yaml', path.join(dir, 'dangling.yaml'));
    fs.symlinkSync('.', path.join(dir, 'self'));
    const r = runBin(['test', dir, '--update']);
    expect(r.out + r.err).not.toMatch(STACK);
    expect(r.out).toContain(`FAIL ${path.join(dir, 'dangling.yaml')}\n     a dangling symbolic link`);
    expect(r.out).toContain(`FAIL ${path.join(dir, 'loop-a.yaml')}\n     a symbolic link loop`);
    expect(r.out).toContain(`SKIP ${path.join(dir, 'self')}`);
    expect(r.out).toContain(`PASS ${path.join(dir, 'ok.yaml')} (expected trace written)`);
    expect(r.out.trim().split('\n').pop()).toBe('1 passed, 3 failed');
    expect(r.code).toBe(1);
    // A directory that is itself a loop: one line, exit 2.
    const loop = path.join(dir, 'loopdir');
    fs.symlinkSync('loopdir', loop);
    expectOneLine(runBin(['test', loop]), 2, /^bpfsim: .*loopdir: too many levels of symbolic links$/m);
  });

  builtTest.each([
    ['not JSON', '{"seed": 1, "trace": [', /expected trace .*a\.trace\.json is not valid JSON \(.*\); rewrite it with --update/],
    ['an array', '[1, 2, 3]', /a\.trace\.json has the wrong shape \(expected \{"seed": N, "trace": \[\.\.\.\]\}\)/],
    ['trace not a list', '{"seed": 1, "trace": {"a": 1}}', /has the wrong shape/],
    ['null', 'null', /has the wrong shape/],
    ['deeply nested', '{"trace": [' + '['.repeat(5000) + ']'.repeat(5000) + ']}', /has the wrong shape/],
    ['a directory', '', /a\.trace\.json' is a directory, not a file/],
  ])('bpfsim test with a golden file that is %s: a FAIL line', (what, content, msg) => {
    const dir = tmpDir();
    asmScenario(dir, 'a.yaml');
    const golden = path.join(dir, 'a.trace.json');
    if (what === 'a directory') fs.mkdirSync(golden);
    else fs.writeFileSync(golden, content);
    const r = runBin(['test', dir]);
    expect(r.out + r.err).not.toMatch(STACK);
    expect(r.out).toMatch(msg);
    expect(r.code).toBe(1);
  });

  builtTest.each([
    ['an undefined alias', 'bpfsim: 1\nname: *x\n', /bad YAML: Unresolved alias/],
    ['an anchor reused 100,000 times', `bpfsim: 1\ndescription: &d "x"\nnote: [${Array(100_000).fill('*d').join(',')}]\n`, /aliases expand to more than 1000 nodes/],
    ['an event kind constructor', 'bpfsim: 1\nevents:\n  - constructor: {}\n', /events\[0\]: expected an event/],
    ['an expectation kind __proto__', 'bpfsim: 1\nexpect:\n  - __proto__: {}\n', /expect\[0\]: expected an expectation/],
    ['an event kind toString', 'bpfsim: 1\nevents:\n  - toString: 1\n', /events\[0\]: expected an event/],
    ['{str, size: 2^64}', 'bpfsim: 1\nevents:\n  - run: {program: p, data: {str: "a", size: 18446744073709551616}}\n', /size 18446744073709551616 is over the limit/],
  ])('a scenario with %s: exit 2', (_what, text, msg) => {
    const f = path.join(tmpDir(), 's.yaml');
    fs.writeFileSync(f, text);
    expectOneLine(runBin(['replay', f]), 2, msg);
  });
});
