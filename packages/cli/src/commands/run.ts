import type { Command } from '../command';
import { parseHexArg, programFromBytes, readFileBytes } from '../program-file';
import { runConvention } from '../run-convention';

const hex64 = (v: bigint) => '0x' + BigInt.asUintN(64, v).toString(16).padStart(16, '0');

export const runCommand: Command = {
  command: 'run <prog>',
  describe: 'Run a program: r1 = the memory given with --mem-hex, r2 = its length; prints r0',
  builder: (y) =>
    y
      .positional('prog', { type: 'string', describe: 'assembly (kernel or uBPF syntax) or raw instruction words' })
      .option('mem-hex', { type: 'string', describe: 'input memory as hex bytes' })
      .option('max-insns', { type: 'number', default: 10_000_000, describe: 'stop after this many instructions' })
      .option('json', { type: 'boolean', default: false, describe: 'print {"r0": "0x…", "insns": N}' }),
  async run(args, io) {
    const file = String(args.prog);
    const prog = programFromBytes(readFileBytes(file), file);
    const mem = args['mem-hex'] !== undefined ? parseHexArg(String(args['mem-hex']), '--mem-hex') : new Uint8Array(0);
    const res = runConvention(prog, mem, { maxInsns: Number(args['max-insns']), file });
    if (args.json) io.out(JSON.stringify({ r0: hex64(res.r0), insns: res.insns }));
    else io.out(hex64(res.r0));
    return 0;
  },
};
