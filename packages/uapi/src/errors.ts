/**
 * The error base of every package. A BpfsimError has a stable `code` that
 * callers (CLI, scenario runner, tests) switch on, and a message that names
 * the place (file, section, instruction index, byte offset, event).
 *
 * This is the one piece of logic in @bpfsim/uapi: every package must be able
 * to throw and recognise these, and uapi is the package all others import.
 */
export class BpfsimError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** Wrap with context as the error travels up: "load program x: verify: ...". */
  wrap(context: string): this {
    this.message = `${context}: ${this.message}`;
    return this;
  }
}

export function isBpfsimError(e: unknown): e is BpfsimError {
  return e instanceof BpfsimError;
}
