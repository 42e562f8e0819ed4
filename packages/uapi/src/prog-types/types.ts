/**
 * The shape every program-type module has, modelled on the kernel's struct bpf_verifier_ops and
 * the per-type is_valid_access / func_proto / check_return_code rules.
 */

/** Register type a context load yields (the kernel's bpf_insn_access_aux.reg_type). */
export type CtxYield = 'pkt' | 'pkt_end' | 'pkt_meta' | 'sock_common_or_null' | 'sock' | 'sock_or_null';

/** How big a context access may be. */
export type CtxSizes =
  /** Exactly the field's size. */
  | 'exact'
  /** 1, 2 or 4 bytes (a power of two no larger than the field), aligned: bpf_ctx_narrow_access_ok. */
  | 'narrow'
  /** Any of 1, 2, 4, 8 bytes, aligned to its size and inside the field (raw register/arg arrays, cb[]). */
  | 'any'
  /** 4 bytes aligned, or 8 bytes aligned to 8, inside the field (bpf_ctx_wide_access_ok: writes of IPv6 arrays). */
  | 'wide'
  /** Exactly these sizes, at the field's first byte only (a `case offsetof(...)` with bpf_ctx_narrow_access_ok). */
  | readonly (1 | 2 | 4 | 8)[];

export interface CtxField {
  readonly name: string;
  readonly off: number;
  readonly size: number;
  /** Sizes allowed for a read; null: reads are refused. */
  readonly read: CtxSizes | null;
  /** Sizes allowed for a write; null: the field is read-only. */
  readonly write: CtxSizes | null;
  /** What a load of this field yields, when it is a pointer. */
  readonly yields?: CtxYield;
  /** Readable only with these expected_attach_types (absent: with any). */
  readonly readAttach?: readonly number[];
  /** Writable only with these expected_attach_types (absent: with any). */
  readonly writeAttach?: readonly number[];
  /**
   * The access passes is_valid_access but the kernel's convert_ctx_access has no conversion for it:
   * the load fails with EFAULT "verifier bug: error during ctx access conversion (0)".
   */
  readonly convertFails?: boolean;
}

/** A set of expected_attach_types: only these, or all but these. */
export type AttachSet = { readonly only: readonly number[] } | { readonly except: readonly number[] };

export interface ProgTypeInfo {
  /** enum bpf_prog_type value. */
  readonly type: number;
  /** The name `bpfsim verify --type` accepts (the kernel's name, lowercase, without BPF_PROG_TYPE_). */
  readonly name: string;
  /** The C struct of the context (for docs and context builders). */
  readonly ctxStruct: string;
  /** sizeof the context struct. */
  readonly ctxSize: number;
  /** Every accessible field; offsets not covered by a field are refused (padding, forbidden fields). */
  readonly fields: readonly CtxField[];
  /** Helper ids the type may call (measured against the 6.18 kernel: func_proto returns non-NULL). */
  readonly helpers: readonly number[];
  /** Helpers of `helpers` that func_proto gives only for some expected_attach_types, by helper id. */
  readonly helperAttach?: Readonly<Record<number, AttachSet>>;
  /** Allowed R0 range at exit, or null when the kernel does not check it. */
  readonly retRange: readonly [number, number] | null;
  /** check_return_code's range where it depends on expected_attach_type (overrides retRange). */
  readonly retRangeByAttach?: Readonly<Record<number, readonly [number, number]>>;
  /**
   * The expected_attach_types bpf_prog_load accepts for this type (bpf_prog_load_check_attach);
   * any other is refused with EINVAL before verification. Absent: the kernel does not check.
   */
  readonly attachTypes?: readonly number[];
  /** The attach type bpf_prog_load_fixup_attach_type puts in place of a missing (0) one. */
  readonly defaultAttachType?: number;
  /** Direct packet access (may_access_direct_pkt_data: packet pointers to helpers, direct reads). */
  readonly pktAccess: boolean;
  /** Direct packet writes (default: pktAccess; cgroup_skb reads only). */
  readonly pktWrite?: boolean;
  /** BPF_LD | BPF_ABS / BPF_IND allowed (may_access_skb). */
  readonly ldAbs: boolean;
  /**
   * Negative context offsets pass is_valid_access (tp_prog_is_valid_access compares the int offset
   * with sizeof(), which is unsigned, so `off < 8` is false for off < 0): such reads are accepted.
   */
  readonly negativeCtxOffOk?: boolean;
}
