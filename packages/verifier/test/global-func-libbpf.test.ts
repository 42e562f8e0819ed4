/**
 * Global and static sub-programs written in C (fixtures/global-funcs.bpf.c), compiled with clang-19
 * at test time, loaded one program at a time by the system libbpf into the kernel
 * (packages/kernel/test/fixtures/tracing/libbpf-verdicts.c, answers recorded on the tape) and by
 * bpfsim's Kernel.loadObject, which passes the object's BTF and func_info on to the verifier: every
 * program must get the kernel's verdict, errno and final error line (a hidden global function is
 * static to the kernel: libbpf marks its BTF FUNC so, and so does bpfsim's loader). Skipped, with the reason,
 * without clang-19 and (when recording) a C compiler with libbpf.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Kernel, ProgLoadError } from '@bpfsim/kernel';

const SRC = path.join(__dirname, 'fixtures', 'global-funcs.bpf.c');

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { compileBpf, libbpfVerdicts } = require('../../../tools/oracle/libbpf-verdicts');
const build = (): { obj: string; dir: string } | { reason: string } => compileBpf(SRC, { tag: 'global-funcs' });
/** "<name> <errno> <final line>" per program, from the system libbpf and the kernel (or the tape). */
const kernelVerdicts = (b: { obj: string; dir: string }): string => libbpfVerdicts(b, SRC);

const built = build();
const d = 'obj' in built ? describe : describe.skip;
if (!('obj' in built)) console.log(`global function libbpf tests skipped: ${built.reason}`);

d('global sub-programs in C: bpfsim vs libbpf + the kernel', () => {
  test('every program gets the kernel\'s verdict, errno and final error line', () => {
    const b = built as { obj: string; dir: string };
    const kernel = kernelVerdicts(b).trim().split('\n').map((l) => {
      const m = /^(\S+) (\d+) ?(.*)$/.exec(l)!;
      return { name: m[1], errno: Number(m[2]), error: m[3] };
    });
    expect(kernel.length).toBe(16);
    // both verdicts, and refusals at a call (prototype) and inside a global function
    expect(kernel.filter((k) => k.errno === 0).length).toBeGreaterThan(5);
    expect(kernel.some((k) => /^Caller passes invalid args/.test(k.error))).toBe(true);
    expect(kernel.some((k) => k.errno === 13)).toBe(true);
    const bytes = fs.readFileSync(b.obj);
    const wrong: string[] = [];
    for (const k of kernel) {
      let sim = { errno: 0, error: '' };
      try {
        new Kernel({ seed: 'global-funcs' }).loadObject(bytes, { file: 'global-funcs.bpf.o', programs: [k.name] });
      } catch (e) {
        if (!(e instanceof ProgLoadError)) throw e;
        sim = { errno: e.errno, error: e.error };
      }
      if (sim.errno !== k.errno || sim.error !== k.error) wrong.push(`${k.name}: kernel ${k.errno} ${k.error} / bpfsim ${sim.errno} ${sim.error}`);
    }
    expect(wrong).toEqual([]);
  });
});
