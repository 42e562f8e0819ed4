/**
 * BTF as C: the header `bpftool btf dump file X format c` prints (a vmlinux.h), byte for
 * byte. Types are emitted in the order libbpf's btf_dump settles on: each type id in turn
 * is "ordered" (its strong dependencies — embedded structs, typedef targets, enums — are
 * queued before it; a named struct reached through a pointer only needs a forward
 * declaration), then every queued type is emitted with whatever forward declarations its
 * members still need. Anonymous structs, unions and referenced anonymous enums are
 * printed inline. Clashing names get `___N` suffixes in first-printed order, as libbpf does.
 */
import { LoaderError } from '../errors';
import { Btf, BtfType } from './types';

const HEADER = '#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n' +
  '#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n#endif\n\n';
const FOOTER = '#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n#endif /* __VMLINUX_H__ */\n';

// Base types some compilers know and others do not (ARM polynomial types): given a typedef.
const MISSING_BASE_TYPES: Readonly<Record<string, string>> = {
  __Poly8_t: 'unsigned char', __Poly16_t: 'unsigned short', __Poly64_t: 'unsigned long long', __Poly128_t: 'unsigned __int128',
};

const enum Order { None, Ordering, Ordered }
const enum Emit { None, Emitting, Emitted }

const pfx = (lvl: number) => '\t'.repeat(lvl);

type Composite = Extract<BtfType, { kind: 4 | 5 }>;
type EnumT = Extract<BtfType, { kind: 6 | 19 }>;
type RefT = Extract<BtfType, { kind: 2 | 8 | 9 | 10 | 11 | 18 }>;

/** The C header for a whole BTF, as `bpftool btf dump file X format c`. */
/** The deepest chain of types the C dump follows (the kernel resolves at most 32 per chain). */
const ORDER_DEPTH_MAX = 512;
/** The most padding the C dump prints between two members: 1 MiB (a valid kernel struct pads far less). */
const PADDING_BITS_MAX = 8 * 1024 * 1024;

export function formatBtfC(btf: Btf): string {
  const d = new CDumper(btf);
  const body: string[] = [];
  for (let id = 1; id < btf.types.length; id++) body.push(d.dumpType(id));
  return HEADER + body.join('') + FOOTER;
}

class CDumper {
  private readonly types: readonly BtfType[];
  private readonly referenced: Uint8Array;
  private readonly order: Uint8Array;
  private readonly emit: Uint8Array;
  private readonly fwdEmitted: Uint8Array;
  private readonly resolved = new Map<number, string>();
  private readonly typeNames = new Map<string, number>();
  private readonly identNames = new Map<string, number>();
  private readonly ptrSize: number;
  private queue: number[] = [];
  private out: string[] = [];

  constructor(btf: Btf) {
    this.types = btf.types;
    const n = btf.types.length;
    this.referenced = new Uint8Array(n);
    this.order = new Uint8Array(n);
    this.emit = new Uint8Array(n);
    this.fwdEmitted = new Uint8Array(n);
    this.ptrSize = this.guessPtrSize();
    for (const t of this.types) this.markReferenced(t);
  }

  dumpType(id: number): string {
    this.queue = [];
    this.out = [];
    this.orderType(id, false);
    for (const q of this.queue) this.emitType(q, 0);
    return this.out.join('');
  }

  private p(s: string): void {
    this.out.push(s);
  }

  /** Pointer size as libbpf guesses it: the size of a `long` int, else 8. */
  private guessPtrSize(): number {
    for (const t of this.types) {
      if (t.kind === 1 && ['long int', 'long unsigned int', 'long', 'unsigned long'].includes(t.name)) return t.size;
    }
    return 8;
  }

  private markReferenced(t: BtfType): void {
    const r = this.referenced;
    switch (t.kind) {
      case 2: case 8: case 9: case 10: case 11: case 12: case 14: case 17: case 18: r[t.type] = 1; break;
      case 3: r[t.indexType] = 1; r[t.elemType] = 1; break;
      case 4: case 5: for (const m of t.members) r[m.type] = 1; break;
      case 13: r[t.returnType] = 1; for (const q of t.params) r[q.type] = 1; break;
      case 15: for (const v of t.vars) r[v.type] = 1; break;
      default: break;
    }
  }

