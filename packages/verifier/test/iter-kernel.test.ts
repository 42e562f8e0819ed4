/**
 * BPF iterator programs (BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER: `iter/task`, `iter/task_file`, ...)
 * and LSM programs against the running kernel. Iterators: seeded generated programs
 * (gen/iter-gen.ts) over five targets; bpfsim, given the profile kernel's BTF, must reach the kernel's
 * verdict, errno and final error line, and for accepted programs the register states of the level-2
 * log. LSM: the reference kernel refuses every BPF_PROG_TYPE_LSM load with EPERM and no log.
 */
import { assemble, encodeProgram } from '@bpfsim/isa';
import { parseBtf } from '@bpfsim/loader';
import { verify, type KernelBtf } from '@bpfsim/verifier';
import { BpfAttachType, BpfProgType } from '@bpfsim/uapi';
import { generateIter, ITER_KINDS, ITER_TARGETS, type IterCase } from './gen/iter-gen';
import { untrustedArgExplained, walkedPtrAsHost } from './host-deviations';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const oracle = require('../../../tools/oracle');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const profile = require('../../../tools/oracle/profile');

const avail: { ok: boolean; reason?: string } = oracle.available();
const d = avail.ok ? describe : describe.skip;
if (!avail.ok) console.log(`iterator kernel tests skipped: ${avail.reason}`);

interface Outcome { accepted: boolean; errno: string | null; error: string | null; log: string }
interface Result { c: IterCase; kernel: Outcome; sim: Outcome }

