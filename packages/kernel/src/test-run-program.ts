/**
 * The library entry behind `bpfsim run`: load a program (from an object file
 * or raw instructions) into a fresh kernel and do what BPF_PROG_TEST_RUN does
 * for its type. Types without a kernel test_run (kprobe, tracepoint,
 * perf_event, ...) run once on a context given as bytes (ctxIn), a bpfsim
 * extension. Returns the outputs, the maps' contents and the trace.
 */
import type { Insn } from '@bpfsim/isa';
import type { BpfObject } from '@bpfsim/loader';
import { BpfMapType, BpfProgTypeName, BpfsimError } from '@bpfsim/uapi';
import { BpfErrnoError, ProgLoadError } from './bpf/errors';
import { LoadedObject, MapHandle, ProgHandle, type ExerciseResult } from './bpf/object';
import { Kernel, type KernelOptions } from './kernel/kernel';
import { hex, type TraceRecord } from './kernel/trace';

export interface TestRunProgramOptions {
  /** An ELF object (bytes or parsed). */
  object?: Uint8Array | BpfObject;
  /** File name for messages. */
  file?: string;
  /** Or raw instructions (with progType). Map references are not possible this way. */
  insns?: readonly Insn[];
  /** Program to run in the object (default: the first one). */
  progName?: string;
  /** Program type: required with insns; overrides the SEC()-derived type of an object's programs. */
  progType?: number;
  license?: string;
  dataIn?: Uint8Array;
  ctxIn?: Uint8Array;
  repeat?: number;
  seed?: string | number;
  cpus?: number;
  /** Runs to CPU (test_run flags BPF_F_TEST_RUN_ON_CPU where the type supports it). */
  flags?: number;
  cpu?: number;
  /** Verifier override (tests). */
  verifier?: KernelOptions['verifier'];
  /** VM engine (default: the kernel's, compiled). */
  vmEngine?: KernelOptions['vmEngine'];
}

export interface MapSnapshot {
  name: string;
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** Entries in get_next_key order, bytes as hex; absent for maps user space cannot iterate (ring buffers, perf arrays). */
  entries?: { key: string; value: string }[];
  /** Ring buffer records not yet consumed (hex). */
  records?: string[];
}

export interface TestRunProgramResult {
  progName: string;
  progType: string;
  retval: number;
  r0: bigint;
  dataOut?: Uint8Array;
  ctxOut?: Uint8Array;
  /** Virtual ns per run. */
  duration: number;
  /** Instructions executed over all repeats. */
  insns: number;
  cpu: number;
  maps: MapSnapshot[];
  tracePipe: string[];
  trace: TraceRecord[];
  /** The kernel, for further inspection. */
  kernel: Kernel;
}

/** Plain snapshot of a map (what `bpfsim maps` prints). */
export function snapshotMap(h: MapHandle): MapSnapshot {
  const m = h.map;
  const snap: MapSnapshot = {
    name: h.name, type: mapTypeName(m.type), keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries,
  };
  if (m.type === BpfMapType.RINGBUF) {
    snap.records = (m as unknown as { consume(): Uint8Array[] }).consume().map(hex);
    return snap;
  }
  if (m.type === BpfMapType.PERF_EVENT_ARRAY) return snap;
  try {
    snap.entries = h.entries().map(([k, v]) => ({ key: hex(k), value: hex(v) }));
  } catch (e) {
    // Maps without user-space iteration (ENOTSUPP/EINVAL from get_next_key) show no entries.
    if (!(e instanceof BpfErrnoError)) throw e;
  }
  return snap;
}

function mapTypeName(t: number): string {
  const e = Object.entries(BpfMapType).find(([, v]) => v === t);
  return e ? e[0].toLowerCase() : `type ${t}`;
}

function pickProgram(loaded: LoadedObject, name: string | undefined, file: string): ProgHandle {
  if (name) return loaded.program(name);
  const first = loaded.programs.values().next();
  if (first.done) throw new BpfsimError('ENOPROG', `${file}: the object has no programs`);
  return first.value;
}

export function testRunProgram(opts: TestRunProgramOptions): TestRunProgramResult {
  const file = opts.file ?? (opts.object ? 'object.bpf.o' : 'insns');
  const kernel = new Kernel({ seed: opts.seed, cpus: opts.cpus, verifier: opts.verifier, vmEngine: opts.vmEngine });
  let prog: ProgHandle;
  let loaded: LoadedObject | undefined;
  if (opts.object) {
    // Load every program: tail calls may need the others.
    loaded = kernel.loadObject(opts.object, { file, progType: opts.progType });
    prog = pickProgram(loaded, opts.progName, file);
  } else if (opts.insns) {
    if (opts.progType === undefined) throw new BpfsimError('EPROGTYPE', `${file}: raw instructions need a program type`);
    const name = (opts.progName ?? 'prog').slice(0, 15);
    const r = kernel.bpf.progLoad({ progType: opts.progType, insns: opts.insns, license: opts.license ?? 'GPL', name });
    if (r.fd < 0) throw new ProgLoadError(-r.fd, name, r.error, r.log).wrap(file);
    prog = new ProgHandle(kernel, name, r.fd, r.prog!);
  } else {
    throw new BpfsimError('ENOPROG', 'testRunProgram: give an object or insns');
  }

  const type = prog.prog.type;
  let r: ExerciseResult;
  try {
    r = prog.exercise({ dataIn: opts.dataIn, ctxIn: opts.ctxIn, repeat: opts.repeat, flags: opts.flags, cpu: opts.cpu });
  } catch (e) {
    if (e instanceof BpfErrnoError) e.wrap(file);
    throw e;
  }
  const { retval, r0, dataOut, ctxOut, duration, insns, cpu } = r;
  return {
    progName: prog.name, progType: BpfProgTypeName[type] ?? `type ${type}`, retval, r0, dataOut, ctxOut, duration, insns, cpu,
    maps: loaded ? [...loaded.maps.values()].map(snapshotMap) : [],
    tracePipe: [...kernel.bpf.tracePipe], trace: kernel.trace.records, kernel,
  };
}
