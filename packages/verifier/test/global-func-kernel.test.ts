/**
 * Global (BTF_FUNC_GLOBAL) and static sub-programs with real prototypes in the program's BTF, against
 * the kernel: seeded programs whose function returns int, void or a pointer, takes ints, the context,
 * pointers to ints / structs / void / a foreign struct, is called with scalars, NULL, the context
 * (moved or not), stack and map value pointers of several sizes or nothing, and whose body returns its
 * argument, a constant, nothing or the frame pointer, reads or writes through it (NULL-checked or not,
 * in or out of bounds), or calls a second global function. Loaded into the kernel with their BTF and
 * func_info by gen/btf-func-load.c (recorded on the tape); verdict, errno, final line and the
 * level-1 log must be the kernel's.
 */
import seedrandom from 'seedrandom';
import { Insn } from '@bpfsim/isa';
import { BpfMapType, BpfProgType, BpfProgTypeName } from '@bpfsim/uapi';
import { verify, type KernelBtf } from '@bpfsim/verifier';
import { btfFuncLoad, btfFuncLoaderAvailable, K, type TestBtfType } from './gen/btf-func-oracle';
import type { GenMap } from './gen/verifier-gen';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const oracle = require('../../../tools/oracle');

const avail = btfFuncLoaderAvailable();
const d = avail.ok ? describe : describe.skip;
if (!avail.ok) console.log(`global function kernel tests skipped: ${avail.reason}`);

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => new Insn(code, dst, src, off, imm | 0);
const mov = (dst: number, imm: number): Insn => I(0xb7, dst, 0, 0, imm);
const movr = (dst: number, src: number): Insn => I(0xbf, dst, src);
const add = (dst: number, imm: number): Insn => I(0x07, dst, 0, 0, imm);
const exit = (): Insn => I(0x95);

/** Where each type sits in the BTF (ids from 1). */
const T = { int: 1, ctx: 2, ctxPtr: 3, mainProto: 4, main: 5, foo: 6, fooPtr: 7, intPtr: 8, voidPtr: 9, other: 10, otherPtr: 11, constInt: 12, constIntPtr: 13, g2Proto: 14, g2: 15, gProto: 16, g: 17 };
const PARAMS: Record<string, number> = { int: T.int, ctx: T.ctxPtr, int_ptr: T.intPtr, foo_ptr: T.fooPtr, void_ptr: T.voidPtr, other_ptr: T.otherPtr, const_int_ptr: T.constIntPtr };
const RETS: Record<string, number> = { int: T.int, void: 0, ptr: T.intPtr };

function btfTypes(ctxName: string, ret: number, params: readonly number[], linkage: number): TestBtfType[] {
  return [
    { kind: K.INT, name: 'int', size: 4, encoding: 1 },
    { kind: K.STRUCT, name: ctxName, size: 0, members: [] },
    { kind: K.PTR, name: '', type: T.ctx },
    { kind: K.FUNC_PROTO, name: '', returnType: T.int, params: [{ name: 'ctx', type: T.ctxPtr }] },
    { kind: K.FUNC, name: 'prog', type: T.mainProto, linkage: 1 },
    { kind: K.STRUCT, name: 'foo', size: 8, members: [{ name: 'a', type: T.int, bitOffset: 0, bitfieldSize: 0 }, { name: 'b', type: T.int, bitOffset: 32, bitfieldSize: 0 }] },
    { kind: K.PTR, name: '', type: T.foo },
    { kind: K.PTR, name: '', type: T.int },
    { kind: K.PTR, name: '', type: 0 },
    { kind: K.STRUCT, name: 'other_ctx', size: 0, members: [] },
    { kind: K.PTR, name: '', type: T.other },
    { kind: K.CONST, name: '', type: T.int },
    { kind: K.PTR, name: '', type: T.constInt },
    { kind: K.FUNC_PROTO, name: '', returnType: T.int, params: [{ name: 'x', type: T.int }] },
    { kind: K.FUNC, name: 'inner', type: T.g2Proto, linkage: 1 },
    { kind: K.FUNC_PROTO, name: '', returnType: ret, params: params.map((type, i) => ({ name: `a${i}`, type })) },
    { kind: K.FUNC, name: 'func', type: T.gProto, linkage },
  ];
}

