/**
 * Kernel objects in simulated kernel memory, laid out by the profile BTF: a `task_struct`,
 * `sock` or `dentry` is a region of the kernel's AddressSpace whose bytes sit where the
 * BTF puts each field, so bpf_probe_read_kernel, BPF_CORE_READ chains and BTF pointer loads
 * all read the same state. Fields are named by C paths ("se.sum_exec_runtime",
 * "__sk_common.skc_dport" through anonymous unions, "comm", "args[2]").
 *
 * What the model writes is declared per struct (declareModelledFields) by the code that
 * writes it, so a program's CO-RE reads of fields nobody writes — which read as zero — can
 * be listed (`bpfsim inspect --unmodelled`).
 */
import { BpfsimError } from '@bpfsim/uapi';
import type { AddressSpace, Region } from '@bpfsim/vm';
import type { BpfObject, Btf, BtfType } from '@bpfsim/loader';
import { vmlinuxBtf } from '../bpf/vmlinux-btf';

export class KobjError extends BpfsimError {
  constructor(message: string) {
    super('EKOBJ', message);
  }
}

/** Where a field lives in its object and what it holds. */
export interface KField {
  /** Byte offset of the field (of the byte holding its first bit, for a bitfield). */
  offset: number;
  /** Bytes (for a bitfield, of its storage unit). */
  size: number;
  /** Bitfield position and width within the bytes at `offset`; width 0 when not a bitfield. */
  bitShift: number;
  bitSize: number;
  /** The field's type with typedefs and qualifiers stripped. */
  type: BtfType;
}

const MODS = new Set([8, 9, 10, 11, 18]);

function strip(btf: Btf, id: number): BtfType {
  let t = btf.types[id];
  for (let i = 0; i < 64 && MODS.has(t.kind); i++) t = btf.types[(t as { type: number }).type];
  return t;
}

function sizeOf(btf: Btf, id: number): number {
  const t = strip(btf, id);
  switch (t.kind) {
    case 1: case 4: case 5: case 6: case 19: case 16: return t.size;
    case 2: return 8;
    case 3: return t.nelems * sizeOf(btf, t.elemType);
    default: return 0;
  }
}

/** The first struct or union of this name in the BTF (as libbpf's btf__find_by_name_kind). */
export function findStruct(btf: Btf, name: string): Extract<BtfType, { kind: 4 | 5 }> | undefined {
  for (const t of btf.types) if ((t.kind === 4 || t.kind === 5) && t.name === name) return t;
  return undefined;
}

/** "a.b[2][1].c" → ['a', 'b', 2, 1, 'c']: member names and array indices. */
function parsePath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const seg of path.split('.')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)((?:\s*\[\s*\d+\s*\])*)\s*$/.exec(seg);
    if (!m) throw new KobjError(`bad field path '${path}': '${seg}' is not a member name with optional [index]es`);
    out.push(m[1]);
    for (const ix of m[2].matchAll(/\d+/g)) out.push(Number(ix[0]));
  }
  return out;
}

/** A named member of a struct/union, looking through anonymous members as C does: its bit offset and type id. */
function findMember(btf: Btf, t: Extract<BtfType, { kind: 4 | 5 }>, name: string): { bitOffset: number; bitSize: number; type: number } | undefined {
  for (const m of t.members) {
    if (m.name === name) return { bitOffset: m.bitOffset, bitSize: m.bitfieldSize, type: m.type };
    if (!m.name) {
      const inner = strip(btf, m.type);
      if (inner.kind === 4 || inner.kind === 5) {
        const f = findMember(btf, inner, name);
        if (f) return { ...f, bitOffset: f.bitOffset + m.bitOffset };
      }
    }
  }
  return undefined;
}

