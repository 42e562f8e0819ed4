/**
 * Calls and exits: check_helper_call (prototype table, argument types, memory/size pairs, map
 * compatibility, references), check_func_call for bpf-to-bpf calls, and BPF_EXIT (reference leaks,
 * return value ranges, returning to the caller).
 */
import type { Insn } from '@bpfsim/isa';
import { op } from './opcodes';
import { HELPER_NAMES, isGplCompatible, helperAllowed, helperProto, retRangeFor, type BpfArgSpec } from '@bpfsim/uapi';
import * as S from './bridge/scalar';
import { eacces, einval, Reject } from './errors';
import type { Checker } from './check';
import { typeName } from './check';
import { btfSockCommonArgOk, BTF_HELPER_PROTOS, btfHelperResult, checkBtfArg, NOT_ALLOWED_IN_TP_BTF, refinedRetval } from './btf-helpers';
import { checkHelperMem } from './mem';
import { pathStep } from './path';
import { callbackExit, helperCallback, SYNC_CALLBACK_HELPERS, invalidScalar } from './callback';
import { cloneState, isPtr, newFrame, notInit, ptr, scalar, type Reg, type VState } from './state';

const MAX_CALL_FRAMES = 8;
const BPF_MAX_VAR_SIZ = 1n << 29n;

/** The kernel's compatible_reg_types lists, as the "expected=" part of a type mismatch prints them. */
const EXPECTED: Partial<Record<string, { types: string[]; text: string }>> = {
  ARG_CONST_MAP_PTR: { types: ['map_ptr'], text: 'map_ptr' },
  ARG_PTR_TO_MAP_KEY: { types: ['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value', 'mem', 'ringbuf_mem'], text: 'fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_' },
  ARG_PTR_TO_MAP_VALUE: { types: ['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value', 'mem', 'ringbuf_mem'], text: 'fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_' },
  ARG_PTR_TO_MEM: { types: ['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value', 'mem', 'ringbuf_mem'], text: 'fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_' },
  ARG_PTR_TO_CTX: { types: ['ctx'], text: 'ctx' },
  ARG_CONST_SIZE: { types: ['scalar'], text: 'scalar' },
  ARG_CONST_SIZE_OR_ZERO: { types: ['scalar'], text: 'scalar' },
  ARG_CONST_ALLOC_SIZE_OR_ZERO: { types: ['scalar'], text: 'scalar' },
  ARG_PTR_TO_RINGBUF_MEM: { types: ['ringbuf_mem'], text: 'ringbuf_mem' },
  ARG_PTR_TO_STACK: { types: ['fp'], text: 'fp' },
  ARG_PTR_TO_FUNC: { types: ['func'], text: 'func' },
  ARG_PTR_TO_SPIN_LOCK: { types: ['map_value'], text: 'map_value, ptr_' },
  ARG_PTR_TO_SOCK_COMMON: { types: ['sock_common', 'sock', 'tcp_sock'], text: 'sock_common, sock, tcp_sock, xdp_sock' },
  ARG_PTR_TO_BTF_ID_SOCK_COMMON: { types: ['sock_common', 'sock', 'tcp_sock'], text: 'sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_' },
  ARG_PTR_TO_CONST_STR: { types: ['map_value'], text: 'map_value' },
  // per-CPU kernel variables (__ksym) are the only such pointers; bpfsim has none
  ARG_PTR_TO_PERCPU_BTF_ID: { types: [], text: 'percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_' },
};

/** is_ptr_cast_function: sk_fullsock, tcp_sock and the skc_to_* casts (not skc_to_unix_sock). */
const PTR_CAST_FUNCS: ReadonlySet<number> = new Set([95, 96, 136, 137, 138, 139, 140, 196]);

