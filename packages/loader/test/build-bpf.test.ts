/**
 * The corpus build is reproducible and the committed objects are fresh:
 * building from a copy of the sources at a different absolute path gives the
 * committed bytes exactly (no checkout path leaks into DWARF/BTF), and the
 * object's strings never mention the build directory. Skips without clang-19.
 * (`node tools/build-bpf.js --check` does the same for every object, for CI.)
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CORPUS, ROOT } from './helpers/corpus';

const clang = spawnSync('clang-19', ['--version'], { encoding: 'utf8' });
const have = !clang.error && clang.status === 0;

/** A few objects that exercise different headers (uapi, tracing, CO-RE, global data). */
const SAMPLE = ['xdp_drop_icmp', 'core_task', 'global_data', 'subprogs'];

(have ? describe : describe.skip)('build-bpf', () => {
  test('a copy at another path builds the committed bytes', () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-elsewhere-'));
    try {
      const root = path.join(other, 'some', 'deeper', 'checkout');
      fs.mkdirSync(path.join(root, 'tools'), { recursive: true });
      fs.copyFileSync(path.join(ROOT, 'tools/build-bpf.js'), path.join(root, 'tools/build-bpf.js'));
      fs.mkdirSync(path.join(root, 'corpus/include'), { recursive: true });
      for (const h of fs.readdirSync(path.join(CORPUS, 'include'))) fs.copyFileSync(path.join(CORPUS, 'include', h), path.join(root, 'corpus/include', h));
      for (const s of SAMPLE) fs.copyFileSync(path.join(CORPUS, `${s}.bpf.c`), path.join(root, `corpus/${s}.bpf.c`));
      const r = spawnSync(process.execPath, [path.join(root, 'tools/build-bpf.js'), '--force', ...SAMPLE.map((s) => `corpus/${s}.bpf.c`)], { cwd: root, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      for (const s of SAMPLE) {
        const built = fs.readFileSync(path.join(root, `corpus/${s}.bpf.o`));
        expect({ obj: s, same: built.equals(fs.readFileSync(path.join(CORPUS, `${s}.bpf.o`))) }).toEqual({ obj: s, same: true });
        expect(built.includes(Buffer.from(other))).toBe(false);
        expect(fs.readFileSync(path.join(CORPUS, `${s}.bpf.o`)).includes(Buffer.from(ROOT))).toBe(false);
      }
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });
});
