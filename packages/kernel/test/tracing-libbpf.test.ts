/**
 * tp_btf programs written in C (fixtures/tracing/tp_btf.bpf.c: task storage, struct walks, pointer
 * chains, NULL-able arguments, writes, BTF helpers) compiled at test time against the running
 * kernel's vmlinux.h, loaded by the system libbpf into the running kernel (fixtures/tracing/
 * libbpf-verdicts.c) and by bpfsim's Kernel.loadObject: every program must get the kernel's verdict,
 * errno and final error line. Skipped, with the reason, without root/bpf(), bpftool, clang-19, a C
 * compiler with libbpf, or /sys/kernel/btf/vmlinux.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ProgLoadError } from '@bpfsim/kernel';
import { newKernel, ORACLE } from './kit';

const FIX = path.join(__dirname, 'fixtures', 'tracing');

// eslint-disable-next-line @typescript-eslint/no-var-requires
const tape = require('../../../tools/oracle/tape');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const profile = require('../../../tools/oracle/profile');

interface Built { obj: string; dir: string }
/** Compile the fixture against the profile kernel's vmlinux.h (what the recording kernel's BTF dumps to). */
function build(): Built | { reason: string } {
  if (!ORACLE.ok) return { reason: `no bpf(): ${ORACLE.reason}` };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-tp-btf-'));
  try {
    const btfFile = path.join(dir, 'vmlinux.btf');
    fs.writeFileSync(btfFile, profile.profileBtfBytes());
    fs.writeFileSync(path.join(dir, 'vmlinux.h'), execFileSync('bpftool', ['btf', 'dump', 'file', btfFile, 'format', 'c'], { maxBuffer: 256 << 20 }));
    const obj = path.join(dir, 'tp_btf.bpf.o');
    execFileSync(process.env.CLANG ?? 'clang-19', ['-O2', '-g', '-target', 'bpf', '-D__TARGET_ARCH_x86', '-Wall', '-I', dir,
      '-idirafter', '/usr/include/x86_64-linux-gnu', '-c', path.join(FIX, 'tp_btf.bpf.c'), '-o', obj], { stdio: 'pipe' });
    return { obj, dir };
  } catch (e) {
    return { reason: `cannot build the fixtures: ${(e as Error).message.split('\n')[0]}` };
  }
}

/** The system libbpf loads each program of the object into the kernel: "<name> <errno> <last log line>" per program. */
function kernelVerdicts(b: Built): string {
  // Keyed by the C source and the profile: the object's debug info names the temporary directory.
  const question = { source: fs.readFileSync(path.join(FIX, 'tp_btf.bpf.c'), 'utf8'), loader: fs.readFileSync(path.join(FIX, 'libbpf-verdicts.c'), 'utf8'), btf: profile.profileMeta().sha256 };
  return tape.ask('exec.libbpf-verdicts', question, () => {
    const verdicts = path.join(b.dir, 'libbpf-verdicts');
    execFileSync(process.env.CC ?? 'cc', ['-O1', '-o', verdicts, path.join(FIX, 'libbpf-verdicts.c'), '-lbpf'], { stdio: 'pipe' });
    return execFileSync(verdicts, [b.obj]).toString();
  });
}

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
