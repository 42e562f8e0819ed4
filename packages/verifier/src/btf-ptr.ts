/**
 * Loads through PTR_TO_BTF_ID (check_ptr_to_btf_access): the access is walked through the kernel
 * struct's BTF (btf_struct_access / btf_struct_walk) to a scalar, a pointer to another struct
 * (PTR_TO_BTF_ID, whose trust follows the kernel's BTF_TYPE_SAFE_* field lists) or a pointer to
 * anything else (read-only untrusted memory). Writes are refused: tracing programs may only read.
 */
import type { KernelBtf, KernelBtfType } from './api';
import { isStruct, K, nameOf, resolveSize, skipModifiers, typeById } from './btf';
import type { Checker } from './check';
import { gplCompatible } from './call';
import { eacces, einval, Reject } from './errors';
import * as S from './bridge/scalar';
import { ptr, type Reg } from './state';

/**
 * Pointer fields whose target stays trusted (BTF_TYPE_SAFE_TRUSTED[_OR_NULL]) or RCU-protected
 * (BTF_TYPE_SAFE_RCU[_OR_NULL]) when read from a trusted or RCU pointer, by struct then field.
 */
const SAFE_FIELDS: Readonly<Record<string, Readonly<Record<string, 'trusted' | 'trusted_or_null' | 'rcu' | 'rcu_or_null'>>>> = {
  task_struct: { cpus_ptr: 'rcu', cgroups: 'rcu', real_parent: 'rcu', group_leader: 'rcu' },
  cgroup: { kn: 'rcu' },
  css_set: { dfl_cgrp: 'rcu' },
  mm_struct: { exe_file: 'rcu_or_null' },
  sk_buff: { sk: 'rcu_or_null' },
  request_sock: { sk: 'rcu_or_null' },
  bpf_iter_meta: { seq: 'trusted' },
  bpf_iter__task: { meta: 'trusted', task: 'trusted' },
  linux_binprm: { file: 'trusted' },
  file: { f_inode: 'trusted' },
  dentry: { d_inode: 'trusted' },
  socket: { sk: 'trusted_or_null' },
  vm_area_struct: { vm_mm: 'trusted_or_null', vm_file: 'trusted_or_null' },
};

/** What a walk found at the offset. */
type Walk =
  | { kind: 'scalar' }
  | { kind: 'struct'; id: number }
  /** A pointer member: to a struct (`id`), or to anything else (`id` -1: read-only untrusted memory). */
  | { kind: 'ptr'; id: number; field: string };

class WalkError extends Reject {}

/** btf_struct_walk: one struct level. `untrusted` is the walk's PTR_UNTRUSTED flag (unions set it). */
function structWalk(btf: KernelBtf, t0: KernelBtfType, off: number, size: number, flag: { untrusted: boolean }): Walk {
  let t = t0;
  for (let guard = 0; guard < 64; guard++) {
    // again:
    if (t.kind !== K.STRUCT && t.kind !== K.UNION) {
      if (t.kind === K.TYPEDEF || t.kind === K.CONST || t.kind === K.VOLATILE || t.kind === K.RESTRICT || t.kind === K.TYPE_TAG) {
        t = skipModifiers(btf, t.type ?? 0).t;
      }
    }
    const tname = nameOf(t);
    if (!isStruct(t)) throw new WalkError(`Type '${tname}' is not a struct`, 'EINVAL');
    const members = t.members ?? [];
    const tsize = t.size ?? 0;
    if (t.kind === K.UNION && members.length !== 1 && !flag.untrusted) flag.untrusted = true;
    if (off + size > tsize) {
      // a trailing flexible array may be read past the struct's size
      const beyond = (): never => { throw new WalkError(`access beyond struct ${tname} at off ${off >>> 0} size ${size}`, 'EACCES'); };
      if (!members.length) beyond();
      const last = members[members.length - 1];
      const mt = skipModifiers(btf, last.type).t;
      if (mt.kind !== K.ARRAY || (mt.nelems ?? 0) !== 0) beyond();
      const moff = Math.floor(last.bitOffset / 8);
      if (off < moff) beyond();
      const elem = skipModifiers(btf, mt.elemType ?? 0).t;
      if (elem.kind === K.INT) return { kind: 'scalar' };
      if (!isStruct(elem)) beyond();
      // elements of a flexible array are walked as untrusted (no member bounds; pointers become untrusted)
      flag.untrusted = true;
      off = (off - moff) % (elem.size ?? 1);
      t = elem;
      continue;
    }
    let next: KernelBtfType | null = null;
    for (const m of members) {
      let moff = Math.floor(m.bitOffset / 8);
      if (off + size <= moff) break;
      if (m.bitfieldSize) {
        const endBit = m.bitOffset + m.bitfieldSize;
        if (off <= moff && Math.ceil(endBit / 8) <= off + size) return { kind: 'scalar' };
        continue;
      }
      if (off < moff) break;
      const r = resolveSize(btf, m.type);
      if (!r) throw new WalkError(`field ${m.name} doesn't have size`, 'EFAULT');
      let mid = r.typeId;
      let mtype = r.t;
      let msize = r.size;
      const mtrueEnd = moff + msize;
      if (off >= mtrueEnd) continue;
      if (mtype.kind === K.ARRAY) {
        if (moff === mtrueEnd) continue;
        msize = Math.floor(msize / r.nelems);
        const idx = Math.floor((off - moff) / msize);
        moff += idx * msize;
        mtype = r.elem;
        mid = r.elemId;
      }
      if (isStruct(mtype)) {
        if (off === moff) return { kind: 'struct', id: mid };
        off -= moff;
        next = mtype;
        break;
      }
      if (mtype.kind === K.PTR) {
        if (msize !== size || off !== moff) {
          throw new WalkError(`cannot access ptr member ${m.name} with moff ${moff} in struct ${tname} with off ${off} size ${size}`, 'EACCES');
        }
        const s = skipModifiers(btf, mtype.type ?? 0);
        return { kind: 'ptr', id: isStruct(s.t) ? s.id : -1, field: m.name };
      }
      if (off + size > mtrueEnd && !flag.untrusted) {
        throw new WalkError(`access beyond the end of member ${m.name} (mend:${mtrueEnd}) in struct ${tname} with off ${off} size ${size}`, 'EACCES');
      }
      return { kind: 'scalar' };
    }
    if (next) { t = next; continue; }
    throw new WalkError(`struct ${tname} doesn't have field at offset ${off}`, 'EINVAL');
  }
  throw new WalkError('btf_struct_walk: too deep', 'EINVAL');
}