/** Map types each map-taking helper accepts (check_map_func_compatibility, by function). */
const FUNC_MAPS: Record<number, readonly number[]> = {
  12: [op.BpfMapType.PROG_ARRAY],
  22: [op.BpfMapType.PERF_EVENT_ARRAY], 25: [op.BpfMapType.PERF_EVENT_ARRAY], 55: [op.BpfMapType.PERF_EVENT_ARRAY],
  27: [op.BpfMapType.STACK_TRACE],
  130: [op.BpfMapType.RINGBUF], 131: [op.BpfMapType.RINGBUF], 134: [op.BpfMapType.RINGBUF],
  87: [op.BpfMapType.QUEUE, op.BpfMapType.STACK, op.BpfMapType.BLOOM_FILTER], 88: [op.BpfMapType.QUEUE, op.BpfMapType.STACK],
  89: [op.BpfMapType.QUEUE, op.BpfMapType.STACK, op.BpfMapType.BLOOM_FILTER],
  51: [op.BpfMapType.DEVMAP, op.BpfMapType.DEVMAP_HASH, op.BpfMapType.CPUMAP, op.BpfMapType.XSKMAP],
  33: [op.BpfMapType.CGROUP_ARRAY], 37: [op.BpfMapType.CGROUP_ARRAY],
  195: [op.BpfMapType.PERCPU_HASH, op.BpfMapType.PERCPU_ARRAY, op.BpfMapType.LRU_PERCPU_HASH],
  // sk_redirect_map, sock_map_update, msg_redirect_map; sk_redirect_hash, sock_hash_update, msg_redirect_hash; sk_select_reuseport
  52: [op.BpfMapType.SOCKMAP], 53: [op.BpfMapType.SOCKMAP], 60: [op.BpfMapType.SOCKMAP],
  72: [op.BpfMapType.SOCKHASH], 70: [op.BpfMapType.SOCKHASH], 71: [op.BpfMapType.SOCKHASH],
  82: [op.BpfMapType.REUSEPORT_SOCKARRAY, op.BpfMapType.SOCKMAP, op.BpfMapType.SOCKHASH],
  156: [op.BpfMapType.TASK_STORAGE], 157: [op.BpfMapType.TASK_STORAGE], // task_storage_get / _delete
};
/** Helpers each special map type accepts (check_map_func_compatibility, by map). */
const MAP_FUNCS: Record<number, readonly number[]> = {
  [op.BpfMapType.PROG_ARRAY]: [12],
  [op.BpfMapType.PERF_EVENT_ARRAY]: [22, 25, 55, 68 /* skb_output */, 121 /* xdp_output */],
  [op.BpfMapType.RINGBUF]: [130, 131, 134, 198, 199, 200],
  [op.BpfMapType.STACK_TRACE]: [27],
  [op.BpfMapType.CGROUP_ARRAY]: [33, 37],
  [op.BpfMapType.QUEUE]: [87, 88, 89],
  [op.BpfMapType.STACK]: [87, 88, 89],
  [op.BpfMapType.BLOOM_FILTER]: [87, 89],
  // and map_update_elem / map_delete_elem where may_update_sockmap() allows them (maySockmapUpdate)
  [op.BpfMapType.SOCKMAP]: [52, 53, 60, 82, 1],
  [op.BpfMapType.SOCKHASH]: [72, 70, 71, 82, 1],
  [op.BpfMapType.TASK_STORAGE]: [156, 157, 194 /* kptr_xchg */],
};

const isSockMapType = (t: number): boolean => t === op.BpfMapType.SOCKMAP || t === op.BpfMapType.SOCKHASH;

/**
 * may_update_sockmap(): program types that may update / delete sock map entries with
 * bpf_map_update_elem / bpf_map_delete_elem (no locked socket in reach). Tracing only as a BPF
 * iterator; sock_ops may only delete (it updates through bpf_sock_map_update / bpf_sock_hash_update).
 */
function maySockmapUpdate(c: Checker, id: number): boolean {
  if (id !== 2 && id !== 3) return false;
  const T = op.BpfProgType;
  switch (c.info.type) {
    case T.TRACING: if (c.opts.expectedAttachType === op.BpfAttachType.TRACE_ITER) return true; break;
    case T.SOCK_OPS: if (id === 3) return true; break;
    case T.SOCKET_FILTER: case T.SCHED_CLS: case T.SCHED_ACT: case T.XDP: case T.SK_REUSEPORT: case T.FLOW_DISSECTOR:
    case T.SK_LOOKUP:
      return true;
    default: break;
  }
  c.log.write('cannot update sockmap in this context\n');
  return false;
}

