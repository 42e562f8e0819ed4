/**
 * SEC() names → program type, expected attach type and flags: ONE table, in
 * the order and with the matching rules of libbpf's section_defs[]
 * (tools/lib/bpf/libbpf.c). First match wins.
 *
 * Pattern forms, as in libbpf's sec_def_matches():
 *   "name"   exact match only;
 *   "name+"  "name" exactly, or "name/<anything>";
 *   "name/"  "name/<anything>" (prefix).
 */
import { BpfAttachType as A, BpfProgType as P } from '@bpfsim/uapi';
import type { AttachTarget } from './api';

/** Section flags (libbpf SEC_* bits that matter to loading). */
export const SEC_NONE = 0;
/** expected_attach_type is passed to BPF_PROG_LOAD. */
export const SEC_EXP_ATTACH = 1;
export const SEC_SLEEPABLE = 2;
export const SEC_XDP_FRAGS = 4;
/** The attach target is a BTF id resolved at load (fentry, lsm, tp_btf, iter). */
export const SEC_ATTACH_BTF = 8;

/** How to read the part after the prefix into an attach target. */
type TargetParser = (rest: string, section: string) => AttachTarget | undefined;

export interface SectionDef {
  pattern: string;
  progType: number;
  attachType: number;
  flags: number;
  target?: TargetParser;
}

/** "fn" or "fn+0x10" */
function fnOffset(spec: string): { fn: string; offset: number } {
  const m = /^([^+]*)\+(0x[0-9a-fA-F]+|\d+)$/.exec(spec);
  return m ? { fn: m[1], offset: Number(m[2]) } : { fn: spec, offset: 0 };
}
const kprobe = (retprobe: boolean): TargetParser => (rest) => (rest ? { kind: 'kprobe', ...fnOffset(rest), retprobe } : undefined);
const ksyscall = (retprobe: boolean): TargetParser => (rest) => (rest ? { kind: 'ksyscall', syscall: rest, retprobe } : undefined);
/** "PATH:FN[+OFF]" — the path runs to the first ':' as in libbpf's "%m[^:]:%m[^\n]". */
const uprobe = (retprobe: boolean): TargetParser => (rest) => {
  const colon = rest.indexOf(':');
  if (colon <= 0) return undefined;
  return { kind: 'uprobe', path: rest.slice(0, colon), ...fnOffset(rest.slice(colon + 1)), retprobe };
};
const tracepoint: TargetParser = (rest) => {
  const slash = rest.indexOf('/');
  return slash > 0 ? { kind: 'tracepoint', category: rest.slice(0, slash), name: rest.slice(slash + 1) } : undefined;
};
const rawTp = (writable: boolean): TargetParser => (rest) => (rest ? { kind: 'raw_tracepoint', name: rest, writable } : undefined);
const tpBtf: TargetParser = (rest) => (rest ? { kind: 'tp_btf', name: rest } : undefined);
const tracing = (mode: 'fentry' | 'fexit' | 'fmod_ret'): TargetParser => (rest) => (rest ? { kind: 'tracing', fn: rest, mode } : undefined);
const lsm: TargetParser = (rest) => (rest ? { kind: 'lsm', hook: rest } : undefined);
const iter: TargetParser = (rest) => (rest ? { kind: 'iter', target: rest } : undefined);
/** "PATH:PROVIDER:NAME" */
const usdt: TargetParser = (rest) => {
  const m = /^([^:]+):([^:]+):(.+)$/.exec(rest);
  return m ? { kind: 'usdt', path: m[1], provider: m[2], name: m[3] } : undefined;
};

const E = SEC_EXP_ATTACH;
const S = SEC_SLEEPABLE;
const B = SEC_ATTACH_BTF | SEC_EXP_ATTACH;
const def = (pattern: string, progType: number, attachType: number, flags: number, target?: TargetParser): SectionDef => ({
  pattern, progType, attachType, flags, target,
});

