/**
 * Tracing programs' context (BPF_PROG_TYPE_TRACING, tp_btf): the attach target from the kernel BTF
 * (bpf_check_attach_target for BPF_TRACE_RAW_TP) and reads of its u64 argument array
 * (bpf_tracing_btf_ctx_access / btf_ctx_access), which yield scalars or PTR_TO_BTF_ID.
 */
import { BpfAttachType, BpfProgType } from '@bpfsim/uapi';
import type { KernelBtf, KernelBtfType, VerifyOptions } from './api';
import { isModifier, isSmallInt, isStruct, K, kindStr, nameOf, skipModifiers, typeById, typeNameOf } from './btf';
import type { Checker } from './check';
import { eacces, einval, Reject } from './errors';
import { checkIterTarget, type IterCtxArg } from './iter';
import { RAW_TP_NULL_ARGS } from './raw-tp-null-args';
import { ptr, type Reg } from './state';

/** MAX_BPF_FUNC_ARGS: the context is u64 args[12]. */
const MAX_BPF_FUNC_ARGS = 12;
const TRACE_PREFIX = 'btf_trace_';

/** The resolved attach target: the traced function's name as the log prints it, and its prototype. */
export interface AttachTarget {
  btf: KernelBtf;
  /** attach_func_name: the tracepoint's name (`sched_switch`). */
  name: string;
  /** attach_func_proto: the btf_trace_<tp> prototype, `void *__data` first. */
  proto: KernelBtfType;
  /** The first argument is the tracepoint's `void *__data` (attach_btf_trace). */
  skipFirst: boolean;
  /** Iterators: the target's ctx_arg_info by context offset (bpf_iter_reg). */
  ctxArgs?: ReadonlyMap<number, IterCtxArg>;
  /** fexit and fmod_ret read the traced function's return value in the slot after its arguments. */
  retSlot?: 'fexit' | 'fmod_ret';
  /** fentry/fexit/fmod_ret: arguments are not trusted pointers (prog_args_trusted). */
  trampoline?: boolean;
}

/** Attach types that need a BPF trampoline: the reference kernel refuses them with EPERM before verifying. */
const TRAMPOLINE = new Set<number>([BpfAttachType.TRACE_FENTRY, BpfAttachType.TRACE_FEXIT, BpfAttachType.MODIFY_RETURN]);

/**
 * True when bpf(BPF_PROG_LOAD) fails with EPERM and an empty log before the verifier runs: tracing
 * fentry, fexit, fmod_ret, and every BPF_PROG_TYPE_LSM load (the reference kernel answers EPERM for
 * LSM whatever the attach type or target, before bpf_prog_load_check_attach's EINVAL).
 */
export function needsTrampoline(opts: VerifyOptions): boolean {
  if (opts.progType === BpfProgType.LSM) return true;
  return !opts.trampolines && opts.progType === BpfProgType.TRACING && TRAMPOLINE.has(opts.expectedAttachType ?? 0);
}

/**
 * check_attach_btf_id / bpf_check_attach_target for a tracing program. Throws the kernel's message
 * (EINVAL; an empty message where the kernel logs none). bpfsim verifies tp_btf (BPF_TRACE_RAW_TP) only.
 */
