/**
 * Issue 14: a scenario's `object:` could name any path (../../etc/shadow, an
 * absolute path, a symlink out of the directory) and was read in full; `.`,
 * "" or `/` gave EISDIR; a FIFO hung, /dev/zero read without end.
 */
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { replayLoaded, readContained, loadScenarioFile, FileRefused } from '@bpfsim/scenario';
import { load, loadError, tmpDir } from './helpers';

const OBJ = path.resolve(__dirname, '../../../../scenarios/kprobe-openat/kprobe_openat.bpf.o');
const withObject = (obj: string) => `bpfsim: 1\nprograms:\n  - name: p\n    object: ${JSON.stringify(obj)}\n`;

describe("files named by a scenario stay in the scenario's directory", () => {
  test.each([
    ['../../../../../../../../etc/shadow'],
    ['/etc/passwd'],
    [OBJ],
  ])('%s is refused, naming where it resolves', (obj) => {
    const e = loadError(withObject(obj));
    expect(e.message).toMatch(/programs\[0\]\.object: '.*' resolves to '.*', outside the scenario's directory \(allow it with --allow-path DIR\)/);
  });

  test('a symlink out of the directory is refused; the same object copied in is read', () => {
    const dir = tmpDir();
    fs.symlinkSync(OBJ, path.join(dir, 'link.o'));
    expect(loadError(withObject('link.o'), undefined, dir).message).toMatch(/'link\.o' resolves to '.*kprobe_openat\.bpf\.o', outside/);
    fs.copyFileSync(OBJ, path.join(dir, 'copy.o'));
    const r = replayLoaded(load(withObject('copy.o'), undefined, dir));
    expect(r.trace[0].outcome).toMatchObject({ kind: 'load', accepted: true });
  });

  test('--allow-path (allowPaths) lets a named directory in, after resolving links', () => {
    const dir = tmpDir();
    fs.symlinkSync(OBJ, path.join(dir, 'link.o'));
    const r = replayLoaded(load(withObject('link.o'), { allowPaths: [path.dirname(OBJ)] }, dir));
    expect(r.trace[0].outcome).toMatchObject({ kind: 'load', accepted: true });
  });

  test.each([['.'], [''], ['/'], ['..']])('object %j is refused in one line', (obj) => {
    const e = loadError(withObject(obj));
    expect(e.message).toMatch(/programs\[0\]\.object: .*(not a file name|not a regular file|outside the scenario's directory)/);
  });

  test('a FIFO, /dev/zero and a directory are refused without blocking', () => {
    const dir = tmpDir();
    execFileSync('mkfifo', [path.join(dir, 'fifo.o')]);
    fs.mkdirSync(path.join(dir, 'sub.o'));
    expect(loadError(withObject('fifo.o'), undefined, dir).message).toMatch(/fifo\.o is not a regular file/);
    expect(loadError(withObject('sub.o'), undefined, dir).message).toMatch(/sub\.o is not a regular file/);
    expect(loadError(withObject('/dev/zero'), { allowPaths: ['/dev'] }, dir).message).toMatch(/zero is not a regular file/);
    // The reader itself, handed a FIFO directly, refuses it rather than waiting for a writer.
    expect(() => readContained('fifo.o', dir, [], 1 << 20)).toThrow(/is not a regular file \(a FIFO, socket or device is never read\)/);
    expect(() => readContained('/dev/zero', dir, ['/dev'], 1 << 20)).toThrow(FileRefused);
  });

  test('an object over the size limit is refused', () => {
    const dir = tmpDir();
    fs.copyFileSync(OBJ, path.join(dir, 'o.o'));
    const loaded = load(withObject('o.o'), { limits: { maxObjectBytes: 100 } }, dir);
    expect(() => replayLoaded(loaded)).toThrow(/programs\[0\]\.object: 'o\.o' is \d+ bytes, over the limit of 100/);
  });

  test('a symlink loop and a dangling link are clear errors', () => {
    const dir = tmpDir();
    fs.symlinkSync('loop2.o', path.join(dir, 'loop1.o'));
    fs.symlinkSync('loop1.o', path.join(dir, 'loop2.o'));
    fs.symlinkSync('nothing.o', path.join(dir, 'dangling.o'));
    expect(loadError(withObject('loop1.o'), undefined, dir).message).toMatch(/'loop1\.o': too many levels of symbolic links/);
    expect(loadError(withObject('dangling.o'), undefined, dir).message).toMatch(/no such file: dangling\.o/);
  });

  test('the scenario file itself: a FIFO or a directory is refused, not waited on', () => {
    const dir = tmpDir();
    execFileSync('mkfifo', [path.join(dir, 'f.yaml')]);
    expect(() => loadScenarioFile(path.join(dir, 'f.yaml'))).toThrow(/f\.yaml: \(top level\): cannot read: '.*f\.yaml' is not a regular file/);
    expect(() => loadScenarioFile(dir)).toThrow(/cannot read: '.*' is a directory/);
    expect(() => loadScenarioFile('/dev/zero')).toThrow(/is not a regular file/);
  });
});