/** resolve_map_arg_type(): a sock map's value argument is the socket itself. */
const SOCK_VALUE_ARG: BpfArgSpec = { type: 'ARG_PTR_TO_BTF_ID_SOCK_COMMON', flags: [] };

const helperName = (id: number): string => (id >= 0 && id < HELPER_NAMES.length ? HELPER_NAMES[id] : 'unknown');

interface Meta { funcStart?: number; constKey?: bigint; map?: Reg['map']; msizeMax: bigint; memSize: number; refObjId: number; releaseRegno: number; rawRegno: number; rawSize: number }

/** bpf_helper_changes_pkt_data: helpers after which every packet pointer is invalid (tail calls: the callee might). */
const CHANGES_PKT_DATA = new Set([
  13 /* clone_redirect */, 10 /* l3_csum_replace */, 11 /* l4_csum_replace */, 73 /* lwt_push_encap */,
  76 /* lwt_seg6_action */, 75 /* lwt_seg6_adjust_srh */, 74 /* lwt_seg6_store_bytes */, 91 /* msg_pop_data */,
  63 /* msg_pull_data */, 90 /* msg_push_data */, 50 /* skb_adjust_room */, 43 /* skb_change_head */,
  31 /* skb_change_proto */, 38 /* skb_change_tail */, 39 /* skb_pull_data */, 9 /* skb_store_bytes */,
  19 /* skb_vlan_pop */, 18 /* skb_vlan_push */, 143 /* store_hdr_opt */, 44 /* xdp_adjust_head */,
  54 /* xdp_adjust_meta */, 65 /* xdp_adjust_tail */, 12 /* tail_call */,
]);

/** clear_all_pkt_pointers: packet pointers in every frame and stack slot become unknown scalars. */
function clearAllPktPointers(st: VState): void {
  const isPkt = (r: Reg): boolean => r.type === 'pkt' || r.type === 'pkt_meta' || r.type === 'pkt_end';
  for (const f of st.frames) {
    for (let i = 0; i < f.regs.length; i++) if (isPkt(f.regs[i])) f.regs[i] = scalar();
    for (const sl of f.stack) if (sl.types[7] === 'spill' && isPkt(sl.spilled)) sl.spilled = scalar();
  }
}

/**
 * check_helper_call. Returns the next instruction when it is not the one after the call: a tail call in
 * a subprogram may not come back, so the verifier also takes the subprogram's exit from there.
 */
