/**
 * CO-RE access specs (libbpf relo_core.c): parse a relocation's access string
 * against the object's BTF, and match it against a candidate target type.
 */
import { CoreReloKind as K } from '../api';
import { skipModsAndTypedefs, typeSize } from '../btf/query';
import type { Btf, BtfType } from '../btf/types';

export interface Accessor {
  typeId: number;
  idx: number;
  /** Member or enumerator name; undefined for array index accessors. */
  name?: string;
}

export interface Spec {
  btf: Btf;
  rootTypeId: number;
  kind: number;
  /** High-level accessors (anonymous members skipped). */
  access: Accessor[];
  /** Raw indices, as in the access string. */
  raw: number[];
  bitOffset: number;
}

export const isFieldBased = (k: number) => k <= K.FIELD_RSHIFT_U64;
export const isTypeBased = (k: number) => k === K.TYPE_ID_LOCAL || k === K.TYPE_ID_TARGET || k === K.TYPE_EXISTS || k === K.TYPE_SIZE || k === K.TYPE_MATCHES;
export const isEnumvalBased = (k: number) => k === K.ENUMVAL_EXISTS || k === K.ENUMVAL_VALUE;

const isComposite = (t: BtfType) => t.kind === 4 || t.kind === 5;
const isAnyEnum = (t: BtfType) => t.kind === 6 || t.kind === 19;
const SPEC_MAX_LEN = 64;

/** "task_struct___v1" → "task_struct" (libbpf bpf_core_essential_name_len). */
export function essentialName(name: string): string {
  const i = name.indexOf('___');
  return i > 0 ? name.slice(0, i) : name;
}

/** Typed failure inside spec code; the caller turns it into a LoaderError. */
export class SpecError extends Error {}

function size(btf: Btf, id: number): number {
  try {
    return typeSize(btf, id);
  } catch {
    throw new SpecError(`type ${id} has no size`);
  }
}

function isFlexArr(btf: Btf, prev: Accessor | undefined, nelems: number): boolean {
  if (!prev || prev.name === undefined || nelems > 0) return false;
  const t = btf.types[prev.typeId];
  return t !== undefined && isComposite(t) && prev.idx === (t as { members: unknown[] }).members.length - 1;
}

/** libbpf bpf_core_parse_spec. */
export function parseSpec(btf: Btf, typeId: number, accessStr: string, kind: number): Spec {
  if (!/^\d+(:\d+)*$/.test(accessStr)) throw new SpecError(`malformed access string '${accessStr}'`);
  const raw = accessStr.split(':').map(Number);
  if (raw.length > SPEC_MAX_LEN) throw new SpecError('access string too long');
  const spec: Spec = { btf, rootTypeId: typeId, kind, access: [], raw, bitOffset: 0 };
  if (!btf.types[typeId]) throw new SpecError(`type id ${typeId} is not in the object's BTF`);
  if (isTypeBased(kind)) {
    if (accessStr !== '0') throw new SpecError(`type-based relocation with access string '${accessStr}', expected '0'`);
    return spec;
  }
  let id = typeId;
  let t = skipModsAndTypedefs(btf, id);
  id = t.id;
  const first = raw[0];
  spec.access.push({ typeId: id, idx: first });
  if (isEnumvalBased(kind)) {
    if (!isAnyEnum(t) || raw.length > 1) throw new SpecError(`enum value relocation on non-enum type ${typeId}`);
    const values = (t as Extract<BtfType, { kind: 6 | 19 }>).values;
    if (first >= values.length) throw new SpecError(`enumerator index ${first} out of range`);
    spec.access[0].name = values[first].name;
    return spec;
  }
  if (!isFieldBased(kind)) throw new SpecError(`unknown relocation kind ${kind}`);
  spec.bitOffset = first * size(btf, id) * 8;
  for (let i = 1; i < raw.length; i++) {
    t = skipModsAndTypedefs(btf, id);
    id = t.id;
    const idx = raw[i];
    if (t.kind === 4 || t.kind === 5) {
      if (idx >= t.members.length) throw new SpecError(`member index ${idx} out of range for type ${id}`);
      const m = t.members[idx];
      spec.bitOffset += m.bitOffset;
      if (m.name) spec.access.push({ typeId: id, idx, name: m.name });
      id = m.type;
    } else if (t.kind === 3) {
      const flex = isFlexArr(btf, spec.access[spec.access.length - 1], t.nelems);
      const el = skipModsAndTypedefs(btf, t.elemType);
      id = el.id;
      if (!flex && idx >= t.nelems) throw new SpecError(`array index ${idx} out of range (${t.nelems})`);
      spec.access.push({ typeId: id, idx });
      spec.bitOffset += idx * size(btf, id) * 8;
    } else {
      throw new SpecError(`access string captures type [${id}] of unexpected kind ${t.kind}`);
    }
  }
  return spec;
}

const kindCompat = (a: BtfType, b: BtfType) => a.kind === b.kind || (isAnyEnum(a) && isAnyEnum(b));

function namesMatch(a: string, b: string): boolean {
  return essentialName(a) === essentialName(b);
}

