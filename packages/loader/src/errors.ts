import { BpfsimError } from '@bpfsim/uapi';

/**
 * Stable codes of loader errors. Callers switch on these; messages may improve.
 */
export type LoaderErrorCode =
  | 'ELF_TRUNCATED' // a structure runs past the end of the file
  | 'ELF_BAD_MAGIC'
  | 'ELF_BAD_CLASS' // not ELFCLASS64
  | 'ELF_BAD_ENDIAN' // not little-endian
  | 'ELF_BAD_MACHINE' // not EM_BPF
  | 'ELF_BAD_HEADER' // other header fields (entry sizes, counts, indices)
  | 'ELF_BAD_OFFSET' // a section/table offset outside the file
  | 'ELF_OVERLAP' // two sections claim the same bytes
  | 'ELF_BAD_STRING' // string offset outside its table, or not NUL-terminated
  | 'ELF_BAD_SYMBOL' // symbol fields out of range
  | 'ELF_BAD_RELOC' // unknown relocation type, bad offset or symbol
  | 'BTF_INVALID'
  | 'BTF_EXT_INVALID'
  | 'SEC_UNKNOWN' // a program section libbpf does not know
  | 'PROG_INVALID' // program code shape (size, call target, …)
  | 'MAP_INVALID' // map definition
  | 'CORE_FAILED' // a CO-RE relocation that libbpf would refuse
  | 'KCONFIG_MISSING'; // strong .kconfig extern without a value

/** Every failure of `loadObject`: names the file, the byte offset when there is one, and what was expected. */
export class LoaderError extends BpfsimError {
  declare readonly code: LoaderErrorCode;
  constructor(
    code: LoaderErrorCode,
    readonly file: string,
    readonly offset: number | undefined,
    readonly detail: string,
  ) {
    super(code, `${file}${offset === undefined ? '' : `: offset ${offset}`}: ${detail}`);
  }
}
