/**
 * Seeded generator of tp_btf programs (BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP) for differential
 * tests against the kernel: context reads at good and bad offsets and sizes, struct field reads
 * through the BTF pointers the arguments give (real member offsets, offsets inside members, holes,
 * past the end, negative, pointer members at the wrong size), chains of pointers with and without
 * NULL checks, pointer arithmetic, writes, helper calls taking BTF pointers, and non-GPL licenses.
 * Programs are kernel-syntax assembly (readable in failure messages).
 */
import seedrandom from 'seedrandom';
import type { KernelBtf, KernelBtfType } from '@bpfsim/verifier';

type Rng = () => number;

export interface TracingCase {
  id: string;
  kind: string;
  /** The tracepoint (the BTF typedef is btf_trace_<tp>). */
  tp: string;
  attachBtfId: number;
  license: string;
  asm: string;
}

/** Tracepoints the cases attach to: scheduler, exec, syscalls, networking, and some with maybe-NULL args. */
export const TRACEPOINTS = [
  'sched_switch', 'sched_process_exec', 'sys_enter', 'sys_exit', 'sched_wakeup', 'task_newtask', 'sched_process_fork',
  'kfree_skb', 'mm_page_alloc', 'sched_pi_setprio', 'tcp_send_reset', 'sched_process_exit', 'block_rq_issue',
] as const;

const MODS = new Set([8, 9, 10, 11, 18]);
function skip(btf: KernelBtf, id: number): { t: KernelBtfType; id: number } {
  let t = btf.types[id];
  while (t && MODS.has(t.kind)) { id = t.type ?? 0; t = btf.types[id]; }
  return { t: t ?? { kind: 0, name: '' }, id };
}
const isStruct = (t: KernelBtfType): boolean => t.kind === 4 || t.kind === 5;

interface Arg { idx: number; structId: number; isPtr: boolean }

/** The tracepoint's arguments (after `void *__data`) and which point to structs. */
function argsOf(btf: KernelBtf, typedefId: number): Arg[] {
  const p = btf.types[btf.types[typedefId].type ?? 0];
  const proto = btf.types[p.type ?? 0];
  return (proto.params ?? []).slice(1).map((prm, idx) => {
    const s = skip(btf, prm.type);
    if (s.t.kind !== 2) return { idx, structId: 0, isPtr: false };
    const to = skip(btf, s.t.type ?? 0);
    return { idx, structId: isStruct(to.t) ? to.id : 0, isPtr: true };
  });
}

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const SIZES = [1, 2, 4, 8] as const;
const W: Record<number, string> = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' };
/** ` +N` / ` -N`, as the assembler writes a memory operand's offset. */
const sgn = (n: number): string => (n < 0 ? `-${-n}` : `+${n}`);

/** An offset (and size) to read in struct `id`: a member's start, inside a member, a hole, past the end, negative. */
function fieldAccess(r: Rng, btf: KernelBtf, id: number): { off: number; size: number } {
  const f = fieldAccessAny(r, btf, id);
  // an instruction's offset is 16-bit: larger structs are read near their start
  return f.off > 32700 ? { off: f.off % 32700, size: f.size } : f;
}
function fieldAccessAny(r: Rng, btf: KernelBtf, id: number): { off: number; size: number } {
  const t = btf.types[id];
  const members = t.members ?? [];
  const size = t.size ?? 0;
  const x = r();
  if (x < 0.55 && members.length) {
    const m = pick(r, members);
    const off = Math.floor(m.bitOffset / 8);
    const mt = skip(btf, m.type).t;
    const natural = mt.kind === 2 ? 8 : mt.kind === 1 || mt.kind === 6 ? Math.min(8, mt.size ?? 8) : pick(r, SIZES);
    return { off, size: r() < 0.8 && [1, 2, 4, 8].includes(natural) ? natural : pick(r, SIZES) };
  }
  if (x < 0.8 && members.length) {
    const m = pick(r, members);
    return { off: Math.floor(m.bitOffset / 8) + int(r, 0, 12), size: pick(r, SIZES) };
  }
  if (x < 0.9) return { off: size - int(r, 0, 12), size: pick(r, SIZES) };
  if (x < 0.95) return { off: -int(r, 1, 16), size: pick(r, SIZES) };
  return { off: int(r, 0, size + 64), size: pick(r, SIZES) };
}

