/**
 * CO-RE relocation: compute the local and target values of each relocation
 * (libbpf bpf_core_calc_relo_insn) and patch the instruction
 * (bpf_core_patch_insn), poisoning it when no target matches.
 */
import type { Insn } from '@bpfsim/isa';
import { CoreReloKind as K, CoreRelocation } from '../api';
import type { ExtCoreRelo } from '../btf/ext';
import { skipModsAndTypedefs, typeName, typeSize } from '../btf/query';
import type { Btf, BtfType } from '../btf/types';
import { essentialName, isEnumvalBased, isFieldBased, isTypeBased, matchSpec, parseSpec, Spec, SpecError } from './spec';

/** The call libbpf writes over an unresolvable relocation: the verifier says "invalid func unknown#195896080". */
export const CORE_POISON_IMM = 0xbad2310;

export const CoreReloKindName: Readonly<Record<number, string>> = {
  0: 'byte_off', 1: 'byte_sz', 2: 'field_exists', 3: 'signed', 4: 'lshift_u64', 5: 'rshift_u64',
  6: 'local_type_id', 7: 'target_type_id', 8: 'type_exists', 9: 'type_size', 10: 'enumval_exists', 11: 'enumval_value', 12: 'type_matches',
};

interface Res {
  value: number;
  size: number;
  typeId: number;
  validate: boolean;
  poison: boolean;
}

/** Thrown for relocations libbpf refuses; the caller wraps it with file and place. */
export class CoreError extends Error {}

/** Candidate ids in the target BTF by essential name (cached per target). */
const candCache = new WeakMap<Btf, Map<string, number[]>>();
function candidates(local: BtfType, target: Btf): number[] {
  let m = candCache.get(target);
  if (!m) {
    m = new Map();
    for (const t of target.types) {
      if (!t.name) continue;
      const k = essentialName(t.name);
      const l = m.get(k);
      if (l) l.push(t.id);
      else m.set(k, [t.id]);
    }
    candCache.set(target, m);
  }
  const anyEnum = (k: number) => k === 6 || k === 19;
  return (m.get(essentialName(local.name)) ?? []).filter((id) => {
    const k = target.types[id].kind;
    return k === local.kind || (anyEnum(k) && anyEnum(local.kind));
  });
}

function resolveSize(btf: Btf, id: number): number {
  try {
    return typeSize(btf, id);
  } catch {
    throw new CoreError(`type ${id} has no size`);
  }
}

/** libbpf bpf_core_calc_field_relo. */
function fieldRelo(kind: number, spec: Spec | undefined): Res {
  const res: Res = { value: 0, size: 0, typeId: 0, validate: true, poison: false };
  if (kind === K.FIELD_EXISTS) {
    res.value = spec ? 1 : 0;
    return res;
  }
  if (!spec) return { ...res, poison: true };
  const acc = spec.access[spec.access.length - 1];
  const btf = spec.btf;
  if (acc.name === undefined) {
    if (kind === K.FIELD_BYTE_OFFSET) {
      res.value = spec.bitOffset / 8;
      res.size = resolveSize(btf, acc.typeId);
      res.typeId = acc.typeId;
    } else if (kind === K.FIELD_BYTE_SIZE) {
      res.value = resolveSize(btf, acc.typeId);
    } else {
      throw new CoreError(`relocation kind ${CoreReloKindName[kind]} can't be applied to array access`);
    }
    return res;
  }
  const t = btf.types[acc.typeId] as Extract<BtfType, { kind: 4 | 5 }>;
  const m = t.members[acc.idx];
  const mt = skipModsAndTypedefs(btf, m.type);
  const bitOff = spec.bitOffset;
  let bitSz = m.bitfieldSize;
  const bitfield = bitSz > 0;
  let byteSz: number;
  let byteOff: number;
  if (bitfield) {
    byteSz = (mt as { size: number }).size;
    byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    while (bitOff + bitSz - byteOff * 8 > byteSz * 8) {
      if (byteSz >= 8) throw new CoreError("can't be satisfied for bitfield");
      byteSz *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    }
  } else {
    byteSz = resolveSize(btf, mt.id);
    byteOff = Math.floor(bitOff / 8);
    bitSz = byteSz * 8;
  }
  res.validate = !bitfield;
  switch (kind) {
    case K.FIELD_BYTE_OFFSET:
      res.value = byteOff;
      if (!bitfield) {
        res.size = byteSz;
        res.typeId = mt.id;
      }
      break;
    case K.FIELD_BYTE_SIZE:
      res.value = byteSz;
      break;
    case K.FIELD_SIGNED:
      res.value = ((mt.kind === 6 || mt.kind === 19) && mt.signed) || (mt.kind === 1 && (mt.encoding & 1) !== 0) ? 1 : 0;
      res.validate = true;
      break;
    case K.FIELD_LSHIFT_U64:
      res.value = 64 - (bitOff + bitSz - byteOff * 8);
      break;
    case K.FIELD_RSHIFT_U64:
      res.value = 64 - bitSz;
      res.validate = true;
      break;
    default:
      throw new CoreError(`unsupported relocation kind ${kind}`);
  }
  return res;
}

