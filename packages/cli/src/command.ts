import type { Argv } from 'yargs';
import type { Io } from './io';

/** One `bpfsim` subcommand: yargs options plus a runner returning the exit code. */
export interface Command {
  command: string;
  describe: string;
  builder: (y: Argv) => Argv;
  run(args: Record<string, unknown>, io: Io): Promise<number>;
}
