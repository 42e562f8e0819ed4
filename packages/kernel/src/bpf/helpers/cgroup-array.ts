/**
 * The helpers of BPF_MAP_TYPE_CGROUP_ARRAY: bpf_current_task_under_cgroup
 * (kernel/trace/bpf_trace.c) and bpf_skb_under_cgroup (net/core/filter.c).
 * Both refuse an index past max_entries (E2BIG) and an empty slot (EAGAIN);
 * bpf_skb_under_cgroup first answers 0 for an skb without a full socket.
 * A slot holds a cgroup (maps/cgroup-array.ts); the current task is under it
 * when the cgroup is its cgroup or an ancestor of it
 * (task_under_cgroup_hierarchy). An skb is asked about its socket's cgroup,
 * which test runs do not have: the zeroed test-run socket belongs to the root.
 */
import { BpfMapType, Errno } from '@bpfsim/uapi';
import type { CgroupArrayMap } from '../maps/map';
import { mapAt } from './mem';
import { neg, type HelperArea } from './types';

function underCgroup(map: CgroupArrayMap, idx: bigint, ancestors: readonly bigint[]): bigint {
  const i = Number(idx & 0xffffffffn);
  if (i >= map.maxEntries) return neg(Errno.E2BIG);
  const ref = map.cgroupAt(i) as { cgroup?: { id: bigint } } | undefined;
  if (!ref?.cgroup) return neg(Errno.EAGAIN);
  return ancestors.includes(ref.cgroup.id) ? 1n : 0n;
}

function cgroupArray(m: ReturnType<typeof mapAt>): CgroupArrayMap {
  if (m.type !== BpfMapType.CGROUP_ARRAY) throw new TypeError(`helper: map ${m.name} is not a cgroup array`);
  return m as CgroupArrayMap;
}

export const cgroupArrayHelpers: HelperArea = {
  bpf_current_task_under_cgroup: (env, call, m, idx) => underCgroup(cgroupArray(mapAt(call.mem, m)), idx, env.kernel.current.cgroupAncestors),
  // The test-run skb carries a zeroed full socket (sk_fullsock); an skb without one answers 0.
  bpf_skb_under_cgroup: (env, call, _skb, m, idx) => (env.skb?.sk ? underCgroup(cgroupArray(mapAt(call.mem, m)), idx, [1n]) : 0n),
};
