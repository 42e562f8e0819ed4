/**
 * kfunc calls written in C through `extern ... __ksym` (fixtures/kfuncs.bpf.c), compiled with
 * clang-19 at test time against the profile kernel's vmlinux.h, loaded one program at a time by the
 * system libbpf into the kernel (packages/kernel/test/fixtures/tracing/libbpf-verdicts.c, answers
 * on the tape) and by bpfsim's Kernel.loadObject, whose loader turns the extern calls into
 * BPF_PSEUDO_KFUNC_CALL with the FUNC's id in the kernel BTF: every program must get the kernel's
 * verdict, errno and final error line. bpfsim verifies kfunc calls but does not run them, so the
 * kernel is verify-only; without it an accepted program is refused at load, which is checked too.
 * Skipped, with the reason, without clang-19 or bpftool.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Kernel, ProgLoadError } from '@bpfsim/kernel';

const SRC = path.join(__dirname, 'fixtures', 'kfuncs.bpf.c');
const LOADER = path.join(__dirname, '..', '..', 'kernel', 'test', 'fixtures', 'tracing', 'libbpf-verdicts.c');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const tape = require('../../../tools/oracle/tape');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const profile = require('../../../tools/oracle/profile');

interface Built { obj: string; dir: string }
function build(): Built | { reason: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-kfuncs-'));
  try {
    const btfFile = path.join(dir, 'vmlinux.btf');
    fs.writeFileSync(btfFile, profile.profileBtfBytes());
    fs.writeFileSync(path.join(dir, 'vmlinux.h'), execFileSync('bpftool', ['btf', 'dump', 'file', btfFile, 'format', 'c'], { maxBuffer: 256 << 20 }));
    const obj = path.join(dir, 'kfuncs.bpf.o');
    execFileSync(process.env.CLANG ?? 'clang-19', ['-O2', '-g', '-target', 'bpf', '-D__TARGET_ARCH_x86', '-Wall', '-I', dir,
      '-idirafter', '/usr/include/x86_64-linux-gnu', '-c', SRC, '-o', obj], { stdio: 'pipe' });
    return { obj, dir };
  } catch (e) {
    return { reason: `cannot build the fixture: ${(e as Error).message.split('\n')[0]}` };
  }
}

function kernelVerdicts(b: Built): string {
  const question = { source: fs.readFileSync(SRC, 'utf8'), loader: fs.readFileSync(LOADER, 'utf8'), btf: profile.profileMeta().sha256 };
  return tape.ask('exec.libbpf-verdicts', question, () => {
    const bin = path.join(b.dir, 'libbpf-verdicts');
    execFileSync(process.env.CC ?? 'cc', ['-O1', '-o', bin, LOADER, '-lbpf'], { stdio: 'pipe' });
    return execFileSync(bin, [b.obj]).toString();
  });
}

const built = build();
const d = 'obj' in built ? describe : describe.skip;
if (!('obj' in built)) console.log(`kfunc libbpf tests skipped: ${built.reason}`);

d('kfunc calls in C: bpfsim vs libbpf + the kernel', () => {
  const load = (bytes: Buffer, name: string, verifyOnly: boolean): { errno: number; error: string } => {
    try {
      new Kernel({ seed: 'kfuncs', verifyOnly }).loadObject(bytes, { file: 'kfuncs.bpf.o', programs: [name] });
      return { errno: 0, error: '' };
    } catch (e) {
      if (!(e instanceof ProgLoadError)) throw e;
      return { errno: e.errno, error: e.error };
    }
  };

  test('every program gets the kernel\'s verdict, errno and final error line', () => {
    const b = built as Built;
    const kernel = kernelVerdicts(b).trim().split('\n').map((l) => {
      const m = /^(\S+) (\d+) ?(.*)$/.exec(l)!;
      return { name: m[1], errno: Number(m[2]), error: m[3] };
    });
    expect(kernel.length).toBe(9);
    expect(kernel.filter((k) => k.errno === 0).length).toBeGreaterThan(3);
    const bytes = fs.readFileSync(b.obj);
    const wrong = kernel.map((k) => ({ k, sim: load(bytes, k.name, true) }))
      .filter(({ k, sim }) => sim.errno !== k.errno || sim.error !== k.error)
      .map(({ k, sim }) => `${k.name}: kernel ${k.errno} ${k.error} / bpfsim ${sim.errno} ${sim.error}`);
    expect(wrong).toEqual([]);
  });

  test('a program the verifier accepts is refused at load when bpfsim would have to run a kfunc', () => {
    const r = load(fs.readFileSync((built as Built).obj), 'task_ok', false);
    expect(r.errno).toBe(22);
    expect(r.error).toMatch(/^\d+: bpfsim does not implement kernel function bpf_task_from_pid#\d+$/);
  });
});