const NOISE = /^(\(\d+\) (frame|live stack)|mark_precise|Live regs|func#|\s+\d+: [.0-9]+ \()/;
const regText = (log: string): string => log.split('\n').filter((l) => !NOISE.test(l))
  .flatMap((l) => l.match(/\b(R\d+|fp-\d+)=\S+/g) ?? []).map((t) => t.replace(/=P(-?\d)/, '=$1')).join(' ');

function run(c: IterCase, btf: KernelBtf, logLevel: 1 | 2): Result {
  const insns = assemble(c.asm, { dialect: 'kernel' });
  const base = { progType: BpfProgType.TRACING, expectedAttachType: BpfAttachType.TRACE_ITER, attachBtfId: c.attachBtfId, license: c.license, logLevel };
  const k = oracle.loadVerdict({ type: base.progType, expectedAttachType: base.expectedAttachType, attachBtfId: c.attachBtfId, license: c.license, insns: encodeProgram(insns), logLevel });
  const s = verify(insns, { ...base, kernelBtf: btf });
  return {
    c,
    kernel: { accepted: k.accepted, errno: k.accepted ? null : k.errnoName, error: k.accepted ? null : k.lastErrorLine, log: k.log },
    sim: { accepted: s.accepted, errno: s.errno, error: s.error, log: s.log },
  };
}

/** Equal answers, or the recording host's untrusted_ptr_ deviation applied to bpfsim's (host-deviations.ts). */
const sameLine = (r: Result): boolean => {
  const k = r.kernel.error ?? '';
  const s = r.sim.error ?? '';
  if (r.kernel.accepted === r.sim.accepted && r.kernel.errno === r.sim.errno && k === s) return true;
  if (r.kernel.accepted || r.kernel.errno !== 'EACCES') return false;
  return (r.sim.errno === 'EACCES' && walkedPtrAsHost(s) === k) || untrustedArgExplained(k, r.sim.log);
};

d('iterator programs vs the kernel', () => {
  const btf = avail.ok ? (parseBtf(profile.profileBtfBytes(), 'vmlinux.btf (profile)') as KernelBtf) : null;
  const n = Number(process.env.BPFSIM_ITER_GEN_N ?? 400);
  const cases = btf ? generateIter(process.env.BPFSIM_ITER_GEN_SEED ?? 'iter', n, btf) : [];
  const results = btf ? cases.map((c) => run(c, btf, 1)) : [];
  const show = (r: Result): string => `${r.c.id} ${r.c.kind} ${r.c.target} ${r.c.license}: ${r.c.asm.replace(/\n/g, ' | ')}\n    kernel ${r.kernel.errno ?? 'OK'} ${r.kernel.error ?? ''}\n    bpfsim ${r.sim.errno ?? 'OK'} ${r.sim.error ?? ''}`;

  test('verdict, errno and final error line agree on every program', () => {
    const wrong = results.filter((r) => !sameLine(r));
    const acc = results.filter((r) => r.kernel.accepted).length;
    console.log(`iter: ${results.length} programs, ${acc} accepted by the kernel, ${wrong.length} disagree`);
    if (wrong.length) throw new Error(`${wrong.length} of ${results.length} disagree:\n${wrong.slice(0, 25).map(show).join('\n')}`);
  });

  test('accepted programs: the level-2 register states are the kernel\'s', () => {
    const both = results.filter((r) => r.kernel.accepted && r.sim.accepted);
    const sample = both.filter((_, i) => i % Math.max(1, Math.floor(both.length / 60)) === 0).slice(0, 60).map((r) => run(r.c, btf!, 2));
    expect(sample.length).toBeGreaterThan(20);
    // state by state: equal, or the host's untrusted_ptr_ for a walked pointer (the target's own
    // `ptr_or_null_file` stays plain on both, so the deviation cannot be applied to the whole log)
    const sameStates = (k: string, s: string): boolean => {
      const a = k.split(' ');
      const b = s.split(' ');
      return a.length === b.length && a.every((t, i) => t === b[i] || t === walkedPtrAsHost(b[i]));
    };
    const differ = sample.filter((r) => !sameStates(regText(r.kernel.log), regText(r.sim.log)));
    if (differ.length) throw new Error(`${differ.length} of ${sample.length} differ, first:\n${show(differ[0])}\n--- kernel\n${regText(differ[0].kernel.log)}\n--- bpfsim\n${regText(differ[0].sim.log)}`);
  });

  test('every target and kind is generated; both verdicts occur', () => {
    for (const t of ITER_TARGETS) expect(results.some((r) => r.c.target === t && r.kernel.accepted)).toBe(true);
    for (const k of ITER_KINDS) expect(results.some((r) => r.c.kind === k)).toBe(true);
    expect(results.filter((r) => !r.kernel.accepted).length).toBeGreaterThan(n / 5);
    // the iterator-only helpers are accepted somewhere
    for (const id of [126, 127, 150]) expect(results.some((r) => r.kernel.accepted && r.c.asm.includes(`call ${id}`))).toBe(true);
  });
});

d('lsm programs vs the kernel', () => {
  const btf = avail.ok ? (parseBtf(profile.profileBtfBytes(), 'vmlinux.btf (profile)') as KernelBtf) : null;
  test('every BPF_PROG_TYPE_LSM load is EPERM with an empty log, as bpfsim says', () => {
    const funcId = (name: string): number => btf!.types.findIndex((t) => t.kind === 12 && t.name === name);
    const insns = assemble('r0 = 0\nexit', { dialect: 'kernel' });
    const rows: string[] = [];
    for (const fn of ['bpf_lsm_file_open', 'bpf_lsm_bpf', 'vfs_read']) {
      for (const eat of [BpfAttachType.LSM_MAC, BpfAttachType.LSM_CGROUP, 0]) {
        const id = funcId(fn);
        const k = oracle.loadVerdict({ type: BpfProgType.LSM, expectedAttachType: eat, attachBtfId: id, license: 'GPL', insns: encodeProgram(insns), logLevel: 1 });
        const s = verify(insns, { progType: BpfProgType.LSM, expectedAttachType: eat, attachBtfId: id, kernelBtf: btf!, license: 'GPL', logLevel: 1 });
        rows.push(`${fn}/${eat}: kernel ${k.accepted ? 'OK' : k.errnoName} ${JSON.stringify(k.log)} bpfsim ${s.accepted ? 'OK' : s.errno} ${JSON.stringify(s.log)}`);
        expect([s.accepted, s.errno, s.log]).toEqual([k.accepted, k.accepted ? null : k.errnoName, k.log]);
      }
    }
    expect(rows.length).toBe(9);
  });
});
