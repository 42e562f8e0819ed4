/**
 * .BTF parsing (include/uapi/linux/btf.h layout). Every read is bounded; a
 * malformed blob is a LoaderError('BTF_INVALID') naming the byte offset.
 */
import { LoaderError } from '../errors';
import { Btf, BtfEnumValue, BtfMember, BtfParam, BtfType, BtfVarSecinfo } from './types';

export const BTF_MAGIC = 0xeb9f;

class BtfImpl implements Btf {
  private readonly cache = new Map<number, string>();
  constructor(readonly types: BtfType[], readonly strings: Uint8Array) {}
  str(off: number): string {
    const hit = this.cache.get(off);
    if (hit !== undefined) return hit;
    if (off >= this.strings.length) return '';
    let end = this.strings.indexOf(0, off);
    if (end < 0) end = this.strings.length;
    const s = Buffer.from(this.strings.buffer, this.strings.byteOffset + off, end - off).toString('utf8');
    this.cache.set(off, s);
    return s;
  }
}

/**
 * Parse a raw BTF blob. `file` names it in errors; `base` is the file offset
 * of the blob (e.g. the .BTF section's sh_offset) so errors give file offsets.
 */
export function parseBtf(bytes: Uint8Array, file: string, base = 0): Btf {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (at: number, what: string): never => {
    throw new LoaderError('BTF_INVALID', file, base + at, `.BTF: ${what}`);
  };
  if (bytes.length < 24) fail(0, `expected a 24-byte BTF header, blob is ${bytes.length} bytes`);
  const magic = dv.getUint16(0, true);
  if (magic !== BTF_MAGIC) fail(0, `expected magic 0xeb9f, found 0x${magic.toString(16)}`);
  const version = dv.getUint8(2);
  if (version !== 1) fail(2, `expected version 1, found ${version}`);
  const hdrLen = dv.getUint32(4, true);
  if (hdrLen < 24 || hdrLen > bytes.length) fail(4, `header length ${hdrLen} is outside [24, ${bytes.length}]`);
  const typeOff = dv.getUint32(8, true);
  const typeLen = dv.getUint32(12, true);
  const strOff = dv.getUint32(16, true);
  const strLen = dv.getUint32(20, true);
  const tStart = hdrLen + typeOff;
  const sStart = hdrLen + strOff;
  if (tStart + typeLen > bytes.length) fail(8, `type section [${tStart}, ${tStart + typeLen}) runs past the blob end ${bytes.length}`);
  if (sStart + strLen > bytes.length) fail(16, `string section [${sStart}, ${sStart + strLen}) runs past the blob end ${bytes.length}`);
  if (typeLen % 4 !== 0) fail(12, `type section length ${typeLen} is not a multiple of 4`);
  if (strLen === 0 || bytes[sStart + strLen - 1] !== 0) fail(sStart, 'string section must be non-empty and end with NUL');
  if (tStart < sStart + strLen && sStart < tStart + typeLen) fail(8, 'type and string sections overlap');
  const strings = bytes.subarray(sStart, sStart + strLen);
  const btf = new BtfImpl([{ kind: 0, id: 0, name: '' }], strings);
  const types = btf.types;
  const name = (at: number, off: number): string => {
    if (off >= strLen) fail(at, `name offset ${off} is outside the string section (${strLen} bytes)`);
    return btf.str(off);
  };

  const end = tStart + typeLen;
  let at = tStart;
  const u32 = (p: number) => dv.getUint32(p, true);
  const need = (p: number, n: number, what: string) => {
    if (p + n > end) fail(p, `${what}: expected ${n} bytes, type section ends at ${end}`);
  };
  while (at < end) {
    need(at, 12, 'btf_type');
    const id = types.length;
    const nameOff = u32(at);
    const info = u32(at + 4);
    const sizeOrType = u32(at + 8);
    const vlen = info & 0xffff;
    const kind = (info >>> 24) & 0x1f;
    const kflag = (info >>> 31) === 1;
    const tname = name(at, nameOff);
    const start = at;
    at += 12;
    let t: BtfType;
    switch (kind) {
      case 1: {
        need(at, 4, 'INT encoding');
        const enc = u32(at);
        at += 4;
        t = { kind, id, name: tname, size: sizeOrType, encoding: (enc >>> 24) & 0xf, bitOffset: (enc >>> 16) & 0xff, bits: enc & 0xff };
        break;
      }
      case 2: case 8: case 9: case 10: case 11: case 18:
        t = { kind, id, name: tname, type: sizeOrType };
        break;
      case 3:
        need(at, 12, 'btf_array');
        t = { kind, id, name: tname, elemType: u32(at), indexType: u32(at + 4), nelems: u32(at + 8) };
        at += 12;
        break;
      case 4: case 5: {
        need(at, 12 * vlen, `${vlen} members`);
        const members: BtfMember[] = [];
        for (let k = 0; k < vlen; k++, at += 12) {
          const off = u32(at + 8);
          members.push({
            name: name(at, u32(at)), type: u32(at + 4),
            bitOffset: kflag ? off & 0xffffff : off, bitfieldSize: kflag ? off >>> 24 : 0,
          });
        }
        t = { kind, id, name: tname, size: sizeOrType, members };
        break;
      }
      case 6: case 19: {
        const rec = kind === 6 ? 8 : 12;
        need(at, rec * vlen, `${vlen} enumerators`);
        const values: BtfEnumValue[] = [];
        for (let k = 0; k < vlen; k++, at += rec) {
          let v: bigint;
          if (kind === 6) v = kflag ? BigInt(dv.getInt32(at + 4, true)) : BigInt(u32(at + 4));
          else {
            v = (BigInt(u32(at + 8)) << 32n) | BigInt(u32(at + 4));
            if (kflag) v = BigInt.asIntN(64, v);
          }
          values.push({ name: name(at, u32(at)), value: v });
        }
        t = { kind, id, name: tname, size: sizeOrType, signed: kflag, values };
        break;
      }
      case 7:
        t = { kind, id, name: tname, union: kflag };
        break;
      case 12:
        t = { kind, id, name: tname, type: sizeOrType, linkage: vlen };
        break;
      case 13: {
        need(at, 8 * vlen, `${vlen} parameters`);
        const params: BtfParam[] = [];
        for (let k = 0; k < vlen; k++, at += 8) params.push({ name: name(at, u32(at)), type: u32(at + 4) });
        t = { kind, id, name: tname, returnType: sizeOrType, params };
        break;
      }
      case 14:
        need(at, 4, 'VAR linkage');
        t = { kind, id, name: tname, type: sizeOrType, linkage: u32(at) };
        at += 4;
        break;
      case 15: {
        need(at, 12 * vlen, `${vlen} datasec entries`);
        const vars: BtfVarSecinfo[] = [];
        for (let k = 0; k < vlen; k++, at += 12) vars.push({ type: u32(at), offset: u32(at + 4), size: u32(at + 8) });
        t = { kind, id, name: tname, size: sizeOrType, vars };
        break;
      }
      case 16:
        t = { kind, id, name: tname, size: sizeOrType };
        break;
      case 17:
        need(at, 4, 'DECL_TAG component_idx');
        t = { kind, id, name: tname, type: sizeOrType, componentIdx: dv.getInt32(at, true) };
        at += 4;
        break;
      default:
        return fail(start + 4, `type ${id} has unknown kind ${kind}; expected 1..19`);
    }
    types.push(t);
  }
  // Every referenced type id must exist.
  const n = types.length;
  const check = (t: BtfType, ref: number, what: string) => {
    if (ref >= n) fail(0, `type ${t.id} (${t.name || 'anon'}): ${what} refers to type ${ref}, expected < ${n}`);
  };
  for (const t of types) {
    switch (t.kind) {
      case 2: case 8: case 9: case 10: case 11: case 18: case 12: case 14: case 17: check(t, t.type, 'type'); break;
      case 3: check(t, t.elemType, 'element type'); check(t, t.indexType, 'index type'); break;
      case 4: case 5: for (const m of t.members) check(t, m.type, `member ${m.name}`); break;
      case 13: check(t, t.returnType, 'return type'); for (const p of t.params) check(t, p.type, `param ${p.name}`); break;
      case 15: for (const v of t.vars) check(t, v.type, 'variable'); break;
      default: break;
    }
  }
  return btf;
}
