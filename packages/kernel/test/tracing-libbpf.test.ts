/**
 * tp_btf programs written in C (fixtures/tracing/tp_btf.bpf.c: task storage, struct walks, pointer
 * chains, NULL-able arguments, writes, BTF helpers) compiled at test time against the running
 * kernel's vmlinux.h, loaded by the system libbpf into the running kernel (fixtures/tracing/
 * libbpf-verdicts.c) and by bpfsim's Kernel.loadObject: every program must get the kernel's verdict,
 * errno and final error line. Skipped, with the reason, without root/bpf(), bpftool, clang-19, a C
 * compiler with libbpf, or /sys/kernel/btf/vmlinux.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ProgLoadError } from '@bpfsim/kernel';
import { newKernel, ORACLE } from './kit';

const FIX = path.join(__dirname, 'fixtures', 'tracing');


// eslint-disable-next-line @typescript-eslint/no-var-requires
const { compileBpf, libbpfVerdicts } = require('../../../tools/oracle/libbpf-verdicts');
const SRC = path.join(FIX, 'tp_btf.bpf.c');
interface Built { obj: string; dir: string }
/** Compile the fixture against the profile kernel's vmlinux.h (what the recording kernel's BTF dumps to). */
function build(): Built | { reason: string } {
  if (!ORACLE.ok) return { reason: `no bpf(): ${ORACLE.reason}` };
  return compileBpf(SRC, { vmlinux: true, tag: 'tp-btf' });
}
/** The system libbpf loads each program of the object into the kernel: "<name> <errno> <last log line>" per program. */
const kernelVerdicts = (b: Built): string => libbpfVerdicts(b, SRC, { vmlinux: true });

const built = build();
const d = 'obj' in built ? describe : describe.skip;
if (!('obj' in built)) console.log(`tp_btf libbpf tests skipped: ${built.reason}`);

d('tp_btf C programs: bpfsim vs libbpf + the kernel', () => {
  test('every program gets the kernel\'s verdict, errno and final error line', () => {
    const b = built as Built;
    const kernel = kernelVerdicts(b).trim().split('\n').map((l) => {
      const m = /^(\S+) (\d+) ?(.*)$/.exec(l)!;
      return { name: m[1], errno: Number(m[2]), error: m[3] };
    });
    expect(kernel.length).toBeGreaterThan(15);
    const bytes = fs.readFileSync(b.obj);
    const wrong: string[] = [];
    let unimplemented = 0;
    for (const k of kernel) {
      let sim = { errno: 0, error: '' };
      try {
        newKernel().loadObject(bytes, { file: 'tp_btf.bpf.o', programs: [k.name] });
      } catch (e) {
        if (!(e instanceof ProgLoadError)) throw e;
        sim = { errno: e.errno, error: e.error };
      }
      // bpfsim refuses at load a helper it cannot run yet, after its verifier accepted the program
      if (/bpfsim does not implement helper/.test(sim.error) && k.errno === 0) { unimplemented++; continue; }
      if (sim.errno !== k.errno || sim.error !== k.error) wrong.push(`${k.name}: kernel ${k.errno} ${k.error} / bpfsim ${sim.errno} ${sim.error}`);
    }
    console.log(`tp_btf C programs: ${kernel.length - wrong.length - unimplemented}/${kernel.length} agree, ${unimplemented} verified but use a helper bpfsim cannot run yet`);
    expect(kernel.some((k) => k.errno === 0) && kernel.some((k) => k.errno !== 0)).toBe(true);
    expect(wrong).toEqual([]);
  });
});