export function checkAttachTarget(opts: VerifyOptions): AttachTarget {
  const id = opts.attachBtfId ?? 0;
  if (!id) throw einval('Tracing programs must provide btf_id');
  const btf = opts.kernelBtf;
  if (!btf) throw new Reject('bpfsim has no kernel BTF to verify a tracing program against (VerifyOptions.kernelBtf)', 'EINVAL');
  const t = btf.types[id];
  if (!t) throw einval(`attach_btf_id ${id} is invalid`);
  const eat = opts.expectedAttachType ?? 0;
  if (eat === BpfAttachType.TRACE_ITER) {
    const it = checkIterTarget(btf, id, t);
    return { btf, name: it.name, proto: it.proto, skipFirst: false, ctxArgs: it.ctxArgs };
  }
  if (eat === BpfAttachType.LSM_MAC) {
    if (t.kind !== K.FUNC) throw einval(`attach_btf_id ${id} is not a function`);
    throw new Reject('bpfsim does not verify lsm tracing programs yet', 'EINVAL');
  }
  if (TRAMPOLINE.has(eat)) return trampolineTarget(btf, id, t, eat, opts.errorInjectable ?? (() => false));
  if (eat !== BpfAttachType.TRACE_RAW_TP) throw new Reject('', 'EINVAL');
  if (t.kind !== K.TYPEDEF) throw einval(`attach_btf_id ${id} is not a typedef`);
  if (!t.name.startsWith(TRACE_PREFIX)) throw einval(`attach_btf_id ${id} points to wrong type name ${t.name}`);
  // the typedef is a pointer to the probe's prototype (the kernel reads the template FUNC of the same shape)
  const p = typeById(btf, t.type ?? 0);
  const proto = p.kind === K.PTR ? typeById(btf, p.type ?? 0) : p;
  if (proto.kind !== K.FUNC_PROTO) throw new Reject('', 'EINVAL');
  return { btf, name: t.name.slice(TRACE_PREFIX.length), proto, skipFirst: true };
}

/** The security_ hooks fmod_ret may modify (check_attach_modify_return's SECURITY_PREFIX). */
const SECURITY_PREFIX = 'security_';

/**
 * bpf_check_attach_target for fentry/fexit/fmod_ret (a kernel with trampolines): the target is a FUNC
 * whose FUNC_PROTO types the context. fmod_ret needs a function the kernel lets it modify: a security_
 * hook or one on the kernel's error-injection list (VerifyOptions.errorInjectable).
 */
function trampolineTarget(btf: KernelBtf, id: number, t: KernelBtfType, eat: number, errorInjectable: (fn: string) => boolean): AttachTarget {
  if (t.kind !== K.FUNC) throw einval(`attach_btf_id ${id} is not a function`);
  const proto = typeById(btf, t.type ?? 0);
  if (proto.kind !== K.FUNC_PROTO) throw einval(`attach_btf_id ${id} type is not a function`);
  if (eat === BpfAttachType.MODIFY_RETURN && !t.name.startsWith(SECURITY_PREFIX) && !errorInjectable(t.name)) {
    throw einval(`${t.name}() is not modifiable`);
  }
  const retSlot = eat === BpfAttachType.TRACE_FEXIT ? 'fexit' : eat === BpfAttachType.MODIFY_RETURN ? 'fmod_ret' : undefined;
  return { btf, name: t.name, proto, skipFirst: false, retSlot, trampoline: true };
}


/**
 * btf_ctx_arg_idx: which argument slot `off` falls in. As in the kernel, slots are counted over the
 * whole prototype (the tracepoint's `void *__data` included) and then the return value.
 */
function ctxArgIdx(btf: KernelBtf, proto: KernelBtfType, off: number): number {
  const params = proto.params ?? [];
  let end = 0;
  const slot = (id: number): number => {
    const t = skipModifiers(btf, id).t;
    return t.kind === K.PTR ? 8 : Math.ceil((t.size ?? 0) / 8) * 8;
  };
  for (let i = 0; i < params.length; i++) {
    end += slot(params[i].type);
    if (off < end) return i;
  }
  end += slot(proto.returnType ?? 0);
  return off < end ? params.length : params.length + 1;
}

/** is_void_or_int_ptr: `void *` and `int *` arguments read as scalars. */
function isVoidOrIntPtr(btf: KernelBtf, t: KernelBtfType): boolean {
  const to = skipModifiers(btf, t.type ?? 0).t;
  return to.kind === 0 || to.kind === K.INT;
}

/**
 * An access of `size` bytes at `off` to a tracing program's context: the kernel's
 * bpf_tracing_btf_ctx_access. Writes the kernel's log lines and throws its error; returns what a
 * load yields: a PTR_TO_BTF_ID register, or null for a scalar.
 */