function typeRelo(kind: number, spec: Spec | undefined): Res {
  const res: Res = { value: 0, size: 0, typeId: 0, validate: true, poison: false };
  if (!spec) return res;
  switch (kind) {
    case K.TYPE_ID_TARGET: res.value = spec.rootTypeId; res.validate = false; break;
    case K.TYPE_EXISTS: case K.TYPE_MATCHES: res.value = 1; break;
    case K.TYPE_SIZE: res.value = resolveSize(spec.btf, spec.rootTypeId); break;
    default: throw new CoreError(`unsupported relocation kind ${kind}`);
  }
  return res;
}

function enumRelo(kind: number, spec: Spec | undefined): Res {
  const res: Res = { value: 0, size: 0, typeId: 0, validate: true, poison: false };
  if (kind === K.ENUMVAL_EXISTS) {
    res.value = spec ? 1 : 0;
    return res;
  }
  if (!spec) return { ...res, poison: true };
  const t = spec.btf.types[spec.access[0].typeId] as Extract<BtfType, { kind: 6 | 19 }>;
  res.value = Number(t.values[spec.access[0].idx].value);
  return res;
}

function calc(kind: number, local: Spec, targ: Spec | undefined): { orig: Res; next: Res; failMemsz: boolean } {
  if (isFieldBased(kind)) {
    const orig = fieldRelo(kind, local);
    const next = fieldRelo(kind, targ);
    let failMemsz = false;
    if (targ && orig.size !== next.size) {
      const ot = local.btf.types[orig.typeId];
      const nt = targ.btf.types[next.typeId];
      const unsignedInt = (t: BtfType | undefined) => t?.kind === 1 && (t.encoding & 1) === 0;
      if (!(ot?.kind === 2 && nt?.kind === 2) && !(unsignedInt(ot) && unsignedInt(nt))) failMemsz = true;
    }
    return { orig, next, failMemsz };
  }
  if (isTypeBased(kind)) return { orig: typeRelo(kind, local), next: typeRelo(kind, targ), failMemsz: false };
  return { orig: enumRelo(kind, local), next: enumRelo(kind, targ), failMemsz: false };
}

/** Human spec, libbpf style: "struct task_struct.real_parent.tgid (0:4:1 @ offset 2348)". */
function describe(spec: Spec, accessStr: string): string {
  const root = typeName(spec.btf, spec.rootTypeId);
  if (isTypeBased(spec.kind)) return root;
  if (isEnumvalBased(spec.kind)) return `${root}::${spec.access[0].name}`;
  const path = spec.access.slice(1).map((a) => (a.name !== undefined ? `.${a.name}` : `[${a.idx}]`)).join('');
  const idx0 = spec.access[0].idx ? `[${spec.access[0].idx}]` : '';
  return `${root}${idx0}${path} (${accessStr} @ offset ${spec.bitOffset / 8})`;
}

const SIZE_CODES: Readonly<Record<number, number>> = { 1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18 };
const SIZE_BYTES: Readonly<Record<number, number>> = { 0x10: 1, 0x08: 2, 0x00: 4, 0x18: 8 };

/**
 * Resolve one relocation and patch `insns` (the section's slots) in place.
 * `target` undefined: only the local value is computed, nothing is patched.
 */
