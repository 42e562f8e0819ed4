/**
 * Reading the kernel BTF the way kernel/bpf/btf.c does: skipping modifiers, resolving sizes of
 * (multi-dimensional) arrays, kind names as btf_type_str prints them, names with "(anon)".
 */
import type { KernelBtf, KernelBtfType } from './api';

export const K = {
  INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10, RESTRICT: 11,
  FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;

const KIND_STR = [
  'UNKNOWN', 'INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'FWD', 'TYPEDEF', 'VOLATILE', 'CONST', 'RESTRICT',
  'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG', 'ENUM64',
];

const VOID: KernelBtfType = { kind: 0, name: '' };

/** btf_type_by_id: void for 0 and for ids out of range. */
export function typeById(btf: KernelBtf, id: number): KernelBtfType {
  return btf.types[id] ?? VOID;
}

/** btf_type_str. */
export const kindStr = (t: KernelBtfType): string => KIND_STR[t.kind] ?? 'UNKNOWN';

/** __btf_name_by_offset: "(anon)" for an empty name. */
export const nameOf = (t: KernelBtfType): string => t.name || '(anon)';

/** btf_type_is_modifier: typedef, volatile, const, restrict, type_tag. */
export const isModifier = (t: KernelBtfType): boolean =>
  t.kind === K.TYPEDEF || t.kind === K.VOLATILE || t.kind === K.CONST || t.kind === K.RESTRICT || t.kind === K.TYPE_TAG;

export const isStruct = (t: KernelBtfType): boolean => t.kind === K.STRUCT || t.kind === K.UNION;

/** btf_type_skip_modifiers: the first non-modifier type and its id. */
export function skipModifiers(btf: KernelBtf, id: number): { t: KernelBtfType; id: number } {
  let t = typeById(btf, id);
  for (let guard = 0; isModifier(t) && guard < 64; guard++) {
    id = t.type ?? 0;
    t = typeById(btf, id);
  }
  return { t, id };
}

/** btf_type_is_small_int: an INT of at most 8 bytes (bitfield ints included). */
export const isSmallInt = (t: KernelBtfType): boolean => t.kind === K.INT && (t.size ?? 0) <= 8;

/** btf_type_name: the name of `id` after its modifiers (what the log prints after `ptr_`). */
export const typeNameOf = (btf: KernelBtf, id: number): string => skipModifiers(btf, id).t.name;

/**
 * __btf_resolve_size: the size of a member's type, arrays linearized. Returns the outermost array (or
 * the resolved type), `elem` the innermost element type and `elemId` its id, `nelems` the product
 * of the dimensions; `typeId` is the member's type id, or the resolved one when a modifier or an
 * array was followed. Null: the type has no size.
 */
export function resolveSize(btf: KernelBtf, typeId: number): { t: KernelBtfType; size: number; elem: KernelBtfType; elemId: number; nelems: number; typeId: number } | null {
  let nelems = 1;
  let t = typeById(btf, typeId);
  let modId = 0;
  let array: KernelBtfType | null = null;
  for (let guard = 0; guard < 32; guard++) {
    let size: number;
    switch (t.kind) {
      case K.INT: case K.STRUCT: case K.UNION: case K.ENUM: case K.ENUM64: case K.FLOAT:
        size = t.size ?? 0;
        break;
      case K.PTR:
        size = 8;
        break;
      case K.TYPEDEF: case K.VOLATILE: case K.CONST: case K.RESTRICT: case K.TYPE_TAG:
        modId = t.type ?? 0;
        t = typeById(btf, modId);
        continue;
      case K.ARRAY:
        if (!array) array = t;
        nelems *= t.nelems ?? 0;
        modId = t.elemType ?? 0;
        t = typeById(btf, modId);
        continue;
      default:
        return null;
    }
    return { t: array ?? t, size: size * nelems, elem: t, elemId: modId, nelems, typeId: modId || typeId };
  }
  return null;
}

/** The type with `name` and `kind` (first by id), for attach target lookups; cached per BTF. */
const byName = new WeakMap<KernelBtf, Map<string, number>>();
export function findByNameKind(btf: KernelBtf, name: string, kind: number): number {
  let m = byName.get(btf);
  if (!m) {
    m = new Map();
    for (let i = 1; i < btf.types.length; i++) {
      const t = btf.types[i];
      if (!t.name) continue;
      const key = `${t.kind}:${t.name}`;
      if (!m.has(key)) m.set(key, i);
    }
    byName.set(btf, m);
  }
  return m.get(`${kind}:${name}`) ?? -1;
}