/** libbpf's section_defs[], same order. */
export const SECTION_DEFS: readonly SectionDef[] = [
  def('socket', P.SOCKET_FILTER, 0, SEC_NONE),
  def('sk_reuseport/migrate', P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT_OR_MIGRATE, E),
  def('sk_reuseport', P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT, E),
  def('kprobe+', P.KPROBE, 0, SEC_NONE, kprobe(false)),
  def('uprobe+', P.KPROBE, 0, SEC_NONE, uprobe(false)),
  def('uprobe.s+', P.KPROBE, 0, S, uprobe(false)),
  def('kretprobe+', P.KPROBE, 0, SEC_NONE, kprobe(true)),
  def('uretprobe+', P.KPROBE, 0, SEC_NONE, uprobe(true)),
  def('uretprobe.s+', P.KPROBE, 0, S, uprobe(true)),
  def('kprobe.multi+', P.KPROBE, A.TRACE_KPROBE_MULTI, E),
  def('kretprobe.multi+', P.KPROBE, A.TRACE_KPROBE_MULTI, E),
  def('kprobe.session+', P.KPROBE, A.TRACE_KPROBE_SESSION, E),
  def('uprobe.multi+', P.KPROBE, A.TRACE_UPROBE_MULTI, E),
  def('uretprobe.multi+', P.KPROBE, A.TRACE_UPROBE_MULTI, E),
  def('uprobe.multi.s+', P.KPROBE, A.TRACE_UPROBE_MULTI, E | S),
  def('uretprobe.multi.s+', P.KPROBE, A.TRACE_UPROBE_MULTI, E | S),
  def('ksyscall+', P.KPROBE, 0, SEC_NONE, ksyscall(false)),
  def('kretsyscall+', P.KPROBE, 0, SEC_NONE, ksyscall(true)),
  def('usdt+', P.KPROBE, 0, SEC_NONE, usdt),
  def('usdt.s+', P.KPROBE, 0, S, usdt),
  def('tc/ingress', P.SCHED_CLS, A.TCX_INGRESS, E),
  def('tc/egress', P.SCHED_CLS, A.TCX_EGRESS, E),
  def('tcx/ingress', P.SCHED_CLS, A.TCX_INGRESS, E),
  def('tcx/egress', P.SCHED_CLS, A.TCX_EGRESS, E),
  def('netkit/primary', P.SCHED_CLS, A.NETKIT_PRIMARY, E),
  def('netkit/peer', P.SCHED_CLS, A.NETKIT_PEER, E),
  def('tc', P.SCHED_CLS, 0, SEC_NONE),
  def('classifier', P.SCHED_CLS, 0, SEC_NONE),
  def('action', P.SCHED_ACT, 0, SEC_NONE),
  def('tracepoint+', P.TRACEPOINT, 0, SEC_NONE, tracepoint),
  def('tp+', P.TRACEPOINT, 0, SEC_NONE, tracepoint),
  def('raw_tracepoint+', P.RAW_TRACEPOINT, 0, SEC_NONE, rawTp(false)),
  def('raw_tp+', P.RAW_TRACEPOINT, 0, SEC_NONE, rawTp(false)),
  def('raw_tracepoint.w+', P.RAW_TRACEPOINT_WRITABLE, 0, SEC_NONE, rawTp(true)),
  def('raw_tp.w+', P.RAW_TRACEPOINT_WRITABLE, 0, SEC_NONE, rawTp(true)),
  def('tp_btf+', P.TRACING, A.TRACE_RAW_TP, B, tpBtf),
  def('fentry+', P.TRACING, A.TRACE_FENTRY, B, tracing('fentry')),
  def('fmod_ret+', P.TRACING, A.MODIFY_RETURN, B, tracing('fmod_ret')),
  def('fexit+', P.TRACING, A.TRACE_FEXIT, B, tracing('fexit')),
  def('fentry.s+', P.TRACING, A.TRACE_FENTRY, B | S, tracing('fentry')),
  def('fmod_ret.s+', P.TRACING, A.MODIFY_RETURN, B | S, tracing('fmod_ret')),
  def('fexit.s+', P.TRACING, A.TRACE_FEXIT, B | S, tracing('fexit')),
  def('freplace+', P.EXT, 0, SEC_ATTACH_BTF),
  def('lsm+', P.LSM, A.LSM_MAC, B, lsm),
  def('lsm.s+', P.LSM, A.LSM_MAC, B | S, lsm),
  def('lsm_cgroup+', P.LSM, A.LSM_CGROUP, B, lsm),
  def('iter+', P.TRACING, A.TRACE_ITER, B, iter),
  def('iter.s+', P.TRACING, A.TRACE_ITER, B | S, iter),
  def('syscall', P.SYSCALL, 0, S),
  def('xdp.frags/devmap', P.XDP, A.XDP_DEVMAP, E | SEC_XDP_FRAGS),
  def('xdp/devmap', P.XDP, A.XDP_DEVMAP, E),
  def('xdp.frags/cpumap', P.XDP, A.XDP_CPUMAP, E | SEC_XDP_FRAGS),
  def('xdp/cpumap', P.XDP, A.XDP_CPUMAP, E),
  def('xdp.frags', P.XDP, A.XDP, E | SEC_XDP_FRAGS),
  def('xdp', P.XDP, A.XDP, E),
  def('perf_event', P.PERF_EVENT, 0, SEC_NONE),
  def('lwt_in', P.LWT_IN, 0, SEC_NONE),
  def('lwt_out', P.LWT_OUT, 0, SEC_NONE),
  def('lwt_xmit', P.LWT_XMIT, 0, SEC_NONE),
  def('lwt_seg6local', P.LWT_SEG6LOCAL, 0, SEC_NONE),
  def('sockops', P.SOCK_OPS, A.CGROUP_SOCK_OPS, E),
  def('sk_skb/stream_parser', P.SK_SKB, A.SK_SKB_STREAM_PARSER, E),
  def('sk_skb/stream_verdict', P.SK_SKB, A.SK_SKB_STREAM_VERDICT, E),
  def('sk_skb/verdict', P.SK_SKB, A.SK_SKB_VERDICT, E),
  def('sk_skb', P.SK_SKB, 0, SEC_NONE),
  def('sk_msg', P.SK_MSG, A.SK_MSG_VERDICT, E),
  def('lirc_mode2', P.LIRC_MODE2, A.LIRC_MODE2, E),
  def('flow_dissector', P.FLOW_DISSECTOR, A.FLOW_DISSECTOR, E),
  def('cgroup_skb/ingress', P.CGROUP_SKB, A.CGROUP_INET_INGRESS, E),
  def('cgroup_skb/egress', P.CGROUP_SKB, A.CGROUP_INET_EGRESS, E),
  def('cgroup/skb', P.CGROUP_SKB, 0, SEC_NONE),
  def('cgroup/sock_create', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE, E),
  def('cgroup/sock_release', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_RELEASE, E),
  def('cgroup/sock', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE, E),
  def('cgroup/post_bind4', P.CGROUP_SOCK, A.CGROUP_INET4_POST_BIND, E),
  def('cgroup/post_bind6', P.CGROUP_SOCK, A.CGROUP_INET6_POST_BIND, E),
  def('cgroup/bind4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_BIND, E),
  def('cgroup/bind6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_BIND, E),
  def('cgroup/connect4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_CONNECT, E),
  def('cgroup/connect6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_CONNECT, E),
  def('cgroup/connect_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_CONNECT, E),
  def('cgroup/sendmsg4', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_SENDMSG, E),
  def('cgroup/sendmsg6', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_SENDMSG, E),
  def('cgroup/sendmsg_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_SENDMSG, E),
  def('cgroup/recvmsg4', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_RECVMSG, E),
  def('cgroup/recvmsg6', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_RECVMSG, E),
  def('cgroup/recvmsg_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_RECVMSG, E),
  def('cgroup/getpeername4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_GETPEERNAME, E),
  def('cgroup/getpeername6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_GETPEERNAME, E),
  def('cgroup/getpeername_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_GETPEERNAME, E),
  def('cgroup/getsockname4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_GETSOCKNAME, E),
  def('cgroup/getsockname6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_GETSOCKNAME, E),
  def('cgroup/getsockname_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_GETSOCKNAME, E),
  def('cgroup/sysctl', P.CGROUP_SYSCTL, A.CGROUP_SYSCTL, E),
  def('cgroup/getsockopt', P.CGROUP_SOCKOPT, A.CGROUP_GETSOCKOPT, E),
  def('cgroup/setsockopt', P.CGROUP_SOCKOPT, A.CGROUP_SETSOCKOPT, E),
  def('cgroup/dev', P.CGROUP_DEVICE, A.CGROUP_DEVICE, E),
  def('struct_ops+', P.STRUCT_OPS, 0, SEC_NONE),
  def('struct_ops.s+', P.STRUCT_OPS, 0, S),
  def('sk_lookup', P.SK_LOOKUP, A.SK_LOOKUP, E),
  def('netfilter', P.NETFILTER, A.NETFILTER, E),
];

/** libbpf's sec_def_matches(). */
function matches(pattern: string, section: string): boolean {
  if (pattern.endsWith('/')) return section.startsWith(pattern);
  if (pattern.endsWith('+')) {
    const p = pattern.slice(0, -1);
    return section.startsWith(p) && (section.length === p.length || section[p.length] === '/');
  }
  return section === pattern;
}

/** What a SEC() name means, or undefined when libbpf would not know it. */
export interface SectionInfo {
  def: SectionDef;
  progType: number;
  /** Absent when libbpf passes 0 (no SEC_EXP_ATTACH). */
  expectedAttachType?: number;
  attachTarget?: AttachTarget;
  sleepable: boolean;
  progFlags: number;
}

export const BPF_F_SLEEPABLE = 1 << 4;
export const BPF_F_XDP_HAS_FRAGS = 1 << 5;

export function findSectionDef(section: string): SectionInfo | undefined {
  const d = SECTION_DEFS.find((x) => matches(x.pattern, section));
  if (!d) return undefined;
  const base = d.pattern.replace(/[+/]$/, '');
  const rest = section.length > base.length + 1 ? section.slice(base.length + 1) : '';
  const sleepable = (d.flags & SEC_SLEEPABLE) !== 0;
  return {
    def: d,
    progType: d.progType,
    expectedAttachType: d.flags & SEC_EXP_ATTACH ? d.attachType : undefined,
    attachTarget: d.target ? d.target(rest, section) : undefined,
    sleepable,
    progFlags: (sleepable ? BPF_F_SLEEPABLE : 0) | (d.flags & SEC_XDP_FRAGS ? BPF_F_XDP_HAS_FRAGS : 0),
  };
}
