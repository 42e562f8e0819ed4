/**
 * The syscall entry point: `kernel.syscall(task, name | nr, args)`. Arguments
 * are register values; strings, byte arrays, string arrays and `{ out: n }`
 * buffers are first placed in the calling process's user memory (its scratch
 * area) and passed as pointers, so every path or buffer a syscall reads lives
 * where bpf_probe_read_user would find it. The clock advances by the call's
 * modelled cost (costs.ts). A call that must sleep returns `blocked: true`;
 * its result arrives later in `task.completed`.
 */
import { BpfsimError, Errno } from '@bpfsim/uapi';
import { BLOCK, type TaskStruct } from '../kernel/task_struct';
import type { World } from '../kernel/world';
import { SYSCALL_NAME_X86_64, SYSCALL_NR_X86_64 } from './table';
import { syscallCostNs } from './costs';
import type { SysCtx, SysHandler } from './context';
import { processSyscalls } from './sys_process';
import { sysSyscalls } from './sys_sys';
import { signalSyscalls } from './sys_signal';
import { nsSyscalls } from './sys_ns';
import { execSyscalls } from './sys_exec';
import { fsSyscalls } from './sys_fs';
import { nameiSyscalls } from './sys_namei';
import { mmSyscalls } from './sys_mm';
import { attrSyscalls } from './sys_attr';
import { readdirSyscalls } from './sys_readdir';
import { renameSyscalls } from './sys_rename';
import { timeSyscalls } from './sys_time';
import { threadSyscalls } from './sys_thread';
import { resourceSyscalls } from './sys_resource';
import { randomSyscalls } from './sys_random';
import { ioctlSyscalls } from './sys_ioctl';
import { statfsSyscalls } from './sys_statfs';
import { socketSyscalls } from './sys_socket';
import { socketMsgSyscalls } from './sys_socket_msg';
import { socketOptSyscalls } from './sys_socket_opt';
import { socketPollSyscalls } from './sys_socket_poll';
import { xattrSyscalls } from './sys_xattr';
import { bpfSyscalls } from './sys_bpf';
import { chargeSyscall } from '../cgroup/cpu';

export type SysArg = number | bigint | string | Uint8Array | readonly string[] | null | { out: number } | SysStructArg;

/** A struct holding pointers (a msghdr and its iovecs): each `ptrs` argument is placed first, its address written at `at`. */
export interface SysStructArg {
  struct: Uint8Array;
  ptrs: readonly { at: number; arg: SysArg }[];
}

export interface SyscallResult {
  /** The return value (-errno on failure); meaningless while `blocked`. */
  ret: number;
  blocked: boolean;
  /** Contents of the `{ out: n }` buffers after the call, in argument order. */
  outs: Uint8Array[];
  /** The task a fork/vfork/clone created. */
  child?: TaskStruct;
}

export class SyscallError extends BpfsimError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

const HANDLERS: ReadonlyMap<string, SysHandler> = new Map(
  Object.entries({ ...processSyscalls, ...sysSyscalls, ...signalSyscalls, ...nsSyscalls, ...execSyscalls, ...fsSyscalls, ...nameiSyscalls, ...mmSyscalls, ...attrSyscalls, ...readdirSyscalls, ...renameSyscalls, ...timeSyscalls, ...threadSyscalls, ...resourceSyscalls, ...randomSyscalls, ...ioctlSyscalls, ...statfsSyscalls, ...socketSyscalls, ...socketMsgSyscalls, ...socketOptSyscalls, ...socketPollSyscalls, ...xattrSyscalls, ...bpfSyscalls }),
);

/** Names of the syscalls the model implements. */
export function implementedSyscalls(): string[] {
  return [...HANDLERS.keys()].sort();
}

const enc = new TextEncoder();

export class Syscalls {
  constructor(private readonly w: World, private readonly onEnter: (t: TaskStruct) => void) {}
  private readonly now = (): bigint => this.w.clock.monotonicNs;

