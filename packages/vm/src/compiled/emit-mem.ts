/**
 * JavaScript for loads and stores. The address is reg + off as (x = high
 * word, a = unsigned low word); each region owns one high word, so a
 * one-entry cache (ch high word, cv DataView, cs size, cw writable) in
 * locals turns the interpreter's checked mem.at() into one compare on the
 * fast path. A miss goes through runtime.ts (the same checks, the same
 * MemoryFault, contexts through their accessors) and refills the cache.
 */
import { Op } from '../ops';
import { H, L, num } from './emit-alu';

const REFILL = 'ch = S.ch; cv = S.cv; cs = S.cs; cw = S.cw;';

/**
 * Fast-path test: the low word a = reg.lo + off as an int32 must be >= 0 and
 * (for off > 0) >= off, which rules out a carry into the high word, so the
 * region is the one of reg's own high word. Anything else takes the slow path.
 */
function fastTest(r: number, off: number, size: number, write: boolean): string {
  const low = off > 0 ? `a >= ${num(off)}` : 'a >= 0';
  return `a = (${L(r)} + ${num(off)}) | 0; if (${H(r)} === ch && ${write ? 'cw && ' : ''}${low} && a + ${size} <= cs)`;
}

/** Sets a (unsigned low word) and x (high word) to reg + off. */
function address(r: number, off: number): string {
  if (off === 0) return `a = ${L(r)} >>> 0; x = ${H(r)};`;
  if (off > 0) return `t = (${L(r)} >>> 0) + ${num(off)}; a = t >>> 0; x = t >= 4294967296 ? (${H(r)} + 1) | 0 : ${H(r)};`;
  return `t = (${L(r)} >>> 0) + ${num(off)}; a = t >>> 0; x = t < 0 ? (${H(r)} - 1) | 0 : ${H(r)};`;
}

const LOADS: Partial<Record<Op, [1 | 2 | 4 | 8, boolean]>> = {
  [Op.LDX_B]: [1, false], [Op.LDX_H]: [2, false], [Op.LDX_W]: [4, false], [Op.LDX_DW]: [8, false],
  [Op.LDXS_B]: [1, true], [Op.LDXS_H]: [2, true], [Op.LDXS_W]: [4, true],
};
const STORES: Partial<Record<Op, [1 | 2 | 4 | 8, boolean]>> = {
  [Op.ST_B]: [1, true], [Op.ST_H]: [2, true], [Op.ST_W]: [4, true], [Op.ST_DW]: [8, true],
  [Op.STX_B]: [1, false], [Op.STX_H]: [2, false], [Op.STX_W]: [4, false], [Op.STX_DW]: [8, false],
};

function fastLoad(d: number, size: number, signed: boolean): string {
  const l = L(d), h = H(d);
  switch (size) {
    case 1: return signed ? `${l} = cv.getInt8(a); ${h} = ${l} >> 31;` : `${l} = cv.getUint8(a); ${h} = 0;`;
    case 2: return signed ? `${l} = cv.getInt16(a, true); ${h} = ${l} >> 31;` : `${l} = cv.getUint16(a, true); ${h} = 0;`;
    case 4: return signed ? `${l} = cv.getInt32(a, true); ${h} = ${l} >> 31;` : `${l} = cv.getInt32(a, true); ${h} = 0;`;
    default: return `${l} = cv.getInt32(a, true); ${h} = cv.getInt32(a + 4, true);`;
  }
}

function fastStore(size: number, vl: string, vh: string): string {
  switch (size) {
    case 1: return `cv.setInt8(a, ${vl});`;
    case 2: return `cv.setInt16(a, ${vl}, true);`;
    case 4: return `cv.setInt32(a, ${vl}, true);`;
    default: return `cv.setInt32(a, ${vl}, true); cv.setInt32(a + 4, ${vh}, true);`;
  }
}

/** Source of a plain load or store at slot pc, or undefined for other ops. */
export function emitMem(op: Op, pc: number, d: number, s: number, off: number, imm: number): string | undefined {
  const load = LOADS[op];
  if (load) {
    const [size, signed] = load;
    return `${fastTest(s, off, size, false)} { ${fastLoad(d, size, signed)} } `
      + `else { ${address(s, off)} pc = ${num(pc)}; ${L(d)} = R.slowLoad(mem, x, a, ${size}, ${signed}, S); ${H(d)} = S.hi; ${REFILL} }`;
  }
  const store = STORES[op];
  if (store) {
    const [size, isImm] = store;
    const vl = isImm ? num(imm | 0) : L(s);
    const vh = isImm ? num((imm | 0) >> 31) : H(s);
    return `${fastTest(d, off, size, true)} { ${fastStore(size, vl, vh)} } `
      + `else { ${address(d, off)} pc = ${num(pc)}; R.slowStore(mem, x, a, ${size}, ${vl}, ${vh}, S); ${REFILL} }`;
  }
  return undefined;
}
