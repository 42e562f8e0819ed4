/**
 * Kfunc calls (task, cgroup and RCU kfuncs of kernel/bpf/helpers.c) against the kernel: seeded
 * programs that acquire task and cgroup references (bpf_task_from_pid, bpf_task_from_vpid,
 * bpf_cgroup_from_id, bpf_task_acquire, bpf_cgroup_acquire, bpf_cgroup_ancestor), NULL-check them or
 * not, copy them, move them, release them once, twice, with the wrong release function or not at
 * all, pass scalars, the context, the stack or nothing where a kernel struct is expected, combine
 * them (bpf_task_under_cgroup), in program types that may and may not call the set. The kfunc's
 * imm is its FUNC id in the profile's vmlinux BTF (off 0). Loaded through tools/oracle; verdict,
 * errno, final line and the level-1 log must be the kernel's.
 */
import seedrandom from 'seedrandom';
import { Insn } from '@bpfsim/isa';
import { BpfProgType, BpfProgTypeName } from '@bpfsim/uapi';
import { lazyVmlinuxBtf } from '@bpfsim/kernel';
import { compareCase, oracleAvailable, type Comparison } from './gen/compare';
import type { GenCase } from './gen/verifier-gen';

const avail = oracleAvailable();
const d = avail.ok ? describe : describe.skip;
if (!avail.ok) console.log(`kfunc kernel tests skipped: ${avail.reason}`);

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => new Insn(code, dst, src, off, imm | 0);
const mov = (dst: number, imm: number): Insn => I(0xb7, dst, 0, 0, imm);
const movr = (dst: number, src: number): Insn => I(0xbf, dst, src);

/** The kfunc's FUNC id in the profile BTF. */
function kfuncId(name: string): number {
  const types = lazyVmlinuxBtf.types;
  for (let i = 1; i < types.length; i++) if (types[i].kind === 12 && types[i].name === name) return i;
  throw new Error(`no FUNC ${name} in the profile BTF`);
}
const call = (name: string): Insn => I(0x85, 0, 2, 0, kfuncId(name));

/** A program under construction: instructions, and jumps to the common exit patched at the end. */
class Prog {
  readonly insns: Insn[] = [];
  private readonly toOut: number[] = [];
  push(...xs: Insn[]): this { this.insns.push(...xs); return this; }
  /** if rX == 0 goto out */
  ifNullOut(r: number): this { this.toOut.push(this.insns.length); this.insns.push(I(0x15, r, 0, 0, 0)); return this; }
  finish(out: Insn[]): Insn[] {
    const at = this.insns.length;
    for (const j of this.toOut) this.insns[j] = I(0x15, this.insns[j].dst, 0, at - j - 1, 0);
    return [...this.insns, ...out];
  }
}

type Obj = 'task' | 'cgroup';
const ACQUIRE: Record<string, { obj: Obj; arg: 'scalar' | 'obj' }> = {
  bpf_task_from_pid: { obj: 'task', arg: 'scalar' }, bpf_task_from_vpid: { obj: 'task', arg: 'scalar' },
  bpf_cgroup_from_id: { obj: 'cgroup', arg: 'scalar' }, bpf_task_acquire: { obj: 'task', arg: 'obj' },
  bpf_cgroup_acquire: { obj: 'cgroup', arg: 'obj' },
};
const RELEASE: Record<Obj, string> = { task: 'bpf_task_release', cgroup: 'bpf_cgroup_release' };
/** What a register may hold where a kernel struct pointer is expected, besides the right one. */
const BAD_ARGS: Record<string, Insn[]> = {
  scalar: [mov(1, 7)], null: [mov(1, 0)], ctx: [movr(1, 9)], stack: [movr(1, 10), I(0x07, 1, 0, 0, -8)], unset: [],
};

