/**
 * .BTF.ext parsing: func_info, line_info and CO-RE relocation records, grouped
 * by the ELF section they describe. Offsets in records are bytes into that section.
 */
import { LoaderError } from '../errors';
import { Btf } from './types';

export interface ExtFuncInfo { insnOff: number; typeId: number }
export interface ExtLineInfo { insnOff: number; fileNameOff: number; lineOff: number; line: number; column: number }
export interface ExtCoreRelo { insnOff: number; typeId: number; accessStrOff: number; kind: number }

export interface BtfExt {
  funcInfo: Map<string, ExtFuncInfo[]>;
  lineInfo: Map<string, ExtLineInfo[]>;
  coreRelos: Map<string, ExtCoreRelo[]>;
}

export function parseBtfExt(bytes: Uint8Array, btf: Btf, file: string, base = 0): BtfExt {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (at: number, what: string): never => {
    throw new LoaderError('BTF_EXT_INVALID', file, base + at, `.BTF.ext: ${what}`);
  };
  if (bytes.length < 24) fail(0, `expected a BTF.ext header (24+ bytes), blob is ${bytes.length} bytes`);
  if (dv.getUint16(0, true) !== 0xeb9f) fail(0, 'expected magic 0xeb9f');
  if (dv.getUint8(2) !== 1) fail(2, `expected version 1, found ${dv.getUint8(2)}`);
  const hdrLen = dv.getUint32(4, true);
  if (hdrLen < 24 || hdrLen > bytes.length) fail(4, `header length ${hdrLen} is outside [24, ${bytes.length}]`);
  const out: BtfExt = { funcInfo: new Map(), lineInfo: new Map(), coreRelos: new Map() };
  const secName = (at: number, off: number): string => {
    if (off >= btf.strings.length) fail(at, `section name offset ${off} is outside the BTF string section`);
    return btf.str(off);
  };

  // One info block: rec_size, then { sec_name_off, num_info, records } until the block ends.
  const block = <T>(hdrAt: number, minRec: number, what: string, into: Map<string, T[]>, rec: (at: number) => T) => {
    if (hdrAt + 8 > hdrLen) return;
    const off = dv.getUint32(hdrAt, true);
    const len = dv.getUint32(hdrAt + 4, true);
    if (len === 0) return;
    const start = hdrLen + off;
    const end = start + len;
    if (end > bytes.length || end < start) fail(hdrAt, `${what} [${start}, ${end}) runs past the blob end ${bytes.length}`);
    if (len < 4) fail(start, `${what}: expected a record size`);
    const recSize = dv.getUint32(start, true);
    if (recSize < minRec || recSize % 4 !== 0) fail(start, `${what}: record size ${recSize}, expected a multiple of 4 >= ${minRec}`);
    let at = start + 4;
    while (at < end) {
      if (at + 8 > end) fail(at, `${what}: truncated section header`);
      const name = secName(at, dv.getUint32(at, true));
      const n = dv.getUint32(at + 4, true);
      at += 8;
      if (n === 0) fail(at - 4, `${what}: section ${name} has zero records`);
      if (at + n * recSize > end) fail(at, `${what}: ${n} records of ${recSize} bytes for ${name} run past ${end}`);
      const list = into.get(name) ?? [];
      for (let k = 0; k < n; k++, at += recSize) list.push(rec(at));
      into.set(name, list);
    }
  };
  const u = (p: number) => dv.getUint32(p, true);
  block(8, 8, 'func_info', out.funcInfo, (at) => ({ insnOff: u(at), typeId: u(at + 4) }));
  block(16, 16, 'line_info', out.lineInfo, (at) => {
    const lc = u(at + 12);
    return { insnOff: u(at), fileNameOff: u(at + 4), lineOff: u(at + 8), line: lc >>> 10, column: lc & 0x3ff };
  });
  if (hdrLen >= 32) block(24, 16, 'core_relo', out.coreRelos, (at) => ({ insnOff: u(at), typeId: u(at + 4), accessStrOff: u(at + 8), kind: u(at + 12) }));
  return out;
}
