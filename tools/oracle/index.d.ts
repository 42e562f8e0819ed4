/**
 * @bpfsim/oracle: synchronous bpf(2) calls on the running kernel (never attaches anything).
 * Every call returns the syscall's errno (0 on success) and its name instead of throwing;
 * calls throw only when the oracle is unavailable (check available() first) or on bad argument types.
 */

export interface Availability {
  ok: boolean;
  /** Why not, e.g. "oracle addon not built: ..." or "bpf(BPF_PROG_LOAD) failed: EPERM (...)". */
  reason?: string;
}

export interface ErrnoResult {
  /** 0 on success. */
  errno: number;
  /** "ENOENT", ... ('' on success). */
  errnoName: string;
}

/** Replay: is there a recorded tape for this test file? Live/record: addon built and bpf() load + test-run permitted (cached; BPFSIM_NO_ORACLE=1 forces { ok: false }). */
export function available(): Availability;
export function errnoName(errno: number): string;
export function numPossibleCpus(): number;

export interface ProgLoadOptions {
  /** enum bpf_prog_type (XDP = 6, SOCKET_FILTER = 1, SCHED_CLS = 3, ...). */
  type: number;
  /** The program's 8-byte slots, little-endian, map fds already patched in. */
  insns: Uint8Array;
  /** Default "GPL". */
  license?: string;
  /** 0 (default), 1, 2 and/or 4 (BPF_LOG_STATS); 0 gives no log. */
  logLevel?: number;
  /** Initial log buffer (default 64 KiB, min 128); grows on ENOSPC until the log fits. */
  logSize?: number;
  /** Largest log buffer (default 64 MiB). A longer log keeps its tail (logTruncated); errno stays the verdict. */
  maxLogSize?: number;
  expectedAttachType?: number;
  progFlags?: number;
  /** BPF_PROG_LOAD fd_array (for BPF_PSEUDO_MAP_IDX and kfunc module BTFs). */
  fdArray?: readonly number[] | Uint32Array;
  /** Program name (up to 15 characters). */
  name?: string;
  kernVersion?: number;
  /** attach_btf_id: the target's type id in the kernel BTF (tp_btf: the `btf_trace_<tp>` typedef; fentry: the FUNC). */
  attachBtfId?: number;
  /** attach_btf_obj_fd: a module BTF fd holding attachBtfId (default 0: vmlinux). */
  attachBtfObjFd?: number;
}

export interface ProgLoadResult extends ErrnoResult {
  /** The program fd, or null when the kernel rejected it. close() it when done. */
  fd: number | null;
  /** The whole verifier log ('' with logLevel 0). */
  log: string;
  /** The log size the kernel reported needing (log_true_size). */
  logTrueSize: number;
  /** The log hit maxLogSize: `log` is the kernel's rolling tail (its end, with the final error line). */
  logTruncated: boolean;
}

export function progLoad(opts: ProgLoadOptions): ProgLoadResult;

export interface Verdict extends ErrnoResult {
  accepted: boolean;
  log: string;
  /** lastErrorLine(log) for a rejection, '' when accepted. */
  lastErrorLine: string;
  stats: VerifierStats | null;
}

/** progLoad with logLevel 1 (unless given), then close: verdict, errno and the final error line. */
export function loadVerdict(opts: ProgLoadOptions): Verdict;

export interface TestRunOptions {
  dataIn?: Uint8Array;
  ctxIn?: Uint8Array;
  /** Output buffer size (default: dataIn length + 4096). */
  dataSizeOut?: number;
  /** Output buffer size (default: ctxIn length). */
  ctxSizeOut?: number;
  /** Default 1. */
  repeat?: number;
  flags?: number;
  cpu?: number;
  batchSize?: number;
}

export interface TestRunResult extends ErrnoResult {
  /** The program's return value (u32). */
  retval: number;
  /** Average ns per run, as the kernel measured it. */
  duration: number;
  /** The data after the run, trimmed to the size the kernel reported (null without a buffer). */
  dataOut: Uint8Array | null;
  ctxOut: Uint8Array | null;
  dataSizeOut: number;
  ctxSizeOut: number;
}