  call(t: TaskStruct, which: string | number, args: readonly SysArg[] = []): SyscallResult {
    const name = typeof which === 'number' ? SYSCALL_NAME_X86_64.get(which) : which;
    if (name === undefined || SYSCALL_NR_X86_64[name] === undefined) throw new SyscallError('SYSCALL_UNKNOWN', `syscall ${String(which)}: no such x86-64 syscall`);
    const h = HANDLERS.get(name);
    if (!h) throw new SyscallError('SYSCALL_UNIMPLEMENTED', `syscall ${name} (${SYSCALL_NR_X86_64[name]}): not implemented by bpfsim yet`);
    if (!t.alive || t.exiting) throw new SyscallError('TASK_NOT_RUNNING', `syscall ${name}: ${t.describe()} has exited`);
    if (t.kthread) throw new SyscallError('TASK_KTHREAD', `syscall ${name}: ${t.describe()} is a kernel thread`);
    if (t.blocked) throw new SyscallError('TASK_BLOCKED', `syscall ${name}: ${t.describe()} is still blocked in ${t.blocked.name}`);
    if (t.state === 'stopped') throw new SyscallError('TASK_STOPPED', `syscall ${name}: ${t.describe()} is stopped`);
    this.onEnter(t);
    // The task runs (on a CPU of the run queues) to make the call.
    this.w.rq?.run(t);
    const outs: { addr: number; n: number }[] = [];
    if (args.length > 6) throw new SyscallError('SYSCALL_BAD_ARG', `syscall ${name}: at most 6 arguments (got ${args.length})`);
    let regs: number[] | undefined = args as number[];
    for (let i = 0; i < args.length; i++) {
      if (!isReg(args[i])) {
        regs = undefined;
        break;
      }
    }
    if (!regs) regs = this.marshal(t, name, args, outs);
    else if (args.length !== 6) regs = [args[0] ?? 0, args[1] ?? 0, args[2] ?? 0, args[3] ?? 0, args[4] ?? 0, args[5] ?? 0] as number[];
    const c: SysCtx = { w: this.w, t };
    // The tracing choke point (do_syscall_64 → syscall_enter_from_user_mode / syscall_exit_to_user_mode).
    const nr = SYSCALL_NR_X86_64[name];
    this.w.events?.sysEnter(t, nr, name, regs);
    // do_syscall_64 → x64_sys_call → __x64_sys_<name>(regs): ksyscall and kprobes on the wrapper see the user's pt_regs
    // (with no kprobe-family program attached anywhere, nothing is built for it: this is the hot path)
    const kp = this.w.kprobes;
    const ret = kp?.anyAttached() ? kp.call(`__x64_sys_${name}`, () => [kp.taskObjects.syscallEntry(t, nr, regs!)], () => h(c, regs!), { ret: (r) => BigInt(r === BLOCK ? 0 : r) }) : h(c, regs);
    if (ret !== BLOCK) t.lastRet = ret;
    else this.w.rq?.sleep(t);
    if (this.w.interruptPending) this.w.settleInterrupts();
    const cost = syscallCostNs(name);
    // The call's CPU time is the task's system time (cgroup cpu.stat, cpu.max runtime: cgroup/cpu.ts).
    chargeSyscall(t, Number(cost), this.now);
    this.w.clock.advance(cost);
    // exit and exit_group never return; a call that sleeps reports its exit when it completes (World.completeBlocked).
    if (ret !== BLOCK && t.alive && !t.exiting) this.w.events?.sysExit(t, nr, name, ret);
    const res: SyscallResult = { ret: ret === BLOCK ? 0 : ret, blocked: ret === BLOCK, outs: [] };
    if (c.child) res.child = c.child;
    if (outs.length && t.mm) for (const o of outs) res.outs.push(t.mm.copyFromUser(BigInt(o.addr), o.n) ?? new Uint8Array(o.n));
    return res;
  }

  private marshal(t: TaskStruct, name: string, args: readonly SysArg[], outs: { addr: number; n: number }[]): number[] {
    const mm = t.mm;
    const needsMem = args.some((a) => (a !== null && typeof a === 'object') || typeof a === 'string');
    if (needsMem && !mm) throw new SyscallError('SYSCALL_BAD_ARG', `syscall ${name}: ${t.describe()} has no user memory for its arguments`);
    mm?.resetScratch();
    // Registers the caller did not give read as 0.
    const regs = [0, 0, 0, 0, 0, 0];
    args.forEach((a, i) => (regs[i] = this.reg(name, mm, a, i, outs)));
    return regs;
  }

  /** One argument as a register value, placing strings and buffers in the caller's memory. */
  private reg(name: string, mm: TaskStruct['mm'], a: SysArg, i: number, outs: { addr: number; n: number }[]): number {
    {
      if (typeof a === 'number') {
        if (!isReg(a)) throw new SyscallError('SYSCALL_BAD_ARG', `syscall ${name}: argument ${i} (${a}) is not an integer register value`);
        return a;
      }
      if (typeof a === 'bigint') return Number(BigInt.asIntN(64, a));
      if (a === null) return 0;
      if (typeof a === 'string') return Number(mm!.scratchPut(cstr(a)));
      if (a instanceof Uint8Array) return Number(mm!.scratchPut(a));
      if (Array.isArray(a)) {
        if (!a.every((x) => typeof x === 'string')) throw new SyscallError('SYSCALL_BAD_ARG', `syscall ${name}: argument ${i} must be an array of strings`);
        const ptrs = new Uint8Array((a.length + 1) * 8);
        const dv = new DataView(ptrs.buffer);
        a.forEach((s, j) => dv.setBigUint64(j * 8, mm!.scratchPut(cstr(s)), true));
        return Number(mm!.scratchPut(ptrs));
      }
      if (typeof a === 'object' && 'struct' in a && a.struct instanceof Uint8Array) {
        const b = a.struct.slice();
        const dv = new DataView(b.buffer);
        for (const p of a.ptrs) {
          if (p.at < 0 || p.at + 8 > b.length) throw new SyscallError('SYSCALL_BAD_ARG', `syscall ${name}: argument ${i}: pointer at ${p.at} outside its ${b.length}-byte struct`);
          dv.setBigUint64(p.at, BigInt(this.reg(name, mm, p.arg, i, outs)), true);
        }
        return Number(mm!.scratchPut(b));
      }
      if (typeof a === 'object' && 'out' in a && Number.isInteger(a.out) && a.out >= 0 && a.out <= MAX_OUT) {
        const addr = Number(mm!.scratchPut(new Uint8Array(a.out)));
        outs.push({ addr, n: a.out });
        return addr;
      }
      throw new SyscallError('SYSCALL_BAD_ARG', `syscall ${name}: argument ${i} is not a number, bigint, string, bytes, string array or { out: n } (n up to ${MAX_OUT})`);
    }
  }
}

/** Largest `{ out: n }` buffer (16 MiB). */
const MAX_OUT = 16 << 20;

/** A register value: an integer JavaScript can hold exactly. */
function isReg(a: unknown): a is number {
  return typeof a === 'number' && Number.isSafeInteger(a);
}

function cstr(s: string): Uint8Array {
  const b = enc.encode(s);
  const o = new Uint8Array(b.length + 1);
  o.set(b);
  return o;
}

export { Errno };
