/**
 * bpf(cmd, attr): the syscall surface. Attributes are the union bpf_attr
 * members of each command as TypeScript objects (buffers as Uint8Array);
 * results carry `ret` (>= 0 on success, -errno on failure) plus the fields the
 * kernel writes back into the attr.
 */
import { BpfCmd, BpfCmdName, Errno } from '@bpfsim/uapi';
import type { Kernel } from '../kernel/kernel';
import type { LinkCreateAttr } from './bpf';
import type { BatchResult, MapAttr } from './maps/map';
import type { ProgLoadAttr } from './prog-load';
import type { TestRunAttr, TestRunResult } from './test-run';
import { cgroupProgAttach, cgroupProgDetach, cgroupProgQuery, type ProgAttachAttr, type ProgQueryAttr, type ProgQueryResult } from './cgroup';

export interface ElemAttr {
  mapFd: number;
  key?: Uint8Array | null;
  value?: Uint8Array;
  flags?: number;
}
export interface BatchAttr {
  mapFd: number;
  inBatch?: Uint8Array | null;
  count?: number;
  keys?: Uint8Array;
  values?: Uint8Array;
  elemFlags?: number;
}

/** Attribute type per command name. */
export interface BpfAttrs {
  MAP_CREATE: MapAttr;
  MAP_LOOKUP_ELEM: ElemAttr;
  MAP_UPDATE_ELEM: ElemAttr & { value: Uint8Array };
  MAP_DELETE_ELEM: ElemAttr;
  MAP_GET_NEXT_KEY: ElemAttr;
  MAP_LOOKUP_AND_DELETE_ELEM: ElemAttr;
  MAP_FREEZE: { mapFd: number };
  MAP_LOOKUP_BATCH: BatchAttr;
  MAP_LOOKUP_AND_DELETE_BATCH: BatchAttr;
  MAP_UPDATE_BATCH: BatchAttr & { keys: Uint8Array; values: Uint8Array };
  MAP_DELETE_BATCH: BatchAttr & { keys: Uint8Array };
  PROG_LOAD: ProgLoadAttr;
  PROG_TEST_RUN: TestRunAttr & { progFd: number };
  OBJ_PIN: { bpfFd: number; pathname: string };
  OBJ_GET: { pathname: string };
  LINK_CREATE: LinkCreateAttr;
  LINK_DETACH: { linkFd: number };
  ITER_CREATE: { linkFd: number; flags?: number };
  PROG_GET_FD_BY_ID: { id: number };
  MAP_GET_FD_BY_ID: { id: number };
  PROG_ATTACH: ProgAttachAttr;
  PROG_DETACH: ProgAttachAttr;
  PROG_QUERY: ProgQueryAttr;
}
export type BpfCommandName = keyof BpfAttrs;

export interface BpfResult {
  /** fd or 0 on success, -errno on failure. */
  ret: number;
  /** Values/keys a lookup or get_next_key wrote back. */
  value?: Uint8Array;
  key?: Uint8Array;
  /** Batch commands. */
  batch?: BatchResult;
  count?: number;
  /** PROG_LOAD: the verifier log. */
  log?: string;
  /** PROG_LOAD: log_true_size (the buffer the whole log needs). */
  logTrueSize?: number;
  /** PROG_TEST_RUN outputs. */
  testRun?: TestRunResult;
  /** PROG_QUERY outputs (attach_flags, prog_cnt, prog_ids, revision). */
  query?: Omit<ProgQueryResult, 'ret'>;
}

const bytesOr = (r: Uint8Array | number, field: 'value' | 'key'): BpfResult =>
  typeof r === 'number' ? { ret: r } : { ret: 0, [field]: r };

type Handlers = { [K in BpfCommandName]: (k: Kernel, a: BpfAttrs[K]) => BpfResult };

