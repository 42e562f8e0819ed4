/** Small BTF helpers: following modifiers, sizes, C spelling of a type. */
import { LoaderError } from '../errors';
import { Btf, BtfType } from './types';

const MODIFIERS = new Set([8, 9, 10, 11, 18]); // typedef, volatile, const, restrict, type_tag

/** Skip typedefs and cv-qualifiers (bounded: a cycle ends the walk). */
export function skipModsAndTypedefs(btf: Btf, id: number): BtfType {
  let t = btf.types[id];
  for (let guard = 0; t && MODIFIERS.has(t.kind) && guard < 64; guard++) t = btf.types[(t as { type: number }).type];
  return t ?? btf.types[0];
}

/** Byte size of a type (libbpf btf__resolve_size), or an error. */
export function typeSize(btf: Btf, id: number, file = '<btf>'): number {
  let nelems = 1;
  let t = btf.types[id];
  for (let guard = 0; guard < 64 && t; guard++) {
    switch (t.kind) {
      case 1: case 4: case 5: case 6: case 19: case 15: case 16: return nelems * t.size;
      case 2: return nelems * 8;
      case 3: nelems *= t.nelems; t = btf.types[t.elemType]; break;
      case 8: case 9: case 10: case 11: case 18: case 14: t = btf.types[t.type]; break;
      default: throw new LoaderError('BTF_INVALID', file, undefined, `type ${id} has no size`);
    }
  }
  throw new LoaderError('BTF_INVALID', file, undefined, `type ${id}: size does not resolve (loop or too deep)`);
}

/** C-like spelling for display: "struct event", "u32", "char[16]", "void *". */
export function typeName(btf: Btf, id: number, depth = 0): string {
  const t = btf.types[id];
  if (!t || depth > 16) return '?';
  switch (t.kind) {
    case 0: return 'void';
    case 1: case 16: case 8: return t.name;
    case 2: return `${typeName(btf, t.type, depth + 1)} *`;
    case 3: return `${typeName(btf, t.elemType, depth + 1)}[${t.nelems}]`;
    case 4: return `struct ${t.name || '(anon)'}`;
    case 5: return `union ${t.name || '(anon)'}`;
    case 6: case 19: return `enum ${t.name || '(anon)'}`;
    case 7: return `${t.union ? 'union' : 'struct'} ${t.name}`;
    case 9: return `volatile ${typeName(btf, t.type, depth + 1)}`;
    case 10: return `const ${typeName(btf, t.type, depth + 1)}`;
    case 11: return `${typeName(btf, t.type, depth + 1)} restrict`;
    case 12: case 14: case 15: return t.name;
    case 13: return 'fn';
    case 17: case 18: return typeName(btf, t.type, depth + 1);
  }
}

/** Type ids by name, for lookups in a large target BTF (built once per Btf). */
const byNameCache = new WeakMap<Btf, Map<string, number[]>>();
export function typesByName(btf: Btf, name: string): readonly number[] {
  let m = byNameCache.get(btf);
  if (!m) {
    m = new Map();
    for (const t of btf.types) {
      if (!t.name) continue;
      const l = m.get(t.name);
      if (l) l.push(t.id);
      else m.set(t.name, [t.id]);
    }
    byNameCache.set(btf, m);
  }
  return m.get(name) ?? [];
}
