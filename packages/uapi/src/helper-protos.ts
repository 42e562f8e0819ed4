/**
 * Helper prototypes as data, in the shape of the kernel's struct bpf_func_proto: return type, argument
 * types with their flags, gpl_only, might_sleep. One entry per helper id. Where the kernel keeps several
 * protos for one helper (per program type, e.g. perf_event_output for skb vs tracing) with the same
 * argument shape, one entry stands for all of them; where the arguments differ, HELPER_PROTOS_BY_TYPE
 * has the other variants (helperProto looks both up).
 *
 * Types are written as the kernel spells them, flags joined with '|' ("ARG_PTR_TO_MEM|MEM_RDONLY").
 */
import { HELPER_NAMES } from './helper-ids';
import { BpfProgType } from './enums';

export type BpfArgBase =
  | 'ARG_DONTCARE' | 'ARG_ANYTHING' | 'ARG_CONST_MAP_PTR' | 'ARG_PTR_TO_MAP_KEY' | 'ARG_PTR_TO_MAP_VALUE'
  | 'ARG_PTR_TO_MEM' | 'ARG_CONST_SIZE' | 'ARG_CONST_SIZE_OR_ZERO' | 'ARG_PTR_TO_CTX' | 'ARG_PTR_TO_SPIN_LOCK'
  | 'ARG_PTR_TO_SOCK_COMMON' | 'ARG_PTR_TO_SOCKET' | 'ARG_PTR_TO_BTF_ID' | 'ARG_PTR_TO_RINGBUF_MEM'
  | 'ARG_CONST_ALLOC_SIZE_OR_ZERO' | 'ARG_PTR_TO_BTF_ID_SOCK_COMMON' | 'ARG_PTR_TO_PERCPU_BTF_ID'
  | 'ARG_PTR_TO_FUNC' | 'ARG_PTR_TO_STACK' | 'ARG_PTR_TO_CONST_STR' | 'ARG_PTR_TO_TIMER' | 'ARG_KPTR_XCHG_DEST'
  | 'ARG_PTR_TO_DYNPTR';
export type BpfTypeFlag =
  | 'PTR_MAYBE_NULL' | 'MEM_RDONLY' | 'MEM_UNINIT' | 'MEM_WRITE' | 'MEM_ALIGNED' | 'MEM_FIXED_SIZE'
  | 'OBJ_RELEASE' | 'MEM_RINGBUF' | 'MEM_ALLOC' | 'PTR_TRUSTED' | 'DYNPTR_TYPE_LOCAL' | 'DYNPTR_TYPE_RINGBUF';
export type BpfRetBase =
  | 'RET_INTEGER' | 'RET_VOID' | 'RET_PTR_TO_MAP_VALUE' | 'RET_PTR_TO_SOCKET' | 'RET_PTR_TO_TCP_SOCK'
  | 'RET_PTR_TO_SOCK_COMMON' | 'RET_PTR_TO_MEM' | 'RET_PTR_TO_MEM_OR_BTF_ID' | 'RET_PTR_TO_BTF_ID';

export interface BpfArgSpec {
  readonly type: BpfArgBase;
  readonly flags: readonly BpfTypeFlag[];
  /** arg_size of an ARG_PTR_TO_FIXED_SIZE_MEM (MEM_FIXED_SIZE) argument. */
  readonly size?: number;
}

export interface BpfFuncProto {
  readonly id: number;
  readonly name: string;
  readonly gplOnly: boolean;
  readonly mightSleep: boolean;
  readonly ret: { readonly type: BpfRetBase; readonly flags: readonly BpfTypeFlag[] };
  /** Up to five arguments, in register order R1..R5; absent ones are ARG_DONTCARE. */
  readonly args: readonly BpfArgSpec[];
  /** The helper accepts packet pointers for its memory arguments (pkt_access). */
  readonly pktAccess: boolean;
  /** The returned pointer is a new reference the program must release (acquire helpers). */
  readonly acquires: boolean;
}

function parse<T extends string>(s: string): { type: T; flags: BpfTypeFlag[] } {
  const [type, ...flags] = s.split('|');
  return { type: type as T, flags: flags as BpfTypeFlag[] };
}

// Shorthands the kernel also uses (include/linux/bpf.h).
const UNINIT_MEM = 'ARG_PTR_TO_MEM|MEM_UNINIT|MEM_WRITE';
const RO_MEM = 'ARG_PTR_TO_MEM|MEM_RDONLY';
const RO_MEM_OR_NULL = 'ARG_PTR_TO_MEM|PTR_MAYBE_NULL|MEM_RDONLY';
const CTX = 'ARG_PTR_TO_CTX';
const ANY = 'ARG_ANYTHING';
const MAP = 'ARG_CONST_MAP_PTR';
const SZ = 'ARG_CONST_SIZE';
const SZ0 = 'ARG_CONST_SIZE_OR_ZERO';
const INT = 'RET_INTEGER';
const VOID = 'RET_VOID';

