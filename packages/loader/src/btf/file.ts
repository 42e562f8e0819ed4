/**
 * The BTF of a file, as `bpftool btf dump file X` takes it: a raw BTF blob (magic 0xeb9f,
 * e.g. /sys/kernel/btf/vmlinux) or an ELF object's .BTF section, parsed as found (no
 * load-time fixups, which bpftool does not apply either).
 */
import { parseElf } from '../elf/parse';
import { SHT_PROGBITS } from '../elf/types';
import { LoaderError } from '../errors';
import { parseBtf } from './parse';
import type { Btf } from './types';

export function btfFromFile(bytes: Uint8Array, file: string): Btf {
  if (bytes.length >= 2 && bytes[0] === 0x9f && bytes[1] === 0xeb) return parseBtf(bytes, file);
  const elf = parseElf(bytes, file);
  const sec = elf.sections.find((s) => s.name === '.BTF' && s.type === SHT_PROGBITS);
  if (!sec) throw new LoaderError('BTF_INVALID', file, undefined, 'no .BTF section (build with clang -g)');
  return parseBtf(sec.data, file, sec.offset);
}
