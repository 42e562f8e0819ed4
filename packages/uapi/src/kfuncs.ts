/**
 * Kernel functions (kfuncs) as data: the KF_* flags each one is registered with (BTF_ID_FLAGS in its
 * set) and the program types that may call the set (register_btf_kfunc_id_set). Which kfuncs exist,
 * and their prototypes, is the profile's vmlinux BTF (FUNCs with a `bpf_kfunc` decl tag); this table
 * holds only what BTF does not say. Linux 6.18.
 */
import { BpfProgType } from './enums';

/** include/linux/btf.h KF_* flags. */
export const KF = {
  ACQUIRE: 1 << 0,
  RELEASE: 1 << 1,
  RET_NULL: 1 << 2,
  TRUSTED_ARGS: 1 << 4,
  SLEEPABLE: 1 << 5,
  DESTRUCTIVE: 1 << 6,
  RCU: 1 << 7,
} as const;

/** One kfunc set: its members with their flags, and who may call them. */
export interface KfuncSet {
  /** Where the set and its registration live in the kernel source. */
  readonly source: string;
  readonly kfuncs: Readonly<Record<string, number>>;
  /** Program types whose kfunc hook the set is registered for; 'all' for BPF_PROG_TYPE_UNSPEC (common). */
  readonly progTypes: readonly number[] | 'all';
}

/**
 * generic_btf_ids (kernel/bpf/helpers.c, registered by kfunc_init). The program types were measured
 * on the profile kernel: a program calling bpf_task_from_pid / bpf_cgroup_from_id loads for these and
 * gets `calling kernel function ... is not allowed` for socket_filter, kprobe, sched_act, lwt_*,
 * sk_skb, sk_msg, raw_tracepoint(_writable), lwt_seg6local and sk_reuseport.
 */
const GENERIC: KfuncSet = {
  source: 'kernel/bpf/helpers.c: generic_btf_ids, kfunc_init()',
  kfuncs: {
    bpf_task_acquire: KF.ACQUIRE | KF.RCU | KF.RET_NULL,
    bpf_task_release: KF.RELEASE,
    bpf_task_from_pid: KF.ACQUIRE | KF.RET_NULL,
    bpf_task_from_vpid: KF.ACQUIRE | KF.RET_NULL,
    bpf_cgroup_acquire: KF.ACQUIRE | KF.RCU | KF.RET_NULL,
    bpf_cgroup_release: KF.RELEASE,
    bpf_cgroup_ancestor: KF.ACQUIRE | KF.RCU | KF.RET_NULL,
    bpf_cgroup_from_id: KF.ACQUIRE | KF.RET_NULL,
    bpf_task_under_cgroup: KF.RCU,
  },
  progTypes: [
    BpfProgType.SCHED_CLS, BpfProgType.TRACEPOINT, BpfProgType.XDP, BpfProgType.PERF_EVENT, BpfProgType.CGROUP_SKB,
    BpfProgType.CGROUP_SOCK, BpfProgType.SOCK_OPS, BpfProgType.CGROUP_DEVICE, BpfProgType.CGROUP_SYSCTL,
    BpfProgType.TRACING, BpfProgType.STRUCT_OPS, BpfProgType.SYSCALL,
  ],
};

/** common_btf_ids (kernel/bpf/helpers.c), registered for BPF_PROG_TYPE_UNSPEC: every program type. */
const COMMON: KfuncSet = {
  source: 'kernel/bpf/helpers.c: common_btf_ids, kfunc_init()',
  kfuncs: { bpf_rcu_read_lock: 0, bpf_rcu_read_unlock: 0 },
  progTypes: 'all',
};

export const KFUNC_SETS: readonly KfuncSet[] = [GENERIC, COMMON];

/** The KF_* flags of kfunc `name` when `progType` may call it; undefined when it may not (or bpfsim does not describe it). */
export function kfuncFlags(name: string, progType: number): number | undefined {
  for (const s of KFUNC_SETS) {
    if (!(name in s.kfuncs)) continue;
    if (s.progTypes === 'all' || s.progTypes.includes(progType)) return s.kfuncs[name];
  }
  return undefined;
}

/** Does bpfsim describe kfunc `name` at all (in any set)? */
export const kfuncKnown = (name: string): boolean => KFUNC_SETS.some((s) => name in s.kfuncs);