export function checkHelperCall(c: Checker, insn: Insn): number | 'exit' | undefined {
  const id = insn.imm;
  const name = helperName(id);
  if (id < 0 || id >= HELPER_NAMES.length) throw einval(`invalid func ${name}#${id}`);
  if (!helperAllowed(c.info, id, c.opts.expectedAttachType ?? 0)) throw einval(`program of this type cannot use helper ${name}#${id}`);
  const proto = helperProto(id, c.info.type) ?? BTF_HELPER_PROTOS.get(id);
  if (!proto) throw new Reject(`bpfsim has no prototype for helper ${name}#${id}`, 'ENOTSUPP');
  const license = c.opts.license ?? 'GPL';
  if (proto.gplOnly && !gplCompatible(license)) throw einval('cannot call GPL-restricted function from non-GPL compatible program');
  // bpf_d_path_allowed: iterators (the attach target has ctx_arg_info) may call it, tp_btf may not
  if (c.attach && !c.attach.ctxArgs && NOT_ALLOWED_IN_TP_BTF.has(id)) throw einval('helper call is not allowed in probe');
  if (proto.mightSleep) throw einval('helper call might sleep in a non-sleepable prog');
  if (!SYNC_CALLBACK_HELPERS.has(id) && proto.args.some((a) => a.type === 'ARG_PTR_TO_FUNC')) {
    throw new Reject(`bpfsim does not verify callbacks of ${name}#${id} yet`, 'ENOTSUPP');
  }
  const meta: Meta = { msizeMax: 0n, memSize: 0, refObjId: 0, releaseRegno: 0, rawRegno: -1, rawSize: 0 };
  for (let i = 0; i < 5; i++) checkFuncArg(c, i, proto.args[i], proto.args[i - 1], meta, proto.pktAccess);
  // release (ringbuf submit/discard, sk_release)
  if (meta.releaseRegno) {
    if (meta.refObjId) releaseReference(c, meta.refObjId);
    else if (!(c.regs[meta.releaseRegno].type === 'scalar' && S.isConst(c.regs[meta.releaseRegno].s) && S.constValue(c.regs[meta.releaseRegno].s) === 0n)) {
      throw einval(`func ${name}#${id} reference has not been acquired before`);
    }
  }
  if (id === 12 && c.cur.refs.length) throw einval('tail_call would lead to reference leak');
  // check_get_func_ip: only kprobe (and tracing) programs know their function's address
  if (id === 173 && c.info.type === op.BpfProgType.TRACING && !c.attach?.trampoline) {
    throw new Reject(`func ${name}#${id} supported only for fentry/fexit/fmod_ret programs`, 'ENOTSUPP');
  }
  if (id === 173 && c.info.type !== op.BpfProgType.KPROBE && !c.attach?.trampoline) {
    throw new Reject(`func ${name}#${id} not supported for program type ${c.info.type}`, 'ENOTSUPP');
  }
  if (SYNC_CALLBACK_HELPERS.has(id)) {
    if (meta.funcStart === undefined) throw new Reject(`bpfsim does not verify callbacks of ${name}#${id}`, 'ENOTSUPP');
    helperCallback(c, id, meta.funcStart);
  }
  for (let r = 0; r <= 5; r++) { c.setReg(r, notInit()); c.markRegScratched(r); }
  const ret = proto.ret;
  // lookups in an array with a constant in-range key cannot fail (can_elide_value_nullness)
  const elide = id === 1 && meta.map !== undefined && meta.constKey !== undefined && meta.constKey >= 0n && meta.constKey < BigInt(meta.map.maxEntries);
  const maybeNull = ret.flags.includes('PTR_MAYBE_NULL') && !elide;
  switch (ret.type) {
    case 'RET_INTEGER': c.setReg(0, scalar(refinedRetval(id, meta.msizeMax))); break;
    case 'RET_VOID': c.setReg(0, notInit()); break;
    case 'RET_PTR_TO_MAP_VALUE': c.setReg(0, ptr('map_value', { map: meta.map, maybeNull })); break;
    case 'RET_PTR_TO_SOCKET': c.setReg(0, ptr('sock', { maybeNull })); break;
    case 'RET_PTR_TO_TCP_SOCK': c.setReg(0, ptr('tcp_sock', { maybeNull })); break;
    case 'RET_PTR_TO_SOCK_COMMON': c.setReg(0, ptr('sock_common', { maybeNull })); break;
    case 'RET_PTR_TO_MEM':
      c.setReg(0, ptr(ret.flags.includes('MEM_RINGBUF') ? 'ringbuf_mem' : 'mem', { maybeNull, memSize: meta.memSize }));
      break;
    case 'RET_PTR_TO_BTF_ID': {
      const r0 = btfHelperResult(c, id);
      if (r0) r0.maybeNull = maybeNull;
      c.setReg(0, r0 ?? scalar());
      break;
    }
    default: c.setReg(0, scalar()); break;
  }
  if (maybeNull) c.regs[0].id = ++c.idGen;
  // is_ptr_cast_function: the result is the argument's socket, under the argument's reference
  if (PTR_CAST_FUNCS.has(id)) c.regs[0].refObjId = meta.refObjId;
  // is_acquire_function(): a sock map lookup returns a referenced socket
  if (proto.acquires || (id === 1 && meta.map !== undefined && isSockMapType(meta.map.type))) {
    const rid = ++c.idGen;
    c.cur.refs.push({ id: rid, insnIdx: c.idx, kind: 'ptr' });
    c.regs[0].id = rid;
    c.regs[0].refObjId = rid;
  }
  if (id === 93) c.cur.activeLock = 1;
  if (id === 94) c.cur.activeLock = 0;
  // check_map_func_compatibility
  if (meta.map) {
    const mt = meta.map.type;
    const allowedFuncs = MAP_FUNCS[mt];
    const allowedMaps = FUNC_MAPS[id];
    if ((allowedFuncs && !allowedFuncs.includes(id) && !(isSockMapType(mt) && maySockmapUpdate(c, id))) ||
      (allowedMaps && !allowedMaps.includes(mt))) {
      throw einval(`cannot pass map_type ${mt} into func ${name}#${id}`);
    }
  }
  if (id === 12 && c.cur.frames.length > 1) {
    // the fall-through (the tail call failed) is explored later; here the subprogram returns an unknown R0
    c.markRegScratched(0);
    c.pushPath(cloneState(c.cur), c.idx + 1, c.idx);
    clearAllPktPointers(c.cur);
    c.setReg(0, scalar());
    return processExit(c);
  }
  if (id !== 12 && CHANGES_PKT_DATA.has(id)) clearAllPktPointers(c.cur);
  return undefined;
}