function cases(seed: string, n: number): GenCase[] {
  const r = seedrandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const chance = (p: number): boolean => r() < p;
  const out: GenCase[] = [];
  for (let i = 0; i < n; i++) {
    const progType = chance(0.8) ? pick([BpfProgType.XDP, BpfProgType.SCHED_CLS, BpfProgType.CGROUP_SKB, BpfProgType.TRACEPOINT])
      : pick([BpfProgType.SOCKET_FILTER, BpfProgType.KPROBE, BpfProgType.RAW_TRACEPOINT]);
    const p = new Prog().push(movr(9, 1), I(0x7a, 10, 0, -8, 0));
    const kind = pick(['acq_rel', 'acq_rel', 'acq_rel', 'bad_release', 'reacquire', 'ancestor', 'under_cgroup', 'rcu', 'rcu_nest']);
    const notes: string[] = [kind];
    const release = (reg: number, obj: Obj): void => {
      const wrong = chance(0.1);
      notes.push(wrong ? 'wrong-release' : 'release');
      p.push(movr(1, reg), ...(chance(0.05) ? [I(0x07, 1, 0, 0, 8)] : []), call(wrong ? RELEASE[obj === 'task' ? 'cgroup' : 'task'] : RELEASE[obj]));
    };
    /** acquire into r6 (or r7): returns whether it was NULL-checked */
    const acquire = (name: string, into: number): void => {
      p.push(mov(1, pick([1, 0, 12345])), call(name));
      if (chance(0.85)) p.ifNullOut(0); else notes.push('unchecked');
      p.push(movr(into, 0));
    };
    if (kind === 'acq_rel') {
      const name = pick(['bpf_task_from_pid', 'bpf_task_from_vpid', 'bpf_cgroup_from_id']);
      acquire(name, 6);
      if (chance(0.85)) release(6, ACQUIRE[name].obj); else notes.push('leak');
      if (chance(0.1)) { notes.push('twice'); release(6, ACQUIRE[name].obj); }
    } else if (kind === 'bad_release') {
      const how = pick(Object.keys(BAD_ARGS));
      notes.push(how);
      p.push(...BAD_ARGS[how], call(pick(Object.values(RELEASE))));
    } else if (kind === 'reacquire') {
      const obj: Obj = pick(['task', 'cgroup']);
      const from = obj === 'task' ? 'bpf_task_from_pid' : 'bpf_cgroup_from_id';
      const again = obj === 'task' ? 'bpf_task_acquire' : 'bpf_cgroup_acquire';
      if (chance(0.7)) {
        acquire(from, 6);
        p.push(movr(1, 6), call(again));
        if (chance(0.8)) p.ifNullOut(0); else notes.push('unchecked2');
        p.push(movr(7, 0));
        release(7, obj);
        release(6, obj);
      } else {
        const how = pick(Object.keys(BAD_ARGS));
        notes.push(how);
        p.push(...BAD_ARGS[how], call(again));
      }
    } else if (kind === 'ancestor') {
      acquire('bpf_cgroup_from_id', 6);
      p.push(movr(1, 6), ...(chance(0.85) ? [mov(2, pick([0, 1, 3]))] : [movr(2, 10)]), call('bpf_cgroup_ancestor'));
      if (chance(0.8)) {
        p.push(movr(7, 0));
        p.ifNullOut(0);
        release(7, 'cgroup');
      } else notes.push('ancestor-leak');
      release(6, 'cgroup');
    } else if (kind === 'under_cgroup') {
      acquire('bpf_task_from_pid', 6);
      acquire('bpf_cgroup_from_id', 7);
      p.push(movr(1, chance(0.9) ? 6 : 7), movr(2, chance(0.9) ? 7 : 6), call('bpf_task_under_cgroup'), movr(8, 0));
      release(7, 'cgroup');
      release(6, 'task');
    } else if (kind === 'rcu_nest') {
      // nested, balanced or unbalanced RCU sections
      const locks = 1 + Math.floor(r() * 2);
      const unlocks = Math.floor(r() * 4);
      notes.push(`lock*${locks} unlock*${unlocks}`);
      for (let k = 0; k < locks; k++) p.push(call('bpf_rcu_read_lock'));
      for (let k = 0; k < unlocks; k++) p.push(call('bpf_rcu_read_unlock'));
    } else {
      // an RCU section around a task lookup (a NULL result leaves through the exit, still inside it)
      p.push(call('bpf_rcu_read_lock'));
      acquire('bpf_task_from_pid', 6);
      release(6, 'task');
      p.push(call('bpf_rcu_read_unlock'));
    }
    const insns = p.finish([mov(0, 0), I(0x95)]);
    out.push({ id: `${seed}/${i} ${BpfProgTypeName[progType]} ${notes.join(' ')}`, kind: `kfunc_${kind}`, progType, insns, maps: [] });
  }
  return out;
}

d('kfunc calls vs the kernel', () => {
  const n = Number(process.env.BPFSIM_KFUNC_N ?? 300);
  const results: Comparison[] = avail.ok ? cases(process.env.BPFSIM_KFUNC_SEED ?? 'kfuncs', n).map((c) => compareCase(c)) : [];

  test('the cases cover acceptance and the kernel\'s kfunc errors', () => {
    const accepted = results.filter((x) => x.kernel.accepted).length;
    const lines = new Set(results.filter((x) => !x.kernel.accepted).map((x) => x.kernel.error));
    console.log(`kfuncs: ${results.length} programs, ${accepted} accepted, ${lines.size} distinct final lines:\n${[...lines].sort().join('\n')}`);
    expect(accepted).toBeGreaterThan(30);
    expect(lines.size).toBeGreaterThan(6);
  });

  test('verdict, errno and final error line agree', () => {
    const wrong = results.filter((x) => !(x.verdict && x.errno && x.line))
      .map((x) => `${x.c.id}: kernel ${x.kernel.errno ?? 'OK'} ${x.kernel.error ?? ''} / bpfsim ${x.sim.errno ?? 'OK'} ${x.sim.error ?? ''}`);
    expect(wrong).toEqual([]);
  });

  test('the level-1 log is the kernel\'s', () => {
    const differ = results.filter((x) => x.kernel.log !== x.sim.log).map((x) => `${x.c.id}\n--- kernel\n${x.kernel.log}--- bpfsim\n${x.sim.log}`);
    if (process.env.BPFSIM_KFUNC_DUMP) require('fs').writeFileSync(process.env.BPFSIM_KFUNC_DUMP, differ.join('\n=====\n'));
    expect(differ.slice(0, 3)).toEqual([]);
  });
});
