/**
 * Every program type bpfsim describes, against the running kernel: for each type and the
 * expected_attach_types that change its rules, the same generated programs go to bpf(BPF_PROG_LOAD)
 * (tools/oracle) and to verify(), and must get the same answer:
 *   - load-time attach checks: every attach type 0..57 with a trivial program (EINVAL before verification);
 *   - helper permission: a call of every helper id, refused with "cannot use helper" / "invalid func" or not;
 *   - context access: loads (LDX) and stores (STX, ST) of 1/2/4/8 bytes at every offset around the context;
 *   - loads through socket pointers (bpf_sock, sock_common, bpf_tcp_sock) at every offset;
 *   - pointers the context yields (packet, socket, NULL-able socket): dereferenced, checked, stored through;
 *   - BPF_LD_ABS, and helper arguments (seeded kinds of R1..R5 for every helper a type may call);
 *   - the return range: R0 values around the bounds, an unknown u32 and a pointer;
 *   - clang-built programs (corpus/cgroup_sock.bpf.o, and prog-types-kernel.bpf.c compiled here with
 *     clang-19 when it is installed), with the attach types their SEC() names give.
 * Verdict, errno and the final error line must agree. By default the context offsets are a seeded sample
 * (the whole run stays near 30 s on two cores); BPFSIM_PROG_TYPES_FULL=1 checks every offset and prints
 * the agreement figures. Skipped, with the reason, where bpf() is not available.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import seedrandom from 'seedrandom';
import { loadObject } from '@bpfsim/loader';
import { encodeProgram, Insn } from '@bpfsim/isa';
import { verify } from '@bpfsim/verifier';
import {
  BPF_FUNC_MAX_ID, BPF_SOCK_SIZE, BPF_TCP_SOCK_SIZE, BpfAttachType as A, BpfProgType as P, BpfProgTypeName, HELPER_PROTOS, PROG_TYPES,
  type ProgTypeInfo,
} from '@bpfsim/uapi';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const oracle = require('../../../tools/oracle');

const avail: { ok: boolean; reason?: string } = oracle.available();
const d = avail.ok ? describe : describe.skip;
if (!avail.ok) console.log(`program type differential tests skipped: ${avail.reason}`);

const FULL = process.env.BPFSIM_PROG_TYPES_FULL === '1';
/** Share of context offsets checked in the default run (all with BPFSIM_PROG_TYPES_FULL=1). */
const SAMPLE = FULL ? 1 : 0.5;

/**
 * The expected_attach_types each type is checked with, where the kernel does not restrict them at load
 * (bpf_prog_load_check_attach): the one libbpf gives its SEC() names, 0, and ones its rules depend on.
 * Types that restrict them are checked with every attach type they accept.
 */
const ATTACH: Readonly<Record<number, readonly number[]>> = {
  [P.SOCKET_FILTER]: [0],
  [P.KPROBE]: [0, A.TRACE_KPROBE_MULTI, A.TRACE_KPROBE_SESSION, A.TRACE_UPROBE_SESSION],
  [P.SCHED_CLS]: [0, A.TCX_INGRESS, A.TCX_EGRESS],
  [P.SCHED_ACT]: [0],
  [P.TRACEPOINT]: [0],
  [P.XDP]: [0, A.XDP_DEVMAP, A.XDP_CPUMAP],
  [P.PERF_EVENT]: [0],
  [P.RAW_TRACEPOINT]: [0],
  // bpf_get_retval/set_retval depend on the attach type even where the type does not check it
  [P.SOCK_OPS]: [A.CGROUP_SOCK_OPS, 0, A.CGROUP_DEVICE],
  [P.SK_SKB]: [0, A.SK_SKB_STREAM_PARSER, A.SK_SKB_STREAM_VERDICT, A.SK_SKB_VERDICT],
  [P.SK_MSG]: [A.SK_MSG_VERDICT, 0],
  [P.CGROUP_DEVICE]: [A.CGROUP_DEVICE, 0],
  [P.CGROUP_SYSCTL]: [A.CGROUP_SYSCTL, 0, A.CGROUP_UDP4_RECVMSG],
};
/** Types whose programs the kernel loads only with an attach target in BTF (other differential tests cover them). */
const NEEDS_BTF_TARGET = new Set<number>([P.TRACING]);

