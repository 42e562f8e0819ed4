/**
 * check_mem_access and the per-region checks it dispatches to: stack (spills, fills, slot types),
 * context (the program type's field table), packet (range after a data_end check), map values,
 * helper memory.
 */
import { op } from './opcodes';
import type { CtxField } from '@bpfsim/uapi';
import { BPF_SOCK_FIELDS, SOCK_COMMON_FIELDS, TCP_SOCK_FIELDS } from '@bpfsim/uapi';
import * as S from './bridge/scalar';
import { eacces, einval, Reject } from './errors';
import type { Checker } from './check';
import { checkPtrOffReg, typeName } from './check';
import { withScalar, cloneReg, ptr, scalar, notInit, type Frame, type Reg, type SlotType } from './state';
import { tracingCtxAccess } from './btf-ctx';
import { checkPtrToBtfAccess } from './btf-ptr';
import { checkPtrToMapAccess } from './map-ptr';

const MAX_BPF_STACK = 512;
const BPF_MAX_VAR_OFF = 1n << 29n;
const tnumText = (s: S.Scalar): string => `(0x${s.varOff.value.toString(16)}; 0x${s.varOff.mask.toString(16)})`;

export type Access = 'read' | 'write';

/** check_mem_access for an instruction: `valueRegno` receives a load / supplies a store (-1: BPF_ST imm). */
export function checkMemAccess(
  c: Checker, regno: number, insnOff: number, size: number, t: Access, valueRegno: number, ldsx: boolean, stImm?: number,
): void {
  const reg = c.regs[regno];
  // alignment: strict only for the stack on x86 (efficient unaligned access)
  if (reg.type === 'fp') {
    const tot = S.alu(op.BPF_ADD, true, reg.s, S.known(BigInt(reg.off + insnOff)));
    if (!S.isConst(tot) ? (tot.varOff.value | 0n) % BigInt(size) !== 0n || (tot.varOff.mask & BigInt(size - 1)) !== 0n
      : BigInt.asIntN(64, S.constValue(tot)) % BigInt(size) !== 0n) {
      const tn = S.isConst(reg.s) ? `${S.constValue(reg.s)}` : tnumText(reg.s);
      throw eacces(`misaligned stack access off ${tn}+${reg.off}+${insnOff} size ${size}`);
    }
  }
  const off = insnOff + reg.off;
  if (reg.maybeNull) throw eacces(`R${regno} invalid mem access '${typeName(reg)}'`);
  const valueIsPtr = valueRegno >= 0 && t === 'write' && c.regs[valueRegno].type !== 'scalar';
  switch (reg.type) {
    case 'map_value': {
      if (t === 'write' && reg.map && ((reg.map.flags ?? 0) & 0x80 /* BPF_F_RDONLY_PROG */)) {
        throw eacces(`write into map forbidden, value_size=${reg.map.valueSize} off=${off} size=${size}`);
      }
      checkMemRegion(regno, reg, off, size, reg.map?.valueSize ?? 0, false);
      if (t === 'read' && valueRegno >= 0) {
        const ro = reg.map?.rdonlyValue;
        // bpf_map_is_rdonly: a frozen read-only map's contents are tracked as constants
        if (ro && S.isConst(reg.s)) c.setReg(valueRegno, scalar(S.known(directRead(ro, off + Number(S.constValue(reg.s)), size, ldsx))));
        else loadScalar(c, valueRegno, size, ldsx);
      }
      return;
    }
    case 'map_key':
      if (t === 'write') throw eacces(`write to change key R${regno} not allowed`);
      checkMemRegion(regno, reg, off, size, reg.map?.keySize ?? 0, false);
      if (valueRegno >= 0) loadScalar(c, valueRegno, size, ldsx);
      return;
    case 'mem': case 'ringbuf_mem':
      if (t === 'write' && reg.rdonly) throw eacces(`R${regno} cannot write into ${typeName(reg)}`);
      // untrusted memory (a BTF pointer member to a non-struct) is read with probe semantics: any offset
      if (reg.untrusted) { if (t === 'read' && valueRegno >= 0) loadScalar(c, valueRegno, size, ldsx); return; }
      checkMemRegion(regno, reg, off, size, reg.memSize, false);
      if (t === 'read' && valueRegno >= 0) loadScalar(c, valueRegno, size, ldsx);
      return;
    case 'ctx': {
      checkPtrOffReg(reg, regno);
      if (c.attach) {
        const y = tracingCtxAccess(c, c.attach, off, size, t === 'write');
        if (t === 'read' && valueRegno >= 0) { if (y) c.setReg(valueRegno, withId(c, y)); else loadScalar(c, valueRegno, size, ldsx); }
        return;
      }
      const field = checkCtxAccess(c, off, size, t);
      if (t === 'read' && valueRegno >= 0) {
        if (field?.yields) {
          const y = field.yields;
          if (y === 'sock_common_or_null') c.setReg(valueRegno, ptr('sock_common', { maybeNull: true, id: ++c.idGen }));
          else if (y === 'sock_or_null') c.setReg(valueRegno, ptr('sock', { maybeNull: true, id: ++c.idGen }));
          else c.setReg(valueRegno, ptr(y));
        } else loadScalar(c, valueRegno, size, ldsx);
      }
      return;
    }
    case 'sock': case 'sock_common': case 'tcp_sock': {
      // check_sock_access: loads only, by the struct's own field table
      if (t === 'write') throw eacces(`R${regno} cannot write into ${typeName(reg)}`);
      if (reg.s.smin < 0n) throw eacces(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
      const f = fieldAccess(SOCK_TABLES[reg.type], off, size, 'read', attachOf(c));
      if (!f) throw eacces(`R${regno} invalid ${typeName(reg)} access off=${off} size=${size}`);
      if (f.convertFails) throw new Reject('verifier bug: error during ctx access conversion (0)', 'EFAULT');
      if (valueRegno >= 0) loadScalar(c, valueRegno, size, ldsx);
      return;
    }
    case 'fp': {
      checkStackBounds(c, regno, reg, off, size, t === 'write' ? 'write' : 'read');
      const frame = c.cur.frames[reg.frameno];
      if (!S.isConst(reg.s)) {
        // variable-offset stack access: writes make the bytes misc, reads give unknown scalars
        if (t === 'write') {
          const lo = Number(reg.s.smin) + off, hi = Number(reg.s.smax) + off + size;
          for (let b = lo; b < hi; b++) setStackByte(frame, b, stImm === 0 || (valueRegno >= 0 && isZero(c.regs[valueRegno])) ? 'zero' : 'misc');
        } else if (valueRegno >= 0) loadScalar(c, valueRegno, size, ldsx);
        return;
      }
      const o = Number(BigInt.asIntN(64, S.constValue(reg.s))) + off;
      if (t === 'write') stackWrite(c, frame, o, size, valueRegno, stImm);
      else stackRead(c, frame, o, size, valueRegno, ldsx);
      return;
    }
    case 'pkt': case 'pkt_meta': {
      if (t === 'write' && !mayWritePkt(c)) throw eacces('cannot write into packet');
      checkPacketAccess(regno, reg, off, size, false);
      if (t === 'read' && valueRegno >= 0) loadScalar(c, valueRegno, size, ldsx);
      return;
    }
    case 'map_ptr': {
      const y = checkPtrToMapAccess(c, regno, off, size, t === 'write');
      if (t === 'read' && valueRegno >= 0) { if (y) c.setReg(valueRegno, y); else loadScalar(c, valueRegno, size, ldsx); }
      return;
    }
    case 'ptr_btf': {
      const y = checkPtrToBtfAccess(c, regno, off, size, t === 'write');
      if (t === 'read' && valueRegno >= 0) { if (y) c.setReg(valueRegno, withId(c, y)); else loadScalar(c, valueRegno, size, ldsx); }
      return;
    }
    case 'scalar': case 'not_init':
    default:
      void valueIsPtr;
      throw eacces(`R${regno} invalid mem access '${typeName(reg)}'`);
  }
}

/** A maybe-NULL pointer a load yields gets a fresh id (for its NULL check). */
function withId(c: Checker, r: Reg): Reg {
  if (r.maybeNull && !r.id) r.id = ++c.idGen;
  return r;
}

function mayWritePkt(c: Checker): boolean {
  return c.info.pktWrite ?? c.info.pktAccess;
}

const SOCK_TABLES: Readonly<Record<string, readonly CtxField[]>> = {
  sock: BPF_SOCK_FIELDS, sock_common: SOCK_COMMON_FIELDS, tcp_sock: TCP_SOCK_FIELDS,
};

/** The expected_attach_type the program is verified with (verify() applies the load-time default). */
const attachOf = (c: Checker): number => c.opts.expectedAttachType ?? 0;

const isZero = (r: Reg): boolean => r.type === 'scalar' && S.isConst(r.s) && S.constValue(r.s) === 0n;

/** Load of `size` bytes into a register: unknown, zero-extended (or sign-extended for BPF_MEMSX). */
function loadScalar(c: Checker, regno: number, size: number, ldsx: boolean): void {
  c.setReg(regno, scalar(ldsx ? S.unknownSigned(size) : S.unknownOfSize(size)));
}

/** bpf_map_direct_read: `size` bytes little-endian at `off`, sign-extended for BPF_MEMSX. */
function directRead(value: Uint8Array, off: number, size: number, ldsx: boolean): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(value[off + i] ?? 0);
  return ldsx ? BigInt.asIntN(size * 8, v) : v;
}

