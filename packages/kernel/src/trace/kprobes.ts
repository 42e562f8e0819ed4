/**
 * kprobes, kretprobes, ksyscall/kretsyscall, kprobe.multi and fentry/fexit/fmod_ret on the kernel
 * functions bpfsim models (kprobe-funcs.ts). Kernel code wraps a modelled function with
 * `kprobes.call(fn, args, body)`: at entry the programs attached to it run — kprobes on pt_regs
 * holding the arguments where x86-64 passes them (di, si, dx, cx, r8, r9), then fentry programs on
 * the arguments as u64s, then fmod_ret programs, the first non-zero return of which replaces the
 * body — and at return fexit programs (arguments and return value), then kretprobes (ax holds the
 * return value). Attach checks (checkAttach) refuse unknown symbols with ENOENT, as registering a
 * kprobe does, and functions Linux has but bpfsim does not model with a KprobeError naming the
 * nearest modelled ones. Nothing is built for a function nobody is attached to.
 */
import { BpfAttachType, BpfProgType, BpfsimError, Errno } from '@bpfsim/uapi';
import type { Kernel, HookRun } from '../kernel/kernel';
import { runProgram } from '../bpf/run';
import type { BpfLink } from '../bpf/link';
import type { BpfProg } from '../bpf/prog';
import { rawTracepointArgs, PT_REGS_ARG_REGS, PT_REGS_FIELDS, PT_REGS_LAYOUT } from '../bpf/ctx/tracing';
import { vmlinuxBtf } from '../bpf/vmlinux-btf';
import { KObj, declareModelledFields } from '../mm/kobj';
import { TaskStruct } from '../kernel/task_struct';
import type { TaskObjects } from './task-objects';
import { KFUNCS } from './kprobe-funcs';
import { SYSCALL_NR_X86_64 } from '../syscalls/table';

export class KprobeError extends BpfsimError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/** An argument of a modelled function: an integer, a kernel object (its address) or NULL. */
export type KArg = bigint | number | KObj | null | undefined;

export interface KprobeCallOpts<R> {
  /** The return value as the registers hold it (default: numbers and bigints as they are, KObj its address). */
  ret?: (r: R) => bigint;
  /** The model's value for a return an fmod_ret program forced (default: the number). */
  fromRet?: (v: bigint) => R;
  /** The task running the function (default: current). */
  task?: TaskStruct;
  /** The function does not return (do_exit): no fexit or kretprobe. */
  noReturn?: boolean;
}

/** The hook names firing for one function, in the order they run. */
interface Plan {
  kprobe: string[];
  fentry: string[];
  fmodRet: string[];
  fexit: string[];
  kretprobe: string[];
}

const FAMILY = /^(kprobe|kretprobe|ksyscall|kretsyscall|kprobe\.multi|kretprobe\.multi|fentry|fexit|fmod_ret)(\.s)?\/(.*)$/;
const SYS_PREFIX = '__x64_sys_';
// a kprobe's pt_regs: the argument registers, ip, and ax at return
declareModelledFields('pt_regs', ['di', 'si', 'dx', 'cx', 'r8', 'r9', 'ip', 'ax'], 'trace/kprobes.ts');
// struct pt_regs slots (bpf/ctx/tracing.ts; kprobe-graph.test.ts checks them against the BTF)
const PT_REGS_SIZE = PT_REGS_LAYOUT.size;
const ARG_OFF = PT_REGS_ARG_REGS.map((r) => PT_REGS_FIELDS.indexOf(r) * 8);
const IP_OFF = PT_REGS_FIELDS.indexOf('ip') * 8;
const AX_OFF = PT_REGS_FIELDS.indexOf('ax') * 8;