  /**
   * Queue the named definitions `id` needs before it; returns whether `id` is "strong"
   * (must be fully defined before use) — a struct reached only through a pointer is not.
   */
  private orderType(id: number, throughPtr: boolean, depth = 0): boolean {
    if (id === 0) return true;
    const t = this.types[id];
    if (this.order[id] === Order.Ordered) return true;
    if (this.order[id] === Order.Ordering) {
      // A cycle through a pointer to a named struct is broken by a forward declaration.
      if ((t.kind === 4 || t.kind === 5) && throughPtr && t.name) return false;
      throw new LoaderError('BTF_INVALID', '<btf>', undefined, `btf dump: unsatisfiable type cycle at [${id}]`);
    }
    // BTF the kernel accepts resolves within MAX_RESOLVE_DEPTH (32) per chain; a typedef or array
    // loop (which only structs are marked against) or an absurd chain ends here, typed
    if (depth > ORDER_DEPTH_MAX) throw new LoaderError('BTF_INVALID', '<btf>', undefined, `btf dump: type [${id}] is part of a loop or nests more than ${ORDER_DEPTH_MAX} deep`);
    this.step(id);
    switch (t.kind) {
      case 1: case 16:
        this.order[id] = Order.Ordered;
        return false;
      case 2: {
        const r = this.orderType(t.type, true, depth + 1);
        this.order[id] = Order.Ordered;
        return r;
      }
      case 3: return this.orderType(t.elemType, false, depth + 1);
      case 4: case 5: {
        if (throughPtr && t.name) return false;
        this.order[id] = Order.Ordering;
        for (const m of t.members) this.orderType(m.type, false, depth + 1);
        if (t.name) this.queue.push(id);
        this.order[id] = Order.Ordered;
        return true;
      }
      case 6: case 19: case 7:
        // Named or unreferenced (stand-alone) enums and forward declarations are top-level.
        if (t.name || !this.referenced[id]) this.queue.push(id);
        this.order[id] = Order.Ordered;
        return true;
      case 8: {
        const strong = this.orderType(t.type, throughPtr, depth + 1);
        if (throughPtr && !strong) return false;
        this.queue.push(id);
        this.order[id] = Order.Ordered;
        return true;
      }
      case 9: case 10: case 11: case 18: return this.orderType(t.type, throughPtr, depth + 1);
      case 13: {
        let strong = this.orderType(t.returnType, throughPtr, depth + 1);
        for (const q of t.params) if (this.orderType(q.type, throughPtr, depth + 1)) strong = true;
        return strong;
      }
      default:
        this.order[id] = Order.Ordered;
        return false;
    }
  }

  private isBlacklisted(id: number): boolean {
    return this.types[id].name === '__builtin_va_list';
  }

  /** Emit `id` (top level when contId is 0), with the forward declarations it needs first. */
  /**
   * Count one visit: types reached again and again (function prototypes, modifiers are not marked
   * done) could make a small malformed BTF cost exponential time; a valid one needs a few per type.
   */
  private step(id: number): void {
    const max = 200 * this.types.length + 100_000;
    if (++this.steps > max) throw new LoaderError('BTF_INVALID', '<btf>', undefined, `btf dump: types around [${id}] refer to each other too many times (over ${max} visits)`);
  }
  private steps = 0;

  private emitType(id: number, contId: number): void {
    this.step(id);
    if (this.emit[id] === Emit.Emitted) return;
    const t = this.types[id];
    const topLevel = contId === 0;
    if (this.emit[id] === Emit.Emitting) {
      if (this.fwdEmitted[id]) return;
      if (t.kind === 4 || t.kind === 5) {
        if (id === contId || !t.name) return;
        this.emitStructFwd(id, t);
        this.p(';\n\n');
        this.fwdEmitted[id] = 1;
      } else if (t.kind === 8) {
        // A typedef used through a pointer while its target is being defined.
        if (!this.isBlacklisted(id)) {
          this.emitTypedefDef(id, t, 0);
          this.p(';\n\n');
        }
        this.fwdEmitted[id] = 1;
      }
      return;
    }
    switch (t.kind) {
      case 1: {
        const base = MISSING_BASE_TYPES[t.name];
        if (base) this.p(`typedef ${base} ${t.name};\n\n`);
        this.emit[id] = Emit.Emitted;
        break;
      }
      case 6: case 19:
        if (topLevel) {
          this.emitEnumDef(id, t, 0);
          this.p(';\n\n');
        }
        this.emit[id] = Emit.Emitted;
        break;
      case 2: case 9: case 10: case 11: case 18: this.emitType(t.type, contId); break;
      case 3: this.emitType(t.elemType, contId); break;
      case 7:
        this.emitFwdDef(id, t);
        this.p(';\n\n');
        this.emit[id] = Emit.Emitted;
        break;
      case 8:
        this.emit[id] = Emit.Emitting;
        this.emitType(t.type, id);
        if (!this.fwdEmitted[id] && !this.isBlacklisted(id)) {
          this.emitTypedefDef(id, t, 0);
          this.p(';\n\n');
        }
        this.emit[id] = Emit.Emitted;
        break;
      case 4: case 5:
        this.emit[id] = Emit.Emitting;
        if (topLevel || !t.name) {
          const inner = t.name ? id : contId;
          for (const m of t.members) this.emitType(m.type, inner);
        } else if (!this.fwdEmitted[id] && id !== contId) {
          this.emitStructFwd(id, t);
          this.p(';\n\n');
          this.fwdEmitted[id] = 1;
        }
        if (topLevel) {
          this.emitStructDef(id, t, 0);
          this.p(';\n\n');
          this.emit[id] = Emit.Emitted;
        } else this.emit[id] = Emit.None;
        break;
      case 13:
        this.emitType(t.returnType, contId);
        for (const q of t.params) this.emitType(q.type, contId);
        break;
      default: break;
    }
  }

