/** Typed errors of the bpf() layer's friendly API (the syscall layer itself returns -errno). */
import { BpfsimError, errnoName } from '@bpfsim/uapi';

/** A bpf() command failed: `errno` is the positive errno, `code` its name ("ENOENT"). */
export class BpfErrnoError extends BpfsimError {
  constructor(readonly errno: number, what: string) {
    super(errnoName(errno) ?? `E${errno}`, `${what}: ${errnoName(errno) ?? `errno ${errno}`}`);
  }
}

/** BPF_PROG_LOAD refused a program: the verifier's (or bpfsim's) verdict and log. */
export class ProgLoadError extends BpfErrnoError {
  constructor(errno: number, readonly progName: string, readonly error: string, readonly log: string) {
    super(errno, `load program ${progName}${error ? `: ${error}` : ''}`);
  }
}

/** Throw a BpfErrnoError when `res` is a negative errno; otherwise return it. */
export function check<T>(res: T | number, what: string): T {
  if (typeof res === 'number' && res < 0) throw new BpfErrnoError(-res, what);
  return res as T;
}