/** Resolve a field path of a struct at the offsets the BTF gives. */
export function resolveField(btf: Btf, struct: string, path: string): KField {
  const root = findStruct(btf, struct);
  if (!root) throw new KobjError(`no struct ${struct} in the kernel BTF`);
  let t: BtfType = root;
  let bits = 0;
  let bitSize = 0;
  let typeId = root.id;
  for (const step of parsePath(path)) {
    if (bitSize) throw new KobjError(`struct ${struct}: ${path}: a bitfield has no members`);
    if (typeof step === 'number') {
      if (t.kind !== 3) throw new KobjError(`struct ${struct}: ${path}: [${step}] indexes a non-array`);
      if (step >= t.nelems && t.nelems > 0) throw new KobjError(`struct ${struct}: ${path}: index ${step} past ${t.nelems} elements`);
      bits += step * sizeOf(btf, t.elemType) * 8;
      typeId = t.elemType;
    } else {
      if (t.kind !== 4 && t.kind !== 5) throw new KobjError(`struct ${struct}: ${path}: '${step}' is a member of a non-struct`);
      const m = findMember(btf, t, step);
      if (!m) throw new KobjError(`struct ${struct}: ${path}: no member '${step}' in ${t.kind === 4 ? 'struct' : 'union'} ${t.name || '(anon)'}`);
      bits += m.bitOffset;
      bitSize = m.bitSize;
      typeId = m.type;
    }
    t = strip(btf, typeId);
  }
  if (bitSize) {
    // The bytes covering the bits, read and written little-endian.
    return { offset: Math.floor(bits / 8), size: Math.ceil(((bits % 8) + bitSize) / 8), bitShift: bits % 8, bitSize, type: t };
  }
  return { offset: bits / 8, size: sizeOf(btf, typeId), bitShift: 0, bitSize: 0, type: t };
}

export type KValue = bigint | number | string | Uint8Array | KObj | null;

/** One kernel object: a struct of the profile BTF at `addr`. */
export class KObj {
  constructor(
    private readonly objs: KernelObjects,
    readonly struct: string,
    readonly addr: bigint,
    readonly size: number,
    readonly region: Region,
  ) {}

  field(path: string): KField {
    return this.objs.field(this.struct, path);
  }

  /** Address of a field (for pointers into the object, e.g. &task->se). */
  addrOf(path: string): bigint {
    return this.addr + BigInt(this.field(path).offset);
  }

  /**
   * Write a field: integers (bitfields too), pointers (an address, another KObj, or null),
   * strings into char arrays (NUL-terminated, truncated as strscpy does) or into char pointers
   * (stored as a new kernel string), raw bytes into anything.
   */
  set(path: string, v: KValue): this {
    const f = this.field(path);
    const at = this.addr + BigInt(f.offset);
    const mem = this.objs.mem;
    if (v instanceof Uint8Array) {
      if (v.length > f.size) throw new KobjError(`struct ${this.struct}: ${path} holds ${f.size} bytes, got ${v.length}`);
      mem.write(at, v);
      return this;
    }
    if (typeof v === 'string') {
      if (f.type.kind === 3) {
        const bytes = new Uint8Array(f.size);
        const s = Buffer.from(v, 'utf8').subarray(0, Math.max(0, f.size - 1));
        bytes.set(s);
        mem.write(at, bytes);
        return this;
      }
      if (f.type.kind === 2) return this.set(path, this.objs.allocString(v));
      throw new KobjError(`struct ${this.struct}: ${path} is not a char array or pointer: cannot hold a string`);
    }
    const n = v === null ? 0n : v instanceof KObj ? v.addr : BigInt(v);
    if (f.type.kind !== 1 && f.type.kind !== 2 && f.type.kind !== 6 && f.type.kind !== 19) {
      throw new KobjError(`struct ${this.struct}: ${path} is not a scalar (BTF kind ${f.type.kind}): give bytes`);
    }
    if (!f.bitSize) {
      writeLe(mem, at, f.size, n);
      return this;
    }
    const mask = ((1n << BigInt(f.bitSize)) - 1n) << BigInt(f.bitShift);
    const cur = readLe(mem, at, f.size);
    writeLe(mem, at, f.size, (cur & ~mask) | ((BigInt.asUintN(f.bitSize, n) << BigInt(f.bitShift)) & mask));
    return this;
  }

