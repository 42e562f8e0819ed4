/**
 * Loading an object file the way libbpf's bpf_object__load does: create the
 * maps from the loader's MapSpecs (global data initialised, .rodata/.kconfig
 * frozen, pinned-by-name maps reused), give each program's map references the
 * map fds, load every program, and fill prog_arrays' static initialisers.
 * The returned handles are the friendly, libbpf-shaped API.
 */
import { resolveUprobe } from '../trace/uprobe';
import { BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, BpfMapType, BpfProgType, BpfProgTypeName, BpfsimError, Errno } from '@bpfsim/uapi';
import * as loader from '@bpfsim/loader';
import type { BpfObject, MapSpec, ProgramSpec } from '@bpfsim/loader';
import type { Insn } from '@bpfsim/isa';
import type { Kernel } from '../kernel/kernel';
import { defaultKconfig } from '../kernel/kconfig';
import { BpfErrnoError, ProgLoadError, check } from './errors';
import type { BpfMap } from './maps/map';
import type { BpfProg } from './prog';
import { runProgram, type RunCtx, type RunOutcome } from './run';
import { hasTestRun, type TestRunAttr, type TestRunResult } from './test-run';
import { resolveAttachBtfId } from './attach-btf';
import { vmlinuxBtf } from './vmlinux-btf';

/** BPF_OBJ_NAME_LEN - 1 */
const NAME_MAX = 15;

export class MapHandle {
  constructor(private readonly kernel: Kernel, readonly name: string, readonly fd: number, readonly map: BpfMap) {}

  /** The value, or undefined when there is none (ENOENT). Other errors throw. */
  lookup(key: Uint8Array | null, flags = 0): Uint8Array | undefined {
    const r = this.kernel.bpf.mapLookupElem(this.fd, key, flags);
    if (r === -Errno.ENOENT) return undefined;
    return check(r, `map ${this.name}: lookup`);
  }
  update(key: Uint8Array | null, value: Uint8Array, flags = 0): void {
    check(this.kernel.bpf.mapUpdateElem(this.fd, key, value, flags), `map ${this.name}: update`);
  }
  delete(key: Uint8Array | null): boolean {
    const r = this.kernel.bpf.mapDeleteElem(this.fd, key);
    if (r === -Errno.ENOENT) return false;
    check(r, `map ${this.name}: delete`);
    return true;
  }
  /** Every key in get_next_key order. */
  keys(): Uint8Array[] {
    const out: Uint8Array[] = [];
    let k: Uint8Array | null = null;
    for (;;) {
      const r = this.kernel.bpf.mapGetNextKey(this.fd, k);
      if (r === -Errno.ENOENT) return out;
      k = check(r, `map ${this.name}: get_next_key`);
      out.push(k);
      if (out.length > this.map.maxEntries + 1) throw new BpfsimError('EMAPLOOP', `map ${this.name}: get_next_key does not end`);
    }
  }
  /** [key, value] pairs in key order (values absent for keys deleted meanwhile are skipped). */
  entries(): [Uint8Array, Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    for (const k of this.keys()) {
      const v = this.lookup(k);
      if (v) out.push([k, v]);
    }
    return out;
  }
}

export class ProgHandle {
  constructor(private readonly kernel: Kernel, readonly name: string, readonly fd: number, readonly prog: BpfProg, readonly spec?: ProgramSpec) {}

