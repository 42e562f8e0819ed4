/**
 * Program return codes by name, per program type: enum xdp_action (linux/bpf.h),
 * TC_ACT_* (linux/pkt_cls.h), enum sk_action and enum bpf_ret_code (linux/bpf.h),
 * NF_* (linux/netfilter.h). Cgroup programs return 0 or 1 with no uapi names;
 * they get descriptive lowercase labels so messages can still say what 1 means.
 */
import { BpfProgType as T } from './enums';

export const XdpAction = Object.freeze({ XDP_ABORTED: 0, XDP_DROP: 1, XDP_PASS: 2, XDP_TX: 3, XDP_REDIRECT: 4 });

export const TcAction = Object.freeze({
  TC_ACT_UNSPEC: -1, TC_ACT_OK: 0, TC_ACT_RECLASSIFY: 1, TC_ACT_SHOT: 2, TC_ACT_PIPE: 3,
  TC_ACT_STOLEN: 4, TC_ACT_QUEUED: 5, TC_ACT_REPEAT: 6, TC_ACT_REDIRECT: 7, TC_ACT_TRAP: 8,
});

export const SkAction = Object.freeze({ SK_DROP: 0, SK_PASS: 1 });

/** enum bpf_ret_code: lwt_* and flow_dissector programs. */
export const BpfRetCode = Object.freeze({ BPF_OK: 0, BPF_DROP: 2, BPF_REDIRECT: 7, BPF_LWT_REROUTE: 128, BPF_FLOW_DISSECTOR_CONTINUE: 129 });

/** The verdicts a BPF_PROG_TYPE_NETFILTER program may return (check_return_code allows [0, 1]). */
export const NfVerdict = Object.freeze({ NF_DROP: 0, NF_ACCEPT: 1 });

/** Cgroup hooks: 0 refuses the operation (or drops the packet), 1 allows it. Labels, not uapi names. */
export const CgroupVerdict = Object.freeze({ deny: 0, allow: 1 });

type Table = Readonly<Record<string, number>>;

/** Which table names each program type's return value (absent: the value is only a number, or a -errno). */
const BY_TYPE: Readonly<Record<number, Table>> = Object.freeze({
  [T.XDP]: XdpAction,
  [T.SCHED_CLS]: TcAction,
  [T.SCHED_ACT]: TcAction,
  [T.SK_SKB]: SkAction,
  [T.SK_MSG]: SkAction,
  [T.SK_REUSEPORT]: SkAction,
  [T.SK_LOOKUP]: SkAction,
  [T.LWT_IN]: BpfRetCode,
  [T.LWT_OUT]: BpfRetCode,
  [T.LWT_XMIT]: BpfRetCode,
  [T.LWT_SEG6LOCAL]: BpfRetCode,
  [T.FLOW_DISSECTOR]: BpfRetCode,
  [T.NETFILTER]: NfVerdict,
  [T.CGROUP_SKB]: CgroupVerdict,
  [T.CGROUP_SOCK]: CgroupVerdict,
  [T.CGROUP_SOCK_ADDR]: CgroupVerdict,
  [T.CGROUP_DEVICE]: CgroupVerdict,
  [T.CGROUP_SYSCTL]: CgroupVerdict,
  [T.CGROUP_SOCKOPT]: CgroupVerdict,
});

/** Every uapi return-code name (XDP_*, TC_ACT_*, SK_*, BPF_*, NF_*) with its value; the names do not clash. */
export const RETCODE_NAMES: Readonly<Record<string, number>> = Object.freeze({ ...XdpAction, ...TcAction, ...SkAction, ...BpfRetCode, ...NfVerdict });

/** The names a program type's return values have (undefined when the type has none). */
export function retCodeTable(progType: number): Table | undefined {
  return BY_TYPE[progType];
}

/** The name of `value` as a return code of `progType` ("XDP_DROP"), if it has one. */
export function retCodeName(progType: number, value: number): string | undefined {
  const table = BY_TYPE[progType];
  if (!table) return undefined;
  for (const [name, v] of Object.entries(table)) if (v === value) return name;
  return undefined;
}

/** The value of a return-code name; a type's own table first, so its labels ("allow") resolve too. */
export function retCodeValue(name: string, progType?: number): number | undefined {
  const own = progType === undefined ? undefined : BY_TYPE[progType];
  if (own && Object.hasOwn(own, name)) return own[name];
  return Object.hasOwn(RETCODE_NAMES, name) ? RETCODE_NAMES[name] : undefined;
}
