/**
 * Reading output records and map entries as a tool's user space would, through the object's BTF.
 * A record is decoded as the struct `--record-type` names, or else as the one struct of the
 * object (not one of the kernel's, which CO-RE brings in) whose size is the record's (perf samples
 * read back padded: round_up(4 + size, 8) - 4); with no such struct — clang emits only the types
 * the code names — it stays `{ hex }`.
 */
import { decodeBtfValue, findBtfType, type BpfObject, type BtfValue } from '@bpfsim/loader';
import { vmlinuxBtf, type BufferSource } from '@bpfsim/kernel';
import { InputError } from '../program-file';

type Btf = NonNullable<BpfObject['btf']>;

export type Decoded = BtfValue | { hex: string };

const perfPadded = (size: number): number => Math.ceil((size + 4) / 8) * 8 - 4;
const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

let kernelNames: Set<string> | undefined;
/** Names of the profile kernel's structs (vmlinux BTF). */
function kernelStructs(): Set<string> {
  kernelNames ??= new Set(vmlinuxBtf().types.filter((t) => t.kind === 4 && t.name).map((t) => t.name));
  return kernelNames;
}

export class RecordDecoder {
  private readonly named: number | undefined;
  private readonly bySize = new Map<string, number | null>();
  /** Record sizes that matched several structs (reported once). */
  readonly ambiguous = new Map<string, string[]>();

  constructor(private readonly obj: BpfObject, recordType?: string) {
    if (recordType !== undefined) {
      const btf = obj.btf;
      const spelling = /^(struct|union)\s/.test(recordType) ? recordType : `struct ${recordType}`;
      const id = btf ? findBtfType(btf, spelling) : undefined;
      if (id === undefined) {
        throw new InputError(`--record-type ${recordType}: ${obj.file} has no ${spelling} in its BTF${btf ? '' : ' (the object has no BTF)'}`);
      }
      this.named = id;
    }
  }

  private structFor(size: number, source: BufferSource): number | undefined {
    const key = `${source}:${size}`;
    if (this.bySize.has(key)) return this.bySize.get(key) ?? undefined;
    const btf = this.obj.btf;
    const cands: { id: number; name: string }[] = [];
    const kernel = kernelStructs();
    for (const t of btf?.types ?? []) {
      // CO-RE brings kernel structs into the object's BTF: the tool's record is one of its own.
      if (t.kind !== 4 || !t.name || t.size === 0 || kernel.has(t.name)) continue;
      if ((source === 'perf' ? perfPadded(t.size) : t.size) === size) cands.push({ id: t.id, name: t.name });
    }
    let pick = cands.length === 1 ? cands[0].id : undefined;
    if (cands.length > 1) {
      // Several structs of that size: the tool's own record is the one named like an event.
      const ev = cands.filter((c) => /event|data|record|sample/i.test(c.name));
      if (ev.length === 1) pick = ev[0].id;
      else this.ambiguous.set(key, cands.map((c) => c.name));
    }
    this.bySize.set(key, pick ?? null);
    return pick;
  }

  decode(data: Uint8Array, source: BufferSource): Decoded {
    const btf = this.obj.btf as Btf | undefined;
    const id = this.named ?? this.structFor(data.length, source);
    if (id === undefined || !btf) return { hex: hexOf(data) };
    const size = (btf.types[id] as { size: number }).size;
    // A shorter record (a tool that sends only the filled part) reads as its struct with the rest zero.
    const bytes = data.length >= size ? data : (() => { const b = new Uint8Array(size); b.set(data); return b; })();
    try {
      return keepStrings(btf, id, bytes, decodeBtfValue(btf, id, bytes, this.obj.file));
    } catch {
      return { hex: hexOf(data) };
    }
  }
}

/**
 * A char array of a record may hold several NUL-separated strings (execsnoop's argv): keep
 * everything up to the last non-NUL byte, NULs included, instead of the first string only.
 */
function keepStrings(btf: Btf, id: number, bytes: Uint8Array, v: BtfValue): BtfValue {
  const t = btf.types[id];
  if (t?.kind !== 4 || typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  const out = v as { [k: string]: BtfValue };
  for (const m of t.members) {
    if (!m.name || m.bitfieldSize || typeof out[m.name] !== 'string') continue;
    let mt = btf.types[m.type];
    for (let i = 0; mt && [8, 9, 10, 11, 18].includes(mt.kind) && i < 16; i++) mt = btf.types[(mt as { type: number }).type];
    if (mt?.kind !== 3) continue;
    const raw = bytes.subarray(m.bitOffset / 8, m.bitOffset / 8 + mt.nelems);
    let end = raw.length;
    while (end > 0 && raw[end - 1] === 0) end--;
    if (raw.indexOf(0) < end) out[m.name] = new TextDecoder().decode(raw.subarray(0, end));
  }
  return out;
}

/** Bytes as a type of the object's BTF, or as hex when untyped. */
export function decodeTyped(obj: BpfObject, typeId: number | undefined, bytes: Uint8Array): Decoded {
  if (obj.btf && typeId) {
    try {
      return decodeBtfValue(obj.btf, typeId, bytes, obj.file);
    } catch {
      // not this type's bytes: raw below
    }
  }
  return { hex: hexOf(bytes) };
}

/** JSON with 64-bit integers written exactly (bigints as bare digits). */
export function toJson(v: unknown): string {
  const marks: string[] = [];
  const text = JSON.stringify(v, (_k, x) => {
    if (typeof x === 'bigint') {
      marks.push(x.toString());
      return `\u0000big${marks.length - 1}\u0000`;
    }
    if (x instanceof Uint8Array) return { hex: hexOf(x) };
    return x;
  });
  return text.replace(/"\\u0000big(\d+)\\u0000"/g, (_m, i: string) => marks[Number(i)]);
}

/** A decoded value on one line for people: {a=1 b="x" c=[1,2]}. */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(formatValue).join(',')}]`;
  if (v instanceof Uint8Array) return hexOf(v);
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1 && keys[0] === 'hex') return `hex ${String(o.hex)}`;
  return keys.map((k) => `${k}=${formatValue(o[k])}`).join(' ');
}
