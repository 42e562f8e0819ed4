/**
 * The user-facing handles over @bpfsim/kernel's LoadedObject: programs that
 * run on plain inputs and return a result the matchers can explain, maps that
 * read and write with numbers, bytes or BTF-decoded values.
 */
import { BpfMapType, BpfProgTypeName, BpfsimError } from '@bpfsim/uapi';
import { BufferReader, type BufferReaderOptions, type LoadedObject, type MapHandle, type ProgHandle, type TraceRecord } from '@bpfsim/kernel';
import type { Btf, MapSpec } from '@bpfsim/loader';
import { decodeBytes, intBytes, isPerCpu, perCpuSlots, toBytes, type BytesLike } from '../values';
import type { ProgramSource } from '../source';
import type { BpfsimKernel } from './kernel';

/** What a program runs on: packet bytes (XDP, tc, socket filters, ...) and/or context bytes. */
export interface RunInput {
  /** Packet bytes (data_in): a Uint8Array, an array of bytes, or hex ("02 00 ..."). */
  data?: Uint8Array | readonly number[] | string;
  /** Context bytes (ctx_in), e.g. a tracepoint record or pt_regs. */
  ctx?: Uint8Array | readonly number[] | string;
  repeat?: number;
  cpu?: number;
}

/** One run's outcome, with what the matchers need to explain it. */
export interface RunResult {
  kind: 'bpfsim-run';
  program: string;
  progType: number;
  /** The return value as the test run reports it (u32). */
  retval: number;
  r0: bigint;
  insns: number;
  /** Virtual ns per run. */
  duration: number;
  cpu: number;
  dataOut?: Uint8Array;
  ctxOut?: Uint8Array;
  /** Kernel trace records the run caused (trace_pipe lines, ring buffer records, map updates, ...). */
  records: TraceRecord[];
  source: ProgramSource;
  kernel: BpfsimKernel;
}

const asBytes = (v: Uint8Array | readonly number[] | string, what: string): Uint8Array =>
  typeof v === 'string' ? toBytes(v, v.replace(/\s+/g, '').length / 2, what) : Uint8Array.from(v);

export class BpfsimProgram {
  constructor(readonly object: BpfsimObject, readonly handle: ProgHandle) {}
  get name(): string {
    return this.handle.name;
  }
  get progType(): number {
    return this.handle.prog.type;
  }
  /** "xdp", "sched_cls", ... */
  get typeName(): string {
    return (BpfProgTypeName[this.progType] ?? `type ${this.progType}`).replace(/^BPF_PROG_TYPE_/, '').toLowerCase();
  }
  get source(): ProgramSource {
    const spec = this.handle.spec;
    return { name: this.name, file: this.object.file, insns: spec?.insns ?? this.handle.prog.insns, lineInfo: spec?.lineInfo };
  }

  /** BPF_PROG_TEST_RUN where the type has one, else a direct run on the context bytes (as `bpfsim run`). */
  run(input: RunInput = {}): RunResult {
    const k = this.object.kernel.kernel;
    const before = k.trace.records.length;
    const r = this.handle.exercise({
      dataIn: input.data === undefined ? undefined : asBytes(input.data, `run ${this.name}: data`),
      ctxIn: input.ctx === undefined ? undefined : asBytes(input.ctx, `run ${this.name}: ctx`),
      repeat: input.repeat, cpu: input.cpu,
      // as `bpfsim run` and scenarios do: a CPU given means BPF_F_TEST_RUN_ON_CPU
      flags: input.cpu !== undefined ? 1 : 0,
    });
    return {
      kind: 'bpfsim-run', program: this.name, progType: this.progType, retval: r.retval, r0: r.r0, insns: r.insns,
      duration: r.duration, cpu: r.cpu, dataOut: r.dataOut, ctxOut: r.ctxOut,
      records: k.trace.records.slice(before), source: this.source, kernel: this.object.kernel,
    };
  }
}

export class BpfsimMap {
  constructor(readonly object: BpfsimObject, readonly handle: MapHandle, readonly spec: MapSpec | undefined) {}
  get name(): string {
    return this.handle.name;
  }
  get type(): number {
    return this.handle.map.type;
  }
  get keySize(): number {
    return this.handle.map.keySize;
  }
  get valueSize(): number {
    return this.handle.map.valueSize;
  }
  get btf(): Btf | undefined {
    return this.object.btf;
  }
  get perCpu(): boolean {
    return isPerCpu(this.type);
  }
  /** The name the kernel knows the map by (what trace records carry). */
  get kernelName(): string {
    return this.handle.map.name;
  }

