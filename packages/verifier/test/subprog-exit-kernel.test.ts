/**
 * Returning from a static bpf-to-bpf subprogram, against the running kernel: seeded generated
 * programs whose subprogram returns nothing (a void function: R0 never set), a scalar, a map lookup's
 * result (checked or not), the context, its own or its caller's stack, and whose caller then ignores,
 * returns, dereferences or NULL-checks what came back. Without BTF func_info every subprogram is
 * static: prepare_func_exit hands R0 back as it is (only a stack pointer is refused), the global
 * function's `At subprogram exit ...` check does not apply. Verdict, errno, final line and level-1
 * log must be the kernel's. Skipped, with the reason, where bpf() is not available.
 */
import seedrandom from 'seedrandom';
import { Insn } from '@bpfsim/isa';
import { BpfMapType, BpfProgType } from '@bpfsim/uapi';
import { compareCase, oracleAvailable } from './gen/compare';
import type { GenCase, GenMap } from './gen/verifier-gen';

const avail = oracleAvailable();
const d = avail.ok ? describe : describe.skip;
if (!avail.ok) console.log(`subprogram exit kernel tests skipped: ${avail.reason}`);

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => new Insn(code, dst, src, off, imm | 0);
const mov = (d: number, imm: number) => I(0xb7, d, 0, 0, imm);
const movr = (d: number, s: number) => I(0xbf, d, s);
const add = (d: number, imm: number) => I(0x07, d, 0, 0, imm);
const exit = () => I(0x95);
const ldMap = (d: number): Insn[] => [I(0x18, d, 1, 0, 0), I(0)];
const lookup = (): Insn[] => [I(0x7a, 10, 0, -8, 0), ...ldMap(1), movr(2, 10), add(2, -8), I(0x85, 0, 0, 0, 1)];
const MAP: GenMap = { type: BpfMapType.HASH, keySize: 8, valueSize: 16, maxEntries: 4, flags: 0, name: 'vals' };

/** What the subprogram returns (its body ends with exit). */
const BODIES: Record<string, Insn[]> = {
  void: [exit()],
  scalar: [mov(0, 7), exit()],
  lookup: [...lookup(), exit()],
  lookup_checked: [...lookup(), I(0x55, 0, 0, 1, 0), mov(0, 0), exit()],
  arg: [movr(0, 1), exit()],
  own_stack: [movr(0, 10), add(0, -16), exit()],
  void_work: [mov(2, 5), add(2, 1), exit()],
};
/** What R1 is at the call. */
const ARGS: Record<string, Insn[]> = { ctx: [movr(1, 6)], caller_stack: [movr(1, 10), add(1, -8)], scalar: [mov(1, 3)] };
/** What the caller does with R0 after the call. */
const USES: Record<string, Insn[]> = {
  ignore: [mov(0, 0), exit()],
  return: [exit()],
  deref: [I(0x79, 0, 0, 0, 0), mov(0, 0), exit()],
  checked_deref: [I(0x15, 0, 0, 1, 0), I(0x79, 0, 0, 0, 0), mov(0, 0), exit()],
};

function cases(seed: string, n: number): GenCase[] {
  const r = seedrandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const out: GenCase[] = [];
  for (let i = 0; i < n; i++) {
    const body = pick(Object.keys(BODIES));
    const arg = pick(Object.keys(ARGS));
    const use = pick(Object.keys(USES));
    const type = pick([BpfProgType.SOCKET_FILTER, BpfProgType.XDP, BpfProgType.KPROBE]);
    const tail = USES[use];
    const main = [movr(6, 1), I(0x7a, 10, 0, -8, 0), ...ARGS[arg]];
    // call pc+k: the subprogram starts right after the caller's tail
    const insns = [...main, I(0x85, 0, 1, 0, tail.length), ...tail, ...BODIES[body]];
    out.push({ id: `${seed}/${i} ${body}/${arg}/${use}`, kind: `subprog_${body}`, progType: type, insns, maps: [MAP] });
  }
  return out;
}

d('static subprogram exits vs the kernel', () => {
  const results = avail.ok ? cases('subprog-exit', 120).map((c) => compareCase(c)) : [];

  test('verdict, errno and final error line agree', () => {
    const wrong = results.filter((x) => !(x.verdict && x.errno && x.line))
      .map((x) => `${x.c.id}: kernel ${x.kernel.errno ?? 'OK'} ${x.kernel.error ?? ''} / bpfsim ${x.sim.errno ?? 'OK'} ${x.sim.error ?? ''}`);
    expect(wrong).toEqual([]);
  });

  test('the level-1 log of a rejected program is the kernel\'s', () => {
    // without map addresses, and without scalar precision marks (`R0=P7`: bpfsim's backtracking through
    // a subprogram's return is simpler than the kernel's, as tracing-kernel.test.ts notes)
    const mapless = (log: string): string => log.replace(/^(\d+: \(18\) r\d = )(0x[0-9a-f]+|map\[id:\d+\])\s*/gm, '$1MAP ').replace(/=P(-?\d)/g, '=$1');
    const differ = results.filter((x) => !x.kernel.accepted && mapless(x.kernel.log ?? '') !== mapless(x.sim.log ?? ''))
      .map((x) => `${x.c.id}\n--- kernel\n${x.kernel.log}--- bpfsim\n${x.sim.log}`);
    expect(differ.slice(0, 2)).toEqual([]);
  });

  test('void and pointer-returning static subprograms are accepted where the caller does not misuse R0', () => {
    // the shapes real programs have: a void helper function, a function returning a map value
    for (const body of ['void', 'lookup', 'lookup_checked', 'scalar']) {
      expect(results.some((x) => x.c.kind === `subprog_${body}` && x.c.id.endsWith('/ignore') && x.kernel.accepted && x.sim.accepted)).toBe(true);
    }
    expect(results.some((x) => x.kernel.error === 'cannot return stack pointer to the caller')).toBe(true);
  });
});
