import type { Command } from '../command';
import { assemble, encodeProgram } from '@bpfsim/isa';
import { readFileBytes } from '../program-file';
import { writeFileSafely } from '../safe-write';

export const asmCommand: Command = {
  command: 'asm <file>',
  describe: 'Assemble kernel/LLVM or uBPF syntax into raw little-endian instruction words',
  builder: (y) =>
    y
      .positional('file', { type: 'string', describe: 'assembly source' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'where to write the instruction bytes' })
      .option('dialect', { choices: ['auto', 'kernel', 'ubpf'] as const, default: 'auto' as const }),
  async run(args, io) {
    const file = String(args.file);
    const text = new TextDecoder().decode(readFileBytes(file));
    const prog = assemble(text, { file, dialect: args.dialect as 'auto' | 'kernel' | 'ubpf' });
    const out = String(args.output);
    writeFileSafely(out, encodeProgram(prog));
    io.err(`${out}: ${prog.length} instruction slots`);
    return 0;
  },
};