const checked = PROG_TYPES.filter((p) => !NEEDS_BTF_TARGET.has(p.type));
function attachTypes(p: ProgTypeInfo): readonly number[] {
  if (p.attachTypes) return p.defaultAttachType !== undefined ? [0, ...p.attachTypes] : p.attachTypes;
  const a = ATTACH[p.type];
  if (!a) throw new Error(`${p.name}: add its relevant expected_attach_types to ATTACH`);
  return a;
}
const combos = checked.flatMap((p) => attachTypes(p).map((attach) => ({ p, attach })));
const label = (p: ProgTypeInfo, attach: number): string => `${p.name}/${attach}`;

// ---- instructions ---------------------------------------------------------------------------------
const SZ: Record<number, number> = { 1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18 };
const movImm = (dst: number, imm: number): Insn => new Insn(0xb7, dst, 0, 0, imm);
const movReg = (dst: number, src: number): Insn => new Insn(0xbf, dst, src, 0, 0);
const ldx = (size: number, dst: number, src: number, off: number): Insn => new Insn(0x61 | SZ[size], dst, src, off, 0);
const stx = (size: number, dst: number, src: number, off: number): Insn => new Insn(0x63 | SZ[size], dst, src, off, 0);
const st = (size: number, dst: number, off: number, imm: number): Insn => new Insn(0x62 | SZ[size], dst, 0, off, imm);
const call = (id: number): Insn => new Insn(0x85, 0, 0, 0, id);
const jneImm = (dst: number, imm: number, off: number): Insn => new Insn(0x55, dst, 0, off, imm);
const jgtReg = (dst: number, src: number, off: number): Insn => new Insn(0x2d, dst, src, off, 0);
const addImm = (dst: number, imm: number): Insn => new Insn(0x07, dst, 0, 0, imm);
const ldAbs = (size: number, imm: number): Insn => new Insn(0x20 | SZ[size], 0, 0, 0, imm);
const exit = (): Insn => new Insn(0x95, 0, 0, 0, 0);

/** A return value every checked type accepts for its attach type (recvmsg hooks must return 1). */
const OK_RET = 1;

type Mode = 'ldx' | 'stx' | 'st';
/** One access through R1 (the context) or R6 (after `prefix`), then `return 1`. */
function access(mode: Mode, base: number, off: number, size: number, prefix: Insn[] = []): Insn[] {
  const acc = mode === 'ldx' ? [ldx(size, 0, base, off)] : mode === 'stx' ? [movImm(2, 0), stx(size, base, 2, off)] : [st(size, base, off, 0)];
  return [...prefix, ...acc, movImm(0, OK_RET), exit()];
}

// ---- the two verifiers ----------------------------------------------------------------------------
interface Outcome { accepted: boolean; errno: string | null; line: string }
interface Case { what: string; type: number; attach: number; insns: Insn[] }
interface Result { c: Case; kernel: Outcome; sim: Outcome }

function kernelOutcome(type: number, attach: number, insns: Insn[]): Outcome {
  const k = oracle.loadVerdict({ type, insns: encodeProgram(insns), expectedAttachType: attach, logLevel: 1 });
  return { accepted: k.accepted, errno: k.accepted ? null : k.errnoName, line: k.accepted ? '' : k.lastErrorLine };
}
function simOutcome(type: number, attach: number, insns: Insn[]): Outcome {
  const s = verify(insns, { progType: type, expectedAttachType: attach, logLevel: 1 });
  return { accepted: s.accepted, errno: s.errno, line: s.error ?? '' };
}
const run = (c: Case): Result => ({ c, kernel: kernelOutcome(c.type, c.attach, c.insns), sim: simOutcome(c.type, c.attach, c.insns) });
const same = (r: Result): boolean => r.kernel.accepted === r.sim.accepted && r.kernel.errno === r.sim.errno && r.kernel.line === r.sim.line;
const show = (o: Outcome): string => (o.accepted ? 'accepted' : `${o.errno} ${o.line}`);