  // ---- names -------------------------------------------------------------

  private nameDups(map: Map<string, number>, name: string): number {
    const n = (map.get(name) ?? 0) + 1;
    map.set(name, n);
    return n;
  }

  /** A type's C name, with `___N` when an earlier-printed type of another id took it. */
  private resolveName(id: number, map: Map<string, number>): string {
    const t = this.types[id];
    if (!t.name) return '';
    const cached = this.resolved.get(id);
    if (cached !== undefined) return cached;
    let name = t.name;
    // Forward declarations and empty enums never clash: they declare, not define.
    if (!(t.kind === 7 || (t.kind === 6 && t.values.length === 0))) {
      const dup = this.nameDups(map, t.name);
      if (dup > 1) name = `${t.name}___${dup}`;
    }
    this.resolved.set(id, name);
    return name;
  }

  private typeName(id: number): string {
    return this.resolveName(id, this.typeNames);
  }

  private identName(id: number): string {
    return this.resolveName(id, this.identNames);
  }

  // ---- definitions -------------------------------------------------------

  private emitStructFwd(id: number, t: Composite): void {
    const n = this.typeName(id);
    this.p(`${t.kind === 4 ? 'struct' : 'union'}${t.name ? ' ' : ''}${n}`);
  }

  private emitFwdDef(id: number, t: Extract<BtfType, { kind: 7 }>): void {
    this.p(`${t.union ? 'union' : 'struct'} ${this.typeName(id)}`);
  }

  private emitTypedefDef(id: number, t: RefT, lvl: number): void {
    this.step(id);
    const name = this.identName(id);
    if (t.type === 0 && name === '__gnuc_va_list') {
      this.p('typedef __builtin_va_list __gnuc_va_list');
      return;
    }
    this.p('typedef ');
    this.emitTypeDecl(t.type, name, lvl);
  }

  private emitEnumDef(id: number, t: EnumT, lvl: number): void {
    this.p(`enum${t.name ? ' ' : ''}${this.typeName(id)}`);
    if (!t.values.length) return;
    this.p(' {');
    const suffix = t.kind === 19 ? (t.signed ? 'LL' : 'ULL') : '';
    for (const v of t.values) {
      // Enumerators share the namespace of typedef names.
      const dup = this.nameDups(this.identNames, v.name);
      let val = v.value;
      if (t.kind === 6) val = t.signed ? BigInt.asIntN(32, val) : BigInt.asUintN(32, val);
      else val = t.signed ? BigInt.asIntN(64, val) : BigInt.asUintN(64, val);
      this.p(`\n${pfx(lvl + 1)}${v.name}${dup > 1 ? `___${dup}` : ''} = ${val}${suffix},`);
    }
    this.p(`\n${pfx(lvl)}}`);
  }

  private emitStructDef(id: number, t: Composite, lvl: number): void {
    const isStruct = t.kind === 4;
    const align = this.alignOf(id);
    const packed = isStruct ? this.isPacked(t) : false;
    this.p(`${isStruct ? 'struct' : 'union'}${t.name ? ' ' : ''}${this.typeName(id)} {`);
    let off = 0;
    let prevBitfield = false;
    for (const m of t.members) {
      let sz = m.bitfieldSize;
      const mAlign = packed ? 1 : this.alignOf(m.type);
      const inBitfield = prevBitfield && sz !== 0;
      this.emitBitPadding(off, m.bitOffset, mAlign, inBitfield, lvl + 1);
      this.p(`\n${pfx(lvl + 1)}`);
      this.emitTypeDecl(m.type, m.name, lvl + 1);
      if (sz) {
        this.p(`: ${sz}`);
        off = m.bitOffset + sz;
        prevBitfield = true;
      } else {
        sz = Math.max(0, this.sizeOf(m.type));
        off = m.bitOffset + sz * 8;
        prevBitfield = false;
      }
      this.p(';');
    }
    if (isStruct) this.emitBitPadding(off, t.size * 8, align, false, lvl + 1);
    // `struct empty {}` stays on one line.
    if (t.members.length || t.size) this.p(`\n${pfx(lvl)}}`);
    else this.p('}');
    if (packed) this.p(' __attribute__((packed))');
  }

