/**
 * tp_btf programs in the simulated kernel: the bundled vmlinux BTF (data/vmlinux.btf.br) and its
 * provenance, libbpf's attach target resolution (tp_btf/<tp> -> btf_trace_<tp>, fentry/<fn> ->
 * FUNC), BPF_PROG_LOAD of tracing programs (tp_btf verified against the BTF; fentry, fexit and
 * fmod_ret refused with EPERM before verification as on the reference kernel), and the corpus'
 * raw_tp.bpf.o loading with its tp_btf program.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import seedrandom from 'seedrandom';
import { assemble } from '@bpfsim/isa';
import { loadObject, type BpfObject } from '@bpfsim/loader';
import { BpfAttachType, BpfProgType, Errno } from '@bpfsim/uapi';
import { ProgLoadError, resolveAttachBtfId, vmlinuxBtf, VMLINUX_BTF_FILE } from '@bpfsim/kernel';
import { verify, type KernelBtf } from '@bpfsim/verifier';
import { generateTracing } from '../../verifier/test/gen/tracing-gen';
import { newKernel } from './kit';

const corpus = path.resolve(__dirname, '../../../corpus');
const meta = JSON.parse(fs.readFileSync(VMLINUX_BTF_FILE.replace(/\.btf\.br$/, '.btf.json'), 'utf8')) as { kernel: string; bytes: number; sha256: string };
const asm = (t: string) => assemble(t, { dialect: 'kernel' });

describe('the simulated kernel BTF', () => {
  test('is the blob vmlinux.btf.json describes, parsed once', () => {
    const raw = zlib.brotliDecompressSync(fs.readFileSync(VMLINUX_BTF_FILE));
    expect(raw.length).toBe(meta.bytes);
    expect(createHash('sha256').update(raw).digest('hex')).toBe(meta.sha256);
    const btf = vmlinuxBtf();
    expect(vmlinuxBtf()).toBe(btf);
    expect(btf.types.length).toBeGreaterThan(1000);
  });

  test('is the running kernel\'s BTF when this machine runs the kernel it came from', () => {
    const sys = '/sys/kernel/btf/vmlinux';
    const release = fs.existsSync('/proc/sys/kernel/osrelease') ? fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim() : '';
    if (!fs.existsSync(sys) || release !== meta.kernel) {
      console.log(`bundled BTF is from ${meta.kernel}; this machine runs ${release || 'no Linux'}: not compared (regenerate with tools/gen/kernel-btf.js)`);
      return;
    }
    expect(createHash('sha256').update(fs.readFileSync(sys)).digest('hex')).toBe(meta.sha256);
  });
});

describe('attach target resolution (libbpf_find_attach_btf_id)', () => {
  const btf = vmlinuxBtf();
  const typedefs = btf.types.filter((t) => t.kind === 8 && t.name.startsWith('btf_trace_'));
  const funcs = btf.types.filter((t) => t.kind === 12);

  test('tp_btf/<tp> is the id of the typedef btf_trace_<tp>, for sampled tracepoints', () => {
    expect(typedefs.length).toBeGreaterThan(100);
    const r = seedrandom('attach');
    for (let i = 0; i < 200; i++) {
      const t = typedefs[Math.floor(r() * typedefs.length)];
      const first = typedefs.find((x) => x.name === t.name)!;
      expect(resolveAttachBtfId(btf, { kind: 'tp_btf', name: t.name.slice('btf_trace_'.length) }, 'p')).toEqual({ id: first.id });
    }
  });

  test('fentry/<fn> and lsm/<hook> resolve to FUNCs; unknown names fail with ESRCH and libbpf\'s message', () => {
    const r = seedrandom('funcs');
    for (let i = 0; i < 100; i++) {
      const f = funcs[Math.floor(r() * funcs.length)];
      const first = funcs.find((x) => x.name === f.name)!;
      expect(resolveAttachBtfId(btf, { kind: 'tracing', fn: f.name, mode: 'fentry' }, 'p')).toEqual({ id: first.id });
    }
    const lsm = funcs.find((f) => f.name.startsWith('bpf_lsm_'));
    if (lsm) expect(resolveAttachBtfId(btf, { kind: 'lsm', hook: lsm.name.slice('bpf_lsm_'.length) }, 'p')).toEqual({ id: lsm.id });
    expect(resolveAttachBtfId(btf, { kind: 'tp_btf', name: 'no_such_tracepoint' }, 'prog')).toEqual({
      errno: Errno.ESRCH, message: `prog 'prog': failed to find kernel BTF type ID of 'no_such_tracepoint': -${Errno.ESRCH}`,
    });
    expect(resolveAttachBtfId(btf, { kind: 'kprobe', fn: 'x', offset: 0, retprobe: false }, 'p')).toEqual({ id: 0 });
  });
});

describe('BPF_PROG_LOAD of tracing programs', () => {
  const id = (tp: string): number => vmlinuxBtf().types.findIndex((t) => t.kind === 8 && t.name === `btf_trace_${tp}`);
  // the reference machine's kernel: no BPF trampolines (bpfsim's default has them)
  const load = (attachBtfId: number | undefined, text: string, eat: number = BpfAttachType.TRACE_RAW_TP) =>
    newKernel({ trampolines: false }).bpf.progLoad({ progType: BpfProgType.TRACING, expectedAttachType: eat, attachBtfId, insns: asm(text), license: 'GPL', name: 't' });

  test('tp_btf: the arguments are typed by the tracepoint\'s BTF', () => {
    const ok = load(id('sched_switch'), 'r2 = *(u64 *)(r1 +16)\nr0 = *(u32 *)(r2 +0)\nr0 = 0\nexit');
    expect(ok.fd).toBeGreaterThan(0);
    const bad = load(id('sched_switch'), 'r2 = *(u64 *)(r1 +16)\nr0 = *(u32 *)(r2 +9999)\nr0 = 0\nexit');
    expect(bad.fd).toBe(-Errno.EACCES);
    expect(bad.error).toBe('access beyond struct task_struct at off 9999 size 4');
    expect(bad.log).toContain("func 'sched_switch' arg2 has btf_id");
  });

  test('no attach_btf_id, or one that is not a tracepoint typedef: EINVAL with the kernel\'s message', () => {
    expect(load(undefined, 'r0 = 0\nexit')).toMatchObject({ fd: -Errno.EINVAL, error: 'Tracing programs must provide btf_id' });
    const structId = vmlinuxBtf().types.findIndex((t) => t.kind === 4 && t.name === 'task_struct');
    expect(load(structId, 'r0 = 0\nexit')).toMatchObject({ fd: -Errno.EINVAL, error: `attach_btf_id ${structId} is not a typedef` });
  });

  test('fentry, fexit and fmod_ret: EPERM with an empty log, as the reference kernel (no trampolines)', () => {
    for (const eat of [BpfAttachType.TRACE_FENTRY, BpfAttachType.TRACE_FEXIT, BpfAttachType.MODIFY_RETURN]) {
      expect(load(1, 'r0 = 0\nexit', eat)).toMatchObject({ fd: -Errno.EPERM, log: '', error: '' });
    }
  });

  test('raw_tp.bpf.o loads, its tp_btf program included; fentry.bpf.o is refused with EPERM', () => {
    const k = newKernel();
    const o = k.loadObject(fs.readFileSync(path.join(corpus, 'raw_tp.bpf.o')), { file: 'raw_tp.bpf.o' });
    expect([...o.programs.keys()].sort()).toEqual(['btf_switch', 'raw_switch', 'raw_wakeup']);
    let err: unknown;
    try { newKernel({ trampolines: false }).loadObject(fs.readFileSync(path.join(corpus, 'fentry.bpf.o')), { file: 'fentry.bpf.o' }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ProgLoadError);
    expect((err as ProgLoadError).errno).toBe(Errno.EPERM);
  });

  test('a tp_btf program whose tracepoint the kernel BTF lacks fails as libbpf does (ESRCH)', () => {
    const obj = loadObject(fs.readFileSync(path.join(corpus, 'raw_tp.bpf.o')), { file: 'raw_tp.bpf.o' }) as BpfObject;
    const programs = obj.programs.map((p) => (p.name === 'btf_switch' ? { ...p, attachTarget: { kind: 'tp_btf' as const, name: 'no_such_tp' } } : p));
    let err: unknown;
    try { newKernel().loadObject({ ...obj, programs }, { file: 'raw_tp.bpf.o', programs: ['btf_switch'] }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ProgLoadError);
    expect((err as ProgLoadError).errno).toBe(Errno.ESRCH);
    expect((err as ProgLoadError).message).toContain("failed to find kernel BTF type ID of 'no_such_tp'");
  });
});

describe('the verifier on generated tp_btf programs, without the kernel', () => {
  test('never throws, always explains a rejection, and gives the same log twice', () => {
    const btf = vmlinuxBtf() as unknown as KernelBtf;
    const typedefId = (tp: string): number => btf.types.findIndex((t) => t.kind === 8 && t.name === `btf_trace_${tp}`);
    const cases = generateTracing('bundled', 800, btf, typedefId);
    expect(cases.length).toBe(800);
    let rejected = 0;
    for (const c of cases) {
      const opts = { progType: BpfProgType.TRACING, expectedAttachType: BpfAttachType.TRACE_RAW_TP, attachBtfId: c.attachBtfId, license: c.license, kernelBtf: btf, logLevel: 1 as const };
      const a = verify(asm(c.asm), opts);
      const b = verify(asm(c.asm), opts);
      expect(b.log).toBe(a.log);
      if (!a.accepted) {
        rejected++;
        expect(a.errno).toMatch(/^E[A-Z0-9]+$/);
        expect(a.error).toBeTruthy();
        expect(a.log).toContain(a.error!);
      }
    }
    expect(rejected).toBeGreaterThan(100);
    expect(rejected).toBeLessThan(800);
  });
});
