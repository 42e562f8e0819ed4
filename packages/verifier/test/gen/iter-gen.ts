/**
 * Seeded generator of BPF iterator programs (BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER) for differential
 * tests against the kernel: the tp_btf builders (context reads, field reads, chains, writes, helpers)
 * over the iterator's arguments, plus what only iterators do: bpf_seq_printf / bpf_seq_write /
 * bpf_seq_printf_btf on meta->seq (good and bad arguments), return values outside [0, 1], and
 * attach targets that are not iterators.
 */
import seedrandom from 'seedrandom';
import type { KernelBtf, KernelBtfType } from '@bpfsim/verifier';
import { BUILDERS } from './tracing-gen';

type Rng = () => number;

export interface IterCase { id: string; kind: string; target: string; attachBtfId: number; license: string; asm: string }

/** The iterator targets the cases attach to (bpf_map_elem: see docs/differences.md). */
export const ITER_TARGETS = ['task', 'task_file', 'task_vma', 'bpf_map', 'cgroup'] as const;

const MODS = new Set([8, 9, 10, 11, 18]);
function skip(btf: KernelBtf, id: number): { t: KernelBtfType; id: number } {
  let t = btf.types[id];
  while (t && MODS.has(t.kind)) { id = t.type ?? 0; t = btf.types[id]; }
  return { t: t ?? { kind: 0, name: '' }, id };
}

interface Arg { idx: number; structId: number; isPtr: boolean }

/** The iterator's arguments: `meta`, then the target's objects (and task_file's `fd`). */
function argsOf(btf: KernelBtf, funcId: number): Arg[] {
  const proto = btf.types[btf.types[funcId].type ?? 0];
  return (proto.params ?? []).map((prm, idx) => {
    const s = skip(btf, prm.type);
    if (s.t.kind !== 2) return { idx, structId: 0, isPtr: false };
    const to = skip(btf, s.t.type ?? 0);
    return { idx, structId: to.t.kind === 4 || to.t.kind === 5 ? to.id : 0, isPtr: true };
  });
}

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const EXIT = 'r0 = 0\nexit';
/** meta->seq into r1 (struct bpf_iter_meta's first member). */
const SEQ = 'r6 = *(u64 *)(r1 +0)\nr1 = *(u64 *)(r6 +0)\n';

type IterBuilder = (r: Rng, btf: KernelBtf, args: Arg[]) => { asm: string; license?: string } | null;