interface Opts { gpl?: boolean; sleep?: boolean; pkt?: boolean; acquire?: boolean; size?: Record<number, number> }
type Row = [id: number, ret: string, args: string[], opts?: Opts];

const ROWS: Row[] = [
  [1, 'RET_PTR_TO_MAP_VALUE|PTR_MAYBE_NULL', [MAP, 'ARG_PTR_TO_MAP_KEY'], { pkt: true }],
  [2, INT, [MAP, 'ARG_PTR_TO_MAP_KEY', 'ARG_PTR_TO_MAP_VALUE', ANY], { pkt: true }],
  [3, INT, [MAP, 'ARG_PTR_TO_MAP_KEY'], { pkt: true }],
  [4, INT, [UNINIT_MEM, SZ0, ANY], { gpl: true }],
  [5, INT, []],
  [6, INT, [RO_MEM, SZ], { gpl: true }],
  [7, INT, []],
  [8, INT, []],
  [9, INT, [CTX, ANY, RO_MEM, SZ, ANY]],
  [10, INT, [CTX, ANY, ANY, ANY, ANY]],
  [11, INT, [CTX, ANY, ANY, ANY, ANY]],
  [12, VOID, [CTX, MAP, ANY]],
  [13, INT, [CTX, ANY, ANY]],
  [14, INT, []],
  [15, INT, []],
  [16, INT, [UNINIT_MEM, SZ]],
  // get_cgroup_classid: the current task's classid (tc programs read the skb's: HELPER_PROTOS_BY_TYPE)
  [17, INT, []],
  [18, INT, [CTX, ANY, ANY]],
  [19, INT, [CTX]],
  [20, INT, [CTX, UNINIT_MEM, SZ, ANY]],
  [21, INT, [CTX, RO_MEM, SZ, ANY]],
  [22, INT, [MAP, ANY], { gpl: true }],
  [23, INT, [ANY, ANY]],
  [24, INT, [CTX]],
  [25, INT, [CTX, MAP, ANY, RO_MEM, SZ0], { gpl: true }],
  [26, INT, [CTX, ANY, UNINIT_MEM, SZ]],
  [27, INT, [CTX, MAP, ANY], { gpl: true }],
  [28, INT, [RO_MEM_OR_NULL, SZ0, RO_MEM_OR_NULL, SZ0, ANY], { pkt: true }],
  [29, INT, [CTX, UNINIT_MEM, SZ]],
  [30, INT, [CTX, RO_MEM, SZ]],
  [31, INT, [CTX, ANY, ANY]],
  [32, INT, [CTX, ANY]],
  [33, INT, [CTX, MAP, ANY]],
  [34, INT, [CTX]],
  [35, INT, [], { gpl: true }],
  [36, INT, [ANY, RO_MEM, SZ], { gpl: true }],
  [37, INT, [MAP, ANY]],
  [38, INT, [CTX, ANY, ANY]],
  [39, INT, [CTX, ANY]],
  [40, INT, [CTX, ANY]],
  [41, INT, [CTX]],
  [42, INT, []],
  [43, INT, [CTX, ANY, ANY]],
  [44, INT, [CTX, ANY]],
  [45, INT, [UNINIT_MEM, SZ0, ANY], { gpl: true }],
  [46, INT, [CTX]],
  [47, INT, [CTX]],
  [48, INT, [CTX, ANY]],
  [49, INT, [CTX, ANY, ANY, RO_MEM, SZ]],
  [50, INT, [CTX, ANY, ANY, ANY]],
  [51, INT, [MAP, ANY, ANY]],
  [52, INT, [CTX, MAP, ANY, ANY]],
  [53, INT, [CTX, MAP, 'ARG_PTR_TO_MAP_KEY', ANY], { pkt: true }],
  [54, INT, [CTX, ANY]],
  [55, INT, [MAP, ANY, UNINIT_MEM, SZ], { gpl: true }],
  [56, INT, [CTX, UNINIT_MEM, SZ]],
  [57, INT, [CTX, ANY, ANY, UNINIT_MEM, SZ]],
  [59, INT, [CTX, ANY]],
  [60, INT, [CTX, MAP, ANY, ANY]],
  [61, INT, [CTX, ANY]],
  [62, INT, [CTX, ANY]],
  [63, INT, [CTX, ANY, ANY, ANY]],
  [64, INT, [CTX, RO_MEM, SZ]],
  [65, INT, [CTX, ANY]],
  [66, INT, [CTX, ANY, UNINIT_MEM, SZ, ANY]],
  [67, INT, [CTX, UNINIT_MEM, SZ0, ANY], { gpl: true }],
  [68, INT, [CTX, ANY, UNINIT_MEM, SZ, ANY]],
  [69, INT, [CTX, 'ARG_PTR_TO_MEM', SZ, ANY]],
  [70, INT, [CTX, MAP, 'ARG_PTR_TO_MAP_KEY', ANY], { pkt: true }],
  [71, INT, [CTX, MAP, 'ARG_PTR_TO_MAP_KEY', ANY]],
  [72, INT, [CTX, MAP, 'ARG_PTR_TO_MAP_KEY', ANY]],
  [79, INT, [CTX]],
  [80, INT, []],
  [81, 'RET_PTR_TO_MAP_VALUE', [MAP, ANY]],
  [83, INT, [CTX, ANY]],
  [84, 'RET_PTR_TO_SOCKET|PTR_MAYBE_NULL', [CTX, RO_MEM, SZ0, ANY, ANY], { pkt: true, acquire: true }],
  [85, 'RET_PTR_TO_SOCKET|PTR_MAYBE_NULL', [CTX, RO_MEM, SZ0, ANY, ANY], { pkt: true, acquire: true }],
  [86, INT, ['ARG_PTR_TO_BTF_ID_SOCK_COMMON|OBJ_RELEASE']],
  [87, INT, [MAP, 'ARG_PTR_TO_MAP_VALUE', ANY]],
  [88, INT, [MAP, 'ARG_PTR_TO_MAP_VALUE|MEM_UNINIT|MEM_WRITE']],
  [89, INT, [MAP, 'ARG_PTR_TO_MAP_VALUE|MEM_UNINIT|MEM_WRITE']],
  [90, INT, [CTX, ANY, ANY, ANY]],
  [91, INT, [CTX, ANY, ANY, ANY]],
  [93, VOID, ['ARG_PTR_TO_SPIN_LOCK']],
  [94, VOID, ['ARG_PTR_TO_SPIN_LOCK']],
  [95, 'RET_PTR_TO_SOCKET|PTR_MAYBE_NULL', ['ARG_PTR_TO_SOCK_COMMON']],
  [96, 'RET_PTR_TO_TCP_SOCK|PTR_MAYBE_NULL', ['ARG_PTR_TO_SOCK_COMMON']],
  [97, INT, [CTX]],
  [98, 'RET_PTR_TO_SOCKET|PTR_MAYBE_NULL', ['ARG_PTR_TO_SOCK_COMMON']],
  [99, 'RET_PTR_TO_SOCK_COMMON|PTR_MAYBE_NULL', [CTX, RO_MEM, SZ0, ANY, ANY], { pkt: true, acquire: true }],
  [100, INT, ['ARG_PTR_TO_BTF_ID_SOCK_COMMON', RO_MEM, SZ, RO_MEM, SZ], { pkt: true }],
  [101, INT, [CTX, 'ARG_PTR_TO_MEM|MEM_WRITE', SZ, ANY]],
  [102, INT, [CTX, UNINIT_MEM, SZ]],
  [103, INT, [CTX, UNINIT_MEM, SZ]],
  [104, INT, [CTX, RO_MEM, SZ]],
  [105, INT, [RO_MEM, SZ, ANY, 'ARG_PTR_TO_MEM|MEM_FIXED_SIZE|MEM_UNINIT|MEM_WRITE|MEM_ALIGNED'], { size: { 3: 8 } }],
  [106, INT, [RO_MEM, SZ, ANY, 'ARG_PTR_TO_MEM|MEM_FIXED_SIZE|MEM_UNINIT|MEM_WRITE|MEM_ALIGNED'], { size: { 3: 8 } }],
  [109, INT, [ANY]],
  [112, INT, [UNINIT_MEM, SZ0, ANY], { gpl: true }],
  [113, INT, [UNINIT_MEM, SZ0, ANY], { gpl: true }],
  [114, INT, [UNINIT_MEM, SZ0, ANY], { gpl: true }],
  [115, INT, [UNINIT_MEM, SZ0, ANY], { gpl: true }],
  [117, INT, [ANY]],
  [118, INT, []],
  [120, INT, [ANY, ANY, UNINIT_MEM, SZ]],
  // get_netns_cookie: the ctx-taking variants (sock, sock_addr, sock_ops, sk_msg) accept NULL for the caller's netns.
  [122, INT, ['ARG_PTR_TO_CTX|PTR_MAYBE_NULL']],
  [123, INT, [ANY]],
  [125, INT, []],
  [130, INT, [MAP, RO_MEM, SZ0, ANY]],
  [131, 'RET_PTR_TO_MEM|MEM_RINGBUF|PTR_MAYBE_NULL', [MAP, 'ARG_CONST_ALLOC_SIZE_OR_ZERO', ANY], { acquire: true }],
  [132, VOID, ['ARG_PTR_TO_RINGBUF_MEM|OBJ_RELEASE', ANY]],
  [133, VOID, ['ARG_PTR_TO_RINGBUF_MEM|OBJ_RELEASE', ANY]],
  [134, INT, [MAP, ANY]],
  [135, INT, [CTX, ANY]],
  [142, INT, [CTX, 'ARG_PTR_TO_MEM|MEM_WRITE', SZ, ANY]],
  [143, INT, [CTX, RO_MEM, SZ, ANY]],
  [144, INT, [CTX, ANY, ANY]],
  [148, INT, [UNINIT_MEM, SZ0, ANY], { gpl: true, sleep: true }],
  [160, INT, []],
  [164, INT, [MAP, 'ARG_PTR_TO_FUNC', 'ARG_PTR_TO_STACK|PTR_MAYBE_NULL', ANY]],
  [165, INT, ['ARG_PTR_TO_MEM|PTR_MAYBE_NULL|MEM_UNINIT|MEM_WRITE', SZ0, 'ARG_PTR_TO_CONST_STR', RO_MEM_OR_NULL, SZ0], { gpl: true }],
  [173, INT, [CTX], { gpl: true }],
  [174, INT, [CTX]],
  [177, INT, [RO_MEM, SZ, RO_MEM_OR_NULL, SZ0], { gpl: true }],
  [181, INT, [ANY, 'ARG_PTR_TO_FUNC', 'ARG_PTR_TO_STACK|PTR_MAYBE_NULL', ANY]],
  [182, INT, [RO_MEM, SZ, 'ARG_PTR_TO_CONST_STR']],
  [186, INT, []],
  [187, INT, [ANY]],
  [188, INT, [CTX]],
  [189, INT, [CTX, ANY, UNINIT_MEM, SZ]],
  [190, INT, [CTX, ANY, RO_MEM, SZ]],
  [195, 'RET_PTR_TO_MAP_VALUE|PTR_MAYBE_NULL', [MAP, 'ARG_PTR_TO_MAP_KEY', ANY]],
  [208, INT, []],
];