/** Pointer-to-struct members of struct `id` (for chains). */
function ptrMembers(btf: KernelBtf, id: number): { off: number; structId: number }[] {
  const out: { off: number; structId: number }[] = [];
  for (const m of btf.types[id].members ?? []) {
    if (m.bitfieldSize) continue;
    const s = skip(btf, m.type);
    if (s.t.kind !== 2) continue;
    const to = skip(btf, s.t.type ?? 0);
    if (m.bitOffset / 8 <= 32760) out.push({ off: Math.floor(m.bitOffset / 8), structId: isStruct(to.t) ? to.id : 0 });
  }
  return out;
}

type Builder = (r: Rng, btf: KernelBtf, args: Arg[]) => { asm: string; license?: string } | null;

const EXIT = 'r0 = 0\nexit';
const ptrArgs = (args: Arg[]): Arg[] => args.filter((a) => a.structId);

export const BUILDERS: Record<string, Builder> = {
  /** A context read at any offset and size (arguments, past the last, outside args[12], misaligned). */
  ctx_read(r) {
    const off = r() < 0.7 ? 8 * int(r, 0, 6) : int(r, -16, 104);
    const size = pick(r, SIZES);
    return { asm: `r2 = *(${W[size]} *)(r1 ${off < 0 ? '-' : '+'}${Math.abs(off)})\n${EXIT}` };
  },
  /** A context write (tracing contexts are read-only). */
  ctx_write(r) {
    const off = 8 * int(r, 0, 5);
    return { asm: r() < 0.5 ? `*(u64 *)(r1 +${off}) = 1\n${EXIT}` : `r2 = 7\n*(u64 *)(r1 +${off}) = r2\n${EXIT}` };
  },
  /** One field read through a pointer argument. */
  field_read(r, btf, args) {
    const ps = ptrArgs(args);
    if (!ps.length) return null;
    const a = pick(r, ps);
    const f = fieldAccess(r, btf, a.structId);
    const nullCheck = r() < 0.5 ? 'if r2 == 0 goto +1\n' : '';
    return { asm: `r2 = *(u64 *)(r1 +${8 * a.idx})\n${nullCheck}r0 = *(${W[f.size]} *)(r2 ${f.off < 0 ? '-' : '+'}${Math.abs(f.off)})\n${EXIT}` };
  },
  /** A chain of pointer loads (task->mm->..., prev->real_parent->...), then a field read. */
  chain(r, btf, args) {
    const ps = ptrArgs(args);
    if (!ps.length) return null;
    const a = pick(r, ps);
    let asm = `r2 = *(u64 *)(r1 +${8 * a.idx})\n`;
    let id = a.structId;
    const depth = int(r, 1, 3);
    for (let d = 0; d < depth; d++) {
      const ms = ptrMembers(btf, id).filter((m) => m.structId || r() < 0.2);
      if (!ms.length) break;
      const m = pick(r, ms);
      asm += `r2 = *(u64 *)(r2 +${m.off})\n`;
      if (r() < 0.4) asm += 'if r2 == 0 goto +1\n';
      else if (r() < 0.1) asm += 'if r2 != 0 goto +1\n';
      if (!m.structId) { asm += `r0 = *(${W[pick(r, SIZES)]} *)(r2 ${sgn(int(r, -8, 64))})\n`; return { asm: asm + EXIT }; }
      id = m.structId;
    }
    const f = fieldAccess(r, btf, id);
    asm += `r0 = *(${W[f.size]} *)(r2 ${f.off < 0 ? '-' : '+'}${Math.abs(f.off)})\n`;
    return { asm: asm + EXIT };
  },
  /** Constant or variable pointer arithmetic before the read. */
  arith(r, btf, args) {
    const ps = ptrArgs(args);
    if (!ps.length) return null;
    const a = pick(r, ps);
    const f = fieldAccess(r, btf, a.structId);
    const k = int(r, -16, 64);
    if (r() < 0.7) return { asm: `r2 = *(u64 *)(r1 +${8 * a.idx})\nr2 += ${k}\nr0 = *(${W[f.size]} *)(r2 ${f.off - k < 0 ? '-' : '+'}${Math.abs(f.off - k)})\n${EXIT}` };
    const other = args.find((x) => !x.isPtr);
    const src = other ? `r3 = *(u64 *)(r1 +${8 * other.idx})` : 'r3 = 8';
    return { asm: `r2 = *(u64 *)(r1 +${8 * a.idx})\n${src}\nr3 &= ${pick(r, [0, 8, 16, 7])}\nr2 += r3\nr0 = *(${W[f.size]} *)(r2 +${Math.max(0, f.off)})\n${EXIT}` };
  },
  /** A store or atomic through a BTF pointer (refused: tracing programs only read). */
  write(r, btf, args) {
    const ps = ptrArgs(args);
    if (!ps.length) return null;
    const a = pick(r, ps);
    const f = fieldAccess(r, btf, a.structId);
    const o = `${f.off < 0 ? '-' : '+'}${Math.abs(f.off)}`;
    const x = r();
    const op = x < 0.4 ? `*(${W[f.size]} *)(r2 ${o}) = 1` : x < 0.8 ? `r3 = 1\n*(${W[f.size]} *)(r2 ${o}) = r3` : `r3 = 1\nlock *(u64 *)(r2 ${o}) += r3`;
    return { asm: `r2 = *(u64 *)(r1 +${8 * a.idx})\n${op}\n${EXIT}` };
  },
  /** A BTF pointer spilled to the stack and read back, then dereferenced. */
  spill(r, btf, args) {
    const ps = ptrArgs(args);
    if (!ps.length) return null;
    const a = pick(r, ps);
    const f = fieldAccess(r, btf, a.structId);
    const sz = r() < 0.8 ? 'u64' : 'u32';
    return { asm: `r2 = *(u64 *)(r1 +${8 * a.idx})\n*(${sz} *)(r10 -8) = r2\nr3 = *(${sz} *)(r10 -8)\nr0 = *(${W[f.size]} *)(r3 ${f.off < 0 ? '-' : '+'}${Math.abs(f.off)})\n${EXIT}` };
  },
  /** Helper calls with BTF pointers as arguments. */
  helper(r, btf, args) {
    const ps = ptrArgs(args);
    let p = ps.length ? `r3 = *(u64 *)(r1 +${8 * pick(r, ps).idx})\n` : 'r3 = 0\n';
    if (ps.length && r() < 0.4) {
      // sometimes a pointer one step further (task->real_parent, binprm->file, ...), or moved off its start
      const a = pick(r, ps);
      const ms = ptrMembers(btf, a.structId);
      p = `r3 = *(u64 *)(r1 +${8 * a.idx})\n${ms.length ? `r3 = *(u64 *)(r3 +${pick(r, ms).off})\n` : ''}${r() < 0.2 ? `r3 += ${pick(r, [8, 16, 1])}\n` : ''}`;
    }
    const calls = [
      // bpf_probe_read_kernel(dst, size, unsafe_ptr): the source may be anything
      `${p}r1 = r10\nr1 += -16\nr2 = 8\ncall 113`,
      // bpf_get_current_comm(buf, size): a BTF pointer is not writable memory
      `${p}r1 = r3\nr2 = 16\ncall 16`,
      // bpf_get_current_pid_tgid, bpf_ktime_get_ns: no arguments
      'call 14', 'call 5',
      // bpf_probe_read_kernel_str with a BTF pointer as the destination
      `${p}r1 = r3\nr2 = 8\nr3 = 0\ncall 115`,
      // bpf_trace_printk(fmt, size) with a BTF pointer as the format
      `${p}r1 = r3\nr2 = 4\ncall 6`,
      // a helper tracing programs may not call
      `call ${pick(r, [9, 10, 23, 44, 50])}`,
      // bpf_get_current_task_btf: a trusted task_struct
      `call 158\nr2 = *(${W[pick(r, SIZES)]} *)(r0 +${pick(r, [0, 1264, 1752, 1136, 3300])})`,
      // bpf_task_pt_regs(task): ptr_pt_regs
      `${p}r1 = r3\ncall 175\nr0 = *(u64 *)(r0 +${pick(r, [0, 8, 160, 168])})`,
      'call 158\nr1 = r0\ncall 175',
      // bpf_get_task_stack(task, buf, size, flags)
      `${p}r1 = r3\nr2 = r10\nr2 += -64\nr3 = 64\nr4 = 0\ncall 141`,
      'r2 = r10\nr2 += -64\nr3 = 64\nr4 = 0\ncall 141',
      // bpf_get_func_ip: fentry/fexit/fmod_ret only
      'call 173',
      // bpf_d_path (not allowed in tp_btf), bpf_copy_from_user_task (sleepable only), per-CPU pointers
      `${p}r1 = r3\nr2 = r10\nr2 += -16\nr3 = 16\ncall 147`,
      `r1 = r10\nr1 += -16\nr2 = 8\nr3 = 0\n${p.replace(/r3/g, 'r4')}r5 = 0\ncall 191`,
      `${p}r1 = r3\nr2 = 0\ncall 153`, `${p}r1 = r3\ncall 154`,
      // task storage helpers without a map (the map argument is checked first)
      `${p}r2 = r3\nr3 = 0\nr4 = 0\ncall 156`, `${p}r2 = r3\ncall 157`,
    ];
    return { asm: `${pick(r, calls)}\n${EXIT}` };
  },
  /** A field read from a program whose license is not GPL-compatible. */
  non_gpl(r, btf, args) {
    const b = BUILDERS.field_read(r, btf, args);
    return b && { ...b, license: pick(r, ['MIT', 'Proprietary', 'BSD']) };
  },
  /** A NULL comparison of a trusted pointer (known not NULL) and of walked pointers. */
  null_cmp(r, btf, args) {
    const ps = ptrArgs(args);
    if (!ps.length) return null;
    const a = pick(r, ps);
    const ms = ptrMembers(btf, a.structId).filter((m) => m.structId);
    const load = ms.length && r() < 0.6 ? `r2 = *(u64 *)(r2 +${pick(r, ms).off})\n` : '';
    return { asm: `r2 = *(u64 *)(r1 +${8 * a.idx})\n${load}if r2 ${pick(r, ['==', '!='])} 0 goto +2\nr0 = *(u8 *)(r2 +0)\nr0 = 1\n${EXIT}` };
  },
};

