/** Rules the cgroup program types share (cgroup_common_func_proto, kernel/bpf/cgroup.c). */
import { BpfAttachType as A } from '../enums';
import type { AttachSet } from './types';

/**
 * bpf_get_retval / bpf_set_retval: every cgroup hook except those whose return value is not an
 * errno (skb ingress/egress, sock_ops, and the recvmsg/getpeername/getsockname address hooks).
 */
export const RETVAL_ATTACH: AttachSet = Object.freeze({
  except: Object.freeze([
    A.CGROUP_INET_INGRESS, A.CGROUP_INET_EGRESS, A.CGROUP_SOCK_OPS, A.CGROUP_UDP4_RECVMSG, A.CGROUP_UDP6_RECVMSG,
    A.CGROUP_INET4_GETPEERNAME, A.CGROUP_INET6_GETPEERNAME, A.CGROUP_INET4_GETSOCKNAME, A.CGROUP_INET6_GETSOCKNAME,
    A.CGROUP_UNIX_RECVMSG, A.CGROUP_UNIX_GETPEERNAME, A.CGROUP_UNIX_GETSOCKNAME,
  ]),
});

/** The retval helpers' ids (BPF_FUNC_get_retval, BPF_FUNC_set_retval). */
export const RETVAL_HELPERS = Object.freeze({ 186: RETVAL_ATTACH, 187: RETVAL_ATTACH });
