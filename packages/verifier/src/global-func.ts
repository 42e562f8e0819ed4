/**
 * Functions as the program's own BTF describes them (func_info): their names, static or global
 * linkage, and for global functions the argument types the verifier assumes — btf_prepare_func_args
 * (kernel/bpf/btf.c) — and checks at each call — btf_check_subprog_call / btf_check_func_arg_match.
 * A global function is verified once on its own (do_check_subprogs), for any arguments of its
 * prototype; its callers only check that they pass such arguments.
 */
import { BpfProgType, progTypeInfo } from '@bpfsim/uapi';
import type { KernelBtf, KernelBtfType } from './api';
import { K, isModifier, isStruct, kindStr, resolveSize, skipModifiers, typeById } from './btf';
import { Reject, eacces, einval } from './errors';
import type { Reg } from './state';
import { typeName } from './check';

/** The kernel's bpf_subprog_arg_info: what a global function's argument register holds. */
export type SubprogArg = { kind: 'anything' } | { kind: 'ctx' } | { kind: 'mem'; memSize: number };

const BTF_FUNC_GLOBAL = 1;
const MAX_BPF_FUNC_REG_ARGS = 5;

/**
 * Context struct names by program type, as bpf_ctx_convert pairs them (include/linux/bpf_types.h),
 * with the kernel-side struct btf_is_projection_of also accepts. Types without a named struct
 * (tracepoint: u64, tracing: u64[]) have no ctx argument without an `arg:ctx` tag.
 */
const CTX_NAMES: Partial<Record<number, readonly string[]>> = {
  [BpfProgType.SOCKET_FILTER]: ['__sk_buff', 'sk_buff'], [BpfProgType.SCHED_CLS]: ['__sk_buff', 'sk_buff'],
  [BpfProgType.SCHED_ACT]: ['__sk_buff', 'sk_buff'], [BpfProgType.CGROUP_SKB]: ['__sk_buff', 'sk_buff'],
  [BpfProgType.SK_SKB]: ['__sk_buff', 'sk_buff'], [BpfProgType.LWT_IN]: ['__sk_buff', 'sk_buff'],
  [BpfProgType.LWT_OUT]: ['__sk_buff', 'sk_buff'], [BpfProgType.LWT_XMIT]: ['__sk_buff', 'sk_buff'],
  [BpfProgType.XDP]: ['xdp_md', 'xdp_buff'],
  // bpf_user_pt_regs_t, a typedef of struct pt_regs on x86-64
  [BpfProgType.KPROBE]: ['pt_regs'],
};

/** func_info with the program BTF, per subprogram (index = subprogram number). */
export class ProgFuncs {
  /** func_info_aux[].unreliable: a call's arguments did not match the BTF once. */
  private readonly unreliable = new Set<number>();
  /** sub->args_cached. */
  private readonly cached = new Map<number, SubprogArg[]>();

  constructor(
    private readonly btf: KernelBtf | undefined,
    private readonly typeIds: readonly number[] | undefined,
    private readonly progType: number,
  ) {}

  get hasFuncInfo(): boolean { return !!this.btf && !!this.typeIds; }
  private fn(k: number): KernelBtfType | undefined {
    const id = this.typeIds?.[k];
    return this.btf && id ? typeById(this.btf, id) : undefined;
  }
  /** subprog_name: the FUNC's name. */
  name(k: number): string { return this.fn(k)?.name ?? ''; }
  /** linkage == BTF_FUNC_STATIC. */
  isStatic(k: number): boolean { return (this.fn(k)?.linkage ?? 0) === 0; }
  /** subprog_is_global. */
  isGlobal(k: number): boolean { return this.fn(k)?.linkage === BTF_FUNC_GLOBAL; }

  /**
   * btf_prepare_func_args: the argument kinds of subprogram `k`. A static function's prototype
   * problems are silent (-EINVAL); a global one's are logged through `log` and reject the program.
   */
  prepare(k: number, log: (s: string) => void): SubprogArg[] | Reject {
    const hit = this.cached.get(k);
    if (hit) return hit;
    const global = this.isGlobal(k);
    const btf = this.btf;
    const fn = this.fn(k);
    const quiet = new Reject('', 'EINVAL');
    if (!btf || !fn) return global ? logged(log, 'Global functions need valid BTF', 'EFAULT') : quiet;
    if (fn.kind !== K.FUNC) return logged(log, `BTF of func#${k} doesn't point to KIND_FUNC`, 'EFAULT');
    const tname = fn.name;
    const proto = typeById(btf, fn.type ?? 0);
    if (proto.kind !== K.FUNC_PROTO) return logged(log, `Invalid type of function ${tname}()`, 'EFAULT');
    const params = proto.params ?? [];
    if (params.length > MAX_BPF_FUNC_REG_ARGS) {
      return global ? logged(log, `Global function ${tname}() with ${params.length} > ${MAX_BPF_FUNC_REG_ARGS} args. Buggy compiler.`, 'EINVAL') : quiet;
    }
    // the function must return an int or enum (void included: 6.18 refuses a void global function)
    const ret = skipModifiers(btf, proto.returnType ?? 0).t;
    if (!isScalarType(ret)) {
      return global ? logged(log, `Global function ${tname}() doesn't return scalar. Only those are supported.`, 'EINVAL') : quiet;
    }
    const args: SubprogArg[] = [];
    for (let i = 0; i < params.length; i++) {
      const t = skipModifiers(btf, params[i].type).t;
      if (t.kind === K.PTR && this.isCtxType(btf, t, i, log)) { args.push({ kind: 'ctx' }); continue; }
      // pointers to memory only for global functions: a static one's prototype is not trusted for them
      if (t.kind === K.PTR && global) {
        const ref = skipModifiers(btf, t.type ?? 0).t;
        const size = resolveSize(btf, t.type ?? 0);
        if (!size) {
          return global ? logged(log, `arg#${i} reference type('${kindStr(ref)} ${ref.name}') size cannot be determined: -22`, 'EINVAL') : quiet;
        }
        args.push({ kind: 'mem', memSize: size.size });
        continue;
      }
      if (isScalarType(t)) { args.push({ kind: 'anything' }); continue; }
      return global ? logged(log, `Arg#${i} type ${kindStr(t)} in ${tname}() is not supported yet.`, 'EINVAL') : quiet;
    }
    this.cached.set(k, args);
    return args;
  }