  /** BPF_PROG_TEST_RUN; throws on a negative result other than ENOSPC (whose partial outputs are returned). */
  testRun(attr: TestRunAttr = {}): TestRunResult {
    const r = this.kernel.bpf.progTestRun(this.fd, attr);
    if (typeof r === 'number') throw new BpfErrnoError(-r, `test run ${this.name}`);
    if (r.ret < 0 && r.ret !== -Errno.ENOSPC) throw new BpfErrnoError(-r.ret, `test run ${this.name}`);
    return r;
  }
  /** Attach to a hook (LINK_CREATE); returns the link fd. */
  attach(hook: string, cookie?: bigint): number {
    // libbpf resolves a uprobe's function in the binary's symbol table (here: the declared user image).
    const t = this.spec?.attachTarget;
    if (t?.kind === 'uprobe' && hook === this.spec!.section) {
      const r = resolveUprobe(this.kernel, t);
      if ('errno' in r) throw new BpfErrnoError(r.errno, `attach ${this.name} to ${hook}: ${r.message}`);
      hook = r.hook;
    }
    return check(this.kernel.bpf.linkCreate({ progFd: this.fd, hook, cookie }), `attach ${this.name} to ${hook}`);
  }
  /** Run once on a context of your own (bpfsim's direct trigger; any program type). */
  run(ctx: RunCtx, hook = 'direct'): RunOutcome {
    return runProgram(this.kernel, this.prog, ctx, hook);
  }
  /**
   * What `bpfsim run` and scenario runs do: BPF_PROG_TEST_RUN where the kernel
   * has one for the type (asking for ctx_out only where the type gives one),
   * otherwise a direct run on the context bytes given (kprobe, tracepoint, ...).
   */
  exercise(input: ExerciseInput): ExerciseResult {
    const type = this.prog.type;
    if (hasTestRun(type)) {
      const r = this.testRun({
        dataIn: input.dataIn, dataSizeOut: input.dataIn ? 0 : undefined, ctxIn: input.ctxIn,
        ctxSizeOut: input.ctxIn && !NO_CTX_OUT.has(type) ? input.ctxIn.length + 256 : undefined,
        repeat: input.repeat, flags: input.flags, cpu: input.cpu,
      });
      return { retval: r.retval, r0: r.r0, duration: r.duration, insns: r.insns, cpu: r.cpu, dataOut: r.dataOut, ctxOut: r.ctxOut };
    }
    if (!input.ctxIn) {
      throw new BpfErrnoError(Errno.EINVAL, `program ${this.name} (${BpfProgTypeName[type]}) has no kernel test run: give its context as bytes`);
    }
    const bytes = Uint8Array.from(input.ctxIn);
    const o = this.run({ ctx: { bytes, writable: true }, repeat: input.repeat, cpu: input.cpu }, 'test_run');
    return {
      retval: Number(o.r0 & 0xffffffffn), r0: o.r0, duration: Number(o.durationNs / BigInt(o.runs)),
      insns: o.insns, cpu: o.cpu, ctxOut: bytes,
    };
  }
}

/** Program types whose test run refuses a ctx_out buffer (raw_tracepoint, syscall). */
const NO_CTX_OUT = new Set<number>([BpfProgType.RAW_TRACEPOINT, BpfProgType.SYSCALL]);

export interface ExerciseInput {
  dataIn?: Uint8Array;
  ctxIn?: Uint8Array;
  repeat?: number;
  /** test_run flags (BPF_F_TEST_RUN_ON_CPU, ...). */
  flags?: number;
  cpu?: number;
}

export interface ExerciseResult {
  retval: number;
  r0: bigint;
  /** Virtual ns per run. */
  duration: number;
  insns: number;
  cpu: number;
  dataOut?: Uint8Array;
  ctxOut?: Uint8Array;
}

export class LoadedObject {
  readonly maps = new Map<string, MapHandle>();
  readonly programs = new Map<string, ProgHandle>();
  constructor(readonly object: BpfObject) {}

  map(name: string): MapHandle {
    const m = this.maps.get(name);
    if (!m) throw new BpfsimError('ENOMAP', `${this.object.file}: no map named ${name} (maps: ${[...this.maps.keys()].join(', ') || 'none'})`);
    return m;
  }
  program(name: string): ProgHandle {
    const p = this.programs.get(name);
    if (!p) throw new BpfsimError('ENOPROG', `${this.object.file}: no program named ${name} (programs: ${[...this.programs.keys()].join(', ') || 'none'})`);
    return p;
  }
}

export interface LoadObjectOptions {
  /** File name for messages (default "object.bpf.o"). */
  file?: string;
  /** Verifier log level for every program (default 1). */
  logLevel?: 0 | 1 | 2;
  /** Load only these programs (default all); the others are skipped as libbpf's autoload=false. */
  programs?: readonly string[];
  /** Override a program's type (for SEC names libbpf cannot map). */
  progType?: number;
}

/**
 * Parse an ELF with @bpfsim/loader as libbpf would on this kernel: `.kconfig`
 * externs take the kernel's values (`kernel.kconfig`), CO-RE relocations its
 * BTF (`kernel.btf`, when it has one).
 */
