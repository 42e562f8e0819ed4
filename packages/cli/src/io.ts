/** Output sinks and the exit signal shared by every command (tests capture them). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly isTTY: boolean;
}

let pipesGuarded = false;

/**
 * A reader that goes away (`bpfsim ... | head`) is not an error: EPIPE on
 * stdout or stderr ends the process quietly with exit 0, once, here, for
 * every command. Installed by processIo, so the bin and any command that
 * prints through the process's own streams are covered.
 */
export function guardPipes(): void {
  if (pipesGuarded) return;
  pipesGuarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  }
}

export function processIo(): Io {
  guardPipes();
  return {
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
    isTTY: Boolean(process.stdout.isTTY),
  };
}

/** Exit codes by class (docs/cli.md). */
export const EXIT = { ok: 0, failed: 1, usage: 2, input: 2 } as const;

/** Thrown to stop with a message (printed as one line) and an exit code. */
export class CliExit extends Error {
  constructor(readonly code: number, message = '') {
    super(message);
  }
}