/** BPF_PROG_TEST_RUN. */
export function testRun(fd: number, opts?: TestRunOptions): TestRunResult;

export interface ProgInfo extends ErrnoResult {
  type: number;
  id: number;
  name: string;
  /** The program as the kernel rewrote it (ctx accesses converted, ...). */
  xlated: Uint8Array;
  jitedLen: number;
}
export function progInfo(fd: number): ProgInfo;

export function close(fd: number): ErrnoResult;

export interface MapCreateOptions {
  /** enum bpf_map_type (HASH = 1, ARRAY = 2, ...). */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  innerMapFd?: number;
  name?: string;
  numaNode?: number;
  mapExtra?: number | bigint;
}

export function mapCreate(opts: MapCreateOptions): ErrnoResult & { fd: number | null };

/** Values of per-CPU maps are round_up(valueSize, 8) bytes per possible CPU. */
export function mapLookup(fd: number, key: Uint8Array | null, flags?: number): ErrnoResult & { value: Uint8Array | null };
/** flags: BPF_ANY 0, BPF_NOEXIST 1, BPF_EXIST 2, BPF_F_LOCK 4. */
export function mapUpdate(fd: number, key: Uint8Array | null, value: Uint8Array, flags?: number): ErrnoResult;
export function mapDelete(fd: number, key: Uint8Array | null): ErrnoResult;
/** key null: the first key. ENOENT after the last. */
export function mapGetNextKey(fd: number, key: Uint8Array | null): ErrnoResult & { key: Uint8Array | null };
/** key null for queue/stack maps. */
export function mapLookupAndDelete(fd: number, key: Uint8Array | null, flags?: number): ErrnoResult & { value: Uint8Array | null };
export function mapFreeze(fd: number): ErrnoResult;

export interface BatchLookupOptions {
  /** The outBatch of the previous call, or null/undefined to start. */
  inBatch?: Uint8Array | null;
  count: number;
  elemFlags?: number;
  flags?: number;
}

export interface BatchLookupResult extends ErrnoResult {
  /** Elements returned (ENOENT with count >= 0 marks the end). */
  count: number;
  keys: Uint8Array;
  values: Uint8Array;
  outBatch: Uint8Array;
}

export function mapLookupBatch(fd: number, opts: BatchLookupOptions): BatchLookupResult;
export function mapLookupAndDeleteBatch(fd: number, opts: BatchLookupOptions): BatchLookupResult;
export function mapUpdateBatch(fd: number, keys: Uint8Array, values: Uint8Array, opts?: { elemFlags?: number; flags?: number }): ErrnoResult & { count: number };
export function mapDeleteBatch(fd: number, keys: Uint8Array, opts?: { elemFlags?: number; flags?: number }): ErrnoResult & { count: number };

export interface MapInfo extends ErrnoResult {
  type: number;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  name: string;
}
export function mapInfo(fd: number): MapInfo;

export interface VerifierStats {
  processed: number;
  limit: number;
  maxStatesPerInsn: number;
  totalStates: number;
  peakStates: number;
  markRead: number;
}

/**
 * The kernel's final error line of a rejected load: the last non-empty line before the
 * "verification time / stack depth / processed N insns" trailer ('' for an empty log).
 */
export function lastErrorLine(log: string): string;
/** The numbers of the "processed N insns ..." line, or null. */
export function verifierStats(log: string): VerifierStats | null;

/** The kernel tape (tape.js): how answers are recorded and replayed. */
export interface Tape {
  PROFILE: string;
  /** replay (default inside jest), record or live (default elsewhere): BPFSIM_KERNEL. */
  mode(): 'replay' | 'record' | 'live';
  /** Ask `kind` with `question`; `live()` asks the running kernel. */
  ask<T>(kind: string, question: unknown, live: () => T, opts?: { fact?: boolean }): T;
  availability(live: () => Availability): Availability;
}
export const tape: Tape;

/** The addon's raw calls (each through the tape), for the few tests that need a call the wrappers do not make. */
export function calls(): Record<string, (...args: unknown[]) => any>;
