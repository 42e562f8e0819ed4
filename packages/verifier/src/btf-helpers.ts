/**
 * Helpers whose arguments or results are kernel structs (ARG_PTR_TO_BTF_ID, RET_PTR_TO_BTF_ID):
 * their prototypes with the struct each pointer names (the kernel's arg_btf_id / ret_btf_id), the
 * argument check (check_reg_type for btf_ptr_types and btf_struct_ids_match) and the result.
 */
import type { BpfFuncProto } from '@bpfsim/uapi';
import { findByNameKind, K } from './btf';
import type { Checker } from './check';
import { eacces, Reject } from './errors';
import { walkMessage } from './btf-ptr';
import { ptr, type Reg } from './state';
import * as S from './bridge/scalar';
import { syncScalar } from './scalar/bounds';

/** Struct names of BTF-typed arguments and results, by helper id. */
interface BtfSig { args: Readonly<Record<number, string>>; ret?: { struct: string; trusted: boolean } }
const SIGS: Readonly<Record<number, BtfSig>> = {
  141: { args: { 0: 'task_struct' } }, // bpf_get_task_stack(task, buf, size, flags)
  158: { args: {}, ret: { struct: 'task_struct', trusted: true } }, // bpf_get_current_task_btf()
  175: { args: { 0: 'task_struct' }, ret: { struct: 'pt_regs', trusted: false } }, // bpf_task_pt_regs(task)
  156: { args: { 1: 'task_struct' } }, // bpf_task_storage_get(map, task or NULL, value or NULL, flags)
  147: { args: { 0: 'path' } }, // bpf_d_path(path, buf, size)
  191: { args: { 3: 'task_struct' } }, // bpf_copy_from_user_task(dst, size, user_ptr, task, flags)
  157: { args: { 1: 'task_struct' } }, // bpf_task_storage_delete(map, task)
  // bpf_seq_printf / bpf_seq_write / bpf_seq_printf_btf(seq, ...): iterators' output (bpf_trace.c)
  126: { args: { 0: 'seq_file' } },
  127: { args: { 0: 'seq_file' } },
  150: { args: { 0: 'seq_file' } },
  // bpf_skc_to_*(sk): the socket as a more specific kernel struct, or NULL (filter.c, ret_btf_id)
  136: { args: {}, ret: { struct: 'tcp6_sock', trusted: false } },
  137: { args: {}, ret: { struct: 'tcp_sock', trusted: false } },
  138: { args: {}, ret: { struct: 'tcp_timewait_sock', trusted: false } },
  139: { args: {}, ret: { struct: 'tcp_request_sock', trusted: false } },
  140: { args: {}, ret: { struct: 'udp6_sock', trusted: false } },
  178: { args: {}, ret: { struct: 'unix_sock', trusted: false } },
  196: { args: {}, ret: { struct: 'mptcp_sock', trusted: false } },
};

const proto = (id: number, name: string, gplOnly: boolean, ret: BpfFuncProto['ret'], args: BpfFuncProto['args']): BpfFuncProto =>
  Object.freeze({ id, name, gplOnly, mightSleep: false, ret, args, pktAccess: false, acquires: false });

