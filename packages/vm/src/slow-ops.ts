/**
 * Instructions kept out of the hot loop: atomics, load-acquire/store-release
 * and the legacy packet loads LD_ABS/LD_IND.
 */
import { addrHi } from './arith';
import { VmUsageError } from './errors';
import type { Machine } from './machine';
import type { PreparedProgram } from './prepare';

const ADD = 0x00, OR = 0x40, AND = 0x50, XOR = 0xa0, FETCH = 0x01, XCHG = 0xe1, CMPXCHG = 0xf1;

/** BPF_STX | BPF_ATOMIC | W/DW read-modify-write at pc (operation in imm; validated by prepare). */
export function atomic(m: Machine, p: PreparedProgram, pc: number, wide: boolean): void {
  const { lo, hi, mem } = m;
  const d = p.dst[pc], s = p.src[pc], op = p.imm[pc], off = p.off[pc];
  const al = ((lo[d] >>> 0) + off) >>> 0;
  const view = mem.atomicAt(addrHi(lo[d], hi[d], off), al, wide ? 8 : 4);
  if (wide) {
    const old = view.getBigUint64(al, true);
    const v = (BigInt(hi[s] >>> 0) << 32n) | BigInt(lo[s] >>> 0);
    if (op === CMPXCHG) {
      const r0 = (BigInt(hi[0] >>> 0) << 32n) | BigInt(lo[0] >>> 0);
      if (old === r0) view.setBigUint64(al, v, true);
      lo[0] = Number(old & 0xffffffffn);
      hi[0] = Number(old >> 32n);
      return;
    }
    view.setBigUint64(al, rmw(op, old, v, 64), true);
    if (op & FETCH) {
      lo[s] = Number(old & 0xffffffffn);
      hi[s] = Number(old >> 32n);
    }
    return;
  }
  const old = view.getUint32(al, true);
  if (op === CMPXCHG) {
    if (old === lo[0] >>> 0) view.setInt32(al, lo[s], true);
    lo[0] = old;
    hi[0] = 0;
    return;
  }
  view.setUint32(al, Number(rmw(op, BigInt(old), BigInt(lo[s] >>> 0), 32)), true);
  if (op & FETCH) {
    lo[s] = old;
    hi[s] = 0;
  }
}

function rmw(op: number, old: bigint, v: bigint, bits: number): bigint {
  if (op === XCHG) return v;
  switch (op & ~FETCH) {
    case ADD: return BigInt.asUintN(bits, old + v);
    case OR: return old | v;
    case AND: return old & v;
    case XOR: return old ^ v;
  }
  throw new Error(`unreachable atomic op ${op}`); // prepare() only lets the ops above through
}

/** BPF_LOAD_ACQ: dst = *(size *)(src + off), zero-extended. */
export function loadAcquire(m: Machine, p: PreparedProgram, pc: number): void {
  const { lo, hi, mem } = m;
  const d = p.dst[pc], s = p.src[pc], off = p.off[pc], size = p.aux[pc];
  const al = ((lo[s] >>> 0) + off) >>> 0;
  const view = mem.at(addrHi(lo[s], hi[s], off), al, size, false);
  switch (size) {
    case 1: lo[d] = view.getUint8(al); hi[d] = 0; break;
    case 2: lo[d] = view.getUint16(al, true); hi[d] = 0; break;
    case 4: lo[d] = view.getInt32(al, true); hi[d] = 0; break;
    default: lo[d] = view.getInt32(al, true); hi[d] = view.getInt32(al + 4, true);
  }
}

/** BPF_STORE_REL: *(size *)(dst + off) = src. */
export function storeRelease(m: Machine, p: PreparedProgram, pc: number): void {
  const { lo, hi, mem } = m;
  const d = p.dst[pc], s = p.src[pc], off = p.off[pc], size = p.aux[pc];
  const al = ((lo[d] >>> 0) + off) >>> 0;
  const view = mem.at(addrHi(lo[d], hi[d], off), al, size, true);
  switch (size) {
    case 1: view.setInt8(al, lo[s]); break;
    case 2: view.setInt16(al, lo[s], true); break;
    case 4: view.setInt32(al, lo[s], true); break;
    default: view.setInt32(al, lo[s], true); view.setInt32(al + 4, hi[s], true);
  }
}

/**
 * LD_ABS / LD_IND: r0 = the packet's size bytes at imm (+ src) in network
 * order. Returns false when the load fails; the caller then ends the frame
 * with r0 = 0, as the kernel's rewrite of these instructions does.
 */
export function loadPacket(m: Machine, p: PreparedProgram, pc: number, indirect: boolean): boolean {
  const load = m.opts.skbLoad;
  if (load === undefined) throw new VmUsageError('LD_ABS/LD_IND need RunOptions.skbLoad (the packet the context r6 points at)');
  const { lo, hi } = m;
  const size = p.aux[pc] as 1 | 2 | 4;
  const offset = indirect ? (lo[p.src[pc]] + p.imm[pc]) | 0 : p.imm[pc];
  const ctx = (BigInt(hi[6] >>> 0) << 32n) | BigInt(lo[6] >>> 0);
  const bytes = load(ctx, offset, size);
  if (bytes === undefined || bytes.length < size) return false;
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + bytes[i];
  lo[0] = v;
  hi[0] = 0;
  return true;
}
