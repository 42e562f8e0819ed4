import type { Command } from '../command';
import { disassemble, isLdImm64, type Program } from '@bpfsim/isa';
import { sourceAnnotations } from '@bpfsim/loader';
import { InputError, programFromBytes, readFileBytes, sniffProgramFile } from '../program-file';
import { parseElf, selectPrograms } from '../elf-programs';

type Flavour = 'kernel' | 'llvm';

/** One line per instruction, with `; file:line` and the C source before the first instruction of each line. */
function withSource(prog: Program, notes: Map<number, { file: string; line: number; source: string }>, flavour: Flavour): string {
  const lines: string[] = [];
  for (let i = 0; i < prog.length; i++) {
    const n = notes.get(i);
    if (n) lines.push(`; ${n.source.trim()}${n.source ? '' : '(no source text)'}   [${n.file}:${n.line}]`);
    lines.push(disassemble(prog.slice(i, isLdImm64(prog[i]) ? i + 2 : i + 1), { flavour, withIndex: false }).replace(/^/, `${i}: `));
    if (isLdImm64(prog[i])) i++;
  }
  return lines.join('\n');
}

export const disasmCommand: Command = {
  command: 'disasm <file>',
  describe: "Disassemble a program in the kernel verifier log's syntax (or llvm-objdump's)",
  builder: (y) =>
    y
      .positional('file', { type: 'string', describe: 'ELF object, assembly or raw instruction words' })
      .option('flavour', { choices: ['kernel', 'llvm'] as const, default: 'kernel' as const, describe: 'output syntax' })
      .option('prog', { type: 'string', describe: 'ELF: only the program with this function name' })
      .option('section', { type: 'string', describe: 'ELF: only the programs of this section' })
      .option('source', { type: 'boolean', default: false, describe: 'ELF: interleave the C source lines (from BTF line info), as llvm-objdump -S does' }),
  async run(args, io) {
    const file = String(args.file);
    const flavour = args.flavour as Flavour;
    const bytes = readFileBytes(file);
    if (sniffProgramFile(bytes) !== 'elf') {
      if (args.source || args.prog !== undefined || args.section !== undefined)
        throw new InputError('--source, --prog and --section need an ELF object');
      io.out(disassemble(programFromBytes(bytes, file), { flavour, withIndex: true }));
      return 0;
    }
    const obj = parseElf(bytes, file);
    const progs = selectPrograms(obj, { prog: args.prog as string | undefined, section: args.section as string | undefined });
    const out: string[] = [];
    for (const p of progs) {
      out.push(`${p.name} (section ${p.section}, ${p.insns.length} insns):`);
      if (args.source) {
        if (!p.lineInfo?.length) out.push('; (no BTF line info: build with -g for source lines)');
        out.push(withSource(p.insns, sourceAnnotations(p), flavour));
      } else out.push(disassemble(p.insns, { flavour, withIndex: true }));
      out.push('');
    }
    io.out(out.join('\n').trimEnd());
    return 0;
  },
};