  /** A scalar field's value: sign-extended when its type is signed. */
  get(path: string): bigint {
    const f = this.field(path);
    let n = readLe(this.objs.mem, this.addr + BigInt(f.offset), f.size);
    const width = f.bitSize || f.size * 8;
    if (f.bitSize) n = (n >> BigInt(f.bitShift)) & ((1n << BigInt(f.bitSize)) - 1n);
    const signed = (f.type.kind === 1 && (f.type.encoding & 1) === 1) || ((f.type.kind === 6 || f.type.kind === 19) && f.type.signed);
    return signed ? BigInt.asIntN(width, n) : n;
  }

  bytes(path: string): Uint8Array {
    const f = this.field(path);
    return this.objs.mem.read(this.addr + BigInt(f.offset), f.size);
  }

  /** A char array's text, or the kernel string a char pointer points to, up to its NUL. */
  string(path: string): string {
    const f = this.field(path);
    if (f.type.kind === 2) return this.objs.readString(this.get(path));
    const b = this.bytes(path);
    const end = b.indexOf(0);
    return Buffer.from(end < 0 ? b : b.subarray(0, end)).toString('utf8');
  }
}

/** The kernel's allocator of BTF-typed objects, over its AddressSpace. */
export class KernelObjects {
  private readonly fields = new Map<string, KField>();
  private readonly objects: KObj[] = [];

  constructor(
    readonly mem: AddressSpace,
    private readonly btfOf: () => Btf = vmlinuxBtf,
  ) {}

  get btf(): Btf {
    return this.btfOf();
  }

  field(struct: string, path: string): KField {
    const key = `${struct}\0${path}`;
    let f = this.fields.get(key);
    if (!f) {
      f = resolveField(this.btf, struct, path);
      this.fields.set(key, f);
    }
    return f;
  }

  /** A struct's size in the profile BTF. */
  sizeOf(struct: string): number {
    const t = findStruct(this.btf, struct);
    if (!t) throw new KobjError(`no struct ${struct} in the kernel BTF`);
    return t.size;
  }

  /**
   * A zeroed struct of the profile BTF in its own kernel region (unmodelled fields read as zero);
   * `size` gives room past the struct for a flexible array member (struct pid's numbers[]).
   */
  alloc(struct: string, size?: number): KObj {
    const t = findStruct(this.btf, struct);
    if (!t) throw new KobjError(`no struct ${struct} in the kernel BTF`);
    const n = Math.max(t.size, size ?? 0, 1);
    const region = this.mem.map('kernel', new Uint8Array(n), { name: `struct ${struct} #${this.objects.length}` });
    const o = new KObj(this, struct, region.base, n, region);
    this.objects.push(o);
    return o;
  }

  /** kfree: the object's region is unmapped (an object made for one call's arguments). */
  free(o: KObj): void {
    const i = this.objects.lastIndexOf(o);
    if (i >= 0) this.objects.splice(i, 1);
    this.mem.unmap(o.region);
  }

  /** A NUL-terminated kernel string (what a `const char *` field points to); its address. */
  allocString(s: string): bigint {
    const b = Buffer.from(s, 'utf8');
    const bytes = new Uint8Array(b.length + 1);
    bytes.set(b);
    return this.mem.map('kernel', bytes, { name: 'kernel string' }).base;
  }

  readString(addr: bigint, max = 4096): string {
    const out: number[] = [];
    for (let i = 0; i < max; i++) {
      const r = this.mem.find(addr + BigInt(i), 1);
      if (!r) break;
      const c = this.mem.readU8(addr + BigInt(i));
      if (c === 0) break;
      out.push(c);
    }
    return Buffer.from(out).toString('utf8');
  }