const HANDLERS: Handlers = {
  MAP_CREATE: (k, a) => ({ ret: k.bpf.mapCreate(a) }),
  MAP_LOOKUP_ELEM: (k, a) => bytesOr(k.bpf.mapLookupElem(a.mapFd, a.key ?? null, a.flags ?? 0, a.value), 'value'),
  MAP_UPDATE_ELEM: (k, a) => ({ ret: k.bpf.mapUpdateElem(a.mapFd, a.key ?? null, a.value, a.flags ?? 0) }),
  MAP_DELETE_ELEM: (k, a) => ({ ret: k.bpf.mapDeleteElem(a.mapFd, a.key ?? null) }),
  MAP_GET_NEXT_KEY: (k, a) => bytesOr(k.bpf.mapGetNextKey(a.mapFd, a.key ?? null), 'key'),
  MAP_LOOKUP_AND_DELETE_ELEM: (k, a) => bytesOr(k.bpf.mapLookupAndDeleteElem(a.mapFd, a.key ?? null, a.flags ?? 0), 'value'),
  MAP_FREEZE: (k, a) => ({ ret: k.bpf.mapFreeze(a.mapFd) }),
  MAP_LOOKUP_BATCH: (k, a) => batch(k.bpf.mapLookupBatch(a.mapFd, a.inBatch ?? null, a.count ?? 0, false, a.elemFlags ?? 0)),
  MAP_LOOKUP_AND_DELETE_BATCH: (k, a) => batch(k.bpf.mapLookupBatch(a.mapFd, a.inBatch ?? null, a.count ?? 0, true, a.elemFlags ?? 0)),
  MAP_UPDATE_BATCH: (k, a) => counted(k.bpf.mapUpdateBatch(a.mapFd, a.keys, a.values, a.elemFlags ?? 0)),
  MAP_DELETE_BATCH: (k, a) => counted(k.bpf.mapDeleteBatch(a.mapFd, a.keys)),
  PROG_LOAD: (k, a) => {
    const r = k.bpf.progLoad(a);
    return { ret: r.fd, log: r.log, logTrueSize: r.logTrueSize };
  },
  PROG_TEST_RUN: (k, a) => {
    const r = k.bpf.progTestRun(a.progFd, a);
    return typeof r === 'number' ? { ret: r } : { ret: r.ret, testRun: r };
  },
  OBJ_PIN: (k, a) => ({ ret: k.bpf.objPin(a.bpfFd, a.pathname) }),
  OBJ_GET: (k, a) => ({ ret: k.bpf.objGet(a.pathname) }),
  LINK_CREATE: (k, a) => ({ ret: k.bpf.linkCreate(a) }),
  LINK_DETACH: (k, a) => ({ ret: k.bpf.linkDetach(a.linkFd) }),
  ITER_CREATE: (k, a) => ({ ret: k.bpf.iterCreate(a.linkFd, a.flags ?? 0) }),
  // Only cgroup attach types are modelled for PROG_ATTACH/DETACH/QUERY (src/bpf/cgroup.ts).
  PROG_ATTACH: (k, a) => ({ ret: cgroupProgAttach(k.bpf.cgroupFds(), a) }),
  PROG_DETACH: (k, a) => ({ ret: cgroupProgDetach(k.bpf.cgroupFds(), a) }),
  PROG_QUERY: (k, a) => {
    const { ret, ...query } = cgroupProgQuery(k.bpf.cgroupFds(), a);
    return ret < 0 && ret !== -Errno.ENOSPC ? { ret } : { ret, query };
  },
  PROG_GET_FD_BY_ID: (k, a) => {
    const p = k.bpf.progById(a.id);
    return { ret: p ? k.bpf.dup({ kind: 'prog', obj: p }) : -Errno.ENOENT };
  },
  MAP_GET_FD_BY_ID: (k, a) => {
    const m = k.bpf.mapById(a.id);
    return { ret: m ? k.bpf.dup({ kind: 'map', obj: m }) : -Errno.ENOENT };
  },
};

function batch(r: BatchResult | number): BpfResult {
  return typeof r === 'number' ? { ret: r } : { ret: r.error, batch: r, count: r.count };
}
function counted(r: { count: number; error: number } | number): BpfResult {
  return typeof r === 'number' ? { ret: r } : { ret: r.error, count: r.count };
}

/**
 * bpf(2). `cmd` is a BpfCmd number or its name without the BPF_ prefix.
 * Commands bpfsim does not model return -EINVAL, as an unknown cmd does.
 */
export function bpfSyscall<K extends BpfCommandName>(kernel: Kernel, cmd: K | number, attr: BpfAttrs[K]): BpfResult {
  const name = (typeof cmd === 'number' ? BpfCmdName[cmd]?.replace(/^BPF_/, '') : cmd) as K | undefined;
  if (name === ('PROG_RUN' as K)) return HANDLERS.PROG_TEST_RUN(kernel, attr as BpfAttrs['PROG_TEST_RUN']);
  const h = name ? (HANDLERS[name] as ((k: Kernel, a: BpfAttrs[K]) => BpfResult) | undefined) : undefined;
  if (!h || !(name! in BpfCmd)) return { ret: -Errno.EINVAL };
  return h(kernel, attr);
}