const MAP4: GenMap = { type: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0, name: 'small' };
const MAP16: GenMap = { type: BpfMapType.HASH, keySize: 8, valueSize: 16, maxEntries: 2, flags: 0, name: 'big' };

/** How the caller sets an argument register. */
const ARG_SETUPS: Record<string, (r: number) => Insn[]> = {
  scalar: (r) => [mov(r, 5)],
  null: (r) => [mov(r, 0)],
  ctx: (r) => [movr(r, 6)],
  ctx_off: (r) => [movr(r, 6), add(r, 4)],
  stack8: (r) => [movr(r, 10), add(r, -8)],
  stack4: (r) => [movr(r, 10), add(r, -4)],
  stack_uninit: (r) => [movr(r, 10), add(r, -32)],
  map_value: (r) => [movr(r, 7)],
  map_value_off: (r) => [movr(r, 7), add(r, 2)],
  none: () => [],
};

/** The function's body (R1 is its first argument). `inner` calls the second global function. */
const BODIES: Record<string, Insn[]> = {
  ret_arg: [movr(0, 1), exit()],
  ret_const: [mov(0, 1), exit()],
  unset: [exit()],
  ret_fp: [movr(0, 10), exit()],
  deref: [I(0x61, 0, 1, 0, 0), exit()],
  deref_checked: [I(0x15, 1, 0, 2, 0), I(0x61, 0, 1, 0, 0), exit(), mov(0, 0), exit()],
  deref_far: [I(0x15, 1, 0, 2, 0), I(0x61, 0, 1, 4, 0), exit(), mov(0, 0), exit()],
  write_checked: [I(0x15, 1, 0, 2, 0), I(0x62, 1, 0, 0, 7), mov(0, 0), exit(), mov(0, 0), exit()],
  stack_work: [I(0x7a, 10, 0, -16, 3), I(0x79, 0, 10, -16, 0), exit()],
  inner: [mov(1, 3), I(0x85, 0, 1, 0, 1), exit(), movr(0, 1), exit()],
  inner_ptr: [movr(1, 10), I(0x85, 0, 1, 0, 1), exit(), movr(0, 1), exit()],
};

/** What main does with R0 after the call. */
const USES: Record<string, Insn[]> = {
  ret: [exit()],
  zero: [mov(0, 0), exit()],
  deref: [I(0x79, 0, 0, 0, 0), mov(0, 0), exit()],
  r1: [movr(0, 1), exit()],
};

interface Case { id: string; progType: number; insns: Insn[]; types: TestBtfType[]; funcInfo: { insnOff: number; typeId: number }[]; maps: GenMap[] }

const CTX_NAMES: Record<number, string[]> = {
  [BpfProgType.XDP]: ['xdp_md', 'xdp_md', 'xdp_buff', 'other'],
  [BpfProgType.SOCKET_FILTER]: ['__sk_buff', '__sk_buff', 'sk_buff', 'xdp_md'],
  [BpfProgType.KPROBE]: ['pt_regs', 'pt_regs', '__sk_buff'],
};

