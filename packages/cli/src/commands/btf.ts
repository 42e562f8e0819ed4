/**
 * `bpfsim btf dump [--format c|raw] [--file BTF]`: a BTF as `bpftool btf dump file X [format c]`
 * prints it — by default the profile kernel's own (the vmlinux BTF bpfsim resolves CO-RE
 * against), so `bpfsim btf dump --format c > vmlinux.h` gives the header to compile against.
 */
import { btfFromFile, formatBtfC, formatBtfRaw, type Btf } from '@bpfsim/loader';
import { vmlinuxBtf } from '@bpfsim/kernel';
import type { Command } from '../command';
import { readFileBytes } from '../program-file';

export const btfCommand: Command = {
  command: 'btf <action>',
  describe: "Dump BTF as bpftool does: the profile kernel's (vmlinux.h with --format c) or a file's",
  builder: (y) =>
    y
      .positional('action', { choices: ['dump'] as const, describe: 'what to do with the BTF' })
      .option('format', { choices: ['raw', 'c'] as const, default: 'raw' as const, describe: "raw: bpftool's type list; c: a C header (vmlinux.h)" })
      .option('file', { type: 'string', describe: 'raw BTF (e.g. /sys/kernel/btf/vmlinux) or an ELF object with .BTF; default: the profile kernel' }),
  async run(args, io) {
    const file = args.file === undefined ? undefined : String(args.file);
    const btf: Btf = file === undefined ? vmlinuxBtf() : btfFromFile(readFileBytes(file), file);
    // Both formats end with a newline already; io.out adds none then.
    io.out(args.format === 'c' ? formatBtfC(btf) : formatBtfRaw(btf));
    return 0;
  },
};
