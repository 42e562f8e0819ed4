/**
 * Verifier state: registers, stack slots, frames, acquired references — the kernel's bpf_reg_state,
 * bpf_func_state and bpf_verifier_state, as plain objects copied on branch.
 */
import type { MapInfo } from './api';
import * as S from './bridge/scalar';

/** Base register types (the kernel's enum bpf_reg_type, as reg_type_str prints them). */
export type RegType =
  | 'not_init' | 'scalar' | 'ctx' | 'fp' | 'pkt' | 'pkt_end' | 'pkt_meta' | 'map_ptr' | 'map_value'
  | 'map_key' | 'mem' | 'ringbuf_mem' | 'sock' | 'sock_common' | 'tcp_sock' | 'func' | 'flow_keys'
  /** PTR_TO_BTF_ID: a kernel struct described by the kernel BTF (`ptr_task_struct`). */
  | 'ptr_btf';

export interface Reg {
  type: RegType;
  /** _or_null variant (PTR_MAYBE_NULL). */
  maybeNull: boolean;
  /** Fixed part of a pointer's offset. */
  off: number;
  /** The scalar value, or a pointer's variable offset. */
  s: S.Scalar;
  id: number;
  refObjId: number;
  /** Packet pointers: bytes known to be inside the packet from the pointer's base. */
  range: number;
  map?: MapInfo;
  memSize: number;
  /** For fp: which frame's stack. */
  frameno: number;
  /** Pointer into read-only memory (MEM_RDONLY). */
  rdonly: boolean;
  /** Scalar whose exact value mattered to a decision (printed with a `P` prefix). */
  precise?: boolean;
  /** BPF_PSEUDO_FUNC target (ptr to func). */
  subprog?: number;
  /** ptr_btf: the struct's id in the kernel BTF and its name (printed after the type: `ptr_task_struct`). */
  btfId?: number;
  btfName?: string;
  /** Type flags reg_type_str prints before the base type: PTR_TRUSTED, MEM_RCU, PTR_UNTRUSTED. */
  trusted?: boolean;
  rcu?: boolean;
  untrusted?: boolean;
}

export type SlotType = 'invalid' | 'spill' | 'misc' | 'zero';
export interface StackSlot {
  /** Per byte as the kernel orders slot_type[]: index j is the byte at fp - spi*8 - 1 - j (7 = lowest address). */
  types: SlotType[];
  spilled: Reg;
}

export interface Frame {
  regs: Reg[];
  /** Slot i covers fp-(i+1)*8 .. fp-i*8-1. */
  stack: StackSlot[];
  frameno: number;
  callsite: number;
  subprog: number;
  /** Map value / loop callbacks (in_callback_fn: returns to its callsite, R0 must be in [0, 1]). */
  inCallback: boolean;
  /** callback_depth: callback visits pushed from this frame since it last went past a callback call. */
  callbackDepth: number;
}

export interface Ref { id: number; insnIdx: number; kind: 'ptr' | 'lock' }

export interface VState {
  frames: Frame[];
  refs: Ref[];
  /** Active bpf_spin_lock (map value id), 0 when none. */
  activeLock: number;
  /** bpf_rcu_read_lock sections open on this path (active_rcu_locks); absent means 0. */
  rcuLocks?: number;
  /** Count of branches still to explore below this state (not used for pruning here). */
  insnIdx: number;
  /** callback_unroll_depth: callback bodies entered on this path (iterations are not infinite loops). */
  callbackUnrollDepth: number;
}

/** Every field of Reg, optional ones included: the compiler insists that a copy lists them all. */
export type AllFields<T> = { [K in keyof Required<T>]: T[K] };

/**
 * Every register is built here with every field present (optional ones undefined), so all Reg objects
 * share one V8 shape: copying and comparing them stays monomorphic on the verifier's hot paths.
 */
export function notInit(): AllFields<Reg> {
  return {
    type: 'not_init', maybeNull: false, off: 0, s: S.UNKNOWN, id: 0, refObjId: 0, range: 0, map: undefined, memSize: 0,
    frameno: 0, rdonly: false, precise: false, subprog: undefined, btfId: undefined, btfName: undefined, trusted: undefined,
    rcu: undefined, untrusted: undefined,
  };
}
export function scalar(s: S.Scalar = S.UNKNOWN): Reg {
  const r = notInit();
  r.type = 'scalar';
  r.s = s;
  return r;
}
export function ptr(type: RegType, extra: Partial<Reg> = {}): Reg {
  const r: Reg = notInit();
  r.type = type;
  r.s = S.known(0n);
  return Object.assign(r, extra);
}

/** A copy listing every field (one object shape; the compiler checks none is forgotten). */
export const cloneReg = (r: Reg): AllFields<Reg> => ({
  type: r.type, maybeNull: r.maybeNull, off: r.off, s: r.s, id: r.id, refObjId: r.refObjId, range: r.range, map: r.map,
  memSize: r.memSize, frameno: r.frameno, rdonly: r.rdonly, precise: r.precise, subprog: r.subprog, btfId: r.btfId,
  btfName: r.btfName, trusted: r.trusted, rcu: r.rcu, untrusted: r.untrusted,
});
/** A copy of `r` with value `s` (object spread of a Reg is several times slower than cloneReg). */
export function withScalar(r: Reg, s: S.Scalar): Reg {
  const out: Reg = cloneReg(r);
  out.s = s;
  return out;
}
function cloneFrame(f: Frame): Frame {
  return {
    ...f,
    regs: f.regs.map(cloneReg),
    stack: f.stack.map((sl) => ({ types: sl.types.slice(), spilled: cloneReg(sl.spilled) })),
  };
}
export function cloneState(st: VState): VState {
  return { ...st, frames: st.frames.map(cloneFrame), refs: st.refs.map((r) => ({ ...r })) };
}

