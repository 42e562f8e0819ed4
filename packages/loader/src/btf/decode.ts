/**
 * Reading bytes as a BTF type: the plain value a person would write for it
 * (a struct as an object of its members, char arrays as text, enums by
 * name). Scenarios use it to match ring buffer, perf and map records by field.
 */
import { LoaderError } from '../errors';
import { typeName, typesByName, skipModsAndTypedefs, typeSize } from './query';
import { BTF_INT_CHAR, BTF_INT_SIGNED, type Btf } from './types';

export type BtfValue = bigint | number | boolean | string | null | BtfValue[] | { [field: string]: BtfValue };

/** The type id a C spelling names: "struct event", "union u", "enum e", "u32" (a typedef or int). */
export function findBtfType(btf: Btf, spelling: string): number | undefined {
  const m = /^\s*(struct|union|enum)?\s*([A-Za-z_]\w*)\s*$/.exec(spelling);
  if (!m) return undefined;
  const want = m[1] === 'struct' ? [4] : m[1] === 'union' ? [5] : m[1] === 'enum' ? [6, 19] : [1, 8, 16];
  return typesByName(btf, m[2]).find((id) => want.includes(btf.types[id].kind));
}

function readUnsigned(bytes: Uint8Array, bitOff: number, bits: number): bigint {
  let v = 0n;
  for (let i = Math.ceil((bitOff + bits) / 8) - 1; i >= Math.floor(bitOff / 8); i--) v = (v << 8n) | BigInt(bytes[i] ?? 0);
  return (v >> BigInt(bitOff % 8)) & ((1n << BigInt(bits)) - 1n);
}

/** Integers that fit in a double are numbers; wider ones stay bigint. */
const num = (v: bigint): bigint | number => (v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v);

/** Decode `bytes` (at least the type's size) as type `id` of `btf`. */
export function decodeBtfValue(btf: Btf, id: number, bytes: Uint8Array, file = '<btf>'): BtfValue {
  const size = typeSize(btf, id, file);
  if (bytes.length < size) throw new LoaderError('BTF_INVALID', file, undefined, `${typeName(btf, id)} needs ${size} bytes, the record has ${bytes.length}`);
  // every value decoded counts: zero-sized elements (`struct {} x[4294967295]`) or wide nesting
  // could otherwise ask for billions of them from a few bytes
  const budget = { left: Math.max(4 * bytes.length, 1 << 16) };
  return decodeAt(btf, id, bytes, 0, 0, file, budget);
}

function decodeAt(btf: Btf, id: number, bytes: Uint8Array, byteOff: number, depth: number, file: string, budget: { left: number }): BtfValue {
  if (depth > 32) throw new LoaderError('BTF_INVALID', file, undefined, `type ${id} nests too deeply`);
  if (--budget.left < 0) throw new LoaderError('BTF_INVALID', file, undefined, `type ${id} has too many values to decode from a ${bytes.length}-byte record`);
  const t = skipModsAndTypedefs(btf, id);
  switch (t.kind) {
    case 1: {
      if (t.size === 1 && t.encoding & BTF_INT_CHAR) return String.fromCharCode(bytes[byteOff]);
      let v = readUnsigned(bytes, byteOff * 8 + t.bitOffset, t.bits);
      if (t.encoding & BTF_INT_SIGNED) v = BigInt.asIntN(t.bits, v);
      return t.encoding & 4 ? v !== 0n : num(v);
    }
    case 2:
      return num(readUnsigned(bytes, byteOff * 8, 64));
    case 3: {
      const elem = skipModsAndTypedefs(btf, t.elemType);
      const esize = typeSize(btf, t.elemType, file);
      if (elem.kind === 1 && elem.size === 1 && (elem.encoding & BTF_INT_CHAR || elem.name === 'char')) {
        // char[N]: the C string up to its NUL.
        const raw = bytes.subarray(byteOff, byteOff + t.nelems);
        const end = raw.indexOf(0);
        return new TextDecoder().decode(end < 0 ? raw : raw.subarray(0, end));
      }
      if (t.nelems > budget.left) throw new LoaderError('BTF_INVALID', file, undefined, `type ${id} has too many values to decode from a ${bytes.length}-byte record`);
      return Array.from({ length: t.nelems }, (_, i) => decodeAt(btf, t.elemType, bytes, byteOff + i * esize, depth + 1, file, budget));
    }
    case 4:
    case 5: {
      const out: { [k: string]: BtfValue } = {};
      t.members.forEach((m, i) => {
        const name = m.name || `(anon ${i})`;
        if (m.bitfieldSize) {
          const mt = skipModsAndTypedefs(btf, m.type);
          let v = readUnsigned(bytes, byteOff * 8 + m.bitOffset, m.bitfieldSize);
          if (mt.kind === 1 && mt.encoding & BTF_INT_SIGNED) v = BigInt.asIntN(m.bitfieldSize, v);
          out[name] = num(v);
        } else out[name] = decodeAt(btf, m.type, bytes, byteOff + m.bitOffset / 8, depth + 1, file, budget);
      });
      return out;
    }
    case 6:
    case 19: {
      let v = readUnsigned(bytes, byteOff * 8, t.size * 8);
      if (t.signed) v = BigInt.asIntN(t.size * 8, v);
      return t.values.find((e) => e.value === v)?.name ?? num(v);
    }
    case 16:
      return t.size === 8 ? new DataView(bytes.buffer, bytes.byteOffset + byteOff, 8).getFloat64(0, true)
        : t.size === 4 ? new DataView(bytes.buffer, bytes.byteOffset + byteOff, 4).getFloat32(0, true) : null;
    default:
      return null;
  }
}
