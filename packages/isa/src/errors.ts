import { BpfsimError } from '@bpfsim/uapi';

/** An instruction encoding that is not valid eBPF: names the slot index and what is wrong. */
export class DecodeError extends BpfsimError {
  constructor(
    message: string,
    /** Slot index of the offending instruction (undefined when the whole input is wrong). */
    readonly index?: number,
  ) {
    super('EDECODE', message);
  }
}

/** Assembly text that does not assemble: `file:line:col: what was expected`. */
export class AsmError extends BpfsimError {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
    readonly col: number,
  ) {
    super('EASM', `${file}:${line}:${col}: ${message}`);
  }
}