/** Fails with the first disagreements; with BPFSIM_PROG_TYPES_FULL=1 also prints the figures. */
function expectAgreement(name: string, rs: Result[]): void {
  const bad = rs.filter((r) => !same(r));
  if (FULL) {
    const pct = (f: (r: Result) => boolean): string => `${((100 * rs.filter(f).length) / rs.length).toFixed(2)}%`;
    console.log(`${name}: ${rs.length} programs; verdict ${pct((r) => r.kernel.accepted === r.sim.accepted)}, ` +
      `errno ${pct((r) => r.kernel.errno === r.sim.errno)}, error line ${pct((r) => r.kernel.line === r.sim.line)}, ` +
      `all three ${pct(same)}; kernel accepted ${rs.filter((r) => r.kernel.accepted).length}`);
  }
  if (bad.length) {
    throw new Error(`${name}: ${bad.length} of ${rs.length} programs disagree:\n` +
      bad.slice(0, 25).map((r) => `  ${r.c.what}: kernel ${show(r.kernel)} / bpfsim ${show(r.sim)}`).join('\n'));
  }
}

/** prog-types-kernel.bpf.c compiled into a temporary object (the corpus flags), or why it could not be. */
function buildFixture(): { file?: string; reason?: string } {
  const src = path.join(__dirname, 'prog-types-kernel.bpf.c');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-prog-types-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'prog-types-kernel.bpf.o');
  const r = spawnSync(process.env.CLANG || 'clang-19', ['-O2', '-g', '-target', 'bpf', '-D__TARGET_ARCH_x86', '-Wall', '-Werror',
    '-idirafter', '/usr/include/x86_64-linux-gnu', '-c', src, '-o', out], { encoding: 'utf8' });
  if (r.error) return { reason: `cannot run clang-19: ${r.error.message}` };
  if (r.status !== 0) throw new Error(`clang-19 failed on ${src}:\n${r.stderr}`);
  return { file: out };
}

/** Offsets -8, -4, -1, then 0 .. size+8 (a seeded share of them; tracepoint contexts only near both ends). */
function offsets(p: { name: string; size: number }, seed: string): number[] {
  const r = seedrandom(seed);
  const out = [-8, -4, -1];
  for (let o = 0; o < p.size + 8; o++) {
    if (p.size > 1024 && o >= 64 && o < p.size - 16) continue;
    if (r() < SAMPLE) out.push(o);
  }
  return out;
}