/** Prototypes of the BTF helpers @bpfsim/uapi's table does not have (bpf_trace.c, bpf_task_pt_regs...). */
export const BTF_HELPER_PROTOS: ReadonlyMap<number, BpfFuncProto> = new Map<number, BpfFuncProto>([
  [141, proto(141, 'bpf_get_task_stack', false, { type: 'RET_INTEGER', flags: [] }, [
    { type: 'ARG_PTR_TO_BTF_ID', flags: [] }, { type: 'ARG_PTR_TO_MEM', flags: ['MEM_UNINIT', 'MEM_WRITE'] },
    { type: 'ARG_CONST_SIZE_OR_ZERO', flags: [] }, { type: 'ARG_ANYTHING', flags: [] },
  ])],
  [126, proto(126, 'bpf_seq_printf', true, { type: 'RET_INTEGER', flags: [] }, [
    { type: 'ARG_PTR_TO_BTF_ID', flags: [] }, { type: 'ARG_PTR_TO_MEM', flags: ['MEM_RDONLY'] }, { type: 'ARG_CONST_SIZE', flags: [] },
    { type: 'ARG_PTR_TO_MEM', flags: ['PTR_MAYBE_NULL', 'MEM_RDONLY'] }, { type: 'ARG_CONST_SIZE_OR_ZERO', flags: [] },
  ])],
  [127, proto(127, 'bpf_seq_write', true, { type: 'RET_INTEGER', flags: [] }, [
    { type: 'ARG_PTR_TO_BTF_ID', flags: [] }, { type: 'ARG_PTR_TO_MEM', flags: ['MEM_RDONLY'] }, { type: 'ARG_CONST_SIZE_OR_ZERO', flags: [] },
  ])],
  [150, proto(150, 'bpf_seq_printf_btf', true, { type: 'RET_INTEGER', flags: [] }, [
    { type: 'ARG_PTR_TO_BTF_ID', flags: [] }, { type: 'ARG_PTR_TO_MEM', flags: ['MEM_RDONLY'] }, { type: 'ARG_CONST_SIZE_OR_ZERO', flags: [] },
    { type: 'ARG_ANYTHING', flags: [] },
  ])],
  [158, proto(158, 'bpf_get_current_task_btf', true, { type: 'RET_PTR_TO_BTF_ID', flags: ['PTR_TRUSTED'] }, [])],
  [175, proto(175, 'bpf_task_pt_regs', true, { type: 'RET_PTR_TO_BTF_ID', flags: [] }, [{ type: 'ARG_PTR_TO_BTF_ID', flags: [] }])],
  [156, proto(156, 'bpf_task_storage_get', false, { type: 'RET_PTR_TO_MAP_VALUE', flags: ['PTR_MAYBE_NULL'] }, [
    { type: 'ARG_CONST_MAP_PTR', flags: [] }, { type: 'ARG_PTR_TO_BTF_ID', flags: ['PTR_MAYBE_NULL'] },
    { type: 'ARG_PTR_TO_MAP_VALUE', flags: ['PTR_MAYBE_NULL'] }, { type: 'ARG_ANYTHING', flags: [] },
  ])],
  [157, proto(157, 'bpf_task_storage_delete', false, { type: 'RET_INTEGER', flags: [] }, [
    { type: 'ARG_CONST_MAP_PTR', flags: [] }, { type: 'ARG_PTR_TO_BTF_ID', flags: [] },
  ])],
  // bpf_d_path(path, buf, size): allowed only where bpf_d_path_allowed() says (not in tp_btf programs)
  [147, proto(147, 'bpf_d_path', false, { type: 'RET_INTEGER', flags: [] }, [
    { type: 'ARG_PTR_TO_BTF_ID', flags: [] }, { type: 'ARG_PTR_TO_MEM', flags: ['MEM_WRITE'] }, { type: 'ARG_CONST_SIZE_OR_ZERO', flags: [] },
  ])],
  // bpf_copy_from_user_task(dst, size, user_ptr, task, flags): sleepable programs only
  [191, Object.freeze({ ...proto(191, 'bpf_copy_from_user_task', true, { type: 'RET_INTEGER', flags: [] }, [
    { type: 'ARG_PTR_TO_MEM', flags: ['MEM_UNINIT', 'MEM_WRITE'] }, { type: 'ARG_CONST_SIZE_OR_ZERO', flags: [] },
    { type: 'ARG_ANYTHING', flags: [] }, { type: 'ARG_PTR_TO_BTF_ID', flags: [] }, { type: 'ARG_ANYTHING', flags: [] },
  ]), mightSleep: true })],
  // bpf_skc_to_tcp6_sock & co.: RET_PTR_TO_BTF_ID_OR_NULL from ARG_PTR_TO_BTF_ID_SOCK_COMMON
  ...([[136, 'bpf_skc_to_tcp6_sock'], [137, 'bpf_skc_to_tcp_sock'], [138, 'bpf_skc_to_tcp_timewait_sock'],
    [139, 'bpf_skc_to_tcp_request_sock'], [140, 'bpf_skc_to_udp6_sock'], [178, 'bpf_skc_to_unix_sock'],
    [196, 'bpf_skc_to_mptcp_sock']] as const).map(([id, name]): [number, BpfFuncProto] => [id, proto(id, name, false,
    { type: 'RET_PTR_TO_BTF_ID', flags: ['PTR_MAYBE_NULL'] }, [{ type: 'ARG_PTR_TO_BTF_ID_SOCK_COMMON', flags: [] }])]),
  // bpf_per_cpu_ptr / bpf_this_cpu_ptr: per-CPU kernel variables (__ksym), which bpfsim does not have
  [153, proto(153, 'bpf_per_cpu_ptr', false, { type: 'RET_PTR_TO_MEM_OR_BTF_ID', flags: ['PTR_MAYBE_NULL', 'MEM_RDONLY'] }, [
    { type: 'ARG_PTR_TO_PERCPU_BTF_ID', flags: [] }, { type: 'ARG_ANYTHING', flags: [] },
  ])],
  [154, proto(154, 'bpf_this_cpu_ptr', false, { type: 'RET_PTR_TO_MEM_OR_BTF_ID', flags: ['MEM_RDONLY'] }, [
    { type: 'ARG_PTR_TO_PERCPU_BTF_ID', flags: [] },
  ])],
]);