  /** btf_is_prog_ctx_type: a pointer to the program type's context struct (by name). */
  private isCtxType(btf: KernelBtf, ptrType: KernelBtfType, arg: number, log: (s: string) => void): boolean {
    let t = typeById(btf, ptrType.type ?? 0);
    if (this.progType === BpfProgType.KPROBE) {
      while (isModifier(t) && t.kind !== K.TYPEDEF) t = typeById(btf, t.type ?? 0);
      if (t.kind === K.TYPEDEF && t.name === 'bpf_user_pt_regs_t') return true;
    }
    while (isModifier(t)) t = typeById(btf, t.type ?? 0);
    if (!isStruct(t)) return false;
    if (!t.name) { log(`arg#${arg} struct doesn't have a name\n`); return false; }
    return (CTX_NAMES[this.progType] ?? ctxFromInfo(this.progType)).includes(t.name);
  }

  /**
   * btf_check_subprog_call: do the caller's registers match subprogram `k`'s prototype? Null when
   * they do; else the error (its message already logged). A mismatch marks the function unreliable.
   */
  checkCall(k: number, regs: readonly Reg[], log: (s: string) => void, memCheck: (regno: number, size: number) => void): Reject | null {
    if (!this.hasFuncInfo) return new Reject('', 'EINVAL');
    if (!this.typeIds?.[k]) return new Reject('', 'EFAULT');
    if (this.unreliable.has(k)) return new Reject('', 'EINVAL');
    const e = this.matchArgs(k, regs, log, memCheck);
    if (e) this.unreliable.add(k);
    return e;
  }

  private matchArgs(k: number, regs: readonly Reg[], log: (s: string) => void, memCheck: (regno: number, size: number) => void): Reject | null {
    const args = this.prepare(k, log);
    if (args instanceof Reject) return args;
    for (let i = 0; i < args.length; i++) {
      const regno = i + 1;
      const reg = regs[regno];
      const a = args[i];
      try {
        if (a.kind === 'anything') {
          if (reg.type !== 'scalar') throw einval(`R${regno} is not a scalar`);
        } else if (a.kind === 'ctx') {
          checkArgRegOff(reg, regno);
          if (reg.type !== 'ctx') throw einval(`arg#${i} expects pointer to ctx`);
        } else {
          checkArgRegOff(reg, regno);
          // check_mem_reg: NULL is fine; any other value must be `memSize` readable and writable bytes
          try { memCheck(regno, a.memSize); } catch (e) {
            if (e instanceof Reject) throw new Reject(e.msg, 'EINVAL');
            throw e;
          }
        }
      } catch (e) {
        if (!(e instanceof Reject)) throw e;
        log(e.msg + '\n');
        return e;
      }
    }
    return null;
  }
}

function logged(log: (s: string) => void, msg: string, errno: string): Reject {
  log(msg + '\n');
  return new Reject(msg, errno);
}

const isScalarType = (t: KernelBtfType): boolean => t.kind === K.INT || t.kind === K.ENUM || t.kind === K.ENUM64;

/** The context struct's name from @bpfsim/uapi's program-type table when CTX_NAMES has no entry. */
function ctxFromInfo(progType: number): readonly string[] {
  const n = progTypeInfo(progType)?.ctxStruct;
  return n && /^[A-Za-z_][A-Za-z0-9_]*$/.test(n) ? [n] : [];
}

/** The reg types check_func_arg_reg_off lets through with any offset (not their _or_null variants). */
const OFF_OK = new Set(['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value', 'mem', 'ringbuf_mem', 'scalar']);

/** check_func_arg_reg_off for a subprogram's argument (never a release): __check_ptr_off_reg. */
function checkArgRegOff(reg: Reg, regno: number): void {
  if (OFF_OK.has(reg.type) && (!reg.maybeNull || reg.type === 'scalar')) return;
  const t = reg.type === 'not_init' ? '?' : typeName(reg);
  if (reg.off < 0) throw eacces(`negative offset ${t} ptr R${regno} off=${reg.off} disallowed`);
  // PTR_TO_BTF_ID (not _or_null) may point into its struct
  if (reg.off && !(reg.type === 'ptr_btf' && !reg.maybeNull)) throw eacces(`dereference of modified ${t} ptr R${regno} off=${reg.off} disallowed`);
  const v = reg.s.varOff;
  if (v.mask !== 0n || v.value !== 0n) throw eacces(`variable ${t} access var_off=(0x${v.value.toString(16)}; 0x${v.mask.toString(16)}) disallowed`);
}