/** __check_mem_access. */
function memAccessMsg(regno: number, reg: Reg, off: bigint, size: number, memSize: number): string {
  switch (reg.type) {
    case 'pkt': case 'pkt_meta': case 'pkt_end':
      return `invalid access to packet, off=${off} size=${size}, R${regno}(id=${reg.id},off=${off},r=${memSize})`;
    case 'map_value': return `invalid access to map value, value_size=${memSize} off=${off} size=${size}`;
    case 'map_key': return `invalid access to map key, key_size=${memSize} off=${off} size=${size}`;
    default: return `invalid access to memory, mem_size=${memSize} off=${off} size=${size}`;
  }
}
const memOk = (off: bigint, size: number, memSize: number, zeroOk: boolean): boolean =>
  (size > 0 || (size === 0 && zeroOk)) && off >= 0n && BigInt(size) <= BigInt(memSize) - off;

/** check_mem_region_access. */
export function checkMemRegion(regno: number, reg: Reg, off: number, size: number, memSize: number, zeroOk: boolean): void {
  const smin = reg.s.smin;
  const o = BigInt(off);
  if (smin < 0n && (smin === -(1n << 63n) || o + smin !== BigInt.asIntN(32, o + smin) || smin + o < 0n)) {
    throw eacces(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  }
  if (!memOk(smin + o, size, memSize, zeroOk)) {
    throw eacces(`${memAccessMsg(regno, reg, smin + o, size, memSize)}\nR${regno} min value is outside of the allowed memory range`);
  }
  if (reg.s.umax >= BPF_MAX_VAR_OFF) throw eacces(`R${regno} unbounded memory access, make sure to bounds check any such access`);
  if (!memOk(reg.s.umax + o, size, memSize, zeroOk)) {
    throw eacces(`${memAccessMsg(regno, reg, reg.s.umax + o, size, memSize)}\nR${regno} max value is outside of the allowed memory range`);
  }
}

/** check_packet_access. */
export function checkPacketAccess(regno: number, reg: Reg, off: number, size: number, zeroOk: boolean): void {
  if (reg.s.smin < 0n) throw eacces(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  if (reg.range < 0) throw new Reject(`R${regno} offset is outside of the packet`, 'EINVAL');
  if (!memOk(BigInt(off), size, reg.range, zeroOk)) {
    throw eacces(`${memAccessMsg(regno, reg, BigInt(off), size, reg.range)}\nR${regno} offset is outside of the packet`);
  }
}

/** The program type's is_valid_access, from its field table. */
function checkCtxAccess(c: Checker, off: number, size: number, t: Access): CtxField | undefined {
  if (off < 0 && c.info.negativeCtxOffOk && t === 'read' && off % size === 0) return undefined;
  const f = off < c.info.ctxSize ? fieldAccess(c.info.fields, off, size, t, attachOf(c)) : undefined;
  if (!f) throw eacces(`invalid bpf_context access off=${off} size=${size}`);
  if (f.convertFails) throw new Reject('verifier bug: error during ctx access conversion (0)', 'EFAULT');
  return f;
}

/**
 * The field of `fields` that allows a `size`-byte access at `off` (fields may overlap: the first
 * that allows it wins), or undefined when none does.
 */
function fieldAccess(fields: readonly CtxField[], off: number, size: number, t: Access, attach: number): CtxField | undefined {
  if (off < 0 || off % size !== 0) return undefined;
  for (const f of fields) {
    if (off < f.off || off + size > f.off + f.size) continue;
    const rule = t === 'read' ? f.read : f.write;
    const only = t === 'read' ? f.readAttach : f.writeAttach;
    if (!rule || (only && !only.includes(attach))) continue;
    if (f.yields && (size !== f.size || off !== f.off)) continue;
    if (sizeAllowed(rule, f, off, size, t)) return f;
  }
  return undefined;
}

function sizeAllowed(rule: NonNullable<CtxField['read']>, f: CtxField, off: number, size: number, t: Access): boolean {
  if (Array.isArray(rule)) return off === f.off && (rule as readonly number[]).includes(size);
  switch (rule) {
    case 'exact': return size === f.size && off === f.off;
    case 'narrow': return t === 'write' ? size === 4 : size <= 4;
    case 'wide': return size === 4 || size === 8;
    default: return true; // 'any'
  }
}

// ---- stack -------------------------------------------------------------------------------------

/** check_stack_access_within_bounds, then grow the frame's stack. */
export function checkStackBounds(c: Checker, regno: number, reg: Reg, off: number, size: number, kind: 'read' | 'write' | 'helper'): void {
  const extra = kind === 'write' ? ' write to' : kind === 'helper' ? ' indirect access to' : ' read from';
  let minOff: bigint, maxOff: bigint;
  if (S.isConst(reg.s)) {
    minOff = BigInt.asIntN(64, S.constValue(reg.s)) + BigInt(off);
    maxOff = minOff + BigInt(size);
  } else {
    if (reg.s.smax >= BPF_MAX_VAR_OFF || reg.s.smin <= -BPF_MAX_VAR_OFF) {
      throw eacces(`invalid unbounded variable-offset${extra} stack R${regno}`);
    }
    minOff = reg.s.smin + BigInt(off);
    maxOff = reg.s.smax + BigInt(off) + BigInt(size);
  }
  let errno: string | null = null;
  if (minOff < -MAX_BPF_STACK || minOff > -1n) errno = 'EACCES';
  else if (maxOff > 0n) errno = 'EINVAL';
  else if (size < 0) errno = 'EINVAL';
  if (errno) {
    const msg = S.isConst(reg.s)
      ? `invalid${extra} stack R${regno} off=${off} size=${size}`
      : `invalid variable-offset${extra} stack R${regno} var_off=${tnumText(reg.s)} off=${off} size=${size}`;
    throw new Reject(msg, errno);
  }
  growStack(c, c.cur.frames[reg.frameno], Number(-minOff));
}

function growStack(c: Checker, f: Frame, bytes: number): void {
  const n = Math.ceil(bytes / 8);
  while (f.stack.length < n) f.stack.push({ types: new Array<SlotType>(8).fill('invalid'), spilled: notInit() });
  const sp = f.subprog;
  const d = n * 8;
  if (c.stackDepth[sp] < d) c.stackDepth[sp] = d;
}

function setStackByte(f: Frame, off: number, t: SlotType): void {
  const slot = -off - 1;
  const spi = Math.floor(slot / 8);
  const sl = f.stack[spi];
  if (!sl) return;
  if (sl.types[7] === 'spill') { sl.types = sl.types.map((x) => (x === 'spill' ? 'misc' : x)); sl.spilled = notInit(); }
  sl.types[slot % 8] = t;
}

/** check_stack_write_fixed_off. */
function stackWrite(c: Checker, f: Frame, off: number, size: number, valueRegno: number, stImm?: number): void {
  const slot = -off - 1;
  const spi = Math.floor(slot / 8);
  const sl = f.stack[spi];
  c.markSlotScratched(spi);
  const reg = valueRegno >= 0 ? c.regs[valueRegno] : null;
  const save = (r: Reg): void => {
    sl.spilled = cloneReg(r);
    let i = 8;
    for (; i > 8 - size; i--) sl.types[i - 1] = 'spill';
    for (; i; i--) if (sl.types[i - 1] !== 'zero' && sl.types[i - 1] !== 'invalid') sl.types[i - 1] = 'misc';
  };
  if (reg && off % 8 === 0 && reg.type === 'scalar') {
    // get_reg_width; a spill the value fits in links the register and the slot (assign_scalar_id_before_mov)
    const fits = regWidth(reg) <= size * 8;
    if (fits && !reg.id && !S.isConst(reg.s)) reg.id = ++c.idGen;
    save(reg);
    if (!fits) sl.spilled.id = 0;
    return;
  }
  if (!reg && off % 8 === 0 && stImm !== undefined) {
    save(scalar(S.known(BigInt(stImm))));
    return;
  }
  if (reg && reg.type !== 'scalar') {
    if (size !== 8) throw eacces('invalid size of register spill');
    if (f !== c.frame && reg.type === 'fp') throw einval('cannot spill pointers to stack into stack frame of the caller');
    save(reg);
    return;
  }
  // a regular write of data
  if (sl.types[7] === 'spill') for (let i = 0; i < 8; i++) if (sl.types[i] === 'spill') sl.types[i] = 'misc';
  sl.spilled = notInit();
  const zero = (reg && isZero(reg)) || (!reg && stImm === 0);
  for (let i = 0; i < size; i++) sl.types[(slot - i) % 8] = zero ? 'zero' : 'misc';
}

/** get_reg_width: the bits a scalar's largest unsigned value needs. */
const regWidth = (r: Reg): number => S.bitsOf(r.s.umax);

/** check_stack_read_fixed_off (privileged: reading uninitialised stack is allowed). */
function stackRead(c: Checker, f: Frame, off: number, size: number, dst: number, ldsx: boolean): void {
  const slot = -off - 1;
  const spi = Math.floor(slot / 8);
  const sl = f.stack[spi];
  c.markSlotScratched(spi);
  if (sl.types[7] === 'spill') {
    let spillSize = 1;
    for (let i = 7; i > 0 && sl.types[i - 1] === 'spill'; i--) spillSize++;
    const sp = sl.spilled;
    if (size !== 8 || spillSize !== 8) {
      if (sp.type !== 'scalar') throw eacces('invalid size of register fill');
      if (dst < 0) return;
      if (size <= spillSize && off % 8 === 0) {
        const r = cloneReg(sp);
        c.setReg(dst, r);
        // a narrowing fill breaks the link (get_reg_width)
        if (regWidth(sp) > size * 8) r.id = 0;
      } else {
        let spillCnt = 0, zeroCnt = 0;
        for (let i = 0; i < size; i++) {
          const ty = sl.types[(slot - i) % 8];
          if (ty === 'spill') spillCnt++;
          else if (ty === 'zero') zeroCnt++;
        }
        if ((spillCnt === size && S.isConst(sp.s) && S.constValue(sp.s) === 0n) || zeroCnt === size) c.setReg(dst, scalar(S.known(0n)));
        else c.setReg(dst, scalar());
      }
    } else if (dst >= 0) {
      c.setReg(dst, cloneReg(sp));
      return;
    } else return;
  } else {
    if (dst < 0) return;
    let zero = true;
    for (let i = 0; i < size; i++) if (sl.types[(slot - i) % 8] !== 'zero') zero = false;
    c.setReg(dst, zero ? scalar(S.known(0n)) : scalar());
  }
  // coerce_reg_to_size for narrower loads
  const r = c.regs[dst];
  if (r.type === 'scalar' && size < 8) c.setReg(dst, withScalar(r, S.coerce(r.s, size, ldsx)));
}

/**
 * check_helper_mem_access: `size` bytes at register `regno` for a helper (read, or write for
 * MEM_UNINIT/MEM_WRITE arguments, which also mark stack bytes as written).
 */
export function checkHelperMem(c: Checker, regno: number, size: bigint, t: Access, zeroOk: boolean, nullOk: boolean, raw = true): void {
  const reg = c.regs[regno];
  const sz = Number(size);
  switch (reg.type) {
    case 'pkt': case 'pkt_meta':
      checkPacketAccess(regno, reg, reg.off, sz, zeroOk);
      return;
    case 'map_key':
      if (t === 'write') throw eacces(`R${regno} cannot write into ${typeName(reg)}`);
      checkMemRegion(regno, reg, reg.off, sz, reg.map?.keySize ?? 0, false);
      return;
    case 'map_value':
      if (t === 'write' && reg.map && ((reg.map.flags ?? 0) & 0x80)) throw eacces(`write into map forbidden, value_size=${reg.map.valueSize} off=${reg.off} size=${sz}`);
      checkMemRegion(regno, reg, reg.off, sz, reg.map?.valueSize ?? 0, zeroOk);
      return;
    case 'mem': case 'ringbuf_mem':
      if (t === 'write' && reg.rdonly) throw eacces(`R${regno} cannot write into ${typeName(reg)}`);
      checkMemRegion(regno, reg, reg.off, sz, reg.memSize, zeroOk);
      return;
    case 'ptr_btf':
      // check_helper_mem_access: the bytes must be a valid read of the kernel struct
      checkPtrToBtfAccess(c, regno, reg.off, sz, false);
      return;
    case 'fp': {
      // A zero-sized stack read the helper does not allow (a key of a zero-key-size
      // map such as a queue passed to map_lookup_elem): the kernel's wording, EACCES.
      if (sz === 0 && !zeroOk && t === 'read') throw eacces('invalid zero-sized read');
      // 6.18 words a helper's stack access by its direction (MEM_WRITE: "write to", else "read from")
      checkStackBounds(c, regno, reg, reg.off, sz, t);
      const f = c.cur.frames[reg.frameno];
      if (t === 'write' && S.isConst(reg.s)) {
        const base = Number(BigInt.asIntN(64, S.constValue(reg.s))) + reg.off;
        for (let i = 0; i < sz; i++) setStackByte(f, base + i, 'misc');
        // only MEM_UNINIT (raw_mode) buffers are written through check_mem_access, which scratches the
        // slots for the log; a MEM_WRITE buffer is clobbered to STACK_MISC silently
        if (raw) for (let i = 0; i < sz; i++) c.markSlotScratched(Math.floor((-(base + i) - 1) / 8));
      }
      return;
    }
    default:
      if (zeroOk && sz === 0 && nullOk && reg.type === 'scalar' && S.isConst(reg.s) && S.constValue(reg.s) === 0n) return;
      if (zeroOk && sz === 0 && reg.type === 'scalar' && S.isConst(reg.s) && S.constValue(reg.s) === 0n) return;
      throw eacces(`R${regno} type=${typeName(reg)} expected=fp`);
  }
}