/** Helpers whose func_proto has an `allowed` callback that refuses tp_btf programs (bpf_d_path_allowed). */
export const NOT_ALLOWED_IN_TP_BTF: ReadonlySet<number> = new Set([147]);

/** btf_ptr_types as the "expected=" part of a type mismatch prints them. */
export const BTF_PTR_EXPECTED = 'ptr_, trusted_ptr_, rcu_ptr_';

/**
 * check_reg_type for an ARG_PTR_TO_BTF_ID argument of helper `id`: a BTF pointer (plain, trusted or
 * RCU, not NULL) to the struct the helper expects, or to a struct that has it first (at offset 0).
 */
export function checkBtfArg(c: Checker, id: number, argIdx: number, regno: number, reg: Reg, typeText: string): void {
  if (reg.type !== 'ptr_btf' || reg.untrusted || reg.maybeNull) throw eacces(`R${regno} type=${typeText} expected=${BTF_PTR_EXPECTED}`);
  const want = SIGS[id]?.args[argIdx];
  const btf = c.opts.kernelBtf;
  if (!want || !btf) throw new Reject(`bpfsim does not know which struct R${regno} of helper #${id} must point to`, 'ENOTSUPP');
  if (!structIdsMatch(c, reg, want)) throw eacces(`R${regno} is of type ${reg.btfName ?? ''} but ${want} is expected`);
}

/**
 * check_reg_type for ARG_PTR_TO_BTF_ID_SOCK_COMMON with a BTF pointer (btf_id_sock_common_types has
 * PTR_TO_BTF_ID and PTR_TO_BTF_ID | PTR_TRUSTED, no RCU or untrusted ones): true when
 * the type is one of those; then its struct must start with a sock_common (sock, tcp_sock, ...).
 */
export function btfSockCommonArgOk(c: Checker, regno: number, reg: Reg, mayBeNull: boolean): boolean {
  // an argument that may be NULL (PTR_MAYBE_NULL) folds the flag away before the comparison
  if (reg.type !== 'ptr_btf' || reg.rcu || reg.untrusted || (reg.maybeNull && !mayBeNull)) return false;
  if (!c.opts.kernelBtf) throw new Reject(`bpfsim has no kernel BTF for R${regno}`, 'ENOTSUPP');
  if (!structIdsMatch(c, reg, 'sock_common')) throw eacces(`R${regno} is of type ${reg.btfName ?? ''} but sock_common is expected`);
  return true;
}

/**
 * btf_struct_ids_match (not strict): the same struct at offset 0, or a struct nested at the
 * pointer's offset (walking 1-byte accesses, whose errors the kernel logs).
 */
export function structIdsMatch(c: Checker, reg: Reg, want: string): boolean {
  const btf = c.opts.kernelBtf!;
  let id = reg.btfId ?? 0;
  let off = reg.off;
  for (let guard = 0; guard < 32; guard++) {
    const t = btf.types[id];
    if (off === 0 && t && t.name === want && (t.kind === K.STRUCT || t.kind === K.UNION)) return true;
    const w = walkMessage(btf, id, off, 1);
    if ('error' in w) { if (c.log.level) c.log.write(w.error + '\n'); return false; }
    if (w.structId === undefined) return false;
    const n = btf.types[w.structId];
    if (n && n.name === want) return true;
    id = w.structId;
    off = 0;
  }
  return false;
}

/**
 * do_refine_retval_range for bpf_get_task_stack: R0 is a negative errno or at most the buffer size.
 * (The kernel does the same for get_stack and the probe_read_*_str helpers, which bpfsim leaves unknown.)
 */
export function refinedRetval(id: number, msizeMax: bigint): S.Scalar | undefined {
  if (id !== 141) return undefined;
  return syncScalar({ ...S.UNKNOWN, smin: -MAX_ERRNO, smax: msizeMax, s32min: -MAX_ERRNO, s32max: msizeMax });
}
const MAX_ERRNO = 4095n;

/** The register a RET_PTR_TO_BTF_ID helper returns, or undefined for other helpers. */
export function btfHelperResult(c: Checker, id: number): Reg | undefined {
  const ret = SIGS[id]?.ret;
  const btf = c.opts.kernelBtf;
  if (!ret) return undefined;
  if (!btf) throw new Reject(`bpfsim has no kernel BTF for the result of helper #${id}`, 'ENOTSUPP');
  const sid = findByNameKind(btf, ret.struct, K.STRUCT);
  return ptr('ptr_btf', { btfId: sid, btfName: ret.struct, trusted: ret.trusted || undefined });
}