/** license_is_gpl_compatible (the table in @bpfsim/uapi). */
export const gplCompatible = isGplCompatible;

function isNullScalar(r: Reg): boolean { return r.type === 'scalar' && S.isConst(r.s) && S.constValue(r.s) === 0n; }

function checkFuncArg(c: Checker, i: number, arg: BpfArgSpec | undefined, prev: BpfArgSpec | undefined, meta: Meta, pktAccess: boolean): void {
  const regno = i + 1;
  if (!arg || arg.type === 'ARG_DONTCARE') return;
  const reg = c.readReg(regno);
  if (arg.type === 'ARG_ANYTHING') return;
  // may_access_direct_pkt_data with the helper's meta: only helpers marked pkt_access take packet pointers
  if ((reg.type === 'pkt' || reg.type === 'pkt_meta') && (!c.info.pktAccess || !pktAccess)) throw eacces('helper access to the packet is not allowed');
  if (arg.type === 'ARG_PTR_TO_MAP_VALUE' && meta.map && isSockMapType(meta.map.type)) {
    if (arg.flags.length) throw einval('invalid arg_type for sockmap/sockhash');
    arg = SOCK_VALUE_ARG;
  }
  const mayBeNull = arg.flags.includes('PTR_MAYBE_NULL');
  const exp = EXPECTED[arg.type];
  if (arg.type === 'ARG_PTR_TO_BTF_ID' && !(isNullScalar(reg) && mayBeNull)) checkBtfArg(c, c.prog[c.idx].imm, i, regno, reg, typeName(reg));
  if (!(isNullScalar(reg) && mayBeNull) && exp) {
    // check_reg_type: trusted BTF pointers are memory too (read-only: a helper may not write kernel structs)
    const btfMem = reg.type === 'ptr_btf' && Boolean(reg.trusted) && !reg.rcu && !reg.untrusted && !reg.maybeNull && exp.text.endsWith(', buf, trusted_ptr_');
    const btfSock = arg.type === 'ARG_PTR_TO_BTF_ID_SOCK_COMMON' && reg.type === 'ptr_btf' && btfSockCommonArgOk(c, regno, reg, mayBeNull);
    const okType = ((exp.types.includes(reg.type) && !reg.untrusted) || btfMem || btfSock) && (!reg.maybeNull || btfSock);
    if (!okType) throw eacces(`R${regno} type=${typeName(reg)} expected=${exp.text}`);
    if (btfMem && arg.type === 'ARG_PTR_TO_MEM' && !arg.flags.includes('MEM_RDONLY')) {
      throw eacces(`${helperName(c.prog[c.idx].imm)}() may write into memory pointed by R${regno} type=${typeName(reg)}`);
    }
    if (arg.type === 'ARG_PTR_TO_MEM' && reg.rdonly && !arg.flags.includes('MEM_RDONLY')) {
      throw eacces(`R${regno} type=${typeName(reg)} expected=${exp.text}`);
    }
    checkArgRegOff(reg, regno, arg);
  }
  if (arg.flags.includes('OBJ_RELEASE')) {
    if (!reg.refObjId && !isNullScalar(reg)) throw eacces(`R${regno} must be referenced when passed to release function`);
    meta.releaseRegno = regno;
  }
  if (reg.refObjId) meta.refObjId = reg.refObjId;
  switch (arg.type) {
    case 'ARG_CONST_MAP_PTR': meta.map = reg.map; break;
    case 'ARG_PTR_TO_FUNC': meta.funcStart = reg.subprog; break;
    case 'ARG_PTR_TO_MAP_KEY':
      if (!meta.map) throw eacces('invalid map_ptr to access map->key');
      checkHelperMem(c, regno, BigInt(meta.map.keySize), 'read', false, false);
      if (meta.map.type === op.BpfMapType.ARRAY || meta.map.type === op.BpfMapType.PERCPU_ARRAY) meta.constKey = constantMapKey(c, reg, meta.map.keySize);
      break;
    case 'ARG_PTR_TO_MAP_VALUE':
      if (mayBeNull && isNullScalar(reg)) return;
      if (!meta.map) throw eacces('invalid map_ptr to access map->value');
      checkHelperMem(c, regno, BigInt(meta.map.valueSize), arg.flags.includes('MEM_WRITE') ? 'write' : 'read', false, false);
      break;
    case 'ARG_PTR_TO_MEM':
      if (arg.flags.includes('MEM_FIXED_SIZE') && arg.size !== undefined) {
        checkHelperMem(c, regno, BigInt(arg.size), arg.flags.includes('MEM_WRITE') ? 'write' : 'read', false, false);
      }
      break;
    case 'ARG_CONST_SIZE': case 'ARG_CONST_SIZE_OR_ZERO': {
      const zeroOk = arg.type === 'ARG_CONST_SIZE_OR_ZERO';
      const s = reg.s;
      meta.msizeMax = s.umax;
      if (s.smin < 0n) throw eacces(`R${regno} min value is negative, either use unsigned or 'var &= const'`);
      if (s.umin === 0n && !zeroOk) throw eacces(`R${regno} invalid zero-sized read: u64=[${s.umin},${s.umax}]`);
      if (s.umax >= BPF_MAX_VAR_SIZ) throw eacces(`R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
      const memArg = prev;
      const write = memArg?.flags.includes('MEM_WRITE') ?? false;
      const nullOk = memArg?.flags.includes('PTR_MAYBE_NULL') ?? false;
      if (nullOk && isNullScalar(c.regs[regno - 1]) && s.umax === 0n) break;
      if (nullOk && isNullScalar(c.regs[regno - 1])) {
        throw eacces(`R${regno - 1} type=scalar expected=fp`);
      }
      checkHelperMem(c, regno - 1, s.umax, write ? 'write' : 'read', zeroOk, nullOk, memArg?.flags.includes('MEM_UNINIT') ?? false);
      break;
    }
    case 'ARG_CONST_ALLOC_SIZE_OR_ZERO':
      if (!S.isConst(reg.s)) throw eacces(`R${regno} is not a known constant'`);
      meta.memSize = Number(S.constValue(reg.s));
      break;
    default: break;
  }
}

/** get_constant_map_key: the key's value when the stack holds a known constant of key size. */
function constantMapKey(c: Checker, key: Reg, keySize: number): bigint | undefined {
  if (key.type !== 'fp' || !S.isConst(key.s)) return undefined;
  const stackOff = key.off + Number(BigInt.asIntN(64, S.constValue(key.s)));
  const slot = -stackOff - 1;
  const spi = Math.floor(slot / 8);
  const off = slot % 8;
  const sl = c.cur.frames[key.frameno].stack[spi];
  if (!sl) return undefined;
  let zero = 0;
  for (let i = off; i >= 0 && sl.types[i] === 'zero'; i--) zero++;
  if (zero >= keySize) return 0n;
  if (sl.types[7] !== 'spill' || sl.spilled.type !== 'scalar') return undefined;
  let spill = 0;
  for (let i = off; i >= 0 && sl.types[i] === 'spill'; i--) spill++;
  if (spill !== keySize || !S.isConst(sl.spilled.s)) return undefined;
  return S.constValue(sl.spilled.s);
}

/** check_func_arg_reg_off: most pointer arguments must point at the start of their object. */
function checkArgRegOff(reg: Reg, regno: number, arg: BpfArgSpec): void {
  if (arg.flags.includes('OBJ_RELEASE') || arg.type === 'ARG_PTR_TO_RINGBUF_MEM' || arg.type === 'ARG_PTR_TO_CTX' ||
    arg.type === 'ARG_PTR_TO_SOCK_COMMON' || arg.type === 'ARG_PTR_TO_BTF_ID_SOCK_COMMON') {
    const t = typeName(reg);
    // a BTF pointer may carry a fixed offset (a struct nested in another) unless it is being released
    const fixedOk = reg.type === 'ptr_btf' && !arg.flags.includes('OBJ_RELEASE');
    if (reg.off < 0 && !fixedOk) throw eacces(`negative offset ${t} ptr R${regno} off=${reg.off} disallowed`);
    if (reg.off && !fixedOk) throw eacces(`dereference of modified ${t} ptr R${regno} off=${reg.off} disallowed`);
    if (!S.isConst(reg.s) || S.constValue(reg.s) !== 0n) throw eacces(`variable ${t} access var_off=(0x${reg.s.varOff.value.toString(16)}; 0x${reg.s.varOff.mask.toString(16)}) disallowed`);
  }
}

/** release_reference: every copy of the pointer becomes unusable. */
function releaseReference(c: Checker, refId: number): void {
  const before = c.cur.refs.length;
  c.cur.refs = c.cur.refs.filter((r) => r.id !== refId);
  if (c.cur.refs.length === before) throw einval('verifier internal error: reference not found');
  for (const f of c.cur.frames) {
    f.regs = f.regs.map((r) => (r.refObjId === refId ? scalar() : r));
    for (const sl of f.stack) if (sl.types[7] === 'spill' && sl.spilled.refObjId === refId) sl.spilled = scalar();
  }
}

/** check_func_call: a bpf-to-bpf call. Returns the callee's first instruction. */
export function checkFuncCall(c: Checker, insn: Insn): number {
  const st = c.cur;
  if (st.frames.length >= MAX_CALL_FRAMES) {
    throw new Reject(`the call stack of ${st.frames.length + 1} frames is too deep`, 'E2BIG');
  }
  const target = c.idx + insn.imm + 1;
  const caller = c.frame;
  const k = c.subprogOf(target);
  // btf_check_subprog_call runs for static functions too: its messages reach the log, but only a global
  // function's caller is refused for them (a static one with pointer arguments is not checked at all)
  const argErr = c.funcs.hasFuncInfo ? c.funcs.checkCall(k, caller.regs, (s) => c.log.write(s), (regno, size) => checkMemReg(c, regno, size)) : null;
  if (c.funcs.isGlobal(k)) return globalFuncCall(c, k, argErr);
  const callee = newFrame(st.frames.length, c.idx, k);
  for (let r = 1; r <= 5; r++) callee.regs[r] = { ...caller.regs[r] };
  st.frames.push(callee);
  // clear_caller_saved_regs: R0-R5 of the caller are gone (and scratched, so the first instruction
  // of the callee prints the callee's R1-R5 and frame pointer)
  for (let r = 0; r <= 5; r++) { caller.regs[r] = notInit(); c.markRegScratched(r); }
  c.markRegScratched(10);
  if (c.log.level) {
    // print_verifier_state(print_all): prints without clearing the scratch marks
    c.log.write('caller:\n');
    const saved = st.frames.pop()!;
    c.log.write(c.stateLine(true) + '\n');
    st.frames.push(saved);
    c.log.write('callee:\n');
    c.log.write(c.stateLine(true) + '\n');
  }
  c.path = pathStep(c.path, 'call', c.idx, target);
  return target;
}

/**
 * The global half of check_func_call: the callee was (or will be) verified on its own for any
 * arguments of its prototype, so the caller continues with R0 an unknown scalar.
 */
function globalFuncCall(c: Checker, k: number, argErr: Reject | null): number {
  const name = c.funcs.name(k);
  if (c.cur.activeLock) throw einval('global function calls are not allowed while holding a lock,\nuse static function instead');
  if (argErr) throw new Reject(`Caller passes invalid args into func#${k} ('${name}')`, argErr.errno);
  if (c.log.level) c.log.write(`Func#${k} ('${name}') is global and assumed valid.\n`);
  c.calledGlobals.add(k);
  // clear_caller_saved_regs, then R0 = the function's 64-bit scalar result
  const caller = c.frame;
  for (let r = 0; r <= 5; r++) { caller.regs[r] = notInit(); c.markRegScratched(r); }
  caller.regs[0] = scalar();
  return c.idx + 1;
}

/** check_mem_reg: a global function's pointer argument is NULL or `size` bytes to read and write. */
function checkMemReg(c: Checker, regno: number, size: number): void {
  const reg = c.regs[regno];
  if (isNullScalar(reg)) return;
  if (reg.maybeNull) c.regs[regno] = { ...reg, maybeNull: false };
  try {
    checkHelperMem(c, regno, BigInt(size), 'read', true, false);
    // the write pass checks permissions only: the caller's stack keeps its contents
    if (reg.type !== 'fp') checkHelperMem(c, regno, BigInt(size), 'write', true, false);
  } finally {
    c.regs[regno] = reg;
  }
}

/** BPF_EXIT: leaks, return value, and return to the caller. */
export function processExit(c: Checker): number | 'exit' {
  const st = c.cur;
  if (st.frames.length === 1) {
    for (const r of st.refs) {
      if (r.kind !== 'ptr') continue;
      c.log.write(`Unreleased reference id=${r.id} alloc_insn=${r.insnIdx}\n`);
    }
    if (st.refs.some((r) => r.kind === 'ptr')) {
      throw new Reject('@@logged@@BPF_EXIT instruction in main prog would lead to reference leak', 'EINVAL');
    }
    if (st.activeLock) throw einval('BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region');
    if (st.rcuLocks) throw einval('BPF_EXIT instruction in main prog cannot be used inside bpf_rcu_read_lock-ed region');
    const r0 = c.readReg(0);
    if (st.frames[0].subprog !== 0) {
      // check_return_code for a global function verified on its own: any scalar
      if (r0.type !== 'scalar') throw einval(`At subprogram exit the register R0 is not a scalar value (${typeName(r0)})`);
      return 'exit';
    }
    const range = retRangeFor(c.info, c.opts.expectedAttachType ?? 0);
    if (range) {
      if (r0.type !== 'scalar') throw einval(`At program exit the register R0 is not a known value (${typeName(r0)})`);
      const [lo, hi] = range;
      if (!(r0.s.smin >= BigInt(lo) && r0.s.smax <= BigInt(hi))) {
        throw einval(invalidScalar(r0, 'At program exit', 'R0', lo, hi));
      }
    }
    void isPtr;
    return 'exit';
  }
  // return from a bpf-to-bpf call
  const callee = st.frames[st.frames.length - 1];
  if (callee.inCallback) return callbackExit(c);
  // prepare_func_exit: a static subprogram returns whatever R0 holds, set or not (a void function
  // leaves it unset); only the subprogram's own stack may not escape. The scalar-only exit check
  // (check_return_code: `At subprogram exit ...`) is for global functions, which bpfsim does not model.
  const r0 = c.regs[0];
  if (r0.type === 'fp') throw einval('cannot return stack pointer to the caller');
  st.frames.pop();
  const caller = st.frames[st.frames.length - 1];
  caller.regs[0] = { ...callee.regs[0] };
  for (let r = 1; r <= 5; r++) caller.regs[r] = notInit();
  const ret = callee.callsite + 1;
  if (c.log.level) {
    c.log.write('returning from callee:\n');
    st.frames.push(callee);
    c.printState(true);
    st.frames.pop();
    c.log.write(`to caller at ${ret}:\n`);
    c.printState(true);
  }
  c.path = pathStep(c.path, 'return', c.idx, ret);
  return ret;
}
