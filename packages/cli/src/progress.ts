/** A progress bar for long runs, shown only on a terminal (cli-progress draws on stderr). */
import * as cliProgress from 'cli-progress';
import type { Io } from './io';

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/** Undefined when output is not a terminal or the run is short. */
export function progressBar(io: Io, total: number, minTotal = 200): Progress | undefined {
  if (!io.isTTY || total < minTotal) return undefined;
  const bar = new cliProgress.SingleBar({ format: '{bar} {value}/{total} events', stream: process.stderr, clearOnComplete: true }, cliProgress.Presets.shades_classic);
  bar.start(total, 0);
  return { update: (done) => bar.update(done), stop: () => bar.stop() };
}
