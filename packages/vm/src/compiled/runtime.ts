/**
 * What compiled code calls off its fast path: region lookups that miss the
 * one-entry cache (with the context's virtual accessors), the interpreter's
 * error placement, and the messages of sentinel and invalid slots. Shared by
 * every compiled program; per-program data travels in the `R` object.
 */
import { BpfsimError } from '@bpfsim/uapi';
import { InvalidInstruction, ProgramCounterFault, UnknownHelper, VmError, VmUsageError } from '../errors';
import { Call, helperFailure, lookupHelper, setReg, type Machine } from '../machine';
import { VirtualHit, type AddressSpace } from '../memory/address-space';
import type { PreparedProgram } from '../prepare';

/**
 * The region cache a slow path hands back to compiled code: high word,
 * DataView, size, and whether a write went through. ch = 0, cs = 0 is
 * "nothing cached": high word 0 (the NULL page) belongs to no region
 * (layout.ts), and no access fits in 0 bytes; a context is never cached.
 */
export class RegionCache {
  ch = 0;
  cv: DataView = EMPTY_VIEW;
  cs = 0;
  cw = false;
  /** High half of the last slow load. */
  hi = 0;
}

export const EMPTY_VIEW = new DataView(new ArrayBuffer(0));

/** A load the cache missed: checked by mem.at(); a context goes through its accessor. Returns the low half. */
export function slowLoad(mem: AddressSpace, h: number, a: number, size: 1 | 2 | 4 | 8, signed: boolean, S: RegionCache): number {
  let v: DataView;
  try {
    v = mem.at(h, a, size, false);
  } catch (e) {
    if (!(e instanceof VirtualHit)) throw e;
    const value = BigInt.asUintN(64, e.access.load(e.off, size, signed));
    S.ch = 0;
    S.cs = 0;
    S.hi = Number(value >> 32n) | 0;
    return Number(value & 0xffffffffn) | 0;
  }
  S.ch = h;
  S.cv = v;
  S.cs = v.byteLength;
  S.cw = false;
  let lo: number;
  switch (size) {
    case 1: lo = signed ? v.getInt8(a) : v.getUint8(a); break;
    case 2: lo = signed ? v.getInt16(a, true) : v.getUint16(a, true); break;
    case 4: lo = v.getInt32(a, true); break;
    default:
      S.hi = v.getInt32(a + 4, true);
      return v.getInt32(a, true);
  }
  S.hi = signed ? lo >> 31 : 0;
  return lo;
}

/** A store the cache missed (value as int32 halves). */
export function slowStore(mem: AddressSpace, h: number, a: number, size: 1 | 2 | 4 | 8, vl: number, vh: number, S: RegionCache): void {
  let v: DataView;
  try {
    v = mem.at(h, a, size, true);
  } catch (e) {
    if (!(e instanceof VirtualHit)) throw e;
    S.ch = 0;
    S.cs = 0;
    const value = (BigInt(vh >>> 0) << 32n) | BigInt(vl >>> 0);
    e.access.store(e.off, size, BigInt.asUintN(size * 8, value));
    return;
  }
  S.ch = h;
  S.cv = v;
  S.cs = v.byteLength;
  S.cw = true;
  switch (size) {
    case 1: v.setInt8(a, vl); break;
    case 2: v.setInt16(a, vl, true); break;
    case 4: v.setInt32(a, vl, true); break;
    default: v.setInt32(a, vl, true); v.setInt32(a + 4, vh, true);
  }
}

/**
 * An error leaving compiled code at slot pc: the budget it had really spent
 * goes back to the machine and the error gets its place, exactly as the
 * interpreter's catch does.
 */
export function placeError(e: unknown, m: Machine, p: PreparedProgram, pc: number, remaining: number): unknown {
  m.remaining = remaining;
  // Only load-acquire/store-release reach a context through mem.at() here; the interpreter refuses them too.
  if (e instanceof VirtualHit) e = new InvalidInstruction(`opcode 0x${p.code[pc].toString(16)} cannot access a context`);
  if (e instanceof VmError && e.insn === undefined) e.locate(pc, m.depth, p.code[pc], p.name);
  else if (e instanceof BpfsimError && !(e instanceof VmError)) e.wrap(`insn ${pc}`);
  return e;
}

/** The fault of a sentinel slot (fell off the end, or an out-of-range jump/call target). */
export function sentinelFault(m: Machine, p: PreparedProgram, pc: number): VmError {
  if (pc === p.length) {
    const last = Math.max(0, p.length - 1);
    return new ProgramCounterFault(pc, `control fell off the end of the program (${p.length} slots)`).locate(last, m.depth, p.code[last], p.name);
  }
  const bad = p.badTargets[pc - p.length - 1];
  return new ProgramCounterFault(bad.target, `jump or call target ${bad.target} is outside the program (${p.length} slots)`)
    .locate(bad.from, m.depth, p.code[bad.from], p.name);
}

export function invalidInsn(p: PreparedProgram, pc: number): InvalidInstruction {
  return new InvalidInstruction(p.invalid.get(pc) ?? `unknown opcode 0x${p.code[pc].toString(16)}`);
}

/**
 * Register values as bigints for helper arguments, memoised per register:
 * loops pass the same map pointer and stack key slot every round, and a
 * bigint built from two halves costs several allocations. The value is a
 * pure function of (lo, hi), so the memo cannot change a result.
 */
const memoLo = new Int32Array(6), memoHi = new Int32Array(6);
const memoBig: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n];

function argOf(r: number, l: number, h: number): bigint {
  if (memoLo[r] === l && memoHi[r] === h) return memoBig[r];
  const v = h === 0 ? BigInt(l >>> 0) : (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);
  memoLo[r] = l;
  memoHi[r] = h;
  memoBig[r] = v;
  return v;
}

/** Machine.callHelper with the argument memo and a cheap r0 for small results (same lookups, errors and checks). */
export function callHelper(m: Machine, id: number, pc: number, kfunc: boolean): void {
  const fn = kfunc ? m.opts.kfuncs?.(id) : lookupHelper(m.opts, id);
  if (fn === undefined) throw new UnknownHelper(id, kfunc ? 'kfunc' : 'helper');
  const { lo, hi } = m;
  const call = new Call(m, pc, id, kfunc);
  let ret: unknown;
  try {
    ret = fn(call, argOf(1, lo[1], hi[1]), argOf(2, lo[2], hi[2]), argOf(3, lo[3], hi[3]), argOf(4, lo[4], hi[4]), argOf(5, lo[5], hi[5]));
  } catch (e) {
    throw helperFailure(e, id, pc, kfunc);
  }
  if (typeof ret === 'bigint') {
    if (ret >= 0n && ret <= 0xffffffffn) {
      lo[0] = Number(ret);
      hi[0] = 0;
    } else setReg(lo, hi, 0, BigInt.asUintN(64, ret));
  } else if (typeof ret === 'number' && Number.isSafeInteger(ret)) setReg(lo, hi, 0, BigInt.asUintN(64, BigInt(ret)));
  else throw new VmUsageError(`${kfunc ? 'kfunc' : 'helper'} ${id} returned ${typeof ret} (a bigint is expected)`);
}
