/**
 * The contract between the VM and its embedders (kernel, CLI, oracle tests).
 * Types only; the implementation lives beside this file.
 */
import type { Program } from '@bpfsim/isa';

/** What a region of the simulated address space holds; used in fault messages and by helpers. */
export type RegionKind =
  | 'stack'      // one 512-byte frame of a program's stack
  | 'ctx'        // the program's context (xdp_md, __sk_buff, pt_regs, ...)
  | 'packet'     // packet data (data .. data_end), data_meta included
  | 'map'        // a map object (what r1 points at for map helpers)
  | 'map_value'  // a map's value storage (array maps, global data, lookups)
  | 'mem'        // helper-returned memory (ringbuf records, per-cpu scratch)
  | 'kernel'     // simulated kernel objects (task_struct, ...) read via probe_read
  | 'user'       // simulated user memory (probe_read_user)
  | 'input';     // raw input memory of the conformance convention

export interface Region {
  readonly id: number;
  readonly name: string;
  readonly kind: RegionKind;
  /** Simulated 64-bit address of bytes[0]. */
  readonly base: bigint;
  readonly bytes: Uint8Array;
  readonly writable: boolean;
  /** Free-form embedder data (for example the map object a 'map' region stands for). */
  readonly owner?: unknown;
  /**
   * A context whose fields are not plain bytes. The kernel rewrites context
   * accesses (a 32-bit load of xdp_md->data yields a 64-bit packet pointer);
   * bpfsim instead routes every load/store that falls in a region with
   * `virtual` to these functions, so unverified programs behave the same.
   * `bytes` still gives the region's size and the backing for plain fields.
   */
  readonly virtual?: VirtualAccess;
}

export interface VirtualAccess {
  /** Value of a `size`-byte load at byte offset `off` (already sign-extended for MEMSX when signed). */
  load(off: number, size: 1 | 2 | 4 | 8, signed: boolean): bigint;
  store(off: number, size: 1 | 2 | 4 | 8, value: bigint): void;
}

export interface MapRegionOptions {
  name?: string;
  writable?: boolean; // default true
  owner?: unknown;
  virtual?: VirtualAccess;
}

/**
 * A simulated 64-bit address space made of disjoint regions. Every access is
 * checked: an access that is not wholly inside one region (or writes a
 * read-only one) throws MemoryFault naming the address, size and nearest region.
 */
export interface AddressSpaceApi {
  map(kind: RegionKind, bytes: Uint8Array, opts?: MapRegionOptions): Region;
  unmap(region: Region): void;
  /** The region wholly containing [addr, addr+size), or undefined. */
  find(addr: bigint, size: number): Region | undefined;
  read(addr: bigint, size: number): Uint8Array;            // a copy
  write(addr: bigint, data: Uint8Array): void;
  /** "0x... is 8 bytes past the end of stack frame 0 (512 bytes at 0x...)" */
  describe(addr: bigint): string;
  /** The region containing the byte at addr, or undefined. */
  regionAt(addr: bigint): Region | undefined;
  /** Checked little-endian scalar access for helpers (a MemoryFault when out of bounds or read-only). */
  readU8(addr: bigint): number;
  readU16(addr: bigint): number;
  readU32(addr: bigint): number;
  readU64(addr: bigint): bigint;
  writeU8(addr: bigint, v: number): void;
  writeU16(addr: bigint, v: number): void;
  writeU32(addr: bigint, v: number): void;
  writeU64(addr: bigint, v: bigint): void;
}

/** Arguments r1..r5 arrive as unsigned 64-bit bigints; the result is stored in r0 (taken mod 2^64). */
export type HelperFn = (call: HelperCall, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;

export interface HelperCall {
  readonly mem: AddressSpaceApi;
  /** Slot index of the call instruction. */
  readonly pc: number;
  readonly helperId: number;
  /**
   * Run a BPF callback (bpf_loop, bpf_for_each_map_elem, ...) that is a
   * sub-program of the running program starting at slot `funcPc`, in a new
   * frame, with r1..r5 = args. Returns its r0.
   */
  callback(funcPc: number, args: readonly bigint[]): bigint;
  /** True when this is a kfunc call (BPF_PSEUDO_KFUNC_CALL); helperId is then the BTF id. */
  readonly kfunc: boolean;
  /**
   * End the whole run now with r0 (all frames, callbacks included), as
   * bpf_throw or the conformance suite's "unwind" helper do. Never returns.
   * (Throwing a value that is not an Error from a helper also propagates
   * unchanged to the caller of run().)
   */
  unwind(r0: bigint): never;
}

/** Helper id -> implementation. A missing id is a typed fault at run time. */
export type HelperTable = ReadonlyMap<number, HelperFn> | ((id: number) => HelperFn | undefined);

/**
 * bpf_tail_call(ctx, prog_array, index): the embedder resolves the target.
 * Returning undefined means "no program there": the call returns and the
 * caller continues, as in the kernel.
 *
 * `index` is r3 truncated to u32, as the kernel reads it; null is accepted
 * like undefined (index >= max_entries). Only calls that reach a program count
 * against MAX_TAIL_CALL_CNT (33), as in the x86-64 JIT. Prepared programs are
 * cached per Program object, so return the same array each time for speed.
 */
export type TailCallResolver = (mapAddr: bigint, index: bigint) => Program | undefined | null;

/**
 * LD_ABS / LD_IND packet access: `size` bytes at `offset` of the skb that
 * `ctx` (r6) points at, in packet (network) order, or undefined when the
 * kernel's skb load would fail (the program then exits its frame with r0 = 0).
 * Negative offsets (SKF_NET_OFF, SKF_LL_OFF) are the embedder's business.
 */
export type SkbLoader = (ctx: bigint, offset: number, size: 1 | 2 | 4) => Uint8Array | undefined;

export interface RunOptions {
  /** r1..r5 at entry (r1 is usually the context pointer). */
  args?: readonly bigint[];
  helpers?: HelperTable;
  /** Address space to run in; the VM maps its stack frames into it. A fresh one by default. */
  memory?: AddressSpaceApi;
  /** Stop with InstructionLimitExceeded after this many executed instructions (default 10,000,000). */
  maxInsns?: number;
  tailCall?: TailCallResolver;
  /** Called for each call of a kfunc (BPF_PSEUDO_KFUNC_CALL); imm is the BTF id. */
  kfuncs?: (btfId: number) => HelperFn | undefined;
  /** Packet reads of LD_ABS/LD_IND; without it those instructions fault. */
  skbLoad?: SkbLoader;
  /**
   * may_goto budget of each frame (default BPF_MAX_LOOPS = 8 * 1024 * 1024, the
   * count-based kernel semantics). x86-64 kernels since 6.14 use a timed
   * may_goto (about 250 ms) instead, which no deterministic model can follow.
   */
  mayGotoBudget?: number;
  /**
   * Execution engine: 'interp' (the reference interpreter, default) or
   * 'compiled' (each program translated once to JavaScript; same results,
   * instruction counts and faults).
   */
  engine?: Engine;
  /**
   * Compiled engine: instructions a program runs on the interpreter before it
   * is compiled (default 1,000,000; 0 compiles at once). Translation and V8's
   * own optimization of the result cost milliseconds, which only hot
   * programs repay; results are the same either way.
   */
  compileAfter?: number;
}

export type Engine = 'interp' | 'compiled';

export interface RunResult {
  /** Final r0, unsigned 64-bit. */
  r0: bigint;
  /** Instructions executed (lddw counts once), including callbacks and tail-called programs. */
  insns: number;
  /** Tail calls taken. */
  tailCalls: number;
}
