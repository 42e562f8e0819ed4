/**
 * Uprobes and uretprobes (kernel/events/uprobes.c, kernel/trace/trace_uprobe.c): a probe sits at an
 * offset of a user binary; whenever any process executes that instruction the attached programs run
 * on the task's user registers (pt_regs: arguments in di, si, dx, cx, r8, r9 by the x86-64 user
 * calling convention, ip at the probed address), and a uretprobe runs when the function returns
 * (ax holds the return value, ip the return address).
 *
 * Simulated processes do not execute machine code, so the functions a probe can sit on are declared:
 * a binary's image is a table of function symbols (name → offset, as its ELF symtab would give), and a
 * scenario or a test makes a task *call* one (`callUserFunction`): string and byte arguments are placed
 * in the task's user memory, so `bpf_probe_read_user_str` of an argument or of a returned pointer reads
 * what was passed. Attaching resolves `uprobe/<binary>:<function>[+off]` or `uprobe/<binary>:<offset>`
 * against the table, as libbpf resolves it against the ELF; an unknown binary or symbol is ENOENT.
 */
import { BpfsimError, Errno } from '@bpfsim/uapi';
import type { Kernel } from '../kernel/kernel';
import type { TaskStruct } from '../kernel/task_struct';
import { ptRegs, type PtRegName } from '../bpf/ctx/tracing';

/** Where the model maps a binary's text (a PIE's first load address under no ASLR). */
export const USER_IMAGE_BASE = 0x5555_5555_4000n;
/** Offsets given to declared functions when none is: 16-byte aligned, 0x1000 apart from .text. */
const TEXT_START = 0x1000;
const FN_STRIDE = 0x40;

/** A user function: its symbol and offset in the binary (what `nm` prints minus the load base). */
export interface UserFunction {
  name: string;
  offset: number;
}

/** A value passed to or returned from a user function: a register value, or data placed in user memory. */
export type UserValue = number | bigint | string | Uint8Array;

/** The x86-64 user calling convention: integer arguments 1..6. */
const ARG_REGS: readonly PtRegName[] = ['di', 'si', 'dx', 'cx', 'r8', 'r9'];

class UserImages {
  readonly byPath = new Map<string, UserFunction[]>();
}
const images = new WeakMap<Kernel, UserImages>();
const imagesOf = (k: Kernel): UserImages => {
  let i = images.get(k);
  if (!i) images.set(k, (i = new UserImages()));
  return i;
};

/**
 * Declare a binary's functions. Names without an offset get offsets in declaration order
 * (0x1000, 0x1040, ...); a re-declaration replaces the table.
 */
export function defineUserImage(k: Kernel, path: string, fns: readonly (string | UserFunction)[]): UserFunction[] {
  if (!path.startsWith('/')) throw new UprobeError(`user image '${path}': give an absolute path`);
  const seen = new Set<string>();
  const table = fns.map((f, i) => {
    const fn = typeof f === 'string' ? { name: f, offset: TEXT_START + i * FN_STRIDE } : f;
    if (!/^[A-Za-z_][\w.@]*$/.test(fn.name)) throw new UprobeError(`user image ${path}: '${fn.name}' is not a symbol name`);
    if (!Number.isSafeInteger(fn.offset) || fn.offset < 0) throw new UprobeError(`user image ${path}: ${fn.name} has a bad offset`);
    if (seen.has(fn.name)) throw new UprobeError(`user image ${path}: ${fn.name} is declared twice`);
    seen.add(fn.name);
    return { name: fn.name, offset: fn.offset };
  });
  imagesOf(k).byPath.set(path, table);
  return table;
}

/** The functions of a declared binary (empty when none is declared). */
export function userImage(k: Kernel, path: string): readonly UserFunction[] {
  return imagesOf(k).byPath.get(path) ?? [];
}

/** A bad declaration or call (bad input, not kernel behaviour). */
export class UprobeError extends BpfsimError {
  constructor(message: string) {
    super('EUPROBE', message);
  }
}

/** The kernel hook a uprobe at `offset` of `path` is (one per inode and offset, as uprobe_register keys it). */
export const uprobeHook = (path: string, offset: number, ret: boolean): string =>
  `${ret ? 'uretprobe' : 'uprobe'}:${path}:0x${offset.toString(16)}`;

