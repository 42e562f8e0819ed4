/**
 * `bpfsim.kernel({ seed })`: a simulated kernel for one test, with the calls a
 * test makes — load an object, ask for a verdict, read trace_pipe and the
 * records programs emitted — and nothing of the internals.
 */
import { Kernel, ProgLoadError, parseObject, type KernelOptions, type TraceRecord } from '@bpfsim/kernel';
import type { Btf } from '@bpfsim/loader';
import { readTestFile } from './files';
import { BpfsimObject, type BpfsimMap } from './object';
import { noteLoadError, verifyObject, type LoadVerdict, type VerifyObjectOptions } from './verdict';

export interface BpfsimKernelOptions {
  /** Seed of every random stream; default BPFSIM_SEED from the environment, else "bpfsim". */
  seed?: string | number;
  cpus?: number;
  /** Anything else @bpfsim/kernel's Kernel takes. */
  kernel?: Omit<KernelOptions, 'seed' | 'cpus'>;
}

export interface LoadOptions {
  /** Load only these programs (the others as libbpf's autoload=false). */
  programs?: readonly string[];
  logLevel?: 0 | 1 | 2;
}

/** A trace_pipe line as a test sees it. */
export interface PrintedLine {
  text: string;
  pid: number;
  comm: string;
  cpu: number;
}

export class BpfsimKernel {
  readonly kernel: Kernel;
  readonly objects: BpfsimObject[] = [];
  constructor(opts: BpfsimKernelOptions = {}) {
    const seed = opts.seed ?? process.env.BPFSIM_SEED ?? 'bpfsim';
    this.kernel = new Kernel({ ...opts.kernel, seed, cpus: opts.cpus });
  }

  /** Load an object file (a path, or the ELF bytes) as libbpf would; a rejection throws ProgLoadError with the log. */
  load(file: string | Uint8Array, opts: LoadOptions = {}): BpfsimObject {
    const bytes = typeof file === 'string' ? readTestFile(file) : file;
    const name = typeof file === 'string' ? file : 'object.bpf.o';
    const parsed = parseObject(bytes, name, this.kernel);
    let loaded;
    try {
      loaded = this.kernel.loadObject(parsed, { file: name, programs: opts.programs, logLevel: opts.logLevel });
    } catch (e) {
      if (e instanceof ProgLoadError) noteLoadError(e, name, parsed);
      throw e;
    }
    const obj = new BpfsimObject(this, loaded);
    this.objects.push(obj);
    return obj;
  }

  /** Would the kernel load it: a verdict instead of an exception (see LoadVerdict). */
  verify(file: string | Uint8Array, opts: VerifyObjectOptions = {}): LoadVerdict {
    return verify(file, opts);
  }

  /** Every trace_pipe line so far. */
  printed(): PrintedLine[] {
    return this.kernel.trace.of('trace_pipe').map((r) => ({ text: r.text, pid: r.pid, comm: r.comm, cpu: r.cpu }));
  }

  /** Every kernel trace record so far. */
  get records(): readonly TraceRecord[] {
    return this.kernel.trace.records;
  }

  /** The map of a loaded object the kernel calls `kernelName` (trace records carry that name). */
  mapByKernelName(kernelName: string): BpfsimMap | undefined {
    for (const o of this.objects) for (const n of o.mapNames) if (o.loaded.map(n).map.name === kernelName) return o.map(n);
    return undefined;
  }

  /** BTF of the object a map came from, to decode its records. */
  btfOfMap(kernelName: string): Btf | undefined {
    return this.mapByKernelName(kernelName)?.btf;
  }
}

/** `bpfsim.verify(file)`: the verdict on an object without a kernel of one's own. */
export function verify(file: string | Uint8Array, opts: VerifyObjectOptions = {}): LoadVerdict {
  const bytes = typeof file === 'string' ? readTestFile(file) : file;
  return verifyObject(bytes, typeof file === 'string' ? file : 'object.bpf.o', opts);
}
