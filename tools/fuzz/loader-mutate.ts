/**
 * Structure-aware mutation of eBPF ELF objects for the loader fuzzer: each
 * case starts from a corpus object and applies 1-4 mutations aimed at the
 * places a parser trusts — ELF/section/symbol/relocation header fields, BTF and
 * BTF.ext words, instructions under relocations — plus raw byte flips,
 * truncation and splicing. Deterministic per seed.
 */
import { Rng } from './rng';

interface Shdr { at: number; type: number; offset: number; size: number; name: string }

/** Section headers of an (unmutated, valid) object, for targeting mutations. */
function sections(b: Uint8Array): Shdr[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const shoff = Number(dv.getBigUint64(40, true));
  const shnum = dv.getUint16(60, true);
  const shstrndx = dv.getUint16(62, true);
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * 64;
    raw.push({ at, nameOff: dv.getUint32(at, true), type: dv.getUint32(at + 4, true), offset: Number(dv.getBigUint64(at + 24, true)), size: Number(dv.getBigUint64(at + 32, true)) });
  }
  const str = raw[shstrndx];
  return raw.map((h) => {
    const from = str.offset + h.nameOff;
    const end = b.indexOf(0, from);
    return { at: h.at, type: h.type, offset: h.offset, size: h.size, name: Buffer.from(b.subarray(from, end)).toString('latin1') };
  });
}

const INTERESTING = [0, 1, 2, 3, 4, 7, 8, 12, 16, 24, 63, 64, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

function interesting(r: Rng, fileLen: number): number {
  switch (r.int(0, 3)) {
    case 0: return r.pick(INTERESTING);
    case 1: return Math.max(0, fileLen + r.int(-16, 16));
    case 2: return r.int(0, Math.max(1, fileLen));
    default: return r.u32();
  }
}

function put(b: Uint8Array, at: number, width: number, v: number): void {
  if (at < 0 || at + width > b.length) return;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (width === 8) dv.setBigUint64(at, BigInt(Math.max(0, Math.floor(v))), true);
  else if (width === 4) dv.setUint32(at, v >>> 0, true);
  else if (width === 2) dv.setUint16(at, v & 0xffff, true);
  else dv.setUint8(at, v & 0xff);
}

const SHDR_FIELDS: [number, number][] = [[0, 4], [4, 4], [8, 8], [24, 8], [32, 8], [40, 4], [44, 4], [48, 8], [56, 8]];
const EHDR_FIELDS: [number, number][] = [[4, 1], [5, 1], [16, 2], [18, 2], [40, 8], [58, 2], [60, 2], [62, 2]];

export type MutationKind = 'ehdr' | 'shdr' | 'symbol' | 'reloc' | 'btf' | 'btfext' | 'code' | 'flip' | 'truncate' | 'splice' | 'kconfig-data';

const WEIGHTS: Record<MutationKind, number> = {
  ehdr: 3, shdr: 14, symbol: 10, reloc: 10, btf: 18, btfext: 10, code: 10, flip: 10, truncate: 3, splice: 4, 'kconfig-data': 2,
};

/** Mutate a copy of `seed` (a valid object); `other` is a splice donor. Returns the bytes and the mutation names. */
export function mutateObject(r: Rng, seed: Uint8Array, other: Uint8Array): { bytes: Uint8Array; applied: MutationKind[] } {
  let b = Uint8Array.from(seed);
  const secs = sections(seed);
  const applied: MutationKind[] = [];
  const n = r.int(1, 4);
  const within = (s: Shdr | undefined, width: number): number => (s && s.size >= width ? s.offset + r.int(0, s.size - width) : r.int(0, b.length - 1));
  const byName = (name: string) => secs.find((s) => s.name === name);
  for (let k = 0; k < n; k++) {
    const kind = r.weighted(WEIGHTS);
    applied.push(kind);
    switch (kind) {
      case 'ehdr': {
        const [off, w] = r.pick(EHDR_FIELDS);
        put(b, off, w, interesting(r, b.length));
        break;
      }
      case 'shdr': {
        const s = r.pick(secs);
        const [off, w] = r.pick(SHDR_FIELDS);
        put(b, s.at + off, w, interesting(r, b.length));
        break;
      }
      case 'symbol': {
        const st = secs.find((s) => s.type === 2);
        if (!st) break;
        const at = st.offset + 24 * r.int(0, Math.max(0, st.size / 24 - 1));
        const [off, w] = r.pick([[0, 4], [4, 1], [5, 1], [6, 2], [8, 8], [16, 8]] as [number, number][]);
        put(b, at + off, w, off === 4 ? r.int(0, 255) : interesting(r, b.length));
        break;
      }
      case 'reloc': {
        const rels = secs.filter((s) => s.type === 9 && s.size >= 16);
        if (!rels.length) break;
        const rs = r.pick(rels);
        const at = rs.offset + 16 * r.int(0, rs.size / 16 - 1);
        const [off, w] = r.pick([[0, 8], [8, 4], [12, 4]] as [number, number][]);
        put(b, at + off, w, off === 8 ? r.pick([0, 1, 2, 3, 4, 10, 11, 99]) : interesting(r, b.length));
        break;
      }
      case 'btf': case 'btfext': {
        const s = byName(kind === 'btf' ? '.BTF' : '.BTF.ext');
        if (!s || s.size < 4) break;
        // Header words more often than the body.
        const at = r.chance(0.3) ? s.offset + 4 * r.int(0, Math.min(7, s.size / 4 - 1)) : s.offset + 4 * r.int(0, s.size / 4 - 1);
        put(b, at, r.pick([1, 2, 4]), r.chance(0.5) ? r.int(0, 64) : interesting(r, s.size));
        break;
      }
      case 'code': {
        const code = secs.filter((s) => s.type === 1 && s.size >= 8 && (s.name.includes('/') || s.name === '.text' || /^(xdp|tc|socket|classifier|sockops|sk_msg|perf_event)/.test(s.name)));
        if (!code.length) break;
        const s = r.pick(code);
        const at = s.offset + 8 * r.int(0, s.size / 8 - 1);
        const field = r.int(0, 3);
        if (field === 0) put(b, at, 1, r.pick([0x18, 0x85, 0x61, 0x79, 0x07, 0xb7, 0x95, 0x00, r.int(0, 255)]));
        else if (field === 1) put(b, at + 1, 1, r.int(0, 255));
        else if (field === 2) put(b, at + 2, 2, interesting(r, 0x10000));
        else put(b, at + 4, 4, interesting(r, 1 << 20));
        break;
      }
      case 'flip': {
        const times = r.int(1, 8);
        for (let t = 0; t < times; t++) b[r.int(0, b.length - 1)] ^= 1 << r.int(0, 7);
        break;
      }
      case 'truncate':
        b = b.slice(0, r.int(0, b.length));
        break;
      case 'splice': {
        if (b.length === 0 || other.length === 0) break;
        const len = r.int(1, Math.min(256, other.length));
        const from = r.int(0, other.length - len);
        const to = r.int(0, Math.max(0, b.length - len));
        b.set(other.subarray(from, from + Math.min(len, b.length - to)), to);
        break;
      }
      case 'kconfig-data': {
        const s = r.pick(secs.filter((x) => x.name === '.maps' || x.name.startsWith('.data') || x.name.startsWith('.rodata') || x.name === 'license'));
        if (s) put(b, within(s, 1), 1, r.int(0, 255));
        break;
      }
    }
    if (b.length === 0) break;
  }
  return { bytes: b, applied };
}
