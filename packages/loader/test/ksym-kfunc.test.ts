/**
 * `extern ... __ksym` functions: a call to one is a kfunc call (libbpf's RELO_EXTERN_CALL), left as
 * BPF_PSEUDO_KFUNC_CALL with imm 0 and recorded in ProgramSpec.kfuncRefs (name, slot, __weak) for
 * the loading kernel to resolve; it is not a bpf-to-bpf call, and sub-programs keep their refs at
 * their final slots. A `__ksym` variable is still refused, with a message saying so. The object is
 * compiled with clang-19 at test time (skipped, with the reason, without it).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadObject, LoaderError } from '@bpfsim/loader';

function compile(src: string): Uint8Array | string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-ksym-'));
  try {
    fs.writeFileSync(path.join(dir, 'p.c'), src);
    execFileSync(process.env.CLANG ?? 'clang-19', ['-O2', '-g', '-target', 'bpf', '-idirafter', '/usr/include/x86_64-linux-gnu', '-c', path.join(dir, 'p.c'), '-o', path.join(dir, 'p.o')], { stdio: 'pipe' });
    return fs.readFileSync(path.join(dir, 'p.o'));
  } catch (e) {
    return `clang-19 unavailable: ${(e as Error).message.split('\n')[0]}`;
  }
}

const HEAD = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct task_struct;
extern struct task_struct *bpf_task_from_pid(int pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern struct task_struct *bpf_task_from_vpid(int pid) __ksym __weak;
`;
const FUNCS = compile(`${HEAD}
__attribute__((noinline)) static int put(struct task_struct *t) { if (t) bpf_task_release(t); return 0; }
SEC("tc") int prog(struct __sk_buff *skb) { put(bpf_task_from_vpid(2)); return put(bpf_task_from_pid(1)); }
char LICENSE[] SEC("license") = "GPL";
`);
const VAR = compile(`#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
extern const int bpf_prog_active __ksym;
SEC("tc") int prog(struct __sk_buff *skb) { return *(int *)&bpf_prog_active; }
char LICENSE[] SEC("license") = "GPL";
`);
const d = typeof FUNCS === 'string' ? describe.skip : describe;
if (typeof FUNCS === 'string') console.log(`ksym loader tests skipped: ${FUNCS}`);

d('__ksym externs in the loader', () => {
  test('calls to extern functions become kfunc slots with their names, at their final slots', () => {
    const obj = loadObject(FUNCS as Uint8Array, { file: 'p.o' });
    const p = obj.programs.find((x) => x.name === 'prog')!;
    const refs = p.kfuncRefs ?? [];
    expect(refs.map((r) => [r.name, r.weak]).sort()).toEqual([['bpf_task_from_pid', false], ['bpf_task_from_vpid', true], ['bpf_task_release', false]]);
    for (const r of refs) {
      const insn = p.insns[r.insn];
      expect([insn.code, insn.src, insn.imm, insn.off]).toEqual([0x85, 2, 0, 0]);
    }
    // bpf_task_release is called from the sub-program, appended after the entry function
    const sub = p.functions.find((f) => f.name === 'put')!;
    const rel = refs.find((r) => r.name === 'bpf_task_release')!;
    expect(rel.insn).toBeGreaterThanOrEqual(sub.start);
    expect(rel.insn).toBeLessThan(sub.start + sub.length);
    // the bpf-to-bpf calls to put are still calls with src 1, never kfunc refs
    expect(p.insns.filter((x) => x.code === 0x85 && x.src === 1).length).toBe(2);
  });

  test('a __ksym variable is refused with the reason', () => {
    expect(typeof VAR).not.toBe('string');
    let err: unknown;
    try { loadObject(VAR as Uint8Array, { file: 'v.o' }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(LoaderError);
    expect((err as Error).message).toMatch(/extern 'bpf_prog_active' is not a \.kconfig extern.*__ksym variables are not supported/);
  });
});