  /**
   * Explicit `<type>: N;` padding for a gap the compiler would not leave by itself: first
   * up to the largest natural boundary (long, int, short, char) inside the gap, then whole
   * units of that type, then the smallest type holding the remainder.
   */
  private emitBitPadding(cur: number, next: number, nextAlign: number, inBitfield: boolean, lvl: number): void {
    if (cur >= next) return;
    // a struct claiming gigabytes around its members (`size` is a u32) would print millions of lines
    if (next - cur > PADDING_BITS_MAX) throw new LoaderError('BTF_INVALID', '<btf>', undefined, `btf dump: a struct pads ${Math.floor((next - cur) / 8)} bytes between members, more than ${PADDING_BITS_MAX / 8} bytes`);
    const pads: [string, number][] = [['long', this.ptrSize * 8], ['int', 32], ['short', 16], ['char', 8]];
    let padType = '';
    let padBits = 0;
    let newOff = 0;
    for (const [name, bits] of pads) {
      padType = name;
      padBits = bits;
      newOff = roundup(cur, bits);
      if (newOff <= next) break;
    }
    if (newOff > cur && newOff <= next) {
      if (inBitfield || (newOff === next && roundup(cur, nextAlign * 8) !== newOff) || (newOff !== next && next - newOff <= newOff - cur)) {
        this.p(`\n${pfx(lvl)}${padType}: ${inBitfield ? newOff - cur : 0};`);
      }
      cur = newOff;
    }
    while (cur !== next) {
      const bits = Math.min(next - cur, padBits);
      if (bits === padBits) {
        this.p(`\n${pfx(lvl)}${padType}: ${padBits};`);
        cur += bits;
        continue;
      }
      for (let i = pads.length - 1; i >= 0; i--) {
        if (pads[i][1] < bits) continue;
        this.p(`\n${pfx(lvl)}${pads[i][0]}: ${bits};`);
        cur += bits;
        break;
      }
    }
  }

  // ---- sizes and alignment (btf__resolve_size, btf__align_of) ---------------

  private sizeOf(id: number): number {
    let nelems = 1;
    for (let depth = 0; depth < 64; depth++) {
      const t = this.types[id];
      switch (t.kind) {
        case 1: case 4: case 5: case 6: case 19: case 15: case 16: return nelems * t.size;
        case 2: return nelems * this.ptrSize;
        case 8: case 9: case 10: case 11: case 18: case 14: id = t.type; break;
        case 3: nelems *= t.nelems; id = t.elemType; break;
        default: return -1;
      }
    }
    return -1;
  }

  private alignOf(id: number, depth = 0): number {
    const t = this.types[id];
    if (depth > ORDER_DEPTH_MAX) throw new LoaderError('BTF_INVALID', '<btf>', undefined, `btf dump: type [${id}] is part of a loop or nests more than ${ORDER_DEPTH_MAX} deep`);
    switch (t.kind) {
      case 1: case 6: case 19: case 16: return Math.min(this.ptrSize, t.size);
      case 2: return this.ptrSize;
      case 8: case 9: case 10: case 11: case 18: return this.alignOf(t.type, depth + 1);
      case 3: return this.alignOf(t.elemType, depth + 1);
      case 4: case 5: {
        let max = 1;
        for (const m of t.members) {
          const a = this.alignOf(m.type, depth + 1);
          if (a <= 0) return a;
          max = Math.max(max, a);
          // A member off its natural alignment means the struct is packed.
          if (m.bitfieldSize === 0 && m.bitOffset % (8 * a) !== 0) return 1;
        }
        return t.size % max ? 1 : max;
      }
      default: return 0;
    }
  }

  private isPacked(t: Composite): boolean {
    let max = 1;
    for (const m of t.members) {
      const a = this.alignOf(m.type);
      if (a && m.bitfieldSize === 0 && m.bitOffset % (8 * a) !== 0) return true;
      max = Math.max(a, max);
    }
    return t.size % max !== 0;
  }

