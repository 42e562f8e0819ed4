/**
 * libbpf's attach target resolution for BTF-typed programs (libbpf_find_attach_btf_id): the
 * program's SEC() target names a type in the kernel BTF whose id becomes attach_btf_id.
 * tp_btf/<tp> names the typedef `btf_trace_<tp>`; fentry/fexit/fmod_ret/<fn> the FUNC `<fn>`,
 * lsm/<hook> the FUNC `bpf_lsm_<hook>`, iter/<target> the FUNC `bpf_iter_<target>`.
 */
import type { AttachTarget, Btf } from '@bpfsim/loader';
import { Errno } from '@bpfsim/uapi';

const BTF_KIND_FUNC = 12;
const BTF_KIND_TYPEDEF = 8;

/** Type ids by "kind:name", first id wins (as btf__find_by_name_kind), built once per Btf. */
const index = new WeakMap<Btf, Map<string, number>>();
function findByNameKind(btf: Btf, name: string, kind: number): number {
  let m = index.get(btf);
  if (!m) {
    m = new Map();
    for (const t of btf.types) {
      if (!t.name) continue;
      const key = `${t.kind}:${t.name}`;
      if (!m.has(key)) m.set(key, t.id);
    }
    index.set(btf, m);
  }
  return m.get(`${kind}:${name}`) ?? -1;
}

/**
 * attach_btf_id for a program's attach target, or a negative errno with libbpf's message when the
 * kernel BTF has no such type (-ESRCH). Targets that are not BTF ids give 0.
 */
export function resolveAttachBtfId(btf: Btf, target: AttachTarget | undefined, progName: string): { id: number } | { errno: number; message: string } {
  if (!target) return { id: 0 };
  let name: string;
  let kind: number;
  if (target.kind === 'tp_btf') { name = `btf_trace_${target.name}`; kind = BTF_KIND_TYPEDEF; }
  else if (target.kind === 'tracing') { name = target.fn; kind = BTF_KIND_FUNC; }
  else if (target.kind === 'lsm') { name = `bpf_lsm_${target.hook}`; kind = BTF_KIND_FUNC; }
  else if (target.kind === 'iter') { name = `bpf_iter_${target.target}`; kind = BTF_KIND_FUNC; }
  else return { id: 0 };
  const id = findByNameKind(btf, name, kind);
  if (id > 0) return { id };
  const shown = name.replace(/^btf_trace_/, '');
  return { errno: Errno.ESRCH, message: `prog '${progName}': failed to find kernel BTF type ID of '${shown}': -${Errno.ESRCH}` };
}
