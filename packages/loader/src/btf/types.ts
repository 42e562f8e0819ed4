/**
 * BTF as data: a type table indexed by type id (id 0 is `void`), with the
 * kinds and fields of include/uapi/linux/btf.h. Names are resolved strings.
 */

/** BTF_KIND_* numbers. */
export const BtfKind = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;
export type BtfKind = (typeof BtfKind)[keyof typeof BtfKind];

/** BTF_KIND_* name as bpftool prints it ("INT", "STRUCT", …), by number. */
export const BtfKindName: readonly string[] = [
  'UNKN', 'INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'FWD', 'TYPEDEF', 'VOLATILE',
  'CONST', 'RESTRICT', 'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG', 'ENUM64',
];

export interface BtfMember {
  name: string;
  type: number;
  /** Offset in bits from the start of the struct/union. */
  bitOffset: number;
  /** Bitfield size in bits (0 = not a bitfield). */
  bitfieldSize: number;
}

export interface BtfParam {
  name: string;
  type: number;
}

export interface BtfEnumValue {
  name: string;
  /** The value, sign-interpreted per the enum's `signed` flag. */
  value: bigint;
}

export interface BtfVarSecinfo {
  type: number;
  offset: number;
  size: number;
}

/** One BTF type. `id` is its index in `Btf.types`. */
export type BtfType =
  | { kind: 0; id: 0; name: '' }
  | { kind: 1; id: number; name: string; size: number; encoding: number; bitOffset: number; bits: number }
  | { kind: 2 | 8 | 9 | 10 | 11 | 18; id: number; name: string; type: number }
  | { kind: 3; id: number; name: string; elemType: number; indexType: number; nelems: number }
  | { kind: 4 | 5; id: number; name: string; size: number; members: BtfMember[] }
  | { kind: 6 | 19; id: number; name: string; size: number; signed: boolean; values: BtfEnumValue[] }
  | { kind: 7; id: number; name: string; union: boolean }
  | { kind: 12; id: number; name: string; type: number; linkage: number }
  | { kind: 13; id: number; name: string; returnType: number; params: BtfParam[] }
  | { kind: 14; id: number; name: string; type: number; linkage: number }
  | { kind: 15; id: number; name: string; size: number; vars: BtfVarSecinfo[] }
  | { kind: 16; id: number; name: string; size: number }
  | { kind: 17; id: number; name: string; type: number; componentIdx: number };

/** A parsed BTF blob. */
export interface Btf {
  /** Types by id; `types[0]` is void. */
  readonly types: readonly BtfType[];
  /** The raw string section (for offsets in .BTF.ext). */
  readonly strings: Uint8Array;
  /** The string at `off` in the string section. */
  str(off: number): string;
}

/** INT encoding bits. */
export const BTF_INT_SIGNED = 1;
export const BTF_INT_CHAR = 2;
export const BTF_INT_BOOL = 4;
