/** Output sinks and the exit signal shared by every command (tests capture them). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly isTTY: boolean;
}

export function processIo(): Io {
  return {
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
    isTTY: Boolean(process.stdout.isTTY),
  };
}

/** Thrown to stop with a message (printed as one line) and an exit code. */
export class CliExit extends Error {
  constructor(readonly code: number, message = '') {
    super(message);
  }
}
