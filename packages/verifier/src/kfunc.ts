/**
 * check_kfunc_call (kernel/bpf/verifier.c) for the kfuncs @bpfsim/uapi describes: who may call them
 * (fetch_kfunc_meta), their arguments as the kernel BTF prototype says (check_kfunc_args: scalars,
 * pointers to kernel structs, trusted and released arguments), and the result (acquired references,
 * NULL-able pointers, scalars). Reference leaks are found at exit as for helpers.
 */
import type { Insn } from '@bpfsim/isa';
import { KF, kfuncFlags } from '@bpfsim/uapi';
import type { KernelBtf } from './api';
import { K, kindStr, skipModifiers, typeById } from './btf';
import type { Checker } from './check';
import { structIdsMatch } from './btf-helpers';
import { eacces, einval } from './errors';
import { notInit, ptr, scalar, type Reg } from './state';
import * as S from './bridge/scalar';

/** The kfunc's name in the kernel BTF (for the log's `call bpf_task_from_pid#65334`). */
export function kfuncName(btf: KernelBtf | undefined, insn: Insn): string | undefined {
  const t = btf?.types[insn.imm >>> 0];
  return t && t.kind === K.FUNC ? t.name : undefined;
}

const isScalarType = (kind: number): boolean => kind === K.INT || kind === K.ENUM || kind === K.ENUM64;

/** check_kfunc_call: returns the next instruction. */
export function checkKfuncCall(c: Checker, insn: Insn): number {
  const btf = c.opts.kernelBtf;
  const fn = btf ? typeById(btf, insn.imm >>> 0) : undefined;
  if (!btf || !fn || fn.kind !== K.FUNC) throw einval('calling kernel function is not allowed without BTF');
  const name = fn.name;
  const flags = kfuncFlags(name, c.opts.progType);
  if (flags === undefined) throw eacces(`calling kernel function ${name} is not allowed`);
  // bpf_rcu_read_lock / unlock: the section is state of the path; 6.18 refuses nesting
  if (name === 'bpf_rcu_read_lock') {
    if (c.cur.rcuLocks) throw einval(`nested rcu read lock (kernel function ${name})`);
    c.cur.rcuLocks = 1;
  }
  if (name === 'bpf_rcu_read_unlock') {
    if (!c.cur.rcuLocks) throw einval(`unmatched rcu read unlock (kernel function ${name})`);
    c.cur.rcuLocks--;
  }
  const proto = typeById(btf, fn.type ?? 0);
  const params = proto.params ?? [];
  const release = (flags & KF.RELEASE) !== 0;
  const trusted = release || (flags & (KF.TRUSTED_ARGS | KF.RCU)) !== 0;
  let releaseRef = 0;
  params.forEach((p, i) => {
    const regno = i + 1;
    const reg = c.regs[regno];
    c.markRegScratched(regno);
    const t = skipModifiers(btf, p.type).t;
    if (isScalarType(t.kind)) {
      if (reg.type !== 'scalar') throw einval(`R${regno} is not a scalar`);
      return;
    }
    if (t.kind !== K.PTR) throw einval(`bpfsim: kernel function ${name} arg#${i} of kind ${kindStr(t)} is not modelled`);
    const ref = skipModifiers(btf, t.type ?? 0);
    if (trusted && reg.type === 'scalar' && S.isConst(reg.s) && S.constValue(reg.s) === 0n) throw eacces(`Possibly NULL pointer passed to trusted arg${i}`);
    if (reg.type !== 'ptr_btf') {
      // get_kfunc_ptr_arg_type: anything but a kernel struct pointer is memory, which must hold scalars
      throw einval(`arg#${i} pointer type ${kindStr(ref.t)} ${ref.t.name} must point to scalar, or struct with scalar`);
    }
    if (trusted && reg.maybeNull) throw eacces(`Possibly NULL pointer passed to trusted arg${i}`);
    if (reg.off || !isZeroVar(reg)) throw einval(`R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
    // btf_struct_ids_match, strict for a referenced argument of a release kfunc (no walking into members)
    const strict = release && reg.refObjId !== 0;
    if (strict ? reg.btfName !== ref.t.name : !structIdsMatch(c, reg, ref.t.name)) {
      throw einval(`kernel function ${name} args#${i} expected pointer to ${kindStr(ref.t)} ${ref.t.name} but R${regno} has a pointer to STRUCT ${reg.btfName ?? ''}`);
    }
    if (trusted && !reg.refObjId && !reg.trusted && !(reg.rcu && (flags & KF.RCU))) throw einval(`R${regno} must be referenced or trusted`);
    if (release && reg.refObjId) releaseRef = reg.refObjId;
  });
  if (release) {
    if (!releaseRef) throw einval(`release kernel function ${name} expects refcounted PTR_TO_BTF_ID`);
    releaseKfuncRef(c, releaseRef);
  }
  // clear_caller_saved_regs
  for (let r = 0; r <= 5; r++) { c.regs[r] = notInit(); c.markRegScratched(r); }
  const ret = skipModifiers(btf, proto.returnType ?? 0);
  if (ret.t.kind === 0) return c.idx + 1;
  if (ret.t.kind === K.PTR) {
    const target = skipModifiers(btf, ret.t.type ?? 0);
    const r0: Reg = ptr('ptr_btf', { btfId: target.id, btfName: target.t.name, maybeNull: (flags & KF.RET_NULL) !== 0 });
    if (r0.maybeNull) r0.id = ++c.idGen;
    if (flags & KF.ACQUIRE) {
      const rid = ++c.idGen;
      c.cur.refs.push({ id: rid, insnIdx: c.idx, kind: 'ptr' });
      if (r0.maybeNull) r0.id = rid;
      r0.refObjId = rid;
    }
    c.regs[0] = r0;
    return c.idx + 1;
  }
  c.regs[0] = scalar();
  return c.idx + 1;
}

const isZeroVar = (r: Reg): boolean => r.s.varOff.mask === 0n && r.s.varOff.value === 0n;

/** release_reference: the reference is gone, and every copy of the pointer becomes an unknown scalar. */
function releaseKfuncRef(c: Checker, refId: number): void {
  c.cur.refs = c.cur.refs.filter((r) => r.id !== refId);
  for (const f of c.cur.frames) {
    f.regs = f.regs.map((r) => (r.refObjId === refId ? scalar() : r));
    for (const sl of f.stack) if (sl.types[7] === 'spill' && sl.spilled.refObjId === refId) sl.spilled = scalar();
  }
}
