/**
 * The loader's public contract: what `loadObject()` returns for a clang-built
 * eBPF ELF object, after doing what libbpf's bpf_object__open + the
 * relocation half of bpf_object__load do (no kernel objects are created).
 *
 * Conventions, as in libbpf and the kernel:
 * - `ProgramSpec.insns` are 8-byte slots (lddw = 2 slots), already relocated:
 *   `.text` (and other same-section) sub-programs called through bpf-to-bpf
 *   calls are appended after the entry function, in the order libbpf appends
 *   them, and call/`BPF_PSEUDO_FUNC` immediates point at the appended copies.
 * - A map reference is an lddw whose first slot has src_reg = BPF_PSEUDO_MAP_FD
 *   (1) or BPF_PSEUDO_MAP_VALUE (2) and imm = the map's INDEX in
 *   `BpfObject.maps`; for MAP_VALUE the second slot's imm is the byte offset
 *   into the value. The simulated kernel replaces the index by the fd of the
 *   map it created (see `withMapFds`) before verifying — exactly the step
 *   libbpf does with real fds. `ProgramSpec.mapRefs` lists the same facts.
 * - Program, map and attach types are the numeric kernel enums of
 *   @bpfsim/uapi (BpfProgType, BpfMapType, BpfAttachType).
 */
import type { Insn } from '@bpfsim/isa';
import type { BpfAttachType, BpfMapType, BpfProgType } from '@bpfsim/uapi';
import type { Btf } from './btf/types';

export type { Btf, BtfType, BtfKind, BtfMember, BtfParam, BtfEnumValue, BtfVarSecinfo } from './btf/types';

/** Options of `loadObject`. */
export interface LoadOptions {
  /** The name used in every error message and in `BpfObject.file` (a path or a label). */
  file: string;
  /**
   * The BTF CO-RE relocations are resolved against (the simulated kernel's
   * own BTF). Absent: CO-RE relocations are listed but not applied
   * (`BpfObject.coreResolved` is false, instructions keep clang's values).
   */
  targetBtf?: Btf;
  /**
   * Values for `.kconfig` externs (CONFIG_* names, LINUX_KERNEL_VERSION, …),
   * as the simulated kernel provides them. A missing strong extern is an
   * error, a missing `__weak` one stays zero — as in libbpf.
   */
  kconfig?: Readonly<Record<string, KconfigValue>>;
  /** Leave strong `.kconfig` externs without a value at zero instead of failing (for inspection tools). */
  allowMissingKconfig?: boolean;
}

/** A Kconfig value: y/n/m tristates as 'y'|'n'|'m', numbers, or a string. */
export type KconfigValue = 'y' | 'n' | 'm' | boolean | number | bigint | string;

/** One parsed, relocated object file. */
export interface BpfObject {
  /** `LoadOptions.file`. */
  file: string;
  /** The object name libbpf derives from the file name ("xdp_drop" for xdp_drop.bpf.o). */
  name: string;
  /** Contents of the "license" section ("" when absent): the verifier's GPL check reads it. */
  license: string;
  /** True when `license` is one the kernel treats as GPL compatible (license_is_gpl_compatible). */
  gplCompatible: boolean;
  /** The "version" section (u32), when present. */
  kernVersion?: number;
  /** Programs, ordered as libbpf orders them (section index, then offset). */
  programs: ProgramSpec[];
  /** Maps, in libbpf's order: legacy `maps`, BTF `.maps`, then global-data/.kconfig maps by section. */
  maps: MapSpec[];
  /** The object's own .BTF, when present, after libbpf's fixups (DATASEC sizes and variable offsets filled in, as the kernel receives it). */
  btf?: Btf;
  /** `.kconfig` externs (all live in the map with `internal === 'kconfig'`). */
  kconfigExterns: KconfigExtern[];
  /** True when CO-RE relocations were resolved against `LoadOptions.targetBtf`. */
  coreResolved: boolean;
}