d(`program types vs the kernel (${avail.ok ? `bpf() available${FULL ? ', every offset' : ', sampled offsets'}` : `skipped: ${avail.reason}`})`, () => {
  test('every described type is checked with its attach types', () => {
    const unchecked = PROG_TYPES.filter((p) => !checked.includes(p)).map((p) => p.name);
    expect(unchecked.every((n) => PROG_TYPES.find((p) => p.name === n && NEEDS_BTF_TARGET.has(p.type)))).toBe(true);
    expect(checked.length).toBeGreaterThanOrEqual(16);
    for (const p of checked) expect(attachTypes(p).length).toBeGreaterThan(0);
  });

  test('expected_attach_type checks at load agree for every attach type', () => {
    const rs: Result[] = [];
    for (const p of checked) {
      for (let attach = 0; attach <= A.TRACE_UPROBE_SESSION; attach++) {
        rs.push(run({ what: `${label(p, attach)} trivial`, type: p.type, attach, insns: [movImm(0, OK_RET), exit()] }));
      }
    }
    expect(rs.some((r) => !r.kernel.accepted)).toBe(true);
    expectAgreement('attach types', rs);
  });

  test('the helper table of every type and attach type equals the kernel\'s', () => {
    const denied = (o: Outcome): boolean => /program of this type cannot use helper|invalid func|unknown func/.test(o.line);
    const wrong: string[] = [];
    let n = 0;
    for (const { p, attach } of combos) {
      for (let id = 0; id <= BPF_FUNC_MAX_ID; id++) {
        const insns = [movImm(2, 0), movImm(3, 0), movImm(4, 0), movImm(5, 0), call(id), movImm(0, OK_RET), exit()];
        const k = denied(kernelOutcome(p.type, attach, insns));
        const s = denied(simOutcome(p.type, attach, insns));
        n++;
        if (k !== s) wrong.push(`${label(p, attach)} helper #${id}: kernel ${k ? 'refuses' : 'allows'}, bpfsim ${s ? 'refuses' : 'allows'}`);
      }
    }
    if (FULL) console.log(`helper permission: ${n} (type, attach, helper) triples, ${n - wrong.length} agree`);
    if (wrong.length) throw new Error(`${wrong.length} helper permissions disagree:\n${wrong.slice(0, 30).join('\n')}`);
  });

  test('context loads and stores agree at every (sampled) offset, size and kind', () => {
    const rs: Result[] = [];
    for (const { p, attach } of combos) {
      for (const off of offsets({ name: p.name, size: p.ctxSize }, `ctx/${label(p, attach)}`)) {
        for (const size of [1, 2, 4, 8]) {
          for (const mode of ['ldx', 'stx', 'st'] as const) {
            rs.push(run({ what: `${label(p, attach)} ${mode} ctx+${off} size ${size}`, type: p.type, attach, insns: access(mode, 1, off, size) }));
          }
        }
      }
    }
    expect(rs.filter((r) => r.kernel.accepted).length).toBeGreaterThan(500);
    expectAgreement('context access', rs);
  });

  test('loads through sock_common, sock and tcp_sock pointers agree', () => {
    // sched_cls: r6 = skb->sk (sock_common_or_null); NULL check; then bpf_sk_fullsock / bpf_tcp_sock and another check
    const nullExit = (reg: number): Insn[] => [jneImm(reg, 0, 2), movImm(0, 0), exit()];
    const prefixes: Record<string, Insn[]> = {
      sock_common: [ldx(8, 6, 1, 168), ...nullExit(6)],
      sock: [ldx(8, 6, 1, 168), ...nullExit(6), movReg(1, 6), call(95), ...nullExit(0), movReg(6, 0)],
      tcp_sock: [ldx(8, 6, 1, 168), ...nullExit(6), movReg(1, 6), call(96), ...nullExit(0), movReg(6, 0)],
    };
    const sizes: Record<string, number> = { sock_common: BPF_SOCK_SIZE, sock: BPF_SOCK_SIZE, tcp_sock: BPF_TCP_SOCK_SIZE };
    const rs: Result[] = [];
    for (const [kind, prefix] of Object.entries(prefixes)) {
      for (const off of offsets({ name: kind, size: sizes[kind] }, `sock/${kind}`)) {
        for (const size of [1, 2, 4, 8]) {
          for (const mode of ['ldx', 'stx', 'st'] as const) {
            rs.push(run({ what: `${kind} ${mode} +${off} size ${size}`, type: P.SCHED_CLS, attach: 0, insns: access(mode, 6, off, size, prefix) }));
          }
        }
      }
    }
    expect(rs.filter((r) => r.kernel.accepted).length).toBeGreaterThan(50);
    expectAgreement('socket pointer loads', rs);
  });

  test('the corpus cgroup programs (clang-built, attach types from SEC()) get the kernel\'s verdict', () => {
    const file = path.resolve(__dirname, '../../../corpus/cgroup_sock.bpf.o');
    const obj = loadObject(new Uint8Array(fs.readFileSync(file)), { file });
    expect(obj.programs.map((p) => p.name).sort()).toEqual(['connect_redirect', 'dev_only_null', 'sock_no_raw', 'sysctl_ro_net']);
    const rs = obj.programs.map((p) => run({ what: `${p.name} (${p.section})`, type: p.progType, attach: p.expectedAttachType ?? 0, insns: p.insns }));
    expect(rs.every((r) => r.kernel.accepted)).toBe(true);
    expectAgreement('corpus cgroup programs', rs);
    // without the attach type libbpf passes, the kernel refuses the sock_addr program before verifying it
    const addr = obj.programs.find((p) => p.name === 'connect_redirect')!;
    expectAgreement('connect4 without expected_attach_type', [run({ what: 'connect_redirect, attach 0', type: addr.progType, attach: 0, insns: addr.insns })]);
  });

  test('pointers loaded from the context are what the kernel makes of them', () => {
    // every field that yields a pointer: used without a NULL check, after one, and (packets) after a bounds check
    const rs: Result[] = [];
    for (const { p, attach } of combos) {
      const ptrs = p.fields.filter((f) => f.yields && (!f.readAttach || f.readAttach.includes(attach)));
      const end = ptrs.find((f) => f.yields === 'pkt_end');
      for (const f of ptrs) {
        const load = ldx(f.size, 6, 1, f.off);
        const progs: Record<string, Insn[]> = {
          'deref at 0': [load, ldx(4, 0, 6, 0), movImm(0, OK_RET), exit()],
          'deref after NULL check': [load, jneImm(6, 0, 2), movImm(0, OK_RET), exit(), ldx(4, 0, 6, 4), movImm(0, OK_RET), exit()],
          'store through it': [load, jneImm(6, 0, 2), movImm(0, OK_RET), exit(), st(1, 6, 0, 0), movImm(0, OK_RET), exit()],
          'returned': [load, movReg(0, 6), exit()],
        };
        if (f.yields === 'pkt' && end) {
          const checked = (acc: Insn): Insn[] => [load, ldx(end.size, 7, 1, end.off), movReg(8, 6), addImm(8, 8), jgtReg(8, 7, 2), acc, movImm(0, OK_RET), exit(), movImm(0, OK_RET), exit()];
          progs['bounded read'] = checked(ldx(4, 0, 6, 4));
          progs['bounded write'] = checked(st(4, 6, 4, 0));
          progs['read past the bound'] = checked(ldx(4, 0, 6, 6));
        }
        for (const [what, insns] of Object.entries(progs)) rs.push(run({ what: `${label(p, attach)} ${f.name}: ${what}`, type: p.type, attach, insns }));
      }
    }
    expect(rs.filter((r) => r.kernel.accepted).length).toBeGreaterThan(10);
    expectAgreement('context pointers', rs);
  });

  test('BPF_LD_ABS is allowed for the same types', () => {
    const rs = combos.map(({ p, attach }) => run({ what: `${label(p, attach)} ld_abs`, type: p.type, attach, insns: [movReg(6, 1), ldAbs(1, 0), movImm(0, OK_RET), exit()] }));
    expectAgreement('ld_abs', rs);
  });

  test('helper arguments are checked as the kernel checks them (seeded argument kinds)', () => {
    // R1..R5 from a few kinds of values; helpers that need maps, callbacks, BTF objects or dynptrs are left out
    const SKIP = /MAP_PTR|FUNC|BTF|SPIN_LOCK|RINGBUF|DYNPTR|TIMER|KPTR|CONST_STR|STACK|SOCKET|SOCK_COMMON|ALLOC/;
    const kinds = ['zero', 'eight', 'minus', 'ctx', 'stack16', 'uninit16'];
    const set = (k: string, r: number): Insn[] => {
      switch (k) {
        case 'zero': return [movImm(r, 0)];
        case 'eight': return [movImm(r, 8)];
        case 'minus': return [movImm(r, -1)];
        case 'ctx': return [movReg(r, 6)];
        case 'stack16': return [movReg(r, 10), addImm(r, -16)];
        default: return [movReg(r, 10), addImm(r, -32)];
      }
    };
    const rs: Result[] = [];
    const firstAttach = new Map<number, number>();
    for (const { p, attach } of combos) if (!firstAttach.has(p.type)) firstAttach.set(p.type, attach);
    for (const p of checked) {
      const attach = firstAttach.get(p.type)!;
      for (const id of p.helpers) {
        const proto = HELPER_PROTOS.get(id);
        if (!proto || proto.args.some((a) => SKIP.test(a.type)) || proto.mightSleep) continue;
        const r = seedrandom(`args/${p.name}/${id}`);
        for (let n = 0; n < (FULL ? 24 : 6); n++) {
          const args = [1, 2, 3, 4, 5].map(() => kinds[Math.floor(r() * kinds.length)]);
          const insns = [movReg(6, 1), st(8, 10, -16, 0), st(8, 10, -8, 0), ...args.flatMap((k, i) => set(k, i + 1)), call(id), movImm(0, OK_RET), exit()];
          rs.push(run({ what: `${p.name} helper #${id}(${args.join(', ')})`, type: p.type, attach, insns }));
        }
      }
    }
    expect(rs.filter((x) => x.kernel.accepted).length).toBeGreaterThan(20);
    expectAgreement('helper arguments', rs);
  });

  test('the sockmap helpers of sk_skb, sk_msg and sock_ops take the maps the kernel lets them', () => {
    // each map-taking helper (lookup/update/delete and the redirect/update ones) on a sockmap and a sockhash
    const lddw = (dst: number, fd: number): Insn[] => [new Insn(0x18, dst, 1, 0, fd), new Insn(0, 0, 0, 0, 0)];
    const rs: Result[] = [];
    for (const mapType of [15 /* SOCKMAP */, 18 /* SOCKHASH */]) {
      const m = oracle.mapCreate({ type: mapType, keySize: 4, valueSize: 8, maxEntries: 4 });
      if (m.fd === null) throw new Error(`map create failed: ${m.errnoName}`);
      const info = { fd: m.fd, type: mapType, keySize: 4, valueSize: 8, maxEntries: 4 };
      try {
        for (const [type, attach] of [[P.SK_SKB, A.SK_SKB_STREAM_VERDICT], [P.SK_MSG, A.SK_MSG_VERDICT], [P.SOCK_OPS, A.CGROUP_SOCK_OPS]]) {
          for (const id of [1, 2, 3, 52, 53, 60, 70, 71, 72]) {
            // map helpers: (map, &key, &value, 0); the others: (ctx, map, &key or 0, 0)
            const args = id <= 3
              ? [...lddw(1, m.fd), movReg(2, 10), addImm(2, -4), movReg(3, 10), addImm(3, -16), movImm(4, 0)]
              : [movReg(1, 6), ...lddw(2, m.fd), movReg(3, 10), addImm(3, -4), movImm(4, 0)];
            const insns = [movReg(6, 1), st(4, 10, -4, 0), st(8, 10, -16, 0), ...args, call(id), movImm(0, OK_RET), exit()];
            const what = `map type ${mapType}, ${BpfProgTypeName[type]}, helper #${id}`;
            const s = verify(insns, { progType: type, expectedAttachType: attach, logLevel: 1, maps: [info] });
            rs.push({ c: { what, type, attach, insns }, kernel: kernelOutcome(type, attach, insns), sim: { accepted: s.accepted, errno: s.errno, line: s.error ?? '' } });
          }
        }
      } finally {
        oracle.close(m.fd);
      }
    }
    expect(rs.filter((r) => r.kernel.accepted).length).toBeGreaterThanOrEqual(6);
    expectAgreement('sockmap helpers', rs);
  });

  const built = buildFixture();
  (built.file ? test : test.skip)(`clang-built programs of every socket/cgroup type get the kernel's verdict${built.file ? '' : ` (skipped: ${built.reason})`}`, () => {
    const obj = loadObject(new Uint8Array(fs.readFileSync(built.file!)), { file: built.file! });
    expect(obj.programs.length).toBeGreaterThanOrEqual(15);
    const rs = obj.programs.map((p) => run({ what: `${p.name} (${p.section})`, type: p.progType, attach: p.expectedAttachType ?? 0, insns: p.insns }));
    expect(rs.filter((r) => !r.kernel.accepted).map((r) => r.c.what.split(' ')[0]).sort()).toEqual(['bad_create', 'bad_recv']);
    expectAgreement('clang-built programs', rs);
  });

  test('return values are checked against the same range for every type and attach type', () => {
    const rs: Result[] = [];
    for (const { p, attach } of combos) {
      const progs: Record<string, Insn[]> = {
        ...Object.fromEntries([-1, 0, 1, 2, 3, 4, 0x7fffffff].map((v) => [`r0=${v}`, [movImm(0, v), exit()]])),
        'r0=unknown u32': [ldx(4, 0, 10, -4), exit()],
        'r0=ctx': [movReg(0, 1), exit()],
      };
      for (const [what, insns] of Object.entries(progs)) rs.push(run({ what: `${label(p, attach)} ${what}`, type: p.type, attach, insns }));
    }
    expect(rs.filter((r) => !r.kernel.accepted).length).toBeGreaterThan(20);
    expectAgreement('return ranges', rs);
  });
});