function build(row: Row): BpfFuncProto {
  const [id, ret, args, o = {}] = row;
  return Object.freeze({
    id,
    name: HELPER_NAMES[id] ?? `unknown`,
    gplOnly: o.gpl ?? false,
    mightSleep: o.sleep ?? false,
    pktAccess: o.pkt ?? false,
    acquires: o.acquire ?? false,
    ret: parse<BpfRetBase>(ret),
    args: args.map((a, i) => {
      const p = parse<BpfArgBase>(a);
      return o.size?.[i] !== undefined ? { ...p, size: o.size[i] } : p;
    }),
  });
}

/** Helper prototypes by helper id (only the helpers described here; see HELPER_NAMES for all ids). */
export const HELPER_PROTOS: ReadonlyMap<number, BpfFuncProto> = new Map(ROWS.map((r) => [r[0], build(r)]));

/**
 * Helpers whose func_proto differs by program type in more than its function (other arguments):
 * these program types get this row instead of the HELPER_PROTOS one.
 */
const BY_TYPE: [progTypes: number[], row: Row][] = [
  [[BpfProgType.SCHED_CLS, BpfProgType.SCHED_ACT], [17, INT, [CTX]]],
  // redirect_peer exists only in tc_cls_act_func_proto (bpf_redirect_peer_proto: ifindex, flags)
  [[BpfProgType.SCHED_CLS, BpfProgType.SCHED_ACT], [155, INT, [ANY, ANY]]],
  // get_socket_cookie in tracing programs (tracing_prog_func_proto): bpf_get_socket_ptr_cookie_proto,
  // a BTF socket or NULL, not the context (raw_tracepoint programs have no get_socket_cookie at all)
  [[BpfProgType.TRACING], [46, INT, ['ARG_PTR_TO_BTF_ID_SOCK_COMMON|PTR_MAYBE_NULL']]],
];

/** Per program type, the prototypes that replace HELPER_PROTOS entries. */
export const HELPER_PROTOS_BY_TYPE: ReadonlyMap<number, ReadonlyMap<number, BpfFuncProto>> = (() => {
  const m = new Map<number, Map<number, BpfFuncProto>>();
  for (const [types, row] of BY_TYPE) {
    for (const t of types) {
      if (!m.has(t)) m.set(t, new Map());
      m.get(t)!.set(row[0], build(row));
    }
  }
  return m;
})();

/** The prototype of helper `id` as program type `progType`'s func_proto gives it. */
export function helperProto(id: number, progType: number): BpfFuncProto | undefined {
  return HELPER_PROTOS_BY_TYPE.get(progType)?.get(id) ?? HELPER_PROTOS.get(id);
}