export function parseObject(bytes: Uint8Array, file: string, kernel?: Pick<Kernel, 'kconfig' | 'btf'>): BpfObject {
  return loader.loadObject(bytes, { file, kconfig: kernel?.kconfig ?? defaultKconfig(), targetBtf: kernel?.btf });
}

function createMapFromSpec(kernel: Kernel, obj: BpfObject, spec: MapSpec): number {
  let innerFd: number | undefined;
  if (spec.innerMap) innerFd = createMapFromSpec(kernel, obj, spec.innerMap);
  // The name the kernel gets: libbpf's "<obj prefix>.rodata" for global data (the loader computes it).
  const name = spec.kernelName ?? spec.name.slice(0, NAME_MAX);
  // libbpf sizes a perf event array left at max_entries 0 to the number of possible CPUs.
  const maxEntries = spec.type === BpfMapType.PERF_EVENT_ARRAY && spec.maxEntries === 0 ? kernel.sched.cpus : spec.maxEntries;
  const fd = kernel.bpf.mapCreate({
    type: spec.type, keySize: spec.keySize, valueSize: spec.valueSize, maxEntries, flags: spec.flags,
    name, innerMapFd: innerFd, numaNode: spec.numaNode, mapExtra: spec.mapExtra,
    // libbpf passes the object's BTF ids; local storage maps require them.
    btfKeyTypeId: spec.btfKeyTypeId, btfValueTypeId: spec.btfValueTypeId,
  });
  if (innerFd !== undefined) kernel.bpf.close(innerFd);
  if (fd < 0) throw new BpfErrnoError(-fd, `${obj.file}: create map ${spec.name}`);
  if (spec.initialValue && spec.type === BpfMapType.ARRAY) {
    check(kernel.bpf.mapUpdateElem(fd, new Uint8Array(4), spec.initialValue, 0), `${obj.file}: initialise map ${spec.name}`);
  }
  if (spec.frozen) check(kernel.bpf.mapFreeze(fd), `${obj.file}: freeze map ${spec.name}`);
  return fd;
}

/** libbpf's BPF_LOG_BUF_SIZE (UINT32_MAX >> 8): the first log buffer it gives a program load. */
export const LIBBPF_LOG_BUF_SIZE = 0xffffffff >>> 8;