export const TRACING_KINDS = Object.keys(BUILDERS);

/** `n` cases from `seed`, tracepoints and kinds in turn; tracepoints missing from `btf` are skipped. */
export function generateTracing(seed: string, n: number, btf: KernelBtf, typedefId: (tp: string) => number): TracingCase[] {
  const out: TracingCase[] = [];
  const tps = TRACEPOINTS.map((tp) => ({ tp, id: typedefId(tp) })).filter((x) => x.id > 0);
  // and a seeded sample of every other tracepoint of the kernel (other structs, enum/int/char * arguments)
  const all = btf.types.map((t, id) => ({ t, id })).filter(({ t }) => t.kind === 8 && t.name.startsWith('btf_trace_'));
  const rs = seedrandom(`${seed}/tracepoints`);
  for (let k = 0; k < 40 && all.length; k++) {
    const x = all[Math.floor(rs() * all.length)];
    tps.push({ tp: x.t.name.slice('btf_trace_'.length) as (typeof TRACEPOINTS)[number], id: x.id });
  }
  for (let i = 0; out.length < n && i < n * 4; i++) {
    const r = seedrandom(`${seed}/${i}`);
    const kind = TRACING_KINDS[i % TRACING_KINDS.length];
    const { tp, id } = tps[Math.floor(i / TRACING_KINDS.length) % tps.length];
    const b = BUILDERS[kind](r, btf, argsOf(btf, id));
    if (!b) continue;
    out.push({ id: `${seed}/${i}`, kind, tp, attachBtfId: id, license: b.license ?? 'GPL', asm: b.asm });
  }
  return out;
}