/** libbpf bpf_core_fields_are_compat. */
export function fieldsCompat(lb: Btf, lid: number, tb: Btf, tid: number): boolean {
  for (let depth = 0; depth < 32; depth++) {
    const l = skipModsAndTypedefs(lb, lid);
    const t = skipModsAndTypedefs(tb, tid);
    if (isComposite(l) && isComposite(t)) return true;
    if (!kindCompat(l, t)) return false;
    switch (l.kind) {
      case 2: case 16: return true;
      case 7: case 6: case 19: return namesMatch(l.name, t.name);
      case 1: return l.bitOffset === 0 && (t as { bitOffset: number }).bitOffset === 0;
      case 3: lid = l.elemType; tid = (t as { elemType: number }).elemType; continue;
      default: return false;
    }
  }
  return false;
}

/** libbpf __bpf_core_types_are_compat (plus a step budget: crafted FUNC_PROTO nests must not explode). */
export function typesCompat(lb: Btf, lid: number, tb: Btf, tid: number, depth = 32, budget = { steps: 100000 }): boolean {
  for (; depth >= 0; depth--) {
    if (--budget.steps < 0) throw new SpecError('type compatibility check too complex');
    const l = skipModsAndTypedefs(lb, lid);
    const t = skipModsAndTypedefs(tb, tid);
    if (!kindCompat(l, t)) return false;
    switch (l.kind) {
      case 0: case 4: case 5: case 6: case 7: case 19: return true;
      case 1: return l.bitOffset === 0 && (t as { bitOffset: number }).bitOffset === 0;
      case 2: lid = l.type; tid = (t as { type: number }).type; continue;
      case 3: lid = l.elemType; tid = (t as { elemType: number }).elemType; continue;
      case 13: {
        const tp = t as Extract<BtfType, { kind: 13 }>;
        if (l.params.length !== tp.params.length) return false;
        for (let k = 0; k < l.params.length; k++) if (!typesCompat(lb, l.params[k].type, tb, tp.params[k].type, depth - 1, budget)) return false;
        lid = l.returnType; tid = tp.returnType; continue;
      }
      default: return false;
    }
  }
  return false;
}

/** libbpf bpf_core_match_member: find `local` member by name in target type, through anonymous members. */
function matchMember(lb: Btf, la: Accessor, tb: Btf, tid: number, spec: Spec): { found: boolean; next: number } {
  const lt = lb.types[la.typeId] as Extract<BtfType, { kind: 4 | 5 }>;
  const lm = lt.members[la.idx];
  const t = skipModsAndTypedefs(tb, tid);
  if (!isComposite(t)) return { found: false, next: 0 };
  const members = (t as Extract<BtfType, { kind: 4 | 5 }>).members;
  const want = essentialName(lm.name);
  for (let i = 0; i < members.length; i++) {
    const m = members[i];
    if (spec.raw.length >= SPEC_MAX_LEN) throw new SpecError('struct/union/array nesting too deep');
    spec.bitOffset += m.bitOffset;
    spec.raw.push(i);
    if (!m.name) {
      const r = matchMember(lb, la, tb, m.type, spec);
      if (r.found) return r;
    } else if (essentialName(m.name) === want) {
      spec.access.push({ typeId: t.id, idx: i, name: m.name });
      if (fieldsCompat(lb, lm.type, tb, m.type)) return { found: true, next: m.type };
      spec.access.pop();
      spec.bitOffset -= m.bitOffset;
      spec.raw.pop();
      return { found: false, next: 0 };
    }
    spec.bitOffset -= m.bitOffset;
    spec.raw.pop();
  }
  return { found: false, next: 0 };
}

/** libbpf bpf_core_spec_match: the target spec for candidate `tid`, or undefined when it does not match. */
export function matchSpec(local: Spec, tb: Btf, tid: number): Spec | undefined {
  const targ: Spec = { btf: tb, rootTypeId: tid, kind: local.kind, access: [], raw: [], bitOffset: 0 };
  if (isTypeBased(local.kind)) {
    // TYPE_MATCHES is approximated by the (weaker) compatibility check.
    return typesCompat(local.btf, local.rootTypeId, tb, tid) ? targ : undefined;
  }
  if (isEnumvalBased(local.kind)) {
    const t = skipModsAndTypedefs(tb, tid);
    if (!isAnyEnum(t)) return undefined;
    const want = essentialName(local.access[0].name ?? '');
    const values = (t as Extract<BtfType, { kind: 6 | 19 }>).values;
    for (let i = 0; i < values.length; i++) {
      if (essentialName(values[i].name) === want) {
        targ.access.push({ typeId: t.id, idx: i, name: values[i].name });
        targ.raw.push(i);
        return targ;
      }
    }
    return undefined;
  }
  let cur = tid;
  for (let i = 0; i < local.access.length; i++) {
    const la = local.access[i];
    if (la.name !== undefined) {
      const r = matchMember(local.btf, la, tb, cur, targ);
      if (!r.found) return undefined;
      cur = r.next;
    } else {
      if (i > 0) {
        const t = skipModsAndTypedefs(tb, cur);
        if (t.kind !== 3) return undefined;
        const flex = isFlexArr(tb, targ.access[targ.access.length - 1], t.nelems);
        if (!flex && la.idx >= t.nelems) return undefined;
        cur = skipModsAndTypedefs(tb, t.elemType).id;
      }
      if (targ.raw.length >= SPEC_MAX_LEN) throw new SpecError('struct/union/array nesting too deep');
      targ.access.push({ typeId: cur, idx: la.idx });
      targ.raw.push(la.idx);
      targ.bitOffset += la.idx * size(tb, cur) * 8;
    }
  }
  return targ;
}