/** bpf_object__load: maps, then programs, then prog_array initialisers. Throws ProgLoadError with the log. */
export function loadBpfObject(kernel: Kernel, object: BpfObject | Uint8Array, opts: LoadObjectOptions = {}): LoadedObject {
  const obj = object instanceof Uint8Array ? parseObject(object, opts.file ?? 'object.bpf.o', kernel) : object;
  const loaded = new LoadedObject(obj);
  const fds: number[] = [];
  for (const spec of obj.maps) {
    let fd: number;
    const pinPath = `/sys/fs/bpf/${spec.name}`;
    const pinned = spec.pinning === 1 ? kernel.bpf.objGet(pinPath) : -Errno.ENOENT;
    if (pinned >= 0) fd = pinned;
    else {
      fd = createMapFromSpec(kernel, obj, spec);
      if (spec.pinning === 1) check(kernel.bpf.objPin(fd, pinPath), `${obj.file}: pin map ${spec.name}`);
    }
    fds.push(fd);
    loaded.maps.set(spec.name, new MapHandle(kernel, spec.name, fd, kernel.bpf.mapByFd(fd)!));
  }
  for (const p of obj.programs) {
    if (opts.programs && !opts.programs.includes(p.name)) continue;
    // The loader leaves map indices in the lddws; the kernel wants fds.
    const insns = p.insns.slice();
    for (const ref of p.mapRefs) {
      const i = ref.insn;
      insns[i] = insns[i].with({ src: ref.kind === 'map' ? BPF_PSEUDO_MAP_FD : BPF_PSEUDO_MAP_VALUE, imm: fds[ref.mapIndex] });
      insns[i + 1] = insns[i + 1].with({ imm: ref.offset });
    }
    // bpf_object__resolve_externs (RELO_EXTERN_CALL): kfunc calls get their FUNC id in the kernel BTF
    const k = resolveKfuncCalls(insns, p);
    if (k) throw new ProgLoadError(k.errno, p.name, k.message, `${k.message}\n`).wrap(obj.file);
    // libbpf_find_attach_btf_id: tp_btf/fentry/lsm targets become ids in the kernel BTF
    const progType = opts.progType ?? p.progType;
    let attachBtfId: number | undefined;
    if (progType === BpfProgType.TRACING || progType === BpfProgType.LSM) {
      const a = resolveAttachBtfId(vmlinuxBtf(), p.attachTarget, p.name);
      if ('errno' in a) throw new ProgLoadError(a.errno, p.name, a.message, `${a.message}\n`).wrap(obj.file);
      attachBtfId = a.id;
    }
    const attr = {
      progType, insns, license: obj.license, expectedAttachType: p.expectedAttachType,
      progFlags: p.progFlags, name: p.name.slice(0, NAME_MAX), logLevel: opts.logLevel ?? 1, attachBtfId,
      btfFuncInfo: (p.funcInfo?.length ?? 0) > 0,
      // libbpf passes the object's BTF and func_info: global functions are verified on their own
      progBtf: p.funcInfo?.length ? obj.btf : undefined,
      funcInfo: p.funcInfo?.map((f) => ({ insnOff: f.insn, typeId: f.typeId })),
    };
    // bpf_object_load_prog: its own log buffer of BPF_LOG_BUF_SIZE, doubled on ENOSPC while the size
    // fits in 32 bits. The verdict is deterministic, so the sizes that would fail again are skipped.
    let logSize = LIBBPF_LOG_BUF_SIZE;
    let r = kernel.bpf.progLoad({ ...attr, logSize: attr.logLevel ? logSize : undefined });
    if (r.fd === -Errno.ENOSPC && r.logTrueSize) {
      while (logSize < r.logTrueSize && logSize <= 0xffffffff / 2) logSize *= 2;
      r = kernel.bpf.progLoad({ ...attr, logSize });
    }
    if (r.fd < 0) throw new ProgLoadError(-r.fd, p.name, r.error, r.log).wrap(obj.file);
    loaded.programs.set(p.name, new ProgHandle(kernel, p.name, r.fd, r.prog!, p));
  }
  obj.maps.forEach((spec, i) => {
    for (const slot of spec.initSlots ?? []) {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, slot.index, true);
      const target = slot.kind === 'prog' ? loaded.programs.get(slot.target)?.fd : loaded.maps.get(slot.target)?.fd;
      if (target === undefined) continue;
      const v = new Uint8Array(4);
      new DataView(v.buffer).setUint32(0, target, true);
      check(kernel.bpf.mapUpdateElem(fds[i], key, v, 0), `${obj.file}: initialise ${spec.name}[${slot.index}]`);
    }
  });
  return loaded;
}

/** libbpf's POISON_CALL_KFUNC_BASE: an unresolved __weak kfunc call becomes a call to this invalid helper. */
const POISON_CALL_KFUNC_BASE = 2002000000;

/**
 * Resolve `extern ... __ksym` function calls by name against the kernel BTF (FUNC, vmlinux: off 0),
 * as libbpf does; a missing __weak one is poisoned, a missing strong one fails the load (ESRCH).
 */
function resolveKfuncCalls(insns: Insn[], p: ProgramSpec): { errno: number; message: string } | null {
  const refs = p.kfuncRefs ?? [];
  if (!refs.length) return null;
  const types = vmlinuxBtf().types;
  const ids = new Map<string, number>();
  for (let i = 1; i < types.length; i++) if (types[i].kind === 12 && !ids.has(types[i].name)) ids.set(types[i].name, i);
  const weakNames = [...new Set(refs.map((r) => r.name))];
  for (const r of refs) {
    const id = ids.get(r.name);
    if (id !== undefined) insns[r.insn] = insns[r.insn].with({ src: 2 /* BPF_PSEUDO_KFUNC_CALL */, imm: id, off: 0 });
    else if (r.weak) insns[r.insn] = insns[r.insn].with({ src: 0, imm: POISON_CALL_KFUNC_BASE + weakNames.indexOf(r.name), off: 0 });
    else return { errno: Errno.ESRCH, message: `extern (func ksym) '${r.name}': not found in kernel or module BTFs` };
  }
  return null;
}