/** libbpf's glob_match: `*` any run, `?` one character. */
export function globMatch(s: string, pat: string): boolean {
  const re = new RegExp(`^${pat.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(s);
}

/** Edit distance, for the nearest modelled names. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length];
}

/** A deterministic kernel text address per function (FNV-1a of the name, 16-byte aligned). */
const addresses = new Map<string, bigint>();
export function kfuncAddress(fn: string): bigint {
  const known = addresses.get(fn);
  if (known !== undefined) return known;
  let h = 0x811c9dc5;
  for (let i = 0; i < fn.length; i++) h = Math.imul(h ^ fn.charCodeAt(i), 0x01000193) >>> 0;
  const a = 0xffffffff81000000n + BigInt(h & 0xffffff) * 16n;
  addresses.set(fn, a);
  return a;
}

let btfFuncs: Set<string> | undefined;
/** Functions of the profile kernel: its BTF's FUNCs (what kallsyms would find, less what BTF omits). */
function kernelFuncs(): Set<string> {
  return (btfFuncs ??= new Set(vmlinuxBtf().types.filter((t) => t.kind === 12).map((t) => t.name)));
}
function kernelHas(fn: string): boolean {
  return kernelFuncs().has(fn) || (fn.startsWith(SYS_PREFIX) && SYSCALL_NR_X86_64[fn.slice(SYS_PREFIX.length)] !== undefined);
}

export class Kprobes {
  private version = -1;
  private any = false;
  private plans = new Map<string, Plan | null>();
  /** kprobe.multi links with per-function cookies (attachMulti). */
  private readonly multiCookies = new WeakMap<BpfLink, Map<string, bigint>>();
  /** Objects made for one call's arguments, freed when it returns. */
  private scratch: KObj[] = [];
  /** Functions running, innermost last (kretprobe's return address is the caller's). */
  private readonly stack: string[] = [];

  /**
   * `syscalls` names the syscalls whose __x64_sys_ wrappers the model passes through (the
   * implemented ones); `objects` the world's kernel objects (made on first use).
   */
  constructor(private readonly kernel: Kernel, private readonly syscalls: () => readonly string[], private readonly objects: () => TaskObjects) {}

  /** Whether bpfsim models `fn`: a function of the table, or the wrapper of an implemented syscall. */
  isModelled(fn: string): boolean {
    if (Object.prototype.hasOwnProperty.call(KFUNCS, fn)) return true;
    return fn.startsWith(SYS_PREFIX) && this.syscalls().includes(fn.slice(SYS_PREFIX.length));
  }

  /** Every modelled function, sorted. */
  modelled(): string[] {
    return [...Object.keys(KFUNCS), ...this.syscalls().map((s) => SYS_PREFIX + s)].sort();
  }

  /** The modelled names closest to `fn` (for messages). */
  nearest(fn: string, n = 5): string[] {
    return this.modelled().map((m) => [m, distance(fn, m)] as const).sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n).map((x) => x[0]);
  }

  /** Kernel objects for arguments: freed when the current call returns. */
  temp(o: KObj): KObj {
    this.scratch.push(o);
    return o;
  }

  /** The world's task and file objects (for call sites building arguments). */
  get taskObjects(): TaskObjects {
    return this.objects();
  }

  /**
   * Whether anything is attached to `fn`: call sites may skip building what only programs need.
   * Cheap when nothing is attached anywhere.
   */
  active(fn: string): boolean {
    return this.planOf(fn) !== null;
  }

  /**
   * Run `body` as the modelled kernel function `fn`, firing what is attached to it. `args` gives
   * its arguments in prototype order; it is called only when something is attached.
   */
  call<R>(fn: string, args: () => readonly KArg[], body: () => R, opts: KprobeCallOpts<R> = {}): R {
    const plan = this.planOf(fn);
    const outermost = this.stack.length === 0;
    try {
      if (!plan) {
        this.stack.push(fn);
        try { return body(); } finally { this.stack.pop(); }
      }
      return this.fireCall(fn, plan, args, body, opts);
    } finally {
      // argument objects live until the outermost modelled call (the syscall) returns
      if (outermost && this.scratch.length) for (const o of this.scratch.splice(0)) this.objects().objs.free(o);
    }
  }

  /** Whether any kprobe-family program is attached anywhere (call sites skip bookkeeping otherwise). */
  anyAttached(): boolean {
    this.planOf('');
    return this.any;
  }

  private planOf(fn: string): Plan | null {
    const hooks = this.kernel.hooks;
    if (hooks.version !== this.version) {
      this.version = hooks.version;
      this.plans.clear();
      this.any = hooks.names().some((n) => FAMILY.test(n));
    }
    if (!this.any) return null;
    let p = this.plans.get(fn);
    if (p === undefined) {
      p = this.buildPlan(fn);
      this.plans.set(fn, p);
    }
    return p;
  }

  private buildPlan(fn: string): Plan | null {
    const names = this.kernel.hooks.names();
    const has = (h: string) => this.kernel.hooks.links(h).length > 0;
    const pick = (...hs: string[]) => hs.filter(has);
    const sys = fn.startsWith(SYS_PREFIX) ? fn.slice(SYS_PREFIX.length) : undefined;
    const multi = (kind: string) => names.filter((n) => n.startsWith(`${kind}/`) && this.multiMatches(n.slice(kind.length + 1), fn));
    const p: Plan = {
      kprobe: [...pick(`kprobe/${fn}`, `kprobe/${fn}+0`), ...(sys ? pick(`ksyscall/${sys}`) : []), ...multi('kprobe.multi')],
      fentry: pick(`fentry/${fn}`, `fentry.s/${fn}`),
      fmodRet: pick(`fmod_ret/${fn}`, `fmod_ret.s/${fn}`),
      fexit: pick(`fexit/${fn}`, `fexit.s/${fn}`),
      kretprobe: [...pick(`kretprobe/${fn}`, `kretprobe/${fn}+0`), ...(sys ? pick(`kretsyscall/${sys}`) : []), ...multi('kretprobe.multi')],
    };
    return Object.values(p).some((l) => l.length) ? p : null;
  }

  /** A kprobe.multi target: a glob, or a comma-separated list of names (attachMulti). */
  private multiMatches(target: string, fn: string): boolean {
    if (target.includes(',')) return target.split(',').includes(fn);
    return this.isModelled(fn) && globMatch(fn, target);
  }

  private fireCall<R>(fn: string, plan: Plan, args: () => readonly KArg[], body: () => R, opts: KprobeCallOpts<R>): R {
    const k = this.kernel;
    const prev = k.current;
    const cur = (opts.task ?? (prev as TaskStruct));
    const isTask = cur instanceof TaskStruct;
    const addr = kfuncAddress(fn);
    const enter = (): void => {
      if (!isTask) return;
      k.current = cur;
      const objs = this.objects();
      objs.sync(cur);
    };
    try {
      enter();
      const argv = args().map((a) => (a instanceof KObj ? a.addr : a === null || a === undefined ? 0n : BigInt.asUintN(64, BigInt(a))));
      const runAll = (hooks: string[], ctx: () => Uint8Array, struct: string): HookRun[] => {
        const out: HookRun[] = [];
        for (const h of hooks) {
          const bytes = ctx();
          out.push(...k.hooks.fire(h, (link) => ({ ctx: { bytes, writable: false, struct }, funcIp: addr, cookie: this.cookieOf(link, fn) })));
        }
        return out;
      };
      const regs = (ip: bigint, ax?: bigint): Uint8Array => {
        const b = new Uint8Array(PT_REGS_SIZE);
        const dv = new DataView(b.buffer);
        for (let i = 0; i < argv.length && i < ARG_OFF.length; i++) dv.setBigUint64(ARG_OFF[i], argv[i], true);
        dv.setBigUint64(IP_OFF, ip, true);
        if (ax !== undefined) dv.setBigUint64(AX_OFF, ax, true);
        return b;
      };
      // ftrace entry: the kprobe (regs->ip is past the probed instruction), then the trampoline
      if (plan.kprobe.length) runAll(plan.kprobe, () => regs(addr + 1n), 'pt_regs');
      if (plan.fentry.length) runAll(plan.fentry, () => rawTracepointArgs(argv), 'tracing_args');
      let forced: bigint | undefined;
      for (const h of plan.fmodRet) {
        for (const link of [...k.hooks.links(h)]) {
          const bytes = rawTracepointArgs([...argv, 0n]);
          const r = runProgram(k, link.prog, { ctx: { bytes, writable: false, struct: 'tracing_args' }, funcIp: addr, cookie: this.cookieOf(link, fn) }, h);
          // invoke_bpf_mod_ret: a non-zero return skips the function (int returns: the low 32 bits, sign-extended)
          const v = BigInt.asIntN(32, r.r0 & 0xffffffffn);
          if (v !== 0n) { forced = v; break; }
        }
        if (forced !== undefined) break;
      }
      k.current = prev;
      this.stack.push(fn);
      let r: R;
      try {
        r = forced !== undefined ? (opts.fromRet ? opts.fromRet(forced) : (Number(forced) as unknown as R)) : body();
      } finally {
        this.stack.pop();
      }
      // do_exit, and a syscall that ended its task, never return
      if (opts.noReturn || (isTask && (!cur.alive || cur.exiting))) return r;
      if (!plan.fexit.length && !plan.kretprobe.length) return r;
      const ret = forced !== undefined ? BigInt.asUintN(64, forced) : this.retOf(r, opts);
      enter();
      if (plan.fexit.length) runAll(plan.fexit, () => rawTracepointArgs([...argv, ret]), 'tracing_args');
      const caller = this.stack.length ? kfuncAddress(this.stack[this.stack.length - 1]) + 0x20n : 0n;
      if (plan.kretprobe.length) runAll(plan.kretprobe, () => regs(caller, ret), 'pt_regs');
      return r;
    } finally {
      k.current = prev;
    }
  }

  private retOf<R>(r: R, opts: KprobeCallOpts<R>): bigint {
    if (opts.ret) return BigInt.asUintN(64, opts.ret(r));
    if (typeof r === 'number' || typeof r === 'bigint') return BigInt.asUintN(64, BigInt(r));
    if (r instanceof KObj) return r.addr;
    return 0n;
  }

  private cookieOf(link: BpfLink, fn: string): bigint {
    return this.multiCookies.get(link)?.get(fn) ?? link.cookie;
  }

  /**
   * bpf_program__attach_kprobe_multi_opts with syms and cookies: one link on the listed functions,
   * bpf_get_attach_cookie giving each its cookie. Returns the link fd (or -errno).
   */
  attachMulti(progFd: number, syms: readonly string[], opts: { cookies?: readonly bigint[]; retprobe?: boolean } = {}): number {
    if (!syms.length || (opts.cookies && opts.cookies.length !== syms.length)) return -Errno.EINVAL;
    const hook = `${opts.retprobe ? 'kretprobe' : 'kprobe'}.multi/${syms.join(',')}${syms.length === 1 ? ',' : ''}`;
    const fd = this.kernel.bpf.linkCreate({ progFd, hook });
    if (fd < 0) return fd;
    const links = this.kernel.hooks.links(hook);
    const link = links[links.length - 1];
    if (opts.cookies) this.multiCookies.set(link, new Map(syms.map((s, i) => [s, opts.cookies![i]])));
    return fd;
  }

  /**
   * The attach-time check of a kprobe-family hook (0 for other hooks): the program type must fit,
   * the function must exist (ENOENT) and be modelled (KprobeError with the nearest modelled names).
   */
  checkAttach(prog: BpfProg, hook: string): number {
    const m = FAMILY.exec(hook);
    if (!m) return 0;
    const [, kind, , target] = m;
    const tracing = kind === 'fentry' || kind === 'fexit' || kind === 'fmod_ret';
    if (tracing) {
      const want = kind === 'fentry' ? BpfAttachType.TRACE_FENTRY : kind === 'fexit' ? BpfAttachType.TRACE_FEXIT : BpfAttachType.MODIFY_RETURN;
      if (prog.type !== BpfProgType.TRACING || prog.expectedAttachType !== want) return -Errno.EINVAL;
    } else {
      if (prog.type !== BpfProgType.KPROBE) return -Errno.EINVAL;
      // a kprobe.multi program attaches only through a multi link, and the other way round
      if ((prog.expectedAttachType === BpfAttachType.TRACE_KPROBE_MULTI) !== kind.endsWith('.multi')) return -Errno.EINVAL;
    }
    if (kind.endsWith('.multi')) {
      const names = target.includes(',') ? target.split(',').filter(Boolean) : undefined;
      const hits = names ?? this.modelled().filter((f) => globMatch(f, target));
      if (names) for (const n of names) this.checkFn(n, hook);
      if (hits.length) return 0;
      const inKernel = [...kernelFuncs()].filter((f) => globMatch(f, target)).sort();
      if (!inKernel.length) return -Errno.ENOENT;
      throw new KprobeError('EKPROBE_UNMODELLED', `${hook}: the pattern matches ${inKernel.length} function(s) of Linux 6.18 (${inKernel.slice(0, 5).join(', ')}${inKernel.length > 5 ? ', ...' : ''}) but none bpfsim models; modelled functions: ${this.nearest(target.replace(/[*?]/g, '')).join(', ')} (bpfsim kprobes lists them)`);
    }
    let fn = kind === 'ksyscall' || kind === 'kretsyscall' ? SYS_PREFIX + target : target;
    const plus = /^(.*)\+(\w+)$/.exec(fn);
    if (plus && !tracing) {
      if (Number(plus[2]) !== 0) throw new KprobeError('EKPROBE_OFFSET', `${hook}: bpfsim models function entries only (offset ${plus[2]})`);
      fn = plus[1];
    }
    return this.checkFn(fn, hook);
  }

  private checkFn(fn: string, hook: string): number {
    if (this.isModelled(fn)) return 0;
    if (!kernelHas(fn)) return -Errno.ENOENT;
    throw new KprobeError('EKPROBE_UNMODELLED', `${hook}: ${fn} is a function of Linux 6.18 that bpfsim does not model (no modelled path calls it); nearest modelled: ${this.nearest(fn).join(', ')} (bpfsim kprobes lists them all)`);
  }
}