  keyBytes(key: BytesLike): Uint8Array {
    return toBytes(key, this.keySize, `map ${this.name}: key`);
  }
  /** The raw value bytes (per-CPU maps: every CPU's slot), or undefined when absent. */
  lookupBytes(key: BytesLike): Uint8Array | undefined {
    return this.handle.lookup(this.keyBytes(key));
  }
  decodeKey(bytes: Uint8Array): unknown {
    return decodeBytes(bytes, this.btf, this.spec?.btfKeyTypeId, this.object.file);
  }
  /** A value as a person reads it; per-CPU maps give one entry per CPU. */
  decodeValue(bytes: Uint8Array): unknown {
    const one = (b: Uint8Array) => decodeBytes(b, this.btf, this.spec?.btfValueTypeId, this.object.file);
    return this.perCpu ? perCpuSlots(bytes, this.valueSize).map(one) : one(bytes);
  }
  /** The decoded value under `key`, or undefined. */
  get(key: BytesLike): unknown {
    const v = this.lookupBytes(key);
    return v === undefined ? undefined : this.decodeValue(v);
  }
  set(key: BytesLike, value: BytesLike, flags = 0): void {
    this.handle.update(this.keyBytes(key), toBytes(value, this.valueSize, `map ${this.name}: value`), flags);
  }
  delete(key: BytesLike): boolean {
    return this.handle.delete(this.keyBytes(key));
  }
  /**
   * What libbpf's perf_buffer__new does for a PERF_EVENT_ARRAY: a BPF output perf event per CPU in
   * its slot, so bpf_perf_event_output has somewhere to write (without it the helper gets ENOENT).
   */
  openPerfBuffer(): void {
    if (this.type !== BpfMapType.PERF_EVENT_ARRAY) throw new BpfsimError('EINVAL', `map ${this.name} is not a perf_event_array`);
    const k = this.object.kernel.kernel;
    for (let cpu = 0; cpu < Math.min(k.sched.cpus, this.handle.map.maxEntries); cpu++) {
      this.handle.update(intBytes(cpu, 4, 'cpu'), intBytes(k.bpf.perfEventOpen(cpu), 4, 'fd'));
    }
  }
  /** Every entry, decoded, in get_next_key order (empty for maps without keys such as ring buffers). */
  entries(): { key: unknown; value: unknown; keyBytes: Uint8Array; valueBytes: Uint8Array }[] {
    if (this.keySize === 0) return [];
    return this.handle.entries().map(([k, v]) => ({ key: this.decodeKey(k), value: this.decodeValue(v), keyBytes: k, valueBytes: v }));
  }
}

export class BpfsimObject {
  readonly file: string;
  constructor(readonly kernel: BpfsimKernel, readonly loaded: LoadedObject) {
    this.file = loaded.object.file;
  }
  get btf(): Btf | undefined {
    return this.loaded.object.btf;
  }
  get programNames(): string[] {
    return [...this.loaded.programs.keys()];
  }
  get mapNames(): string[] {
    return [...this.loaded.maps.keys()];
  }
  /** A program by function name; with none given, the object's only program. */
  program(name?: string): BpfsimProgram {
    if (name === undefined && this.loaded.programs.size === 1) name = this.programNames[0];
    return new BpfsimProgram(this, this.loaded.program(name ?? ''));
  }
  /**
   * What a tool's user space does with its output maps: a perf buffer (perf_buffer__new) for each
   * PERF_EVENT_ARRAY and a consumer for each ring buffer; `poll()` returns what arrived, with
   * lost-sample counts when the buffers filled (see @bpfsim/kernel's BufferReader).
   */
  openBuffers(opts: BufferReaderOptions = {}): BufferReader {
    return new BufferReader(this.kernel.kernel, [...this.loaded.maps.values()].map((m) => m.map), opts);
  }
  map(name: string): BpfsimMap {
    return new BpfsimMap(this, this.loaded.map(name), this.loaded.object.maps.find((m) => m.name === name));
  }
  /** `obj.run('xdp_prog', { data })`: run one program. */
  run(program: string, input: RunInput = {}): RunResult {
    return this.program(program).run(input);
  }
}
