/**
 * Issue 14: files named by a scenario or a recording (and files named on
 * the command line) — outside the scenario's directory, FIFOs, /dev/zero,
 * directories — are refused in one line, without hanging or reading without end.
 */
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { STACK, builtTest, runBin, tmpDir } from './spawn';

const scenarios = path.resolve(__dirname, '../../../../scenarios');
const kprobe = path.join(scenarios, 'kprobe-openat/kprobe-openat.yaml');
const withObject = (dir: string, obj: string) => {
  const f = path.join(dir, 's.yaml');
  fs.writeFileSync(f, `bpfsim: 1\nprograms:\n  - name: p\n    object: ${JSON.stringify(obj)}\n`);
  return f;
};

const oneLine = (r: { code: number | null; out: string; err: string }, msg: RegExp) => {
  expect(r.code).toBe(2);
  expect(r.err).toMatch(msg);
  expect(r.err.trim().split('\n')).toHaveLength(1);
  expect(r.out + r.err).not.toMatch(STACK);
};

describe('containment', () => {
  builtTest('object: ../../etc/shadow is refused; replay, record, test and explore alike', () => {
    const dir = tmpDir();
    const s = withObject(dir, '../../../../../../etc/shadow');
    const msg = /^bpfsim: .*s\.yaml:4:13: programs\[0\]\.object: '.*etc\/shadow' resolves to '\/etc\/shadow', outside the scenario's directory \(allow it with --allow-path DIR\)$/m;
    oneLine(runBin(['replay', s]), msg);
    oneLine(runBin(['record', s, '-o', path.join(dir, 'r.msgpack')]), msg);
    oneLine(runBin(['explore', s, '--seeds', '1..2']), msg);
    const t = runBin(['test', s]);
    expect(t.code).toBe(1);
    expect(t.out).toMatch(/outside the scenario's directory/);
  });

  builtTest('--allow-path lets a directory in (repeatable); the recording of a scenario elsewhere needs it too', () => {
    const dir = tmpDir();
    const obj = path.join(scenarios, 'kprobe-openat/kprobe_openat.bpf.o');
    fs.symlinkSync(obj, path.join(dir, 'k.o'));
    const s = withObject(dir, 'k.o');
    oneLine(runBin(['replay', s]), /'k\.o' resolves to '.*kprobe_openat\.bpf\.o', outside/);
    const ok = runBin(['replay', s, '--allow-path', '/nonexistent', '--allow-path', path.dirname(obj)]);
    expect(ok.err).toBe('');
    expect(ok.out).toMatch(/load kprobe_openat: accepted|load p: accepted/);

    const rec = path.join(dir, 'k.msgpack');
    expect(runBin(['record', kprobe, '-o', rec]).code).toBe(0);
    oneLine(runBin(['replay', rec]), /programs\[0\]\.object: '.*kprobe_openat\.bpf\.o' resolves to .*, outside the scenario's directory/);
    expect(runBin(['replay', rec, '--allow-path', scenarios]).code).toBe(0);
  });

  builtTest('a FIFO or /dev/zero as an object, a scenario or a program file: refused at once', () => {
    const dir = tmpDir();
    execFileSync('mkfifo', [path.join(dir, 'fifo.o')]);
    execFileSync('mkfifo', [path.join(dir, 'fifo.yaml')]);
    const opts = { timeout: 20_000 };
    oneLine(runBin(['replay', withObject(dir, 'fifo.o')], opts), /programs\[0\]\.object: fifo\.o is not a regular file/);
    oneLine(runBin(['replay', path.join(dir, 'fifo.yaml')], opts), /fifo\.yaml: \(top level\): cannot read: '.*fifo\.yaml' is not a regular file/);
    oneLine(runBin(['replay', '/dev/zero'], opts), /cannot read: '\/dev\/zero' is not a regular file/);
    oneLine(runBin(['verify', '/dev/zero'], opts), /^bpfsim: \/dev\/zero: cannot read: '\/dev\/zero' is not a regular file/);
    oneLine(runBin(['verify', path.join(dir, 'fifo.o')], opts), /fifo\.o: cannot read: .* is not a regular file/);
    oneLine(runBin(['run', '/dev/urandom'], opts), /\/dev\/urandom: cannot read: .* is not a regular file/);
    oneLine(runBin(['disasm', dir], opts), /cannot read: is a directory/);
    const asm = path.join(dir, 'p.s');
    fs.writeFileSync(asm, 'r0 = 0\nexit\n');
    oneLine(runBin(['run', asm, '--type', 'xdp', '--data', '/dev/zero'], opts), /\/dev\/zero: cannot read/);
  });

  builtTest('object: ".", "" and "/" are one line each', () => {
    for (const obj of ['.', '', '/']) {
      const r = runBin(['replay', withObject(tmpDir(), obj)]);
      oneLine(r, /programs\[0\]\.object: .*(not a regular file|not a file name|outside the scenario's directory)/);
    }
  });

  builtTest('--max-object-size and --max-scenario-size bound what is read', () => {
    const dir = tmpDir();
    fs.copyFileSync(path.join(scenarios, 'kprobe-openat/kprobe_openat.bpf.o'), path.join(dir, 'k.o'));
    const big = path.join(dir, 'big.o');
    fs.writeFileSync(big, Buffer.alloc(2 * 1024 * 1024 + 1));
    oneLine(runBin(['replay', withObject(dir, 'big.o'), '--max-object-size', '2']), /'big\.o' is 2097153 bytes, over the limit of 2097152/);
    oneLine(runBin(['replay', withObject(dir, 'k.o'), '--max-scenario-size', '0']), /--max-scenario-size takes a whole number from 1 to 65536 \(MiB\), not 0/);
  });
});
