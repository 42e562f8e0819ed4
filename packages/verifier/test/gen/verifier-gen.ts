/**
 * Seeded generator of programs with and without bugs, for measuring @bpfsim/verifier against the
 * kernel. Each case names the error class it was built to show ('ok' for valid programs); the
 * comparison never trusts that label, only the kernel's verdict.
 */
import seedrandom from 'seedrandom';
import { Insn } from '@bpfsim/isa';
import { BpfMapType, BpfProgType } from '@bpfsim/uapi';

export interface GenMap {
  type: number; keySize: number; valueSize: number; maxEntries: number; flags: number; name: string;
  /** ARRAY_OF_MAPS / HASH_OF_MAPS: the inner map template (created first, passed as inner_map_fd). */
  inner?: GenMap;
}
export interface GenCase {
  id: string; kind: string; progType: number; insns: Insn[]; maps: GenMap[];
  /** Load with BTF func_info (as libbpf does for objects with BTF); programs with callbacks always are. */
  btf?: boolean;
}

type Rng = () => number;
const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => new Insn(code, dst, src, off, imm | 0);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

// instruction shorthands
const mov = (d: number, imm: number): Insn => I(0xb7, d, 0, 0, imm);
const movr = (d: number, s: number): Insn => I(0xbf, d, s);
const add = (d: number, imm: number): Insn => I(0x07, d, 0, 0, imm);
const addr = (d: number, s: number): Insn => I(0x0f, d, s);
const exit = (): Insn => I(0x95);
const call = (id: number): Insn => I(0x85, 0, 0, 0, id);
const ldx = (sz: number, d: number, s: number, off: number): Insn => I(0x61 | sz, d, s, off);
const stx = (sz: number, d: number, s: number, off: number): Insn => I(0x63 | sz, d, s, off);
const st = (sz: number, d: number, off: number, imm: number): Insn => I(0x62 | sz, d, 0, off, imm);
const jmp = (op: number, d: number, imm: number, off: number): Insn => I(0x05 | op, d, 0, off, imm);
const jmpr = (op: number, d: number, s: number, off: number): Insn => I(0x0d | op, d, s, off);
const ja = (off: number): Insn => I(0x05, 0, 0, off);
const ldMap = (d: number, idx: number): Insn[] => [I(0x18, d, 1, 0, idx), I(0)];
const W = 0x00, H = 0x08, B = 0x10, DW = 0x18;

const XDP = BpfProgType.XDP, SF = BpfProgType.SOCKET_FILTER, CLS = BpfProgType.SCHED_CLS;
const KP = BpfProgType.KPROBE, TP = BpfProgType.TRACEPOINT;
export const GEN_TYPES = [XDP, SF, CLS, KP, TP] as const;
const PKT_TYPES = [XDP, CLS];
const hash = (ks = 4, vs = 8): GenMap => ({ type: BpfMapType.HASH, keySize: ks, valueSize: vs, maxEntries: 16, flags: 0, name: 'counts' });
const array = (vs = 8): GenMap => ({ type: BpfMapType.ARRAY, keySize: 4, valueSize: vs, maxEntries: 4, flags: 0, name: 'arr' });
const ringbuf = (): GenMap => ({ type: BpfMapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0, name: 'rb' });

/** data/data_end offsets in the context, for packet programs. */
const pktOffs = (t: number): [number, number] => (t === XDP ? [0, 4] : [76, 80]);

/** r2 = data, r3 = data_end (r1 = ctx kept in r6). */
function loadPkt(t: number): Insn[] {
  const [d, e] = pktOffs(t);
  return [movr(6, 1), ldx(W, 2, 6, d), ldx(W, 3, 6, e)];
}

function randomAlu(r: Rng, n: number, regs: number[]): Insn[] {
  const out: Insn[] = [];
  for (let i = 0; i < n; i++) {
    const d = pick(r, regs);
    const k = r();
    if (k < 0.3) out.push(I(pick(r, [0x07, 0x17, 0x27, 0x47, 0x57, 0xa7, 0x04, 0x14, 0x54, 0xa4]), d, 0, 0, int(r, -100, 1000)));
    else if (k < 0.45) out.push(I(pick(r, [0x67, 0x77, 0x64, 0x74]), d, 0, 0, int(r, 0, 31)));
    else if (k < 0.6) out.push(I(pick(r, [0x37, 0x97, 0x34, 0x94]), d, 0, 0, int(r, 1, 100)));
    else if (k < 0.8) out.push(I(pick(r, [0x0f, 0x1f, 0x5f, 0x4f, 0xaf, 0x2f, 0x0c]), d, pick(r, regs)));
    else out.push(mov(d, int(r, -1000, 100000)));
  }
  return out;
}

type Builder = (r: Rng, t: number) => { insns: Insn[]; maps?: GenMap[]; types?: readonly number[]; btf?: boolean };