const ITER_BUILDERS: Record<string, IterBuilder> = {
  /** bpf_seq_write(seq, data, len): initialized or not, sizes in and out of range, the wrong first argument. */
  seq_write(r) {
    const init = r() < 0.7 ? 'r3 = 7\n*(u64 *)(r10 -16) = r3\n' : '';
    const first = pick(r, [SEQ, SEQ, SEQ, 'r6 = *(u64 *)(r1 +0)\nr1 = r6\n', '', 'r1 = 0\n']);
    const len = pick(r, [8, 8, 0, 16, 4, -1]);
    return { asm: `${init}${first}r2 = r10\nr2 += -16\nr3 = ${len}\ncall 127\n${EXIT}`, license: r() < 0.15 ? 'MIT' : undefined };
  },
  /** bpf_seq_printf(seq, fmt, fmt_size, data, data_len): format on the stack, data NULL or an array of u64. */
  seq_printf(r) {
    const fmt = pick(r, ['*(u64 *)(r10 -16) = 680997\n', '*(u32 *)(r10 -16) = 680997\n', '']); // "%d\n"
    const fsize = pick(r, [4, 8, 0, 17]);
    const data = pick(r, ['r4 = 0\nr5 = 0\n', 'r4 = 5\n*(u64 *)(r10 -8) = r4\nr4 = r10\nr4 += -8\nr5 = 8\n', 'r4 = r10\nr4 += -8\nr5 = 8\n', 'r4 = 0\nr5 = 8\n']);
    return { asm: `${fmt}${SEQ}r2 = r10\nr2 += -16\nr3 = ${fsize}\n${data}call 126\n${EXIT}`, license: r() < 0.1 ? 'BSD' : undefined };
  },
  /** bpf_seq_printf_btf(seq, ptr, ptr_size, flags): helper 150. */
  seq_printf_btf(r) {
    const init = r() < 0.7 ? 'r3 = 0\n*(u64 *)(r10 -16) = r3\n*(u64 *)(r10 -8) = r3\n' : '';
    return { asm: `${init}${SEQ}r2 = r10\nr2 += -16\nr3 = ${pick(r, [16, 8, 0])}\nr4 = 0\ncall 150\n${EXIT}` };
  },
  /** The return value: 0 and 1 only. */
  ret(r, btf, args) {
    const objs = args.filter((a) => a.structId && a.idx > 0);
    const x = pick(r, ['r0 = 0', 'r0 = 1', 'r0 = 2', 'r0 = -1', 'r0 = *(u64 *)(r1 +0)', 'r0 = *(u32 *)(r1 +0)']);
    const viaObj = objs.length && r() < 0.3 ? `r2 = *(u64 *)(r1 +${8 * pick(r, objs).idx})\nr0 = 0\nif r2 == 0 goto +1\nr0 = 1\nexit` : null;
    return { asm: viaObj ?? (x.includes('r1') ? `r2 = *(u64 *)(r1 +0)\n${x.replace('r1', 'r2')}\nexit` : `${x}\nexit`) };
  },
  /** bpf_d_path(path, buf, size): iterators may call it (bpf_d_path_allowed); task_file's &file->f_path is a path. */
  d_path(r, btf, args) {
    const objs = args.filter((a) => a.structId && a.idx > 0);
    if (!objs.length) return null;
    const a = objs.find((x) => btf.types[x.structId].name === 'file' && r() < 0.8) ?? pick(r, objs);
    const check = r() < 0.8 ? 'if r2 == 0 goto +6\n' : '';
    return { asm: `r2 = *(u64 *)(r1 +${8 * a.idx})\n${check}r1 = r2\nr1 += ${pick(r, [64, 64, 0, 8, 72])}\nr2 = r10\nr2 += -64\nr3 = ${pick(r, [64, 64, 0, 65])}\ncall 147\n${EXIT}` };
  },
  /** The object argument used without a NULL check, then with one. */
  null_obj(r, btf, args) {
    const objs = args.filter((a) => a.structId && a.idx > 0);
    if (!objs.length) return null;
    const a = pick(r, objs);
    const check = r() < 0.5 ? 'if r2 == 0 goto +1\n' : '';
    return { asm: `r2 = *(u64 *)(r1 +${8 * a.idx})\n${check}r0 = *(u8 *)(r2 +${pick(r, [0, 4, 8])})\n${EXIT}` };
  },
};

/** The tp_btf builders, over the iterator's arguments. */
const SHARED = ['ctx_read', 'ctx_write', 'field_read', 'chain', 'arith', 'write', 'spill', 'non_gpl', 'null_cmp'] as const;
export const ITER_KINDS = [...SHARED, ...Object.keys(ITER_BUILDERS)];

/** `n` cases from `seed`, targets and kinds in turn, then a few attach targets that are not iterators. */
export function generateIter(seed: string, n: number, btf: KernelBtf): IterCase[] {
  const funcId = (name: string): number => btf.types.findIndex((t) => t.kind === 12 && t.name === name);
  const targets = ITER_TARGETS.map((target) => ({ target, id: funcId(`bpf_iter_${target}`) })).filter((x) => x.id > 0);
  const out: IterCase[] = [];
  for (let i = 0; out.length < n && i < n * 4; i++) {
    const r = seedrandom(`${seed}/${i}`);
    const kind = ITER_KINDS[i % ITER_KINDS.length];
    const { target, id } = targets[Math.floor(i / ITER_KINDS.length) % targets.length];
    const args = argsOf(btf, id);
    const b = kind in ITER_BUILDERS ? ITER_BUILDERS[kind](r, btf, args) : BUILDERS[kind](r, btf, args);
    if (!b) continue;
    out.push({ id: `${seed}/${i}`, kind, target, attachBtfId: id, license: b.license ?? 'GPL', asm: b.asm });
  }
  // not iterators: a struct, a function without the bpf_iter_ prefix
  const struct = btf.types.findIndex((t) => t.kind === 4 && t.name === 'task_struct');
  const func = funcId('vfs_read');
  for (const [target, id] of [['(struct task_struct)', struct], ['(vfs_read)', func]] as const) {
    if (id > 0) out.push({ id: `${seed}/bad-${target}`, kind: 'target', target, attachBtfId: id, license: 'GPL', asm: EXIT + '\n' });
  }
  return out;
}