/**
 * One btf_struct_walk step of an access at (`id`, `off`, `size`): the nested struct found there
 * (structId), nothing (a scalar or pointer member), or the error the kernel logs.
 */
export function walkMessage(btf: KernelBtf, id: number, off: number, size: number): { structId?: number } | { error: string } {
  try {
    const w = structWalk(btf, typeById(btf, id), off, size, { untrusted: false });
    return w.kind === 'struct' ? { structId: w.id } : {};
  } catch (e) {
    if (e instanceof WalkError) return { error: e.msg };
    throw e;
  }
}

/** btf_struct_access: walk nested structs until a scalar or a pointer. */
export function structAccess(btf: KernelBtf, id: number, off: number, size: number): { walk: Walk; untrusted: boolean } {
  const flag = { untrusted: false };
  let t = typeById(btf, id);
  for (let guard = 0; guard < 64; guard++) {
    const w = structWalk(btf, t, off, size, flag);
    if (w.kind !== 'struct') return { walk: w, untrusted: flag.untrusted };
    t = typeById(btf, w.id);
    off = 0;
  }
  throw new WalkError('btf_struct_access: too deep', 'EINVAL');
}

const tnumStr = (s: S.Scalar): string => `(0x${s.varOff.value.toString(16)}; 0x${s.varOff.mask.toString(16)})`;

/**
 * check_ptr_to_btf_access for an access of `size` bytes at `off` (the register's fixed offset
 * included) through PTR_TO_BTF_ID register `regno`. Returns what a read yields: a pointer register,
 * or null for a scalar (sized by the caller).
 */
export function checkPtrToBtfAccess(c: Checker, regno: number, off: number, size: number, write: boolean): Reg | null {
  const reg = c.regs[regno];
  const btf = c.opts.kernelBtf;
  const tname = reg.btfName ?? '';
  if (!btf) throw new Reject(`bpfsim has no kernel BTF for R${regno} ptr_${tname}`, 'EINVAL');
  if (!gplCompatible(c.opts.license ?? 'GPL')) throw einval(`Cannot access kernel 'struct ${tname}' from non-GPL compatible program`);
  if (off < 0) throw eacces(`R${regno} is ptr_${tname} invalid negative access: off=${off}`);
  if (!S.isConst(reg.s) || S.constValue(reg.s) !== 0n) {
    throw eacces(`R${regno} is ptr_${tname} invalid variable offset: off=${off}, var_off=${tnumStr(reg.s)}`);
  }
  if (write) throw eacces('only read is supported');
  let res: { walk: Walk; untrusted: boolean };
  try {
    res = structAccess(btf, reg.btfId ?? 0, off, size);
  } catch (e) {
    if (e instanceof WalkError) throw new Reject(e.msg, e.errno);
    throw e;
  }
  const w = res.walk;
  if (w.kind === 'scalar' || w.kind === 'struct') return null;
  // a pointer to something other than a struct: memory the program may only read, of unknown size
  if (w.id < 0) return ptr('mem', { rdonly: true, untrusted: true, memSize: 0 });
  const out = ptr('ptr_btf', { btfId: w.id, btfName: typeById(btf, w.id).name });
  const safe = SAFE_FIELDS[tname]?.[w.field];
  if (reg.untrusted) out.untrusted = true;
  else if (reg.trusted || reg.refObjId || reg.rcu) {
    out.untrusted = res.untrusted;
    if (safe === 'trusted') out.trusted = true;
    else if (safe === 'trusted_or_null') { out.trusted = true; out.maybeNull = true; }
    else if (safe === 'rcu') out.rcu = true;
    else if (safe === 'rcu_or_null') { out.rcu = true; out.maybeNull = true; out.untrusted = false; }
  } else out.untrusted = res.untrusted;
  return out;
}