const BUILDERS: Record<string, Builder> = {
  // ---------- valid programs ----------
  ok_alu: (r) => {
    const regs = [0, 2, 3, 4, 5];
    return { insns: [...regs.map((x) => mov(x, int(r, 0, 50))), ...randomAlu(r, int(r, 1, 12), regs), exit()] };
  },
  ok_pkt: (r, t) => {
    const n = int(r, 1, 60);
    const rd = int(r, 0, n - 1);
    const sz = pick(r, [B, H, W]);
    const bytes = sz === B ? 1 : sz === H ? 2 : 4;
    const off = Math.max(0, Math.min(rd, n - bytes));
    return {
      types: PKT_TYPES,
      insns: [...loadPkt(t), movr(4, 2), add(4, n), jmpr(0x20, 4, 3, 2), ldx(sz, 0, 2, off), ja(1), mov(0, 1), mov(0, int(r, 0, 3)), exit()],
    };
  },
  ok_map: (r) => {
    const vs = pick(r, [4, 8, 16, 64]);
    const off = int(r, 0, vs / 4 - 1) * 4;
    return {
      maps: [hash(4, vs)],
      insns: [st(W, 10, -4, int(r, 0, 9)), ...ldMap(1, 0), movr(2, 10), add(2, -4), call(1), jmp(0x10, 0, 0, 2), st(W, 0, off, 7), ldx(W, 3, 0, off), mov(0, 0), exit()],
    };
  },
  ok_loop: (r) => {
    const n = int(r, 1, 40);
    return { insns: [mov(0, 0), mov(1, 0), add(0, int(r, 1, 3)), add(1, 1), jmp(pick(r, [0xa0, 0x50, 0xc0]), 1, n, -3), exit()] };
  },
  ok_call: (r) => {
    const k = int(r, 1, 20);
    // main: r1 = k; call f; exit. f: r0 = r1 + 1; exit
    return { insns: [mov(1, k), I(0x85, 0, 1, 0, 1), exit(), movr(0, 1), add(0, int(r, 1, 5)), exit()] };
  },
  ok_helper: (r, t) => {
    const id = pick(r, [5, 7, 8, 14, 15]);
    const body: Insn[] = [call(id), movr(6, 0)];
    if (t === KP || t === TP) {
      // bpf_probe_read_kernel(fp-16, 8, 0)
      body.push(movr(1, 10), add(1, -16), mov(2, pick(r, [1, 4, 8, 16])), mov(3, 0), call(113));
    }
    if (r() < 0.5) {
      // bpf_get_current_comm(fp-32, 16) is tracing-only; trace_printk works everywhere
      body.push(st(DW, 10, -8, 0x0a7825), movr(1, 10), add(1, -8), mov(2, 4), movr(3, 6), call(6));
    }
    return { insns: [...body, mov(0, 0), exit()] };
  },
  ok_ringbuf: (r) => {
    const sz = pick(r, [8, 16, 64]);
    const discard = r() < 0.5;
    return {
      maps: [ringbuf()],
      insns: [...ldMap(1, 0), mov(2, sz), mov(3, 0), call(131), jmp(0x10, 0, 0, 4), st(DW, 0, 0, 1), movr(1, 0), mov(2, 0), call(discard ? 133 : 132), mov(0, 0), exit()],
    };
  },
  ok_stack: (r) => {
    const off = -8 * int(r, 1, 60);
    return { insns: [mov(1, int(r, 0, 100)), stx(DW, 10, 1, off), ldx(DW, 0, 10, off), ldx(W, 2, 10, off - 8), exit()] };
  },
  ok_ctx: (r, t) => {
    const choices: Record<number, Array<[number, number]>> = {
      [XDP]: [[12, W], [16, W]],
      [SF]: [[0, W], [4, W], [8, B], [16, H], [48, W], [48, DW], [68, W]],
      [CLS]: [[0, W], [8, W], [36, W], [68, H], [152, DW]],
      [KP]: [[0, DW], [112, DW], [80, W], [160, B]],
      [TP]: [[8, DW], [16, W], [24, H], [100, B]],
    };
    const [o, sz] = pick(r, choices[t]);
    return { insns: [ldx(sz, 0, 1, o), exit()] };
  },
  ok_branchy: (r) => {
    const out: Insn[] = [call(7), movr(6, 0), mov(0, 0)];
    const n = int(r, 2, 8);
    for (let i = 0; i < n; i++) out.push(jmp(pick(r, [0x10, 0x20, 0x30, 0x50, 0xa0, 0x60, 0x40]), 6, int(r, 0, 100), 1), add(0, 1));
    out.push(exit());
    return { insns: out };
  },
  // ---------- structural errors ----------
  unknown_opcode: (r) => ({ insns: [mov(0, 0), I(pick(r, [0xff, 0x8d, 0xe7, 0x00, 0xf4, 0x0e, 0xe4])), exit()] }),
  alu_reserved: (r) => ({ insns: [mov(0, 0), I(pick(r, [0x07, 0x17, 0x27, 0x57]), 0, int(r, 1, 9), 0, 1), exit()] }),
  alu_reserved_off: (r) => ({ insns: [mov(0, 0), I(pick(r, [0x07, 0x0f, 0xa7]), 0, 0, int(r, 2, 9), 1), exit()] }),
  last_not_exit: (r) => ({ insns: [mov(0, 0), ...randomAlu(r, int(r, 0, 3), [0])] }),
  jump_out_of_range: (r) => {
    const n = int(r, 2, 6);
    return { insns: [mov(0, 0), jmp(0x10, 1, 0, pick(r, [n + int(r, 0, 5), -int(r, 3, 9)])), ...Array.from({ length: n - 2 }, () => mov(0, 1)), exit()] };
  },
  jump_into_ldimm64: () => ({ insns: [mov(0, 0), jmp(0x10, 1, 0, 1), I(0x18, 2, 0, 0, 1), I(0), exit()] }),
  unreachable: (r) => ({ insns: [mov(0, 0), exit(), ...Array.from({ length: int(r, 1, 3) }, () => mov(0, 1)), exit()] }),
  invalid_call_dest: (r) => ({ insns: [mov(0, 0), I(0x85, 0, 1, 0, pick(r, [50, -10])), exit()] }),
  call_depth: (r) => {
    const depth = int(r, 7, 10);
    const out: Insn[] = [mov(0, 0)];
    // main calls f1, f1 calls f2 ... each fi: call next; exit
    out.push(I(0x85, 0, 1, 0, 1), exit());
    for (let i = 1; i < depth; i++) out.push(I(0x85, 0, 1, 0, 1), exit());
    out.push(mov(0, 0), exit());
    return { insns: out };
  },
  combined_stack: (r) => {
    const a = 8 * int(r, 20, 64), b = 8 * int(r, 20, 64);
    return { insns: [st(DW, 10, -a, 1), I(0x85, 0, 1, 0, 2), mov(0, 0), exit(), st(DW, 10, -b, 1), mov(0, 0), exit()] };
  },
  tail_call_stack: (r) => {
    // a subprogram doing a tail call, called with `a` bytes of stack below it; without BTF func_info
    // the kernel refuses tail calls in subprograms outright
    const a = 8 * int(r, 24, 40);
    const sub = [...ldMap(2, 0), mov(3, 0), call(12), mov(0, 0), exit()];
    return {
      maps: [{ type: BpfMapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0, name: 'jmp' }],
      insns: [st(DW, 10, -a, 0), I(0x85, 0, 1, 0, 2), mov(0, 0), exit(), ...sub],
      btf: r() < 0.7,
    };
  },
  subprog_ld_abs: (r) => ({
    // LD_ABS/LD_IND in a subprogram: refused without BTF func_info (check_abnormal_return), fine with it
    types: [SF, CLS],
    insns: [movr(6, 1), I(0x85, 0, 1, 0, 2), mov(0, 0), exit(), I(pick(r, [0x30, 0x28, 0x20]), 0, 0, 0, int(r, 0, 20)), exit()],
    btf: r() < 0.5,
  }),
  bad_ldimm64: (r) => ({ insns: pick(r, [[mov(0, 0), I(0x18, 1, 0, 0, 1), exit()], [mov(0, 0), I(0x18, 1, 0, 0, 1), I(0, 1), exit()], [mov(0, 0), exit(), I(0x18, 1, 0, 0, 1)]]) }),
  div_by_zero: (r) => ({ insns: [mov(0, 5), I(pick(r, [0x37, 0x97, 0x34, 0x94])), exit()] }),
  invalid_shift: (r) => ({ insns: [mov(0, 5), I(pick(r, [0x67, 0x77, 0xc7, 0x64, 0x74]), 0, 0, 0, pick(r, [64, 65, -1, 32, 100])), exit()] }),
  invalid_func: (r) => ({ insns: [I(0x85, 0, 0, 0, pick(r, [999, 212, 300, -1, 0])), mov(0, 0), exit()] }),
  helper_not_allowed: (r) => ({ insns: [I(0x85, 0, 0, 0, pick(r, [9, 23, 44, 26, 27, 6, 45, 117, 65, 51, 173])), mov(0, 0), exit()] }),
  // ---------- path errors ----------
  r0_not_init: (r) => ({ insns: [...randomAlu(r, int(r, 0, 3), [2, 3]).map((x) => x), exit()].filter((x) => x.dst !== 0 && x.src !== 0 || x.code === 0x95) }),
  clobbered_arg: (r) => {
    const reg = int(r, 1, 5);
    return { insns: [mov(reg, 1), call(7), movr(0, reg), exit()] };
  },
  pkt_unchecked: (r, t) => ({ types: PKT_TYPES, insns: [...loadPkt(t), ldx(pick(r, [B, H, W]), 0, 2, int(r, 0, 20)), mov(0, 1), exit()] }),
  pkt_past_check: (r, t) => {
    const n = int(r, 1, 20);
    return { types: PKT_TYPES, insns: [...loadPkt(t), movr(4, 2), add(4, n), jmpr(0x20, 4, 3, 2), ldx(B, 0, 2, n + int(r, 0, 4)), mov(0, 1), mov(0, 2), exit()] };
  },
  pkt_after_change: (r, t) => {
    // helpers that may move packet data invalidate every packet pointer (clear_all_pkt_pointers)
    const [d, e] = pktOffs(t);
    const helper = t === XDP ? pick(r, [44, 54, 65]) : pick(r, [39, 38, 43, 9, 10, 11]);
    const args = helper === 9 ? [movr(3, 10), add(3, -16), mov(4, 1), mov(5, 0)] : [mov(3, 0), mov(4, 0), mov(5, 0)];
    const use = pick(r, [
      () => [ldx(DW, 2, 10, -8), ldx(B, 0, 2, 0)],
      () => [ldx(W, 2, 6, d), ldx(B, 0, 2, 0)],
      () => [ldx(W, 2, 6, d), ldx(W, 3, 6, e), movr(4, 2), add(4, 1), jmpr(0x20, 4, 3, 1), ldx(B, 0, 2, 0)],
      () => [ldx(DW, 2, 10, -8), movr(0, 2)],
    ])();
    const body = [st(DW, 10, -16, 0), stx(DW, 10, 2, -8), movr(1, 6), mov(2, 0), ...args, call(helper), ...use];
    return {
      types: PKT_TYPES,
      insns: [...loadPkt(t), movr(4, 2), add(4, 14), jmpr(0x20, 4, 3, body.length), ...body, mov(0, 1), exit()],
    };
  },
  pkt_wrong_branch: (r, t) => {
    const n = int(r, 1, 20);
    return { types: PKT_TYPES, insns: [...loadPkt(t), movr(4, 2), add(4, n), jmpr(0x20, 4, 3, 1), ja(1), ldx(B, 0, 2, 0), mov(0, 2), exit()] };
  },
  null_deref: (r) => ({
    maps: [pick(r, [hash(), array()])],
    insns: [st(W, 10, -4, 0), ...ldMap(1, 0), movr(2, 10), add(2, -4), call(1), ldx(pick(r, [W, DW]), 0, 0, 0), exit()],
  }),
  map_oob: (r) => {
    const vs = pick(r, [4, 8, 16]);
    return {
      maps: [hash(4, vs)],
      insns: [st(W, 10, -4, 0), ...ldMap(1, 0), movr(2, 10), add(2, -4), call(1), jmp(0x10, 0, 0, 1), st(W, 0, vs - int(r, 0, 3), 1), mov(0, 0), exit()],
    };
  },
  map_in_map: (r) => {
    const vs = pick(r, [4, 8, 16]);
    const inner = pick(r, [hash(4, vs), array(vs)]);
    const outer: GenMap = {
      type: pick(r, [BpfMapType.ARRAY_OF_MAPS, BpfMapType.HASH_OF_MAPS]), keySize: 4, valueSize: 4, maxEntries: 4, flags: 0, name: 'outer', inner,
    };
    const lookupOuter = [st(W, 10, -4, int(r, 0, 5)), ...ldMap(1, 0), movr(2, 10), add(2, -4), call(1)];
    const sz = pick(r, [B, W, DW]);
    const off = int(r, 0, vs / 4 + 1) * 4;
    return pick(r, [
      // the inner map used before the null check: map_value_or_null is not a map
      { maps: [outer], insns: [...lookupOuter, movr(1, 0), movr(2, 10), add(2, -4), call(1), mov(0, 0), exit()] },
      // a map pointer reads the kernel's map struct (struct bpf_htab / bpf_array)
      { maps: [outer], insns: [...lookupOuter, jmp(0x10, 0, 0, 1), ldx(sz, 3, 0, pick(r, [0, 4, 24, 36, 64])), mov(0, 0), exit()] },
      // the inner lookup, then an access in or past its value
      {
        maps: [outer],
        insns: [...lookupOuter, jmp(0x10, 0, 0, 6), movr(1, 0), movr(2, 10), add(2, -4), call(1), jmp(0x10, 0, 0, 1), ldx(sz, 3, 0, off), mov(0, 0), exit()],
      },
      // ... without checking the inner lookup (an array with a constant key needs no check)
      { maps: [outer], insns: [...lookupOuter, jmp(0x10, 0, 0, 5), movr(1, 0), movr(2, 10), add(2, -4), call(1), ldx(sz, 3, 0, off), mov(0, 0), exit()] },
    ]);
  },
  map_ptr_read: (r) => {
    // check_ptr_to_map_access: the map's kernel struct, read-only, walked through the kernel BTF
    const m = pick(r, [hash(), array(), ringbuf(),
      { type: BpfMapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0, name: 'pcpu' },
      { type: BpfMapType.LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 16, flags: 0, name: 'lru' },
      { type: BpfMapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0, name: 'jmp' },
      { type: BpfMapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0, name: 'events' }]);
    const sz = pick(r, [B, H, W, DW]);
    const off = pick(r, [() => int(r, 0, 80), () => int(r, 0, 20) * 8, () => -int(r, 1, 16), () => int(r, 200, 400)])();
    return pick(r, [
      { maps: [m], insns: [...ldMap(1, 0), ldx(sz, 0, 1, off), mov(0, 0), exit()] },
      // a pointer member read out of the struct, dereferenced in turn (map->ops, ...)
      { maps: [m], insns: [...ldMap(1, 0), ldx(DW, 2, 1, int(r, 0, 3) * 8), ldx(sz, 0, 2, int(r, 0, 12) * 4), mov(0, 0), exit()] },
      { maps: [m], insns: [...ldMap(1, 0), st(sz, 1, int(r, 0, 8) * 4, 1), mov(0, 0), exit()] },
    ]);
  },
  ptr_plus_ptr: (r) => ({ insns: [movr(2, 10), I(pick(r, [0x0f, 0x2f, 0x4f]), 2, 1), mov(0, 0), exit()] }),
  ptr_alu32: (r) => ({ insns: [movr(2, 10), I(pick(r, [0x04, 0x14]), 2, 0, 0, -8), mov(0, 0), exit()] }),
  modified_ctx: (r) => ({ insns: [add(1, pick(r, [4, 8, 16])), ldx(W, 0, 1, 0), exit()] }),
  ctx_bad: (r, t) => {
    const choices: Record<number, Array<[number, number, boolean]>> = {
      [XDP]: [[20, W, false], [0, DW, false], [2, H, false], [0, W, true], [24, W, false], [12, B, false]],
      [SF]: [[76, W, false], [0, W, true], [200, W, false], [2, H, false], [72, W, false], [8, DW, false]],
      [CLS]: [[88, W, false], [0, W, true], [181, B, false], [76, H, false], [196, W, false]],
      [KP]: [[168, DW, false], [0, DW, true], [164, DW, false], [3, H, false]],
      [TP]: [[0, DW, false], [4, W, false], [8, DW, true], [8192, B, false], [8188, DW, false]],
    };
    const [o, sz, write] = pick(r, choices[t]);
    return { insns: write ? [st(sz, 1, o, 1), mov(0, 0), exit()] : [ldx(sz, 0, 1, o), mov(0, 0), exit()] };
  },
  helper_bad_arg: (r) => pick(r, [
    () => ({ maps: [hash()], insns: [mov(1, 1), movr(2, 10), add(2, -4), call(1), mov(0, 0), exit()] }),
    () => ({ maps: [hash()], insns: [...ldMap(1, 0), mov(2, 0), call(1), mov(0, 0), exit()] }),
    () => ({ insns: [movr(1, 10), add(1, -8), mov(2, 0), call(6), mov(0, 0), exit()] }),
    () => ({ insns: [movr(1, 10), add(1, -8), mov(2, -1), call(6), mov(0, 0), exit()] }),
    () => ({ insns: [mov(1, 0), mov(2, 8), call(6), mov(0, 0), exit()] }),
    () => ({ maps: [hash()], insns: [...ldMap(1, 0), movr(2, 10), add(2, -4), movr(3, 1), mov(4, 0), call(2), mov(0, 0), exit()] }),
    () => ({ maps: [ringbuf()], insns: [...ldMap(1, 0), mov(2, 8), mov(3, 0), call(131), movr(1, 0), mov(2, 0), call(132), mov(0, 0), exit()] }),
  ])(),
  ringbuf_leak: (r) => ({
    maps: [ringbuf()],
    insns: [...ldMap(1, 0), mov(2, pick(r, [8, 16])), mov(3, 0), call(131), jmp(0x10, 0, 0, 1), st(DW, 0, 0, 1), mov(0, 0), exit()],
  }),
  infinite_loop: (r) => pick(r, [
    () => ({ insns: [mov(0, 0), ja(-1), exit()] }),
    () => ({ insns: [mov(0, 0), mov(1, int(r, 0, 5)), jmp(0x50, 1, 100, -1), exit()] }),
    () => ({ insns: [mov(0, 0), mov(1, 0), add(0, 0), jmp(0x10, 1, 0, -2), exit()] }),
  ])(),
  unbounded_loop: (r) => ({ insns: [call(7), movr(1, 0), mov(0, 0), add(1, -1), jmp(0x50, 1, 0, -2), exit()].slice(0, r() < 2 ? 6 : 6) }),
  too_large: (r) => ({ insns: [mov(0, 0), mov(1, 0), add(1, 1), jmp(0xa0, 1, int(r, 340000, 600000), -2), exit()] }),
  stack_oob: (r) => ({ insns: [st(pick(r, [W, DW]), 10, pick(r, [-520, 0, 8, -1024]), 1), mov(0, 0), exit()] }),
  stack_misaligned: (r) => ({ insns: [st(DW, 10, pick(r, [-4, -12, -20]), 1), mov(0, 0), exit()] }),
  fp_write: () => ({ insns: [mov(10, 0), mov(0, 0), exit()] }),
  uninit_stack_read: (r) => ({ insns: [ldx(DW, 0, 10, -8 * int(r, 1, 8)), exit()] }),
  ret_ptr: () => ({ insns: [movr(0, 10), exit()] }),
  // ---------- random programs: anything may go wrong ----------
  random: (r, t) => randomProgram(r, t),
  random_pkt: (r, t) => ({ ...randomProgram(r, t, true), types: PKT_TYPES }),
};

