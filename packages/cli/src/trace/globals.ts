/**
 * `--set NAME=VALUE`: what a skeleton's `skel->rodata->NAME = VALUE` does before load. The
 * variable is found by name in the object's BTF DATASECs (.rodata, .data, .bss and their
 * .rodata.*-style siblings), the value checked against its type (integers in range, bool,
 * enums by name or number, char arrays as text) and written at the DATASEC's offset into the
 * section's initial image.
 */
import type { BpfObject } from '@bpfsim/loader';
import { InputError } from '../program-file';

type Btf = NonNullable<BpfObject['btf']>;
type BtfType = Btf['types'][number];

const MODS = new Set([8, 9, 10, 11, 18]); // typedef, volatile, const, restrict, type_tag

function strip(btf: Btf, id: number): BtfType {
  let t = btf.types[id];
  for (let i = 0; t && MODS.has(t.kind) && i < 64; i++) t = btf.types[(t as { type: number }).type];
  return t;
}

export interface GlobalVar {
  name: string;
  section: string;
  offset: number;
  size: number;
  type: number;
}

/** Every variable of the object's data sections, by name (the first section holding it wins). */
export function dataVariables(obj: BpfObject): Map<string, GlobalVar> {
  const out = new Map<string, GlobalVar>();
  const btf = obj.btf;
  if (!btf) return out;
  for (const sec of btf.types) {
    if (sec.kind !== 15 || !/^\.(rodata|data|bss)/.test(sec.name)) continue;
    for (const v of sec.vars) {
      const vt = btf.types[v.type];
      if (vt?.kind !== 14 || out.has(vt.name)) continue;
      out.set(vt.name, { name: vt.name, section: sec.name, offset: v.offset, size: v.size, type: vt.type });
    }
  }
  return out;
}

function parseInt64(text: string): bigint | undefined {
  const t = text.trim();
  if (/^[-+]?(0x[0-9a-f]+|0o[0-7]+|0b[01]+|\d+)$/i.test(t)) {
    const neg = t.startsWith('-');
    const body = t.replace(/^[-+]/, '');
    const v = BigInt(body);
    return neg ? -v : v;
  }
  return undefined;
}

/** The bytes `text` stands for as a value of type `id` (`size` bytes), or an error message. */
function encode(btf: Btf, id: number, size: number, text: string): Uint8Array | string {
  const t = strip(btf, id);
  const le = (v: bigint, n: number): Uint8Array => {
    const b = new Uint8Array(size);
    let x = BigInt.asUintN(n * 8, v);
    for (let i = 0; i < n; i++, x >>= 8n) b[i] = Number(x & 0xffn);
    return b;
  };
  if (!t) return 'has no type';
  if (t.kind === 1) {
    if (t.encoding & 4) {
      if (text === 'true' || text === '1') return le(1n, t.size);
      if (text === 'false' || text === '0') return le(0n, t.size);
      return `is a bool: give true or false, not '${text}'`;
    }
    const v = parseInt64(text);
    const signed = (t.encoding & 1) !== 0;
    const bits = BigInt(t.size * 8);
    const lo = signed ? -(1n << (bits - 1n)) : 0n;
    const hi = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
    if (v === undefined) return `is ${signed ? 'a signed' : 'an unsigned'} ${t.size * 8}-bit integer: '${text}' is not a number`;
    if (v < lo || v > hi) return `is ${signed ? 'a signed' : 'an unsigned'} ${t.size * 8}-bit integer: ${text} is out of range ${lo}..${hi}`;
    return le(v, t.size);
  }
  if (t.kind === 6 || t.kind === 19) {
    const named = t.values.find((e) => e.name === text);
    const v = named ? BigInt(named.value) : parseInt64(text);
    if (v === undefined) return `is enum ${t.name || '(anon)'}: '${text}' is neither one of ${t.values.map((e) => e.name).join(', ')} nor a number`;
    return le(v, t.size);
  }
  if (t.kind === 3) {
    const et = strip(btf, t.elemType);
    if (et?.kind === 1 && et.size === 1) {
      const b = Buffer.from(text, 'utf8');
      if (b.length >= t.nelems) return `is char[${t.nelems}]: '${text}' needs ${b.length + 1} bytes with its NUL`;
      const out = new Uint8Array(size);
      out.set(b);
      return out;
    }
    return 'is an array of non-char elements: not settable from the command line';
  }
  return `has a type (BTF kind ${t.kind}) --set cannot write`;
}

/** Apply `NAME=VALUE` assignments to the object's data sections before load. */
export function setGlobals(obj: BpfObject, assignments: readonly string[]): void {
  const vars = dataVariables(obj);
  for (const a of assignments) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new InputError(`--set ${a}: expected NAME=VALUE`);
    const name = a.slice(0, eq);
    const text = a.slice(eq + 1);
    const v = vars.get(name);
    if (!v) {
      const known = [...vars.keys()];
      throw new InputError(`--set ${name}: ${obj.file} has no global variable '${name}' in .rodata/.data/.bss (it has: ${known.join(', ') || 'none'})`);
    }
    const bytes = encode(obj.btf!, v.type, v.size, text);
    if (typeof bytes === 'string') throw new InputError(`--set ${name}: ${name} (${v.section}) ${bytes}`);
    const map = obj.maps.find((m) => m.name === v.section) ?? obj.maps.find((m) => m.name.endsWith(v.section));
    if (!map?.initialValue) throw new InputError(`--set ${name}: ${obj.file} has no ${v.section} map to hold it`);
    map.initialValue.set(bytes, v.offset);
  }
}
