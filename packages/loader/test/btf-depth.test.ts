/**
 * Deep and looping BTF: every walk over types (size resolution, C spelling, raw and C dumps,
 * decoding a record, CO-RE spec parsing and compatibility, the verifier's modifier skipping, size
 * resolution and struct walk) must end — with a value or a typed error — however the types refer to
 * each other: chains deeper than the kernel's MAX_RESOLVE_DEPTH (32), typedef and const loops, a
 * struct embedding itself, arrays of arrays, zero-sized elements in huge arrays. A seeded generator
 * builds the BTF blobs; a few hand-made worst cases come first.
 */
import { BpfsimError } from '@bpfsim/uapi';
import { decodeBtfValue, formatBtfC, formatBtfRaw, parseBtf, btfTypeName, type Btf } from '../src';
import { typeSize, skipModsAndTypedefs } from '../src/btf/query';
import { parseSpec, typesCompat, fieldsCompat } from '../src/core/spec';
import { structAccess } from '../../verifier/src/btf-ptr';
import { resolveSize, skipModifiers } from '../../verifier/src/btf';
import type { KernelBtf } from '@bpfsim/verifier';

/** One type to encode: kind and the ids it refers to (members for STRUCT/UNION). */
interface T { kind: number; ref?: number; size?: number; nelems?: number; members?: number[]; params?: number[] }

/** A BTF blob (header, types, one string "a") from the types, ids from 1. */
function encode(types: T[]): Uint8Array {
  const words: number[] = [];
  const info = (kind: number, vlen = 0, kflag = 0) => ((kflag << 31) | (kind << 24) | vlen) >>> 0;
  for (const t of types) {
    switch (t.kind) {
      case 1: words.push(1, info(1), t.size ?? 4, (t.size ?? 4) * 8); break;
      case 3: words.push(0, info(3), 0, t.ref ?? 1, 1, t.nelems ?? 2); break;
      case 4: case 5: {
        const ms = t.members ?? [];
        words.push(1, info(t.kind, ms.length), t.size ?? 8);
        ms.forEach((m, i) => words.push(1, m, i * 32));
        break;
      }
      case 13: {
        const ps = t.params ?? [];
        words.push(0, info(13, ps.length), t.ref ?? 0);
        for (const p of ps) words.push(1, p);
        break;
      }
      case 12: words.push(1, info(12, 1), t.ref ?? 0); break;
      default: words.push(t.kind === 8 ? 1 : 0, info(t.kind), t.ref ?? 0); // PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG
    }
  }
  const typeBytes = new Uint8Array(new Uint32Array(words).buffer);
  const strs = Uint8Array.from([0, 0x61, 0]);
  const out = new Uint8Array(24 + typeBytes.length + strs.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0xeb9f, true); dv.setUint8(2, 1); dv.setUint32(4, 24, true);
  dv.setUint32(8, 0, true); dv.setUint32(12, typeBytes.length, true);
  dv.setUint32(16, typeBytes.length, true); dv.setUint32(20, strs.length, true);
  out.set(typeBytes, 24); out.set(strs, 24 + typeBytes.length);
  return out;
}

/** Every walk on every type id: a value or a typed error, never a host exception. */
function walkAll(btf: Btf): void {
  const typed = (f: () => unknown): void => {
    try { f(); } catch (e) {
      if (!(e instanceof BpfsimError) && !(e instanceof Error && e.constructor.name === 'SpecError')) throw e;
    }
  };
  const kb = btf as unknown as KernelBtf;
  formatBtfRaw(btf);
  typed(() => formatBtfC(btf));
  for (let id = 0; id < btf.types.length; id++) {
    typed(() => typeSize(btf, id));
    btfTypeName(btf, id);
    skipModsAndTypedefs(btf, id);
    typed(() => decodeBtfValue(btf, id, new Uint8Array(256)));
    typed(() => parseSpec(btf, id, '0:0:0:0', 0));
    typesCompat(btf, id, btf, (id * 7) % btf.types.length);
    fieldsCompat(btf, id, btf, (id * 3) % btf.types.length);
    skipModifiers(kb, id);
    resolveSize(kb, id);
    for (const off of [0, 4, 64]) {
      try { structAccess(kb, id, off, 4); } catch (e) {
        // the verifier's refusals are Reject (message and errno), its typed outcome
        if (!(e && typeof e === 'object' && 'errno' in e)) throw e;
      }
    }
  }
}

const chain = (n: number, kind: number, end: T): T[] => [end, ...Array.from({ length: n }, (_, i) => ({ kind, ref: i + 1 }))];

describe('deep and looping BTF: every walk ends with a value or a typed error', () => {
  test.each([
    ['a typedef chain of 100', chain(100, 8, { kind: 1 })],
    ['a const/volatile chain of 100', [{ kind: 1 }, ...Array.from({ length: 100 }, (_, i) => ({ kind: i % 2 ? 9 : 10, ref: i + 1 }))]],
    ['arrays of arrays, 100 deep', chain(100, 3, { kind: 1 })],
    ['a typedef loop', [{ kind: 8, ref: 2 }, { kind: 8, ref: 1 }]],
    ['a typedef of itself', [{ kind: 8, ref: 1 }]],
    ['a struct embedding itself', [{ kind: 4, members: [1, 1] }]],
    ['two structs embedding each other', [{ kind: 4, members: [2] }, { kind: 5, members: [1] }]],
    ['an array of itself', [{ kind: 3, ref: 1, nelems: 3 }]],
    ['4294967295 empty structs', [{ kind: 4, size: 0, members: [] }, { kind: 3, ref: 1, nelems: 0xffffffff }]],
    ['4294967295 arrays of 4294967295 ints', [{ kind: 1 }, { kind: 3, ref: 1, nelems: 0xffffffff }, { kind: 3, ref: 2, nelems: 0xffffffff }]],
    ['a pointer loop through a struct', [{ kind: 4, members: [2] }, { kind: 2, ref: 1 }]],
    ['a function prototype taking itself', [{ kind: 13, ref: 1, params: [1, 1] }, { kind: 12, ref: 1 }]],
  ] as [string, T[]][])('%s', (_name, types) => {
    walkAll(parseBtf(encode(types), 'deep.btf'));
  });

  test('300 random type graphs (seeded): loops, chains and self-reference of every kind', () => {
    let s = 14;
    const rnd = (n: number): number => { s = (s * 1103515245 + 12345) >>> 0; return (s >>> 8) % n; };
    const kinds = [1, 2, 3, 4, 5, 8, 9, 10, 11, 18, 13];
    for (let k = 0; k < 300; k++) {
      const n = 1 + rnd(40);
      const ref = (): number => rnd(n + 1); // 0 (void) .. n, self and forward references included
      const types: T[] = Array.from({ length: n }, () => {
        const kind = kinds[rnd(kinds.length)];
        return {
          kind, ref: ref(), size: [0, 1, 4, 8, 0xffffffff][rnd(5)], nelems: [0, 1, 3, 0xffffffff][rnd(4)],
          members: Array.from({ length: rnd(4) }, ref), params: Array.from({ length: rnd(3) }, ref),
        };
      });
      walkAll(parseBtf(encode(types), `random-${k}.btf`));
    }
  });
});