/**
 * libbpf's attach_uprobe target resolution: the hook for `uprobe/<path>:<fn>[+off]` (fn empty: the
 * offset is absolute in the file). Returns the hook, or -ENOENT with libbpf's reason.
 */
export function resolveUprobe(k: Kernel, t: { path: string; fn: string; offset: number; retprobe: boolean }): { hook: string } | { errno: number; message: string } {
  const table = imagesOf(k).byPath.get(t.path);
  if (!table) return { errno: Errno.ENOENT, message: `failed to resolve full path for '${t.path}' (bpfsim: no user image declared at that path)` };
  let offset = t.offset;
  if (t.fn) {
    const f = table.find((x) => x.name === t.fn);
    if (!f) {
      const names = table.map((x) => x.name).join(', ');
      return { errno: Errno.ENOENT, message: `elf: could not find symbol '${t.fn}' in '${t.path}' (it has: ${names || 'nothing'})` };
    }
    offset += f.offset;
  }
  return { hook: uprobeHook(t.path, offset, t.retprobe) };
}

export interface UserCall {
  /** Arguments in call order (at most 6: the register ones). */
  args?: readonly UserValue[];
  /** The return value (uretprobes see it in ax); strings and bytes are placed in user memory. */
  ret?: UserValue;
  /** Offset inside the function the probe sits at (default 0: its entry). */
  at?: number;
}

export interface UserCallResult {
  /** Programs run at entry and at return. */
  entry: number;
  exit: number;
  /** Register values the probes saw for the arguments and the return value. */
  argRegs: bigint[];
  retReg: bigint;
}

/**
 * `task` calls `fn` of the binary at `path`: uprobes at the function's entry (or `at` inside it) run,
 * then uretprobes at its return. The task is current for both.
 */
export function callUserFunction(k: Kernel, task: TaskStruct, path: string, fn: string, call: UserCall = {}): UserCallResult {
  const f = userImage(k, path).find((x) => x.name === fn);
  if (!f) throw new UprobeError(`${path} has no function '${fn}' (declare it with defineUserImage)`);
  if (!task.mm) throw new UprobeError(`task ${task.pid} (${task.comm}) has no user memory: kernel threads call no user functions`);
  const args = call.args ?? [];
  if (args.length > ARG_REGS.length) throw new UprobeError(`${fn}: at most ${ARG_REGS.length} register arguments (got ${args.length})`);
  task.mm.resetScratch();
  const place = (v: UserValue): bigint => {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new UprobeError(`${fn}: ${v} is not a whole number`);
      return BigInt.asUintN(64, BigInt(v));
    }
    if (typeof v === 'bigint') return BigInt.asUintN(64, v);
    const bytes = typeof v === 'string' ? Buffer.concat([Buffer.from(v, 'utf8'), Buffer.from([0])]) : v;
    return task.mm!.scratchPut(bytes);
  };
  const argRegs = args.map(place);
  const retReg = call.ret === undefined ? 0n : place(call.ret);
  const ip = USER_IMAGE_BASE + BigInt(f.offset + (call.at ?? 0));
  // The return address a call instruction pushed: somewhere in the caller's text.
  const retIp = USER_IMAGE_BASE + 0x800n;
  const sp = task.userStack[0] ?? 0n;
  const regs: Partial<Record<PtRegName, bigint>> = { ip, sp, orig_ax: BigInt.asUintN(64, -1n) };
  argRegs.forEach((v, i) => (regs[ARG_REGS[i]] = v));
  const prev = k.current;
  k.current = task;
  try {
    const entryHook = uprobeHook(path, f.offset + (call.at ?? 0), false);
    const entry = k.hooks.fire(entryHook, () => ({ ctx: { bytes: ptRegs(regs), writable: false, struct: 'pt_regs' }, funcIp: ip })).length;
    // At return: ax holds the result, ip the return address; argument registers are clobbered.
    const exit = (call.at ?? 0) === 0
      ? k.hooks.fire(uprobeHook(path, f.offset, true), () => ({ ctx: { bytes: ptRegs({ ax: retReg, ip: retIp, sp: sp + 8n }), writable: false, struct: 'pt_regs' }, funcIp: ip })).length
      : 0;
    return { entry, exit, argRegs, retReg };
  } finally {
    k.current = prev;
  }
}