/** A structurally valid program of random instructions: forward jumps only, ends in exit. */
function randomProgram(r: Rng, t: number, pkt = false): { insns: Insn[]; maps: GenMap[] } {
  const maps = [hash(4, 8), array(16)];
  const init: Insn[] = [];
  for (const x of [0, 2, 3, 4, 5, 6, 7, 8, 9]) {
    if (r() < 0.15) continue; // some registers stay uninitialised
    init.push(r() < 0.7 ? mov(x, int(r, -5, 200)) : movr(x, pick(r, [1, 10])));
  }
  const out: Insn[] = pkt ? [...init, ...loadPkt(t), movr(4, 2), add(4, int(r, 1, 40)), jmpr(0x20, 4, 3, 0)] : init;
  const jmpAt = pkt ? out.length - 1 : -1;
  const n = int(r, 3, 25);
  const regs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const body: Insn[][] = [];
  for (let i = 0; i < n; i++) {
    const k = r();
    const d = pick(r, regs), s = pick(r, [...regs, 10]);
    if (k < 0.15) body.push([mov(d, int(r, -50, 300))]);
    else if (k < 0.3) body.push([I(pick(r, [0x07, 0x17, 0x57, 0x47, 0x67, 0x77, 0x04, 0x27, 0xa7]), d, 0, 0, int(r, 0, 40))]);
    else if (k < 0.42) body.push([I(pick(r, [0x0f, 0x1f, 0xbf, 0x5f, 0x0c, 0xbc]), d, s)]);
    else if (k < 0.55) body.push([ldx(pick(r, [B, H, W, DW]), d, pick(r, [1, 10, 2, 0, 6]), pick(r, [0, 4, 8, 12, -8, -16, -4, 16, 76, 80]))]);
    else if (k < 0.65) body.push([stx(pick(r, [W, DW, B]), pick(r, [10, 10, 0, 2]), s, pick(r, [-8, -16, -24, -4, 0, 8]))]);
    else if (k < 0.7) body.push([st(pick(r, [W, DW]), pick(r, [10, 1, 0]), pick(r, [-8, -16, 0, 4]), int(r, 0, 9))]);
    else if (k < 0.8) body.push([pick(r, [jmp(pick(r, [0x10, 0x20, 0x50, 0xa0, 0x60]), d, int(r, 0, 100), 0), jmpr(pick(r, [0x20, 0xa0, 0x10, 0x30]), d, s, 0)])]);
    else if (k < 0.86) body.push([...ldMap(1, int(r, 0, 1)), movr(2, 10), add(2, pick(r, [-4, -8, -16])), call(1)]);
    else if (k < 0.92) body.push([call(pick(r, [5, 7, 14, 6, 26, 113, 25, 2, 12]))]);
    else if (k < 0.96) body.push([movr(d, 0), jmp(0x10, d, 0, 0)]);
    else body.push([movr(2, 10), add(2, pick(r, [-8, -16])), mov(3, pick(r, [4, 8, 0])), mov(1, 0)]);
  }
  const flat: Insn[] = [];
  const starts: number[] = [];
  for (const b of body) { starts.push(out.length + flat.length); flat.push(...b); }
  const total = out.length + flat.length + 2;
  // resolve forward jumps (off 0 placeholders) to a random later block start or the final exit
  const all = [...out, ...flat, mov(0, int(r, 0, 3)), exit()];
  for (let i = 0; i < all.length - 2; i++) {
    const x = all[i];
    const cls = x.code & 7;
    if ((cls === 5) && (x.code & 0xf0) !== 0x80 && (x.code & 0xf0) !== 0x90 && x.off === 0) {
      const later = starts.filter((st0) => st0 > i);
      const target = i === jmpAt || later.length === 0 || r() < 0.3 ? total - 2 : pick(r, later);
      all[i] = new Insn(x.code, x.dst, x.src, target - i - 1, x.imm);
    }
  }
  return { insns: all, maps };
}

