/**
 * Would the kernel load this object's programs: each program loaded on its own
 * into a fresh verify-only kernel, as `bpfsim verify` does, so the verdict is
 * the verifier's even where bpfsim cannot run a helper yet.
 */
import { Kernel, ProgLoadError, parseObject } from '@bpfsim/kernel';
import { explain } from '@bpfsim/verifier';
import type { BpfObject, ProgramSpec } from '@bpfsim/loader';
import { sourceLine, type ProgramSource } from '../source';

/** A load verdict: what `toBeAccepted` / `toBeRejectedWith` read. */
export interface LoadVerdict {
  file: string;
  /** The program the verdict is about (the first rejected one, or absent when every program loaded). */
  program?: string;
  accepted: boolean;
  /** errno name of the failed BPF_PROG_LOAD ("EACCES"), null when accepted. */
  errno: string | null;
  /** The verifier's final error line, null when accepted. */
  error: string | null;
  log: string;
  /** The instruction the log reports the error at, and its C source line (BTF line info). */
  insnIdx?: number;
  source?: string;
  /** Plain-language reason and fix, when bpfsim knows one. */
  explanation?: string;
}

/** The index of the last instruction the log printed before the error ("12: (61) r0 = ..."). */
export function failingInsn(log: string): number | undefined {
  let idx: number | undefined;
  for (const line of log.split('\n')) {
    const m = /^(\d+): \([0-9a-f]{2}\)/.exec(line);
    if (m) idx = Number(m[1]);
  }
  return idx;
}

export const programSource = (spec: ProgramSpec, file: string): ProgramSource => ({ name: spec.name, file, insns: spec.insns, lineInfo: spec.lineInfo });

/**
 * The object file and program spec behind a ProgLoadError thrown by `k.load` (the kernel's error
 * carries neither), so a rejection caught from a load function still shows its C source line.
 */
const origins = new WeakMap<ProgLoadError, { file: string; spec?: ProgramSpec }>();
export function noteLoadError(e: ProgLoadError, file: string, obj: BpfObject): void {
  origins.set(e, { file, spec: obj.programs.find((p) => p.name === e.progName) });
}

/** The verdict a ProgLoadError stands for, with the source line of the failing instruction. */
export function verdictFromError(e: ProgLoadError, file: string, spec?: ProgramSpec): LoadVerdict {
  const origin = origins.get(e);
  file ||= origin?.file ?? '';
  spec ??= origin?.spec;
  const insnIdx = failingInsn(e.log);
  const source = spec && insnIdx !== undefined ? sourceLine(programSource(spec, file), insnIdx) : undefined;
  return {
    file, program: e.progName, accepted: false, errno: e.code, error: e.error || null, log: e.log, insnIdx, source,
    explanation: e.error ? explain(e.error) : undefined,
  };
}

export interface VerifyObjectOptions {
  /** Only this program (function name); default every program of the object. */
  program?: string;
  logLevel?: 0 | 1 | 2;
}

/** Verdict on an object: accepted when every selected program loads; otherwise the first rejection. */
export function verifyObject(object: Uint8Array | BpfObject, file: string, opts: VerifyObjectOptions = {}): LoadVerdict {
  const obj = object instanceof Uint8Array ? parseObject(object, file, new Kernel()) : object;
  const names = opts.program !== undefined ? [opts.program] : obj.programs.map((p) => p.name);
  if (opts.program !== undefined && !obj.programs.some((p) => p.name === opts.program))
    return { file, program: opts.program, accepted: false, errno: 'ENOENT', error: `no program named ${opts.program} (programs: ${obj.programs.map((p) => p.name).join(', ') || 'none'})`, log: '' };
  let log = '';
  for (const name of names) {
    try {
      const loaded = new Kernel({ verifyOnly: true }).loadObject(obj, { file, logLevel: opts.logLevel ?? 1, programs: [name] });
      log += loaded.program(name).prog.log;
    } catch (e) {
      if (!(e instanceof ProgLoadError)) throw e;
      return verdictFromError(e, file, obj.programs.find((p) => p.name === name));
    }
  }
  return { file, program: opts.program, accepted: true, errno: null, error: null, log };
}
