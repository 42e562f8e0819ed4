/**
 * BPF iterator programs (BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER): the attach target `bpf_iter_<target>`
 * (bpf_check_attach_target's BPF_TRACE_ITER case, then bpf_iter_prog_supported) and the context
 * arguments each target registers (bpf_iter_reg.ctx_arg_info: kernel/bpf/task_iter.c, map_iter.c,
 * cgroup_iter.c), which btf_ctx_access hands out in place of the prototype's plain pointer.
 */
import type { KernelBtf, KernelBtfType } from './api';
import { K, typeById } from './btf';
import { einval, Reject } from './errors';

/** BPF_ITER_FUNC_PREFIX: an iterator's attach target is the FUNC `bpf_iter_<target>`. */
export const ITER_FUNC_PREFIX = 'bpf_iter_';

/** One bpf_ctx_arg_aux: the prototype argument (by index) and the register type it gives. */
export interface IterCtxArg {
  /** Index in the `bpf_iter_<target>` prototype (0 is `struct bpf_iter_meta *meta`); offset = 8 * arg. */
  arg: number;
  /** PTR_TO_BTF_ID_OR_NULL, with PTR_TRUSTED or not (reg_type_str: `trusted_ptr_or_null_` / `ptr_or_null_`). */
  trusted: boolean;
  /** PTR_TO_BUF | PTR_MAYBE_NULL (bpf_map_elem's key, MEM_RDONLY, and value): not modelled by bpfsim. */
  buf?: 'rdonly' | 'rdwr';
}

/**
 * The iterator targets bpfsim describes, as the 6.18 kernel registers them. The PTR_TRUSTED flags are
 * those the reference kernel reports (level-2 log: `trusted_ptr_or_null_task_struct`, `ptr_or_null_file`).
 */
export const ITER_TARGETS: ReadonlyMap<string, readonly IterCtxArg[]> = new Map<string, readonly IterCtxArg[]>([
  ['task', [{ arg: 1, trusted: true }]],
  ['task_file', [{ arg: 1, trusted: false }, { arg: 3, trusted: false }]],
  ['task_vma', [{ arg: 1, trusted: false }, { arg: 2, trusted: false }]],
  ['bpf_map', [{ arg: 1, trusted: true }]],
  ['bpf_map_elem', [{ arg: 1, trusted: true }, { arg: 2, trusted: false, buf: 'rdonly' }, { arg: 3, trusted: false, buf: 'rdwr' }]],
  ['cgroup', [{ arg: 1, trusted: true }]],
]);

/** An iterator attach target: the FUNC's name (`bpf_iter_task`, the log's tname), its prototype and ctx_arg_info. */
export interface IterTarget {
  name: string;
  proto: KernelBtfType;
  /** ctx_arg_info by context offset. */
  ctxArgs: ReadonlyMap<number, IterCtxArg>;
}

/**
 * bpf_check_attach_target for BPF_TRACE_ITER, then bpf_iter_prog_supported. Throws the kernel's
 * message (EINVAL; empty where it logs none).
 */
export function checkIterTarget(btf: KernelBtf, id: number, t: KernelBtfType): IterTarget {
  if (t.kind !== K.FUNC) throw einval(`attach_btf_id ${id} is not a function`);
  const proto = typeById(btf, t.type ?? 0);
  if (proto.kind !== K.FUNC_PROTO) throw new Reject('', 'EINVAL');
  // bpf_iter_prog_supported: the name must be bpf_iter_<a registered target>; no log line otherwise
  if (!t.name.startsWith(ITER_FUNC_PREFIX)) throw new Reject('', 'EINVAL');
  const target = t.name.slice(ITER_FUNC_PREFIX.length);
  const args = ITER_TARGETS.get(target);
  if (!args) {
    throw new Reject(`bpfsim does not describe the iterator target '${target}' (it knows ${[...ITER_TARGETS.keys()].join(', ')})`, 'EINVAL');
  }
  return { name: t.name, proto, ctxArgs: new Map(args.map((a) => [8 * a.arg, a])) };
}