/** One entry-point program (a global function in an executable section). */
export interface ProgramSpec {
  /** The function symbol. */
  name: string;
  /** The ELF section name, i.e. the SEC() string ("kprobe/do_unlinkat"). */
  section: string;
  /** Byte offset of the entry function inside its section. */
  sectionOffset: number;
  progType: BpfProgType;
  /** The expected_attach_type libbpf passes to BPF_PROG_LOAD (absent = 0 / none). */
  expectedAttachType?: BpfAttachType;
  /** Where the program attaches, parsed from the section name (absent when the SEC() name has no target). */
  attachTarget?: AttachTarget;
  /** BPF_F_SLEEPABLE for "*.s" sections (fentry.s/, lsm.s/, uprobe.s/ …). */
  sleepable: boolean;
  /** prog_flags libbpf adds (BPF_F_SLEEPABLE = 1 << 4, BPF_F_XDP_HAS_FRAGS = 1 << 5). */
  progFlags: number;
  /** Relocated slots: entry function, then appended sub-programs. */
  insns: Insn[];
  /** Slot ranges of the entry function (index 0) and each appended sub-program, in `insns` order. */
  functions: FunctionRange[];
  /** Every lddw that refers to a map, by slot index in `insns`. */
  mapRefs: MapRef[];
  /** Every relocation applied to this program (for `bpfsim inspect` and tests). */
  relocations: AppliedRelocation[];
  /** BTF func_info, one per function in `functions` (absent without .BTF.ext). */
  funcInfo?: FuncInfo[];
  /** BTF line_info records, slot-indexed in `insns` (absent without .BTF.ext). */
  lineInfo?: LineInfo[];
  /** CO-RE relocations of this program's code, slot-indexed in `insns`. */
  coreRelos: CoreRelocation[];
  /** Calls to `extern ... __ksym` functions (kfuncs), slot-indexed in `insns`, resolved at load. */
  kfuncRefs?: KfuncRef[];
}

/**
 * A kfunc call: the slot holds BPF_PSEUDO_KFUNC_CALL with imm 0 until the loading kernel puts the
 * FUNC's id in its BTF there (libbpf's bpf_object__resolve_externs / RELO_EXTERN_CALL).
 */
export interface KfuncRef {
  insn: number;
  name: string;
  /** `__weak`: a kfunc the kernel lacks is not an error (the call is poisoned). */
  weak: boolean;
}

/** A function's slots inside `ProgramSpec.insns`. */
export interface FunctionRange {
  name: string;
  /** Section the function came from. */
  section: string;
  /** First slot in `insns`. */
  start: number;
  /** Number of slots. */
  length: number;
}

/** An lddw slot pair referring to a map. */
export interface MapRef {
  /** Slot index of the lddw's first slot in `ProgramSpec.insns`. */
  insn: number;
  /** Index into `BpfObject.maps`. */
  mapIndex: number;
  /** 'map' = pointer to the map (BPF_PSEUDO_MAP_FD); 'value' = pointer into its value (BPF_PSEUDO_MAP_VALUE, global data). */
  kind: 'map' | 'value';
  /** Byte offset into the map value (always 0 for 'map'). */
  offset: number;
}

/** A relocation as applied, for display and cross-checks with llvm-readelf. */
export interface AppliedRelocation {
  /** Slot index in `ProgramSpec.insns`. */
  insn: number;
  /** ELF relocation type: R_BPF_64_64 = 1, R_BPF_64_ABS64 = 2, R_BPF_64_ABS32 = 3, R_BPF_64_32 = 10. */
  type: number;
  /** The symbol the relocation names. */
  symbol: string;
  /** What libbpf made of it. */
  kind: 'map' | 'map_value' | 'call' | 'subprog_addr' | 'kconfig';
  /** Map index (map kinds) or target slot (call/subprog_addr). */
  target: number;
}

/** Parsed attach point of a SEC() name. */
export type AttachTarget =
  | { kind: 'kprobe'; fn: string; offset: number; retprobe: boolean }
  | { kind: 'ksyscall'; syscall: string; retprobe: boolean }
  | { kind: 'uprobe'; path: string; fn: string; offset: number; retprobe: boolean }
  | { kind: 'tracepoint'; category: string; name: string }
  | { kind: 'raw_tracepoint'; name: string; writable: boolean }
  | { kind: 'tp_btf'; name: string }
  | { kind: 'tracing'; fn: string; mode: 'fentry' | 'fexit' | 'fmod_ret' }
  | { kind: 'lsm'; hook: string }
  | { kind: 'iter'; target: string }
  | { kind: 'usdt'; path: string; provider: string; name: string };

