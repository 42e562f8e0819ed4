import type { Command } from '../command';
import { PROG_TYPES, progTypeByName, isBpfsimError } from '@bpfsim/uapi';
import { verify } from '@bpfsim/verifier';
import { CliExit } from '../io';
import { programFromBytes, readFileBytes } from '../program-file';

/**
 * `bpfsim verify <prog...>`: would the kernel load these programs, and why not. Prints the
 * verifier log then the verdict (or one JSON object per input with --json). Exit 0 when all are
 * accepted, 1 when any is rejected, 2 when an input cannot be read.
 */
export const verifyCommand: Command = {
  command: 'verify <prog...>',
  describe: "Check programs with the kernel verifier's rules and explain a rejection",
  builder: (y) =>
    y
      .positional('prog', { type: 'string', array: true, describe: 'assembly or raw instruction words' })
      .option('type', { type: 'string', default: 'socket_filter', describe: `program type: ${PROG_TYPES.map((p) => p.name).join(', ')}` })
      .option('log-level', { type: 'number', choices: [0, 1, 2], default: 1, describe: 'verifier log level' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON object per input, one per line' }),
  async run(args, io) {
    const info = progTypeByName(String(args.type));
    if (!info) throw new CliExit(2, `--type: unknown program type '${String(args.type)}' (expected one of: ${PROG_TYPES.map((p) => p.name).join(', ')})`);
    const logLevel = Number(args['log-level'] ?? args.logLevel ?? 1) as 0 | 1 | 2;
    const files = (args.prog as string[]).map(String);
    let code = 0;
    for (const file of files) {
      let prog;
      try {
        prog = programFromBytes(readFileBytes(file), file);
      } catch (e) {
        if (!isBpfsimError(e)) throw e;
        io.err(`bpfsim: ${e.message}`);
        code = 2;
        continue;
      }
      const r = verify(prog, { progType: info.type, logLevel });
      if (!r.accepted && code === 0) code = 1;
      if (args.json) {
        io.out(JSON.stringify({ file, accepted: r.accepted, errno: r.errno, error: r.error, processed: r.processed, log: r.log }));
        continue;
      }
      if (r.log) io.out(r.log.replace(/\n$/, ''));
      if (r.accepted) io.out(`${file}: accepted (${r.processed} insns processed)`);
      else {
        io.out(`${file}: rejected: ${r.errno}: ${r.error ?? ''}`);
        if (r.path?.length) io.out(`  path to the failing instruction${r.insnIdx !== undefined ? ` ${r.insnIdx}` : ''}:\n${r.path.map((p) => `    ${p}`).join('\n')}`);
        if (r.explanation) io.out(`  why: ${r.explanation}`);
      }
    }
    return code;
  },
};