export function applyCoreRelo(btf: Btf, rec: ExtCoreRelo, insns: Insn[], target: Btf | undefined): CoreRelocation {
  const idx = rec.insnOff / 8;
  if (rec.insnOff % 8 !== 0 || idx >= insns.length) throw new CoreError(`instruction offset ${rec.insnOff} is not an instruction of the section`);
  const accessStr = btf.str(rec.accessStrOff);
  let local: Spec;
  try {
    local = parseSpec(btf, rec.typeId, accessStr, rec.kind);
  } catch (e) {
    throw new CoreError(e instanceof SpecError ? `parsing local spec: ${e.message}` : String(e));
  }
  const kind = rec.kind as CoreRelocation['kind'];
  const out: CoreRelocation = { insn: idx, kind, localTypeId: rec.typeId, accessStr, spec: describe(local, accessStr), localValue: 0 };
  if (kind === K.TYPE_ID_LOCAL) {
    out.localValue = rec.typeId;
    if (target) {
      patch(insns, idx, { value: rec.typeId, size: 0, typeId: 0, validate: true, poison: false }, { value: rec.typeId, size: 0, typeId: 0, validate: true, poison: false }, false);
      out.resolved = { found: true, value: rec.typeId, targetTypeId: rec.typeId, poisoned: false };
    }
    return out;
  }
  const localRoot = btf.types[rec.typeId];
  if (!localRoot.name) throw new CoreError('CO-RE relocation against an anonymous type is not supported');
  out.localValue = calc(kind, local, local).orig.value;
  if (!target) return out;

  let chosen: { spec: Spec; r: ReturnType<typeof calc> } | undefined;
  for (const cid of candidates(localRoot, target)) {
    let ts: Spec | undefined;
    try {
      ts = matchSpec(local, target, cid);
    } catch (e) {
      throw new CoreError(e instanceof SpecError ? e.message : String(e));
    }
    if (!ts) continue;
    const r = calc(kind, local, ts);
    if (!chosen) chosen = { spec: ts, r };
    else if (ts.bitOffset !== chosen.spec.bitOffset) throw new CoreError(`field offset ambiguity: ${ts.bitOffset / 8} != ${chosen.spec.bitOffset / 8}`);
    else if (r.next.poison !== chosen.r.next.poison || r.next.value !== chosen.r.next.value) throw new CoreError(`relocation ambiguity: ${r.next.value} != ${chosen.r.next.value}`);
  }
  const r = chosen ? chosen.r : calc(kind, local, undefined);
  const poisoned = patch(insns, idx, r.orig, r.next, r.failMemsz);
  out.resolved = { found: chosen !== undefined, value: r.next.value, targetTypeId: chosen?.spec.rootTypeId ?? 0, poisoned };
  return out;
}

/** libbpf bpf_core_patch_insn. Returns true when the instruction was poisoned. */
function patch(insns: Insn[], idx: number, orig: Res, next: Res, failMemsz: boolean): boolean {
  const insn = insns[idx];
  const poison = (): boolean => {
    if (insn.code === 0x18 && idx + 1 < insns.length) insns[idx + 1] = insns[idx + 1].with({ code: 0x85, dst: 0, src: 0, off: 0, imm: CORE_POISON_IMM });
    insns[idx] = insn.with({ code: 0x85, dst: 0, src: 0, off: 0, imm: CORE_POISON_IMM });
    return true;
  };
  if (next.poison) return poison();
  const cls = insn.code & 7;
  switch (cls) {
    case 4: case 7: // ALU, ALU64
      if (insn.code & 0x08) throw new CoreError(`insn #${idx}: ALU with a register source can't be relocated`);
      if (orig.validate && insn.imm !== (orig.value | 0)) throw new CoreError(`unexpected insn #${idx} (ALU/ALU64) value: got ${insn.imm}, exp ${orig.value} -> ${next.value}`);
      insns[idx] = insn.with({ imm: next.value | 0 });
      return false;
    case 1: case 2: case 3: { // LDX, ST, STX
      if (orig.validate && insn.off !== orig.value) throw new CoreError(`unexpected insn #${idx} (LDX/ST/STX) value: got ${insn.off}, exp ${orig.value} -> ${next.value}`);
      if (next.value > 0x7fff) throw new CoreError(`insn #${idx} (LDX/ST/STX) value too big: ${next.value}`);
      if (failMemsz) return poison();
      let code = insn.code;
      if (next.size !== orig.size) {
        const have = SIZE_BYTES[code & 0x18];
        if (have !== orig.size) throw new CoreError(`insn #${idx} (LDX/ST/STX) unexpected mem size: got ${have}, exp ${orig.size}`);
        const sz = SIZE_CODES[next.size];
        if (sz === undefined) throw new CoreError(`insn #${idx} (LDX/ST/STX) invalid new mem size: ${next.size}`);
        code = (code & 0xe0) | sz | (code & 7);
      }
      insns[idx] = insn.with({ off: next.value, code });
      return false;
    }
    case 0: { // LD: only ld_imm64
      const hi = insns[idx + 1];
      if (insn.code !== 0x18 || insn.src !== 0 || insn.off !== 0 || !hi || hi.code !== 0 || hi.dst !== 0 || hi.src !== 0 || hi.off !== 0) {
        throw new CoreError(`insn #${idx} (LDIMM64) has unexpected form`);
      }
      const imm = BigInt(insn.imm >>> 0) | (BigInt(hi.imm >>> 0) << 32n);
      if (orig.validate && imm !== BigInt(orig.value)) throw new CoreError(`unexpected insn #${idx} (LDIMM64) value: got ${imm}, exp ${orig.value} -> ${next.value}`);
      const v = BigInt.asUintN(64, BigInt(next.value));
      insns[idx] = insn.with({ imm: Number(BigInt.asIntN(32, v & 0xffffffffn)) });
      insns[idx + 1] = hi.with({ imm: Number(BigInt.asIntN(32, v >> 32n)) });
      return false;
    }
    default:
      throw new CoreError(`trying to relocate unrecognized insn #${idx}, code:0x${insn.code.toString(16)}`);
  }
}