export function newFrame(frameno: number, callsite: number, subprog: number): Frame {
  const regs: Reg[] = Array.from({ length: 11 }, notInit);
  regs[10] = ptr('fp', { frameno });
  return { regs, stack: [], frameno, callsite, subprog, inCallback: false, callbackDepth: 0 };
}

export const isPtr = (r: Reg): boolean => r.type !== 'scalar' && r.type !== 'not_init';
export const isPktPtr = (r: Reg): boolean => r.type === 'pkt' || r.type === 'pkt_meta';

/** reg_type_str for BTF pointers and untrusted memory: `trusted_ptr_`, `rcu_ptr_or_null_`, `rdonly_untrusted_mem`. */
export function flaggedTypeStr(r: Reg): string {
  const pre = `${r.rdonly ? 'rdonly_' : ''}${r.rcu ? 'rcu_' : ''}${r.untrusted ? 'untrusted_' : ''}${r.trusted ? 'trusted_' : ''}`;
  if (r.type === 'ptr_btf') return `${pre}ptr_${r.maybeNull ? 'or_null_' : ''}`;
  return `${pre}${r.type}${r.maybeNull ? '_or_null' : ''}`;
}

/** reg_type_str: `map_value_or_null`, `ringbuf_mem_or_null`, `rdonly_mem`... */
export function typeStr(r: Reg): string {
  if (r.type === 'ptr_btf' || r.untrusted) return flaggedTypeStr(r) + (r.type === 'ptr_btf' ? r.btfName ?? '' : '');
  const base = r.type === 'map_ptr' ? 'map_ptr' : r.type === 'ringbuf_mem' ? 'ringbuf_mem' : r.type;
  const pre = r.rdonly && (r.type === 'mem') ? 'rdonly_' : '';
  return `${pre}${base}${r.maybeNull ? '_or_null' : ''}`;
}

/** print_reg_state. */
export function regStr(r: Reg, curFrame: number): string {
  if (r.type === 'scalar') {
    return S.scalarText(r.s, r.id, r.precise ?? false);
  }
  let out = typeStr(r);
  if (r.type === 'fp') {
    if (r.frameno !== curFrame) out += `[${r.frameno}]`;
    if (S.isConst(r.s)) return out + S.snum(r.s.varOff.value + BigInt(r.off));
  }
  const parts: string[] = [];
  if (r.id) parts.push(`id=${r.id}`);
  if (r.refObjId) parts.push(`ref_obj_id=${r.refObjId}`);
  if ((r.type === 'map_ptr' || r.type === 'map_value' || r.type === 'map_key') && r.map) {
    if (r.map.name) parts.push(`map=${r.map.name.slice(0, 15)}`);
    parts.push(`ks=${r.map.keySize},vs=${r.map.valueSize}`);
  }
  if (r.off) parts.push(`off=${r.off}`);
  if (r.type === 'pkt' || r.type === 'pkt_meta' || r.type === 'pkt_end') {
    if (r.type !== 'pkt_end') parts.push(`r=${S.unum(BigInt(r.range))}`);
  }
  if (r.type === 'mem' || r.type === 'ringbuf_mem') parts.push(`sz=${r.memSize}`);
  if (S.isConst(r.s)) {
    if (r.s.varOff.value) parts.push(`imm=${r.s.varOff.value.toString(16)}`);
  } else parts.push(...S.rangesStr(r.s));
  return `${out}(${parts.join(',')})`;
}

const SLOT_CHAR: Record<SlotType, string> = { invalid: '?', spill: 'r', misc: 'm', zero: '0' };

/** print_verifier_state for one frame: ` R1=ctx() R10=fp0 fp-8=mmmmmmmm refs=2`. */
export function frameStr(st: VState, f: Frame, scratchedRegs: Set<number> | null, scratchedSlots: Set<number> | null): string {
  let out = '';
  if (f.frameno) out += ` frame${f.frameno}:`;
  for (let i = 0; i < f.regs.length; i++) {
    const r = f.regs[i];
    if (r.type === 'not_init') continue;
    if (scratchedRegs && !scratchedRegs.has(i)) continue;
    out += ` R${i}=${regStr(r, f.frameno)}`;
  }
  for (let i = 0; i < f.stack.length; i++) {
    if (scratchedSlots && !scratchedSlots.has(i)) continue;
    const sl = f.stack[i];
    if (sl.types.every((t) => t === 'invalid')) continue;
    let chars = sl.types.map((t) => SLOT_CHAR[t]).join('');
    if (sl.types[7] === 'spill') {
      const j = sl.types.indexOf('spill');
      chars = chars.slice(0, j);
      out += ` fp${-(i + 1) * 8}=${chars}${regStr(sl.spilled, f.frameno)}`;
    } else out += ` fp${-(i + 1) * 8}=${chars}`;
  }
  if (st.refs.length) out += ` refs=${st.refs.map((r) => r.id).join(',')}`;
  if (f.inCallback) out += ' cb';
  return out;
}
