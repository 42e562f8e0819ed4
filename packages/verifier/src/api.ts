/**
 * The public contract of @bpfsim/verifier: what prog load (the simulated kernel's bpf(BPF_PROG_LOAD))
 * calls and what it gets back. Kept stable: add optional fields only.
 */
import type { Insn } from '@bpfsim/isa';

/** One map a program may refer to with `lddw rX, map` (BPF_PSEUDO_MAP_FD / _IDX / _VALUE / _IDX_VALUE). */
export interface MapInfo {
  /** The fd that BPF_PSEUDO_MAP_FD / MAP_VALUE immediates carry. */
  fd?: number;
  /** The index into fd_array that BPF_PSEUDO_MAP_IDX / IDX_VALUE immediates carry (defaults to its position). */
  index?: number;
  /** enum bpf_map_type value. */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** map_flags (BPF_F_RDONLY_PROG, BPF_F_NO_PREALLOC, ...). */
  flags?: number;
  /** The map's name as the log prints it (`map=counts`); the kernel truncates to 15 characters. */
  name?: string;
  /** Offset of a struct bpf_spin_lock in the value, if the value's BTF has one. */
  spinLockOff?: number;
  /** For BPF_MAP_TYPE_ARRAY with BPF_F_MMAPABLE / global data: the frozen/readonly flag. */
  frozen?: boolean;
  /**
   * A frozen BPF_F_RDONLY_PROG array of one element (global .rodata/.kconfig): its value bytes. Loads
   * at a constant offset read them as known scalars (check_mem_access's bpf_map_direct_read).
   */
  rdonlyValue?: Uint8Array;
  /**
   * ARRAY_OF_MAPS / HASH_OF_MAPS: the inner-map template (the kernel's inner_map_meta, which has no
   * name). A lookup's non-null result is a map pointer to it, usable as another lookup's map.
   */
  inner?: MapInfo;
}

/** One line of BTF line info (optional): shown as `; <source>` before the instruction it starts at. */
export interface LineInfo {
  insnOff: number;
  line: string;
}

export interface VerifyOptions {
  /** enum bpf_prog_type value (BpfProgType.XDP, ...). */
  progType: number;
  /** enum bpf_attach_type value, when the program type needs one. */
  expectedAttachType?: number;
  /** The maps the program's lddw instructions refer to. */
  maps?: readonly MapInfo[];
  /** The license string; gpl_only helpers need a GPL-compatible one. Default "GPL". */
  license?: string;
  /** 0: no log; 1: the failing path and stats; 2: every instruction's state. Default 1. */
  logLevel?: 0 | 1 | 2;
  /**
   * log_size: the bytes of the caller's log buffer, as bpf(BPF_PROG_LOAD) takes it. The log keeps
   * what kernel/bpf/log.c leaves in such a buffer — its last logSize - 1 bytes, or its first with
   * `logFixed` — and a log that did not fit fails the load with ENOSPC, even an accepted program's.
   * 1 to 1073741823 (UINT_MAX >> 2); 0: no buffer (only `logTrueSize` is reported); a buffer with
   * logLevel 0, or a size out of range, is EINVAL. Omitted: the whole log, never ENOSPC.
   */
  logSize?: number;
  /** BPF_LOG_FIXED: keep the log's beginning instead of its end when it does not fit. */
  logFixed?: boolean;
  /** Names of bpf-to-bpf subprograms by start instruction (for the log; optional). */
  subprogNames?: ReadonlyMap<number, string> | Readonly<Record<number, string>>;
  /**
   * BTF func_info came with the program (libbpf passes it for objects built with -g). Without it the
   * kernel refuses tail calls and LD_ABS/LD_IND in subprograms (check_abnormal_return).
   */
  btfFuncInfo?: boolean;
  /** BTF line info (optional). */
  lineInfo?: readonly LineInfo[];
  /**
   * The program's own BTF (prog_btf_fd), which `funcInfo` refers to. With both, functions have
   * names, static or global linkage and prototypes: global ones are verified on their own
   * (do_check_subprogs) and their callers checked against the prototype.
   */
  progBtf?: KernelBtf;
  /** func_info: one record per subprogram, in order: its first instruction and its FUNC's id in progBtf. Implies btfFuncInfo. */
  funcInfo?: readonly { insnOff: number; typeId: number }[];
  /** The kernel's BTF (vmlinux): tracing programs' attach targets and the structs they read. */
  kernelBtf?: KernelBtf;
  /** attach_btf_id: the target's id in kernelBtf (tp_btf: the `btf_trace_<tracepoint>` typedef). */
  attachBtfId?: number;
  /**
   * bpf_jit_supports_private_stack(): the JIT gives kprobe, tracepoint, perf_event and raw_tracepoint
   * frames of 64 bytes or more a private stack, so they do not add up in check_max_stack_depth.
   * Default true, as x86-64 and arm64 in 6.18; false models a JIT without it.
   */
  privateStack?: boolean;
  /**
   * The kernel has BPF trampolines (fentry/fexit/fmod_ret load and are verified against the traced
   * function's BTF prototype), as Linux 6.18 on x86-64 does. Default false: the reference machine
   * refuses them with EPERM before verifying.
   */
  trampolines?: boolean;
  /** within_error_injection_list: functions fmod_ret may modify besides security_ hooks (default none). */
  errorInjectable?: (fn: string) => boolean;
}