/** A map definition. */
export interface MapSpec {
  /** The map's name: the variable name for `.maps`/`maps`, the section name for global data (".rodata", ".data.cfg", ".kconfig"). */
  name: string;
  /** The name libbpf gives BPF_MAP_CREATE (and bpftool shows): `name`, or for global data "<obj>.rodata" within 15 chars. */
  kernelName: string;
  type: BpfMapType;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** map_flags (BPF_F_RDONLY_PROG for .rodata/.kconfig, BPF_F_MMAPABLE for global data, …). */
  flags: number;
  /** LIBBPF_PIN_NONE = 0, LIBBPF_PIN_BY_NAME = 1. */
  pinning: number;
  numaNode: number;
  mapExtra: bigint;
  /** Where the definition came from. */
  source: 'btf' | 'legacy' | 'data' | 'rodata' | 'bss' | 'kconfig';
  /** BTF ids of the key and value types in `BpfObject.btf` (0 when untyped). */
  btfKeyTypeId: number;
  btfValueTypeId: number;
  /** C spelling of the key/value types, for display ("u32", "struct event"); absent when untyped. */
  keyTypeName?: string;
  valueTypeName?: string;
  /** Inner map template of a map-in-map (ARRAY_OF_MAPS, HASH_OF_MAPS). */
  innerMap?: MapSpec;
  /** Static `.values = { [i] = &x }` initialisers of prog arrays and map-in-maps. */
  initSlots?: MapInitSlot[];
  /** Initial value bytes of a global-data map (.data/.rodata/.kconfig; zero-filled .bss too). */
  initialValue?: Uint8Array;
  /** Global-data and .kconfig maps: the variables in the value, from the DATASEC (byte offset, size, BTF type). */
  variables?: MapVariable[];
  /** True when libbpf freezes the map after filling it (.rodata*, .kconfig). */
  frozen: boolean;
  /** ELF section of the definition and byte offset within it. */
  section: string;
  sectionOffset: number;
}

/** A variable inside a global-data map value ("counter" at offset 8, 8 bytes). */
export interface MapVariable {
  name: string;
  offset: number;
  size: number;
  /** BTF type of the variable (in `BpfObject.btf`). */
  typeId: number;
}

/** One `.values` initialiser: slot `index` holds the map or program named `target`. */
export interface MapInitSlot {
  index: number;
  kind: 'map' | 'prog';
  target: string;
}

/** A `.kconfig` extern variable. */
export interface KconfigExtern {
  name: string;
  /** Byte offset in the `.kconfig` map value. */
  offset: number;
  size: number;
  /** How libbpf interprets it. */
  type: 'bool' | 'tristate' | 'char' | 'int' | 'char_array';
  signed: boolean;
  weak: boolean;
  /** The value filled in (from LoadOptions.kconfig), absent when left zero. */
  value?: KconfigValue;
}

/** BTF func_info: the function starting at slot `insn` has BTF FUNC type `typeId`. */
export interface FuncInfo {
  insn: number;
  typeId: number;
  name: string;
}

/** BTF line_info: slots from `insn` on belong to this source position. */
export interface LineInfo {
  insn: number;
  file: string;
  line: number;
  column: number;
  /** The source line text clang recorded ("" when none). */
  source: string;
}

/** CO-RE relocation kinds (enum bpf_core_relo_kind). */
export const CoreReloKind = {
  FIELD_BYTE_OFFSET: 0,
  FIELD_BYTE_SIZE: 1,
  FIELD_EXISTS: 2,
  FIELD_SIGNED: 3,
  FIELD_LSHIFT_U64: 4,
  FIELD_RSHIFT_U64: 5,
  TYPE_ID_LOCAL: 6,
  TYPE_ID_TARGET: 7,
  TYPE_EXISTS: 8,
  TYPE_SIZE: 9,
  ENUMVAL_EXISTS: 10,
  ENUMVAL_VALUE: 11,
  TYPE_MATCHES: 12,
} as const;
export type CoreReloKind = (typeof CoreReloKind)[keyof typeof CoreReloKind];

/** One CO-RE relocation and (when a target BTF was given) its resolution. */
export interface CoreRelocation {
  /** Slot index in `ProgramSpec.insns`. */
  insn: number;
  kind: CoreReloKind;
  /** Local (object BTF) root type id and the access string ("0:1:2"). */
  localTypeId: number;
  accessStr: string;
  /** Human spec, libbpf-style: "struct task_struct.pid (0:56 @ offset 2384)". */
  spec: string;
  /** The value clang compiled in. */
  localValue: number;
  /** Resolution against the target BTF (absent when none was given). */
  resolved?: {
    /** False when no target candidate matched: the insn is poisoned (call 0xbad2310) as libbpf does, or the value is 0 for *_EXISTS kinds. */
    found: boolean;
    /** The value patched into the instruction. */
    value: number;
    /** Target type id the relocation matched (0 when not found). */
    targetTypeId: number;
    poisoned: boolean;
  };
}