export const KINDS = Object.keys(BUILDERS);

// ---------- callbacks of bpf_loop (181) and bpf_for_each_map_elem (164) ----------
// Loading these into the kernel needs BTF func_info (the kernel refuses BPF_PSEUDO_FUNC without it),
// so compare.ts loads them through the BTF loader; they are a separate list from KINDS.

/** r2 = the callback (BPF_PSEUDO_FUNC; the offset is fixed up by `withCallback`). */
const ldFunc = (d: number): Insn[] => [I(0x18, d, 4, 0, 0), I(0)];
/** `main` followed by `cb`, with main's func load pointing at cb's first instruction. */
function withCallback(main: Insn[], cb: Insn[]): Insn[] {
  const i = main.findIndex((x) => x.code === 0x18 && x.src === 4);
  const out = [...main, ...cb];
  out[i] = I(0x18, main[i].dst, 4, 0, main.length - i - 1);
  return out;
}
/** r1 = loop count: a constant or an unknown value (prandom), maybe bounded. */
function loopCount(r: Rng): Insn[] {
  return pick(r, [
    () => [mov(1, int(r, 0, 20))],
    () => [call(7), movr(1, 0)],
    () => [call(7), movr(1, 0), I(0x57, 1, 0, 0, int(r, 1, 15))],
  ])();
}
/** The callback's return: valid ([0, 1]) or not. */
function cbReturn(r: Rng, valid: boolean): Insn[] {
  if (valid) return pick(r, [() => [mov(0, int(r, 0, 1))], () => [movr(0, 1), I(0x57, 0, 0, 0, 1)], () => [mov(0, 0), jmp(0x10, 1, int(r, 0, 5), 1), mov(0, 1)]])();
  return pick(r, [
    () => [mov(0, pick(r, [2, 3, -1, 100]))],
    () => [movr(0, 1)],
    () => [movr(0, 1), I(0x57, 0, 0, 0, pick(r, [2, 3, 7]))],
    () => [],
    () => [movr(0, 10)],
  ])();
}
const LOOP = 181, FOR_EACH = 164;
const foreachMap = (r: Rng): GenMap => pick(r, [hash(4, pick(r, [8, 16])), array(pick(r, [8, 16])),
  { type: BpfMapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0, name: 'pcpu' }]);