  /** The object whose bytes hold addr. */
  objectAt(addr: bigint): KObj | undefined {
    return this.objects.find((o) => addr >= o.addr && addr < o.addr + BigInt(Math.max(o.size, 1)));
  }
}

function readLe(mem: AddressSpace, at: bigint, size: number): bigint {
  const b = mem.read(at, size);
  let n = 0n;
  for (let i = size - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]);
  return n;
}

function writeLe(mem: AddressSpace, at: bigint, size: number, v: bigint): void {
  const b = new Uint8Array(size);
  let n = BigInt.asUintN(size * 8, v);
  for (let i = 0; i < size; i++, n >>= 8n) b[i] = Number(n & 0xffn);
  mem.write(at, b);
}

// ---- which fields the model writes --------------------------------------------

const modelled = new Map<string, Map<string, string>>();

/** Declare, from the code that writes them, the fields of `struct` the model fills in. */
export function declareModelledFields(struct: string, paths: readonly string[], by: string): void {
  let m = modelled.get(struct);
  if (!m) modelled.set(struct, (m = new Map()));
  for (const p of paths) m.set(normalizePath(p), by);
}

/** The declared fields of a struct, sorted: [path, declared by]. */
export function modelledFields(struct: string): [string, string][] {
  return [...(modelled.get(struct) ?? new Map<string, string>()).entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Every declaration whose path the profile BTF does not have (a stale declaration), as "struct.path: why". */
export function checkModelledFields(btf: Btf = vmlinuxBtf()): string[] {
  const bad: string[] = [];
  for (const s of [...modelled.keys()].sort()) {
    for (const [p] of modelledFields(s)) {
      try {
        resolveField(btf, s, p);
      } catch (e) {
        bad.push(`${s}.${p}: ${(e as Error).message}`);
      }
    }
  }
  return bad;
}

/** Array indices do not matter for what is modelled: "args[2]" is "args". */
const normalizePath = (p: string) => p.replace(/\s+/g, '').replace(/\[\d+\]/g, '');

/** Whether a read of struct.path sees something the model writes: a declared field covers it, or lies inside it. */
export function isFieldModelled(struct: string, path: string): boolean {
  const m = modelled.get(struct);
  if (!m) return false;
  const p = normalizePath(path);
  for (const d of m.keys()) {
    if (d === p || p.startsWith(d + '.') || d.startsWith(p + '.')) return true;
  }
  return false;
}

export interface UnmodelledRead {
  program: string;
  insn: number;
  struct: string;
  path: string;
  /** The loader's spec ("struct task_struct.se.sum_exec_runtime (0:... @ offset N)"). */
  spec: string;
}

// CO-RE kinds that read a field: byte_off, byte_sz, signed, lshift_u64, rshift_u64 (not field_exists).
const FIELD_READ_KINDS = new Set([0, 1, 3, 4, 5]);

/**
 * The CO-RE field reads of an object's programs, resolved in the profile kernel, of fields the
 * model does not write (they read as zero). Flavours ("task_struct___v1") count as their struct.
 */
export function unmodelledCoreReads(obj: BpfObject): UnmodelledRead[] {
  const out: UnmodelledRead[] = [];
  const seen = new Set<string>();
  for (const p of obj.programs) {
    for (const c of p.coreRelos) {
      if (!FIELD_READ_KINDS.has(c.kind) || (c.resolved && !c.resolved.found)) continue;
      const m = /^(?:struct|union) ([A-Za-z_][A-Za-z0-9_]*?)(?:___[A-Za-z0-9_]*)?(?:\[\d+\])?\.(\S+) \(/.exec(c.spec);
      if (!m) continue;
      const [, struct, path] = m;
      if (isFieldModelled(struct, path)) continue;
      const key = `${p.name}\0${struct}\0${path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ program: p.name, insn: c.insn, struct, path, spec: c.spec });
    }
  }
  return out;
}
