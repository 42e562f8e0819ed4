/**
 * Typed run-time errors of the VM. Every error a run can end with is a
 * BpfsimError with a stable `code`; the interpreter stamps the instruction
 * index (and program name) on it as it leaves the run loop, so messages read
 * "prog foo: insn 12 (opcode 0x61, frame 0): invalid read of 4 bytes at ...".
 */
import { BpfsimError } from '@bpfsim/uapi';

export type AccessKind = 'read' | 'write' | 'atomic';

/** Base of every error raised while a program runs. */
export class VmError extends BpfsimError {
  /** Slot index of the instruction that failed (set once the error leaves the run loop). */
  insn?: number;
  /** Call frame depth (0 = main program) the instruction ran in. */
  frame?: number;
  /** Name of the (possibly tail-called) program the instruction belongs to. */
  prog?: string;

  /** Stamp the place once; the innermost place wins (callbacks nest runs). */
  locate(insn: number, frame: number, opcode: number, prog?: string): this {
    if (this.insn !== undefined) return this;
    this.insn = insn;
    this.frame = frame;
    this.prog = prog;
    const where = `insn ${insn} (opcode 0x${opcode.toString(16).padStart(2, '0')}, frame ${frame})`;
    return this.wrap(prog ? `prog ${prog}: ${where}` : where);
  }
}

/** A load, store or atomic that is not wholly inside one mapped region, or writes a read-only one. */
export class MemoryFault extends VmError {
  constructor(
    readonly addr: bigint,
    readonly size: number,
    readonly access: AccessKind,
    /** describe(addr) of the address space: where the address is relative to the nearest region. */
    readonly where: string,
  ) {
    super('EFAULT_MEM', `invalid ${access} of ${size} byte${size === 1 ? '' : 's'} at 0x${addr.toString(16)}: ${where}`);
  }
}

/** The run executed RunOptions.maxInsns instructions without finishing. */
export class InstructionLimitExceeded extends VmError {
  constructor(readonly limit: number) {
    super('E2BIG_INSNS', `instruction limit of ${limit} exceeded`);
  }
}

/** A bpf-to-bpf call or callback would need a ninth call frame (MAX_CALL_FRAMES is 8). */
export class CallDepthExceeded extends VmError {
  constructor(readonly frames: number) {
    super('E2BIG_FRAMES', `the call stack of ${frames} frames is too deep (at most 8)`);
  }
}

/** An instruction the VM cannot execute: unknown opcode, reserved field value, truncated lddw. */
export class InvalidInstruction extends VmError {
  constructor(readonly reason: string) {
    super('EINVAL_INSN', `invalid instruction: ${reason}`);
  }
}

/** Control reached a slot outside the program (fell off the end, or a jump/call target is outside it). */
export class ProgramCounterFault extends VmError {
  constructor(readonly target: number, reason: string) {
    super('EFAULT_PC', reason);
  }
}

/** A helper id (or kfunc BTF id) the embedder does not provide. */
export class UnknownHelper extends VmError {
  constructor(readonly id: number | bigint, readonly kind: 'helper' | 'kfunc') {
    super(kind === 'helper' ? 'ENOENT_HELPER' : 'ENOENT_KFUNC', `unknown ${kind === 'helper' ? 'helper' : 'kfunc (BTF id)'} ${id}`);
  }
}

/** A helper implementation threw an ordinary Error (a bug in the embedder's helper); `cause` holds it. */
export class HelperError extends VmError {
  constructor(readonly helperId: number, message: string, cause: unknown) {
    super('EHELPER', `helper ${helperId} failed: ${message}`, { cause });
  }
}

/** Misuse of the VM API by the embedder (bad callback pc, bad helper return value, missing option). */
export class VmUsageError extends VmError {
  constructor(message: string) {
    super('EINVAL_VM', message);
  }
}
