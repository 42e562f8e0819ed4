/**
 * BPF_PROG_TYPE_CGROUP_SOCK_ADDR: cg_sock_addr_verifier_ops (net/core/filter.c). Context: struct
 * bpf_sock_addr. sock_addr_is_valid_access shows the IPv4 or IPv6 address fields only to the hooks of
 * that family, msg_src_* only to sendmsg; the return range depends on the hook (check_return_code).
 */
import { BpfAttachType as A, BpfProgType } from '../enums';
import { RETVAL_ATTACH } from './cgroup-common';
import type { CtxField, CtxSizes } from './types';
import type { ProgTypeInfo } from './types';

const INET4 = [A.CGROUP_INET4_BIND, A.CGROUP_INET4_CONNECT, A.CGROUP_UDP4_SENDMSG, A.CGROUP_UDP4_RECVMSG,
  A.CGROUP_INET4_GETPEERNAME, A.CGROUP_INET4_GETSOCKNAME];
const INET6 = [A.CGROUP_INET6_BIND, A.CGROUP_INET6_CONNECT, A.CGROUP_UDP6_SENDMSG, A.CGROUP_UDP6_RECVMSG,
  A.CGROUP_INET6_GETPEERNAME, A.CGROUP_INET6_GETSOCKNAME];
const UNIX = [A.CGROUP_UNIX_CONNECT, A.CGROUP_UNIX_SENDMSG, A.CGROUP_UNIX_RECVMSG, A.CGROUP_UNIX_GETPEERNAME,
  A.CGROUP_UNIX_GETSOCKNAME];

const f = (name: string, off: number, size: number, read: CtxSizes, extra: Partial<CtxField> = {}): CtxField =>
  Object.freeze({ name, off, size, read, write: null, ...extra });
const only = (a: readonly number[]): Partial<CtxField> => ({ readAttach: a, writeAttach: a });

export const cgroupSockAddr: ProgTypeInfo = Object.freeze<ProgTypeInfo>({
  type: BpfProgType.CGROUP_SOCK_ADDR,
  name: 'cgroup_sock_addr',
  ctxStruct: 'bpf_sock_addr',
  ctxSize: 72,
  fields: Object.freeze([
    f('user_family', 0, 4, 'exact'),
    f('user_ip4', 4, 4, 'narrow', { write: 'exact', ...only(INET4) }),
    f('user_ip6', 8, 16, 'any', { write: 'wide', ...only(INET6) }),
    f('user_port', 24, 4, 'narrow', { write: 'exact' }),
    f('family', 28, 4, 'exact'),
    f('type', 32, 4, 'exact'),
    f('protocol', 36, 4, 'exact'),
    f('msg_src_ip4', 40, 4, 'narrow', { write: 'exact', ...only([A.CGROUP_UDP4_SENDMSG]) }),
    f('msg_src_ip6', 44, 16, 'any', { write: 'wide', ...only([A.CGROUP_UDP6_SENDMSG]) }),
    f('sk', 64, 8, 'exact', { yields: 'sock' }),
  ]),
  helpers: Object.freeze([1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 25, 35, 37, 42, 46, 49, 55, 57, 64, 80, 81, 84, 85, 86, 87, 88, 89, 93, 94, 99, 105, 106, 107, 108, 109, 112, 113, 114, 115, 117, 118, 120, 122, 123, 125, 130, 131, 132, 133, 134, 136, 137, 138, 139, 140, 141, 148, 149, 153, 154, 156, 157, 158, 160, 164, 165, 169, 170, 171, 172, 175, 176, 177, 178, 180, 181, 182, 186, 187, 191, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 208, 209, 210, 211]),
  // bpf_bind: connect hooks only.
  helperAttach: Object.freeze({ 64: { only: [A.CGROUP_INET4_CONNECT, A.CGROUP_INET6_CONNECT] }, 186: RETVAL_ATTACH, 187: RETVAL_ATTACH }),
  retRange: [0, 1],
  retRangeByAttach: Object.freeze({
    // bind: bit 1 asks the kernel to skip the CAP_NET_BIND_SERVICE check.
    [A.CGROUP_INET4_BIND]: [0, 3], [A.CGROUP_INET6_BIND]: [0, 3],
    // these hooks cannot refuse: the program must return 1.
    ...Object.fromEntries([A.CGROUP_UDP4_RECVMSG, A.CGROUP_UDP6_RECVMSG, A.CGROUP_UNIX_RECVMSG, A.CGROUP_INET4_GETPEERNAME,
      A.CGROUP_INET6_GETPEERNAME, A.CGROUP_UNIX_GETPEERNAME, A.CGROUP_INET4_GETSOCKNAME, A.CGROUP_INET6_GETSOCKNAME,
      A.CGROUP_UNIX_GETSOCKNAME].map((a) => [a, [1, 1] as const])),
  }),
  attachTypes: Object.freeze([...INET4, ...INET6, ...UNIX].sort((a, b) => a - b)),
  pktAccess: false,
  ldAbs: false,
});