  // ---- declarations ------------------------------------------------------

  /** `<type> <name>` for a member, parameter or typedef: the C declarator of the type chain. */
  private emitTypeDecl(id: number, fname: string, lvl: number): void {
    this.step(id);
    const stack: number[] = [];
    for (;;) {
      const t = this.types[id];
      stack.push(id);
      if (t.kind === 2 || t.kind === 9 || t.kind === 10 || t.kind === 11 || t.kind === 18) id = t.type;
      else if (t.kind === 13) id = t.returnType;
      else if (t.kind === 3) id = t.elemType;
      else break;
    }
    this.emitTypeChain(stack, fname, lvl);
  }

  private emitMods(stack: number[]): void {
    while (stack.length) {
      const t = this.types[stack[stack.length - 1]];
      if (t.kind === 9) this.p('volatile ');
      else if (t.kind === 10) this.p('const ');
      else if (t.kind === 11) this.p('restrict ');
      else return;
      stack.pop();
    }
  }

  private dropMods(stack: number[]): void {
    while (stack.length) {
      const k = this.types[stack[stack.length - 1]].kind;
      if (k !== 9 && k !== 10 && k !== 11 && k !== 18) return;
      stack.pop();
    }
  }

  private emitName(name: string, lastWasPtr: boolean): void {
    this.p(`${name && !lastWasPtr ? ' ' : ''}${name}`);
  }

  /** The declarator, innermost type first (the stack's top), as C's inside-out syntax needs. */
  private emitTypeChain(stack: number[], fname: string, lvl: number): void {
    this.step(stack[stack.length - 1] ?? 0);
    let lastWasPtr = true;
    while (stack.length) {
      const id = stack.pop()!;
      if (id === 0) {
        this.emitMods(stack);
        this.p('void');
        lastWasPtr = false;
        continue;
      }
      const t = this.types[id];
      switch (t.kind) {
        case 1: case 16:
          this.emitMods(stack);
          this.p(t.name);
          break;
        case 4: case 5:
          this.emitMods(stack);
          if (!t.name) this.emitStructDef(id, t, lvl);
          else this.emitStructFwd(id, t);
          break;
        case 6: case 19:
          this.emitMods(stack);
          if (!t.name) this.emitEnumDef(id, t, lvl);
          else this.p(`enum ${this.typeName(id)}`);
          break;
        case 7:
          this.emitMods(stack);
          this.emitFwdDef(id, t);
          break;
        case 8:
          this.emitMods(stack);
          this.p(this.identName(id));
          break;
        case 2: this.p(lastWasPtr ? '*' : ' *'); break;
        case 9: this.p(' volatile'); break;
        case 10: this.p(' const'); break;
        case 11: this.p(' restrict'); break;
        case 18:
          this.emitMods(stack);
          this.p(` __attribute__((btf_type_tag("${t.name}")))`);
          break;
        case 3: {
          // Qualifiers on an array (a GCC artefact) carry no meaning: dropped.
          this.dropMods(stack);
          if (!stack.length) {
            this.emitName(fname, lastWasPtr);
            this.p(`[${t.nelems}]`);
            return;
          }
          const multidim = this.types[stack[stack.length - 1]].kind === 3;
          if (fname && !lastWasPtr) this.p(' ');
          if (!multidim) this.p('(');
          this.emitTypeChain(stack, fname, lvl);
          if (!multidim) this.p(')');
          this.p(`[${t.nelems}]`);
          return;
        }
        case 13: {
          this.dropMods(stack);
          if (stack.length) {
            this.p(' (');
            this.emitTypeChain(stack, fname, lvl);
            this.p(')');
          } else this.emitName(fname, lastWasPtr);
          this.p('(');
          const ps = t.params;
          if (!ps.length || (ps.length === 1 && ps[0].type === 0)) {
            this.p('void)');
            return;
          }
          for (let i = 0; i < ps.length; i++) {
            if (i > 0) this.p(', ');
            // A trailing void parameter is `...`.
            if (i === ps.length - 1 && ps[i].type === 0) {
              this.p('...');
              break;
            }
            this.emitTypeDecl(ps[i].type, ps[i].name, lvl);
          }
          this.p(')');
          return;
        }
        default: return;
      }
      lastWasPtr = t.kind === 2;
    }
    this.emitName(fname, lastWasPtr);
  }
}

function roundup(x: number, y: number): number {
  return Math.ceil(x / y) * y;
}