/**
 * The kernel BTF as the verifier reads it: types by id (0 is void), names resolved. @bpfsim/loader's
 * parsed Btf has this shape; the verifier does not depend on the loader.
 */
export interface KernelBtf {
  readonly types: readonly KernelBtfType[];
}

/** One BTF type (the fields a kind does not have are absent). `kind` is the BTF_KIND_* number. */
export interface KernelBtfType {
  readonly kind: number;
  readonly name: string;
  /** INT, STRUCT, UNION, ENUM, FLOAT: byte size. */
  readonly size?: number;
  /** PTR, TYPEDEF, modifiers, FUNC, VAR, DECL_TAG: the referenced type. */
  readonly type?: number;
  /** INT encoding bits (BTF_INT_SIGNED...) and width. */
  readonly encoding?: number;
  readonly bits?: number;
  readonly members?: readonly { readonly name: string; readonly type: number; readonly bitOffset: number; readonly bitfieldSize: number }[];
  /** ARRAY. */
  readonly elemType?: number;
  readonly nelems?: number;
  /** FUNC_PROTO. */
  readonly returnType?: number;
  readonly params?: readonly { readonly name: string; readonly type: number }[];
  /** FWD: a union (kflag). */
  readonly union?: boolean;
  /** FUNC: 0 static, 1 global, 2 extern (btf_func_linkage). */
  readonly linkage?: number;
}

/** How the verifier ended, as the kernel's bpf() would report it. */
export interface VerifyResult {
  /** True when the kernel would load the program. */
  accepted: boolean;
  /** The errno name bpf(BPF_PROG_LOAD) would fail with ('EACCES', 'EINVAL', 'E2BIG', 'ENOSPC', ...); null when accepted. */
  errno: string | null;
  /** The kernel's final error line (the last line of the log before the stats), null when accepted. */
  error: string | null;
  /** Instructions processed (the `processed N insns` figure). */
  processed: number;
  /** The verifier log as the kernel would write it at opts.logLevel ('' at level 0), bounded by opts.logSize. */
  log: string;
  /** log_true_size: the buffer size the whole log needs, its NUL included (0 at level 0). */
  logTrueSize?: number;
  /** Index of the instruction the error is reported at, when there is one. */
  insnIdx?: number;
  /** For learners: the branch decisions on the failing path ("from 4 to 7", ...), oldest first. */
  path?: string[];
  /** For learners: plain-language explanation and suggested fix of the error, when known. */
  explanation?: string;
  /** Verifier statistics as printed on the last log line. */
  stats?: { maxStatesPerInsn: number; totalStates: number; peakStates: number; markRead: number };
}

/** The signature of `verify` (exported from the package index). */
export type VerifyFn = (prog: readonly Insn[], opts: VerifyOptions) => VerifyResult;
