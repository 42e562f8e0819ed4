/**
 * BPF_PROG_TYPE_CGROUP_SOCK: cg_sock_verifier_ops (net/core/filter.c). The context is a struct
 * bpf_sock; sock_filter_is_valid_access lets socket creation/release hooks write bound_dev_if,
 * mark and priority, and shows the bound address and port only to the post_bind hooks.
 */
import { BpfAttachType as A, BpfProgType } from '../enums';
import { BPF_SOCK_SIZE } from '../sock-fields';
import { RETVAL_HELPERS } from './cgroup-common';
import type { CtxField, CtxSizes } from './types';
import type { ProgTypeInfo } from './types';

const CREATE = [A.CGROUP_INET_SOCK_CREATE, A.CGROUP_INET_SOCK_RELEASE];
const START: CtxSizes = [1, 2, 4];

const f = (name: string, off: number, size: number, read: CtxSizes, extra: Partial<CtxField> = {}): CtxField =>
  Object.freeze({ name, off, size, read, write: null, ...extra });

export const cgroupSock: ProgTypeInfo = Object.freeze<ProgTypeInfo>({
  type: BpfProgType.CGROUP_SOCK,
  name: 'cgroup_sock',
  ctxStruct: 'bpf_sock',
  ctxSize: BPF_SOCK_SIZE,
  fields: Object.freeze([
    f('bound_dev_if', 0, 4, 'exact', { write: 'exact', readAttach: CREATE, writeAttach: CREATE }),
    f('family', 4, 4, START),
    f('type', 8, 4, START),
    f('protocol', 12, 4, START),
    f('mark', 16, 4, 'exact', { write: 'exact', readAttach: CREATE, writeAttach: CREATE }),
    f('priority', 20, 4, 'exact', { write: 'exact', readAttach: CREATE, writeAttach: CREATE }),
    f('src_ip4', 24, 4, 'narrow', { readAttach: [A.CGROUP_INET4_POST_BIND] }),
    f('src_ip6', 28, 16, 'narrow', { readAttach: [A.CGROUP_INET6_POST_BIND] }),
    f('src_port', 44, 4, START, { readAttach: [A.CGROUP_INET4_POST_BIND, A.CGROUP_INET6_POST_BIND] }),
    f('dst_port', 48, 2, 'narrow'),
    f('dst_port', 48, 4, [4]),
    f('dst_ip4', 52, 4, 'narrow'),
    f('dst_ip6', 56, 16, 'narrow'),
    f('state', 72, 4, START),
    f('rx_queue_mapping', 76, 4, START),
  ]),
  helpers: Object.freeze([1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 25, 35, 37, 42, 46, 55, 80, 81, 87, 88, 89, 93, 94, 105, 106, 107, 109, 112, 113, 114, 115, 117, 118, 120, 122, 123, 125, 130, 131, 132, 133, 134, 141, 148, 149, 153, 154, 156, 157, 158, 160, 164, 165, 169, 170, 171, 172, 175, 176, 177, 180, 181, 182, 186, 187, 191, 194, 195, 197, 198, 199, 200, 201, 202, 203, 208, 209, 210, 211]),
  helperAttach: RETVAL_HELPERS,
  retRange: [0, 1],
  attachTypes: Object.freeze([A.CGROUP_INET_SOCK_CREATE, A.CGROUP_INET_SOCK_RELEASE, A.CGROUP_INET4_POST_BIND, A.CGROUP_INET6_POST_BIND]),
  defaultAttachType: A.CGROUP_INET_SOCK_CREATE,
  pktAccess: false,
  ldAbs: false,
});