export const CALLBACK_BUILDERS: Record<string, Builder> = {
  cb_loop_ok: (r) => {
    const ctx = r() < 0.7;
    const body: Insn[] = ctx
      ? [ldx(DW, 3, 2, 0), addr(3, 1), stx(DW, 2, 3, 0), ...cbReturn(r, true), exit()]
      : [...cbReturn(r, true), exit()];
    const main = [st(DW, 10, -8, 0), ...loopCount(r), ...ldFunc(2), ...(ctx ? [movr(3, 10), add(3, -8)] : [mov(3, 0)]), mov(4, 0), call(LOOP),
      ...pick(r, [[mov(0, 0)], [jmp(0x20, 0, 100, 0), mov(0, 1)], [ldx(DW, 0, 10, -8), I(0x57, 0, 0, 0, 1)]]), exit()];
    return { insns: withCallback(main, body) };
  },
  cb_stack_combined: (r) => {
    // the callback runs on the caller's stack: their frames add up (check_max_stack_depth)
    const a = 8 * int(r, 16, 60), b = 8 * int(r, 8, 48);
    const main = [st(DW, 10, -a, 0), ...loopCount(r), ...ldFunc(2), mov(3, 0), mov(4, 0), call(LOOP), mov(0, 0), exit()];
    return { insns: withCallback(main, [st(DW, 10, -b, 1), ...cbReturn(r, true), exit()]) };
  },
  cb_ref: (r) => {
    // a reservation made in the callback: released there, or leaked (caught at the main program's exit,
    // since references are not checked when a callback returns)
    const release = r() < 0.5;
    const body = [...ldMap(1, 0), mov(2, 8), mov(3, 0), call(131), ...(release ? [jmp(0x10, 0, 0, 2), movr(1, 0), mov(2, 0), call(132)] : []), mov(0, 0), exit()];
    const main = [...loopCount(r), ...ldFunc(2), mov(3, 0), mov(4, 0), call(LOOP), mov(0, 0), exit()];
    return { maps: [ringbuf()], insns: withCallback(main, body) };
  },
  cb_loop_bad_ret: (r) => {
    const main = [...loopCount(r), ...ldFunc(2), mov(3, 0), mov(4, 0), call(LOOP), mov(0, 0), exit()];
    return { insns: withCallback(main, [...cbReturn(r, false), exit()]) };
  },
  cb_loop_stack: (r) => {
    // the callback touches the caller's stack through its ctx, or its own stack, initialised or not
    const slot = pick(r, [-8, -16, -32]);
    const init = r() < 0.5;
    const main = [...(init ? [st(DW, 10, -8, 0)] : []), ...loopCount(r), ...ldFunc(2), ...(r() < 0.8 ? [movr(3, 10), add(3, -8)] : [mov(3, 0)]), mov(4, 0), call(LOOP), mov(0, 0), exit()];
    const body = pick(r, [
      () => [ldx(DW, 0, 2, pick(r, [0, 8, -8, 4]))],
      () => [ldx(DW, 0, 10, slot)],
      () => [st(DW, 10, slot, 1), ldx(DW, 0, 10, slot)],
      () => [stx(DW, 2, 1, pick(r, [0, 8, -512]))],
      () => [I(0x57, 1, 0, 0, 7), addr(2, 1), ldx(B, 0, 2, -8)],
    ])();
    return { insns: withCallback(main, [...body, ...cbReturn(r, true), exit()]) };
  },
  cb_bad_args: (r) => pick(r, [
    () => ({ insns: [mov(1, 4), mov(2, pick(r, [0, 8])), mov(3, 0), mov(4, 0), call(LOOP), mov(0, 0), exit()] }),
    () => ({ insns: withCallback([mov(1, 4), ...ldFunc(2), mov(3, pick(r, [1, 8])), mov(4, 0), call(LOOP), mov(0, 0), exit()], [mov(0, 0), exit()]) }),
    () => ({ insns: withCallback([mov(1, 4), ...ldFunc(2), movr(3, 1), mov(4, 0), call(LOOP), mov(0, 0), exit()], [mov(0, 0), exit()]) }),
    () => ({ insns: withCallback([mov(1, 4), ...ldFunc(3), movr(2, 3), mov(3, 0), call(LOOP), mov(0, 0), exit()], [mov(0, 0), exit()]) }),
    () => ({ insns: withCallback([mov(1, 0), ...ldFunc(2), mov(3, 0), mov(4, 0), call(FOR_EACH), mov(0, 0), exit()], [mov(0, 0), exit()]) }),
    () => ({ maps: [ringbuf()], insns: withCallback([...ldMap(1, 0), ...ldFunc(2), mov(3, 0), mov(4, 0), call(FOR_EACH), mov(0, 0), exit()], [mov(0, 0), exit()]) }),
    () => ({ maps: [hash()], insns: withCallback([...ldMap(1, 0), ...ldFunc(2), movr(3, 10), mov(4, 0), call(FOR_EACH), mov(0, 0), exit()], [mov(0, 0), exit()]) }),
  ])(),
  cb_foreach_ok: (r) => {
    const m = foreachMap(r);
    const ctx = r() < 0.6;
    const body = [
      ...pick(r, [[], [ldx(W, 0, 2, 0)], [ldx(DW, 0, 3, 0)], [ldx(DW, 0, 3, m.valueSize - 8), add(0, 1), stx(DW, 3, 0, 0)]]),
      ...(ctx ? [ldx(DW, 5, 4, 0), add(5, 1), stx(DW, 4, 5, 0)] : []),
      ...pick(r, [[mov(0, int(r, 0, 1))], [mov(0, 0)]]), exit(),
    ];
    const main = [st(DW, 10, -8, 0), ...ldMap(1, 0), ...ldFunc(2), ...(ctx ? [movr(3, 10), add(3, -8)] : [mov(3, 0)]), mov(4, 0), call(FOR_EACH),
      ...pick(r, [[mov(0, 0)], [ldx(DW, 0, 10, -8), I(0x57, 0, 0, 0, 1)]]), exit()];
    return { maps: [m], insns: withCallback(main, body) };
  },
  cb_foreach_bad: (r) => {
    const m = foreachMap(r);
    const body = pick(r, [
      () => [ldx(DW, 0, 3, m.valueSize - int(r, 0, 7)), mov(0, 0)],
      () => [st(W, 2, 0, 1), mov(0, 0)],
      () => [ldx(DW, 0, 2, 0), mov(0, 0)],
      () => [ldx(DW, 0, 4, 0), mov(0, 0)],
      () => [ldx(B, 0, 5, 0), mov(0, 0)],
      () => cbReturn(r, false),
      () => [movr(0, 3)],
    ])();
    const main = [...ldMap(1, 0), ...ldFunc(2), mov(3, 0), mov(4, 0), call(FOR_EACH), mov(0, 0), exit()];
    return { maps: [m], insns: withCallback(main, [...body, exit()]) };
  },
};
export const CALLBACK_KINDS = Object.keys(CALLBACK_BUILDERS);
const ALL_BUILDERS: Record<string, Builder> = { ...BUILDERS, ...CALLBACK_BUILDERS };

/** `n` cases from `seed`, cycling through program types and kinds at random. */
export function generate(seed: string, n: number, kinds: readonly string[] = KINDS): GenCase[] {
  const r = seedrandom(seed);
  const out: GenCase[] = [];
  for (let i = 0; i < n; i++) {
    const kind = pick(r, kinds);
    let t: number = pick(r, GEN_TYPES);
    const probe = ALL_BUILDERS[kind](seedrandom(`${seed}/${i}/probe`), t);
    if (probe.types && !probe.types.includes(t)) t = pick(r, probe.types);
    const b = ALL_BUILDERS[kind](seedrandom(`${seed}/${i}`), t);
    out.push({ id: `${seed}/${i}`, kind, progType: t, insns: b.insns, maps: b.maps ?? [], btf: b.btf });
  }
  return out;
}
