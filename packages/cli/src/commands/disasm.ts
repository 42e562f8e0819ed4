import type { Command } from '../command';
import { disassemble } from '@bpfsim/isa';
import { programFromBytes, readFileBytes } from '../program-file';

export const disasmCommand: Command = {
  command: 'disasm <prog>',
  describe: "Disassemble a program in the kernel verifier log's syntax (or llvm-objdump's)",
  builder: (y) =>
    y
      .positional('prog', { type: 'string', describe: 'assembly or raw instruction words' })
      .option('flavour', { choices: ['kernel', 'llvm'] as const, default: 'kernel' as const, describe: 'output syntax' }),
  async run(args, io) {
    const file = String(args.prog);
    const prog = programFromBytes(readFileBytes(file), file);
    io.out(disassemble(prog, { flavour: args.flavour as 'kernel' | 'llvm', withIndex: true }));
    return 0;
  },
};
