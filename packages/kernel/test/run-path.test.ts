/**
 * The run path's helper table is built once per kernel and kept across runs: each helper call
 * must still see the run it serves (nested runs included), overrides must take effect and
 * be undone between runs, and kernels must not share tables.
 */
import { assemble } from '@bpfsim/isa';
import type { Kernel } from '@bpfsim/kernel';
import { newKernel } from './kit';

const RAW_TP = 17;
const BPF_F_TEST_RUN_ON_CPU = 1;
const CPU_ID = 'call bpf_get_smp_processor_id\nexit';

function load(k: Kernel, text: string): number {
  const r = k.bpf.progLoad({ progType: RAW_TP, insns: assemble(text, { dialect: 'kernel' }), license: 'GPL', name: 'rp' });
  if (r.fd < 0) throw new Error(`load: ${r.error}\n${r.log}`);
  return r.fd;
}
function runOn(k: Kernel, fd: number, cpu: number): bigint {
  const r = k.bpf.progTestRun(fd, { flags: BPF_F_TEST_RUN_ON_CPU, cpu });
  if (typeof r === 'number' || r.ret) throw new Error(`test run: ${typeof r === 'number' ? r : r.ret}`);
  return r.r0;
}

describe('run path: one helper table per kernel', () => {
  test('a helper sees its own run, also after a nested run from inside a helper', () => {
    const k = newKernel({ cpus: 4 });
    const outer = load(k, CPU_ID);
    const inner = load(k, CPU_ID);
    const seen: bigint[] = [];
    let depth = 0;
    k.helpers.set('bpf_get_smp_processor_id', (_env, _call, _args, original) => {
      if (depth === 0) {
        depth++;
        try {
          seen.push(runOn(k, inner, 3));
        } finally {
          depth--;
        }
      }
      return original();
    });
    expect(runOn(k, outer, 1)).toBe(1n);
    expect(seen).toEqual([3n]);
    expect(runOn(k, outer, 2)).toBe(2n);
    expect(seen).toEqual([3n, 3n]);
  });

  test('overrides set, restored and cleared between runs take effect at the next run', () => {
    const k = newKernel({ cpus: 4 });
    const fd = load(k, CPU_ID);
    expect(runOn(k, fd, 2)).toBe(2n);
    const restore = k.helpers.set('bpf_get_smp_processor_id', () => 77n);
    expect(runOn(k, fd, 2)).toBe(77n);
    restore();
    expect(runOn(k, fd, 2)).toBe(2n);
    k.helpers.set('bpf_get_smp_processor_id', (_e, _c, _a, original) => original() + 10n);
    expect(runOn(k, fd, 1)).toBe(11n);
    k.helpers.clear();
    expect(runOn(k, fd, 1)).toBe(1n);
  });

  test('kernels do not share helper tables', () => {
    const a = newKernel({ cpus: 4 });
    const b = newKernel({ cpus: 4 });
    const fa = load(a, CPU_ID);
    const fb = load(b, CPU_ID);
    a.helpers.set('bpf_get_smp_processor_id', () => 5n);
    expect([runOn(a, fa, 0), runOn(b, fb, 0), runOn(a, fa, 3), runOn(b, fb, 3)]).toEqual([5n, 0n, 5n, 3n]);
  });
});
