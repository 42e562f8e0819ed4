/**
 * The helpers of BPF_MAP_TYPE_CGROUP_ARRAY: bpf_current_task_under_cgroup
 * (kernel/trace/bpf_trace.c) and bpf_skb_under_cgroup (net/core/filter.c).
 * Both refuse an index past max_entries (E2BIG) and an empty slot (EAGAIN);
 * bpf_skb_under_cgroup first answers 0 for an skb without a full socket.
 * bpfsim has no cgroup hierarchy yet, so a slot is never filled (the map
 * refuses every fd, see maps/cgroup-array.ts): a filled one is a bpfsim bug.
 */
import { BpfMapType, Errno } from '@bpfsim/uapi';
import type { CgroupArrayMap } from '../maps/map';
import { mapAt } from './mem';
import { neg, type HelperArea } from './types';

function underCgroup(map: CgroupArrayMap, idx: bigint): bigint {
  const i = Number(idx & 0xffffffffn);
  if (i >= map.maxEntries) return neg(Errno.E2BIG);
  const cgrp = map.cgroupAt(i);
  if (!cgrp) return neg(Errno.EAGAIN);
  throw new TypeError(`cgroup array ${map.name}: slot ${i} holds a cgroup, but bpfsim models no cgroup hierarchy`);
}

function cgroupArray(m: ReturnType<typeof mapAt>): CgroupArrayMap {
  if (m.type !== BpfMapType.CGROUP_ARRAY) throw new TypeError(`helper: map ${m.name} is not a cgroup array`);
  return m as CgroupArrayMap;
}

export const cgroupArrayHelpers: HelperArea = {
  bpf_current_task_under_cgroup: (_env, call, m, idx) => underCgroup(cgroupArray(mapAt(call.mem, m)), idx),
  // The test-run skb carries a zeroed full socket (sk_fullsock); an skb without one answers 0.
  bpf_skb_under_cgroup: (env, call, _skb, m, idx) => (env.skb?.sk ? underCgroup(cgroupArray(mapAt(call.mem, m)), idx) : 0n),
};