export function tracingCtxAccess(c: Checker, target: AttachTarget, off: number, size: number, write: boolean): Reg | null {
  const bad = (): never => { throw eacces(`invalid bpf_context access off=${off} size=${size}`); };
  const say = (line: string): void => { if (c.log.level) c.log.write(line + '\n'); };
  // bpf_tracing_ctx_access
  if (off < 0 || off >= 8 * MAX_BPF_FUNC_ARGS || write || off % size !== 0) bad();
  // btf_ctx_access
  const { btf, proto, name } = target;
  if (off % 8) { say(`func '${name}' offset ${off} is not multiple of 8`); bad(); }
  const arg = ctxArgIdx(btf, proto, off);
  let params = proto.params ?? [];
  let nrArgs = params.length;
  if (target.skipFirst) { params = params.slice(1); nrArgs--; }
  let t: KernelBtfType;
  if (arg === nrArgs && target.retSlot) {
    // btf_ctx_access: the slot after the arguments is the return value (fexit, fmod_ret)
    const rt = proto.returnType ?? 0;
    if (target.retSlot === 'fexit' && rt === 0) return null;
    t = rt === 0 ? { kind: 0, name: '' } : typeById(btf, rt);
    if (target.retSlot === 'fmod_ret') {
      while (isModifier(t)) t = typeById(btf, t.type ?? 0);
      if (!isSmallInt(t)) { say(`ret type ${kindStr(t)} not allowed for fmod_ret`); bad(); }
    }
  } else {
    if (arg >= nrArgs) { say(`func '${name}' doesn't have ${arg + 1}-th argument`); bad(); }
    t = typeById(btf, params[arg].type);
  }
  while (isModifier(t)) t = typeById(btf, t.type ?? 0);
  if (isSmallInt(t) || t.kind === K.ENUM || t.kind === K.ENUM64 || isStruct(t)) return null;
  if (t.kind !== K.PTR) {
    say(`func '${name}' arg${arg} '${nameOf(t)}' has type ${kindStr(t)}. Only pointer access is allowed`);
    bad();
  }
  if (size !== 8) { say(`func '${name}' size ${size} must be 8`); bad(); }
  const info = target.ctxArgs?.get(off);
  // PTR_TO_BUF | PTR_MAYBE_NULL context arguments come first (bpf_map_elem's key and value)
  if (info?.buf) throw new Reject(`bpfsim does not model iterator ${info.buf === 'rdonly' ? 'key' : 'value'} buffers (PTR_TO_BUF) yet`, 'EINVAL');
  if (isVoidOrIntPtr(btf, t)) return null;
  if (info) {
    // the target's ctx_arg_info: PTR_TO_BTF_ID_OR_NULL to the registered struct, no log line
    const id = skipModifiers(btf, t.type ?? 0).id;
    return ptr('ptr_btf', { btfId: id, btfName: typeNameOf(btf, id), trusted: info.trusted, maybeNull: true });
  }
  const marks = target.skipFirst ? RAW_TP_NULL_ARGS.get(name) : undefined;
  const maybeNull = marks !== undefined && (marks.nullMask & (1 << arg)) !== 0;
  const errPtr = marks !== undefined && (marks.errMask & (1 << arg)) !== 0;
  let id = t.type ?? 0;
  let to = typeById(btf, id);
  while (isModifier(to)) { id = to.type ?? 0; to = typeById(btf, id); }
  if (!isStruct(to)) {
    say(`func '${name}' arg${arg} type ${kindStr(to)} is not a struct`);
    bad();
  }
  say(`func '${name}' arg${arg} has btf_id ${id} type ${kindStr(to)} '${nameOf(to)}'`);
  if (errPtr) {
    // "marking pointer arg%d as scalar as it may encode error" has no newline in the kernel
    if (c.log.level) c.log.write(`marking pointer arg${arg} as scalar as it may encode error`);
    return null;
  }
  // prog_args_trusted: tp_btf and iterator arguments are trusted, fentry/fexit ones are not
  return ptr('ptr_btf', { btfId: id, btfName: typeNameOf(btf, id), trusted: !target.trampoline, maybeNull });
}
