/**
 * Loads through a map pointer (check_ptr_to_map_access): privileged programs may read the kernel's
 * own map struct (`struct bpf_array`, `struct bpf_htab`, ...: the map type's map_btf_id), walked
 * through the kernel BTF like any PTR_TO_BTF_ID; writes and negative offsets are refused.
 */
import { BpfMapType as M } from '@bpfsim/uapi';
import { K, findByNameKind, typeById } from './btf';
import { structAccess } from './btf-ptr';
import type { Checker } from './check';
import { eacces, Reject } from './errors';
import { ptr, type Reg } from './state';

/** map type -> the struct its ops name as map_btf_id (kernel/bpf/*.c, net/core/sock_map.c, net/xdp/xskmap.c). */
const MAP_STRUCT: Readonly<Record<number, string>> = {
  [M.ARRAY]: 'bpf_array', [M.PERCPU_ARRAY]: 'bpf_array', [M.PROG_ARRAY]: 'bpf_array', [M.PERF_EVENT_ARRAY]: 'bpf_array',
  [M.CGROUP_ARRAY]: 'bpf_array', [M.ARRAY_OF_MAPS]: 'bpf_array',
  [M.HASH]: 'bpf_htab', [M.PERCPU_HASH]: 'bpf_htab', [M.LRU_HASH]: 'bpf_htab', [M.LRU_PERCPU_HASH]: 'bpf_htab',
  [M.HASH_OF_MAPS]: 'bpf_htab',
  [M.LPM_TRIE]: 'lpm_trie', [M.STACK_TRACE]: 'bpf_stack_map', [M.QUEUE]: 'bpf_queue_stack', [M.STACK]: 'bpf_queue_stack',
  [M.RINGBUF]: 'bpf_ringbuf_map', [M.USER_RINGBUF]: 'bpf_ringbuf_map', [M.BLOOM_FILTER]: 'bpf_bloom_filter',
  [M.DEVMAP]: 'bpf_dtab', [M.DEVMAP_HASH]: 'bpf_dtab', [M.CPUMAP]: 'bpf_cpu_map', [M.XSKMAP]: 'xsk_map',
  [M.SOCKMAP]: 'bpf_stab', [M.SOCKHASH]: 'bpf_shtab', [M.REUSEPORT_SOCKARRAY]: 'reuseport_array',
  [M.CGROUP_STORAGE]: 'bpf_cgroup_storage_map', [M.PERCPU_CGROUP_STORAGE]: 'bpf_cgroup_storage_map',
  [M.SK_STORAGE]: 'bpf_local_storage_map', [M.INODE_STORAGE]: 'bpf_local_storage_map',
  [M.TASK_STORAGE]: 'bpf_local_storage_map', [M.CGRP_STORAGE]: 'bpf_local_storage_map',
  [M.STRUCT_OPS]: 'bpf_struct_ops_map', [M.ARENA]: 'bpf_arena',
};

/** A load of `size` bytes at `off` through map pointer `regno`: the pointer it yields, or null for a scalar. */
export function checkPtrToMapAccess(c: Checker, regno: number, off: number, size: number, write: boolean): Reg | null {
  const map = c.regs[regno].map;
  const type = map?.type ?? -1;
  const tname = MAP_STRUCT[type];
  if (!tname) throw new Reject(`map_ptr access not supported for map type ${type}`, 'ENOTSUPP');
  const btf = c.opts.kernelBtf;
  if (!btf) throw new Reject(`bpfsim has no kernel BTF for R${regno} map_ptr (struct ${tname})`, 'EINVAL');
  const id = findByNameKind(btf, tname, K.STRUCT);
  if (id < 0) throw new Reject(`map_ptr access not supported for map type ${type}`, 'ENOTSUPP');
  if (off < 0) throw eacces(`R${regno} is ${tname} invalid negative access: off=${off}`);
  if (write) throw eacces(`only read from ${tname} is supported`);
  const { walk, untrusted } = structAccess(btf, id, off, size);
  if (walk.kind === 'scalar' || walk.kind === 'struct') return null;
  if (walk.id < 0) return ptr('mem', { rdonly: true, untrusted: true, memSize: 0 });
  return ptr('ptr_btf', { btfId: walk.id, btfName: typeById(btf, walk.id).name, untrusted: untrusted || undefined });
}