function cases(seed: string, n: number): Case[] {
  const r = seedrandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const out: Case[] = [];
  for (let i = 0; i < n; i++) {
    const progType = pick([BpfProgType.XDP, BpfProgType.SOCKET_FILTER, BpfProgType.KPROBE]);
    const ctxName = pick(CTX_NAMES[progType]);
    const linkage = r() < 0.75 ? 1 : 0;
    // mostly the common prototypes, sometimes a return type or argument count the kernel refuses
    const ret = r() < 0.85 ? 'int' : pick(Object.keys(RETS));
    const nargs = r() < 0.05 ? 6 : Math.floor(r() * 3) + (r() < 0.2 ? 0 : 1);
    const params = Array.from({ length: nargs }, () => pick(Object.keys(PARAMS)));
    const map = pick([MAP4, MAP16]);
    const prelude = [
      movr(6, 1), I(0x7a, 10, 0, -8, 0), I(0x18, 1, 1, 0, 0), I(0), movr(2, 10), add(2, -8), I(0x85, 0, 0, 0, 1),
      movr(7, 0), I(0x55, 0, 0, 2, 0), mov(0, 0), exit(),
    ];
    const setups = params.slice(0, 5).map(() => pick(Object.keys(ARG_SETUPS)));
    // a matching argument more often than not
    params.slice(0, 5).forEach((p, k) => {
      if (r() < 0.5) setups[k] = p === 'int' ? 'scalar' : p === 'ctx' ? 'ctx' : p === 'foo_ptr' ? pick(['stack8', 'null', 'map_value']) : pick(['stack8', 'stack4', 'null', 'map_value']);
    });
    // the context given for a memory argument: socket filters and kprobes (also tracepoint and raw_tp)
    // get context access checks byte by byte (`invalid bpf_context access off=3 size=1`), xdp and
    // perf_event `R1 type=ctx expected=fp`; bpfsim models only the latter (docs/differences.md)
    const CTX_OK: Record<number, string[]> = { [BpfProgType.SOCKET_FILTER]: ['__sk_buff', 'sk_buff'], [BpfProgType.KPROBE]: ['pt_regs'] };
    params.slice(0, 5).forEach((p, k) => {
      const ok = CTX_OK[progType];
      if (ok && setups[k] === 'ctx' && !(p === 'ctx' && ok.includes(ctxName))) setups[k] = 'ctx_off';
    });
    const args = setups.flatMap((s, k) => ARG_SETUPS[s](k + 1));
    const body = pick(Object.keys(BODIES));
    const use = pick(Object.keys(USES));
    const tail = USES[use];
    const callAt = prelude.length + args.length;
    const gStart = callAt + 1 + tail.length;
    const insns = [...prelude, ...args, I(0x85, 0, 1, 0, tail.length), ...tail, ...BODIES[body]];
    const funcInfo = [{ insnOff: 0, typeId: T.main }, { insnOff: gStart, typeId: T.g }];
    if (body === 'inner' || body === 'inner_ptr') funcInfo.push({ insnOff: gStart + 3, typeId: T.g2 });
    out.push({
      id: `${seed}/${i} ${BpfProgTypeName[progType]} ctx=${ctxName} ${linkage ? 'global' : 'static'} ${ret} func(${params.join(', ')}) args=${setups.join(',')} body=${body} use=${use}`,
      progType, insns, types: btfTypes(ctxName, RETS[ret], params.map((p) => PARAMS[p]), linkage), funcInfo, maps: [map],
    });
  }
  return out;
}

interface Outcome { accepted: boolean; errno: string | null; error: string | null; log: string }

function compare(c: Case): { c: Case; kernel: Outcome; sim: Outcome } {
  const k = btfFuncLoad(c.progType, c.insns, c.types, c.funcInfo, c.maps);
  const kernel: Outcome = { accepted: k.errno === 0, errno: k.errno ? oracle.errnoName(k.errno) : null, error: k.errno ? k.lastErrorLine : null, log: k.log };
  const progBtf: KernelBtf = { types: [{ kind: 0, name: '' }, ...c.types] };
  const s = verify(c.insns, {
    progType: c.progType, logLevel: 1, progBtf, funcInfo: c.funcInfo,
    maps: c.maps.map((m, i) => ({ fd: i, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.name })),
  });
  return { c, kernel, sim: { accepted: s.accepted, errno: s.errno, error: s.error, log: s.log } };
}

const statsOf = (log: string): string => log.split('\n').find((l) => l.startsWith('processed ')) ?? '';
const mapless = (log: string): string => log.replace(/^(\d+: \(18\) r\d = )(0x[0-9a-f]+|map\[id:\d+\])\s*/gm, '$1MAP ').replace(/=P(-?\d)/g, '=$1');

