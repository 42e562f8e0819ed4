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
import * as fs from 'fs';
import * as path from 'path';
import { Kernel, ProgLoadError } from '@bpfsim/kernel';

const SRC = path.join(__dirname, 'fixtures', 'kfuncs.bpf.c');

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { compileBpf, libbpfVerdicts } = require('../../../tools/oracle/libbpf-verdicts');
interface Built { obj: string; dir: string }
const build = (): Built | { reason: string } => compileBpf(SRC, { vmlinux: true, tag: 'kfuncs' });
const kernelVerdicts = (b: Built): string => libbpfVerdicts(b, SRC, { vmlinux: true });

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
