/**
 * The `bpfsim` command. Each subcommand is a module in commands/ (one file
 * each, registered in commands/index.ts). A user's mistake prints one line
 * `bpfsim: <message>` and exits non-zero; only a bug in bpfsim shows a stack.
 */
import yargs from 'yargs/yargs';
import { isBpfsimError } from '@bpfsim/uapi';
import { safeMessage } from '@bpfsim/scenario';
import { commands } from './commands';
import { CliExit, EXIT, Io, processIo } from './io';

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let exitCode = 0;
  const parser = yargs(argv)
    .scriptName('bpfsim')
    .usage('$0 <command> [options]\n\nA deterministic Linux kernel simulator for testing eBPF programs.')
    .strict()
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    .help()
    .version(false)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((msg, err) => {
      // yargs words some usage errors over several lines (choices): the CLI says one line.
      throw err ?? new CliExit(EXIT.usage, msg.replace(/\s*\n\s*/g, ' ').trim());
    });
  for (const c of commands) {
    parser.command({
      command: c.command,
      describe: c.describe,
      builder: c.builder,
      handler: async (args: Record<string, unknown>) => {
        exitCode = await c.run(args, io);
      },
    });
  }
  try {
    const out = await parser.parseAsync(argv, {}, (err, _argv, output) => {
      if (output && !err) io.out(output);
    });
    void out;
    return exitCode;
  } catch (e) {
    // Messages quote user input: escape control bytes and bound the length once more, here.
    if (e instanceof CliExit) {
      if (e.message) io.err(`bpfsim: ${safeMessage(e.message)}`);
      return e.code;
    }
    if (isBpfsimError(e)) {
      io.err(`bpfsim: ${safeMessage(e.message)}`);
      return EXIT.input;
    }
    throw e;
  }
}