d('global and static sub-programs with BTF prototypes vs the kernel', () => {
  const n = Number(process.env.BPFSIM_GLOBAL_FUNC_N ?? 300);
  const results = avail.ok ? cases(process.env.BPFSIM_GLOBAL_FUNC_SEED ?? 'global-func', n).map(compare) : [];

  test('a bpf_loop callback must be static (`callback function not static`)', () => {
    // r1 = 3; r2 = callback; r3 = 0; r4 = 0; call bpf_loop; r0 = 0; exit; callback: r0 = 0; exit
    const insns = [mov(1, 3), I(0x18, 2, 4, 0, 6), I(0), mov(3, 0), mov(4, 0), I(0x85, 0, 0, 0, 181), mov(0, 0), exit(), mov(0, 0), exit()];
    for (const linkage of [0, 1]) {
      const types = btfTypes('xdp_md', T.int, [T.int, T.voidPtr], linkage);
      const c: Case = { id: `bpf_loop callback linkage=${linkage}`, progType: BpfProgType.XDP, insns, types, funcInfo: [{ insnOff: 0, typeId: T.main }, { insnOff: 8, typeId: T.g }], maps: [] };
      const x = compare(c);
      expect({ accepted: x.sim.accepted, errno: x.sim.errno, error: x.sim.error }).toEqual({ accepted: x.kernel.accepted, errno: x.kernel.errno, error: x.kernel.error });
      expect(x.kernel.accepted).toBe(linkage === 0);
    }
  });

  test('the cases cover acceptance, rejection at the call and rejection inside the function', () => {
    const accepted = results.filter((x) => x.kernel.accepted).length;
    const atCall = results.filter((x) => /Caller passes invalid args/.test(x.kernel.log)).length;
    const inside = results.filter((x) => /Validating /.test(x.kernel.log) && !x.kernel.accepted).length;
    console.log(`global functions: ${results.length} programs, ${accepted} accepted, ${atCall} refused at the call, ${inside} refused inside a global function`);
    expect(accepted).toBeGreaterThan(20);
    expect(atCall).toBeGreaterThan(20);
    expect(inside).toBeGreaterThan(10);
  });

  test('accepted programs: the same log (the "is safe" lines and statistics)', () => {
    const ok = results.filter((x) => x.kernel.accepted && x.sim.accepted);
    const body = (log: string): string => log.split('\n').filter((l) => !l.startsWith('processed ')).join('\n');
    expect(ok.filter((x) => body(x.kernel.log) !== body(x.sim.log)).map((x) => x.c.id)).toEqual([]);
    const stats = ok.filter((x) => x.kernel.log === x.sim.log).length;
    console.log(`accepted programs with identical statistics lines: ${stats} of ${ok.length}`);
    expect(stats).toBe(ok.length);
  });

  test('verdict, errno and final error line agree', () => {
    const wrong = results.filter((x) => x.kernel.accepted !== x.sim.accepted || x.kernel.errno !== x.sim.errno || (x.kernel.error ?? '') !== (x.sim.error ?? ''))
      .map((x) => `${x.c.id}: kernel ${x.kernel.errno ?? 'OK'} ${x.kernel.error ?? ''} / bpfsim ${x.sim.errno ?? 'OK'} ${x.sim.error ?? ''}`);
    expect(wrong).toEqual([]);
  });

  test('the level-1 log of a rejected program is the kernel\'s (map addresses masked)', () => {
    const noStats = (log: string): string => mapless(log).split('\n').filter((l) => !l.startsWith('processed ')).join('\n');
    const rejected = results.filter((x) => !x.kernel.accepted);
    const sameStats = rejected.filter((x) => statsOf(x.kernel.log) === statsOf(x.sim.log)).length;
    console.log(`rejected programs with identical statistics lines: ${sameStats} of ${rejected.length}`);
    expect(sameStats).toBe(rejected.length);
    const differ = rejected.filter((x) => noStats(x.kernel.log) !== noStats(x.sim.log))
      .map((x) => `${x.c.id}\n--- kernel\n${x.kernel.log}--- bpfsim\n${x.sim.log}`);
    if (process.env.BPFSIM_GLOBAL_FUNC_DUMP) require('fs').writeFileSync(process.env.BPFSIM_GLOBAL_FUNC_DUMP, differ.join('\n=====\n'));
    expect(differ.slice(0, 3)).toEqual([]);
  });
});
