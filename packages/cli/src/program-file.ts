/**
 * Reads a program file, recognised by content: an ELF object (through
 * @bpfsim/loader), assembly text in either dialect, otherwise raw
 * little-endian 8-byte instruction words.
 */
import { assemble, decodeProgram, type Program } from '@bpfsim/isa';
import { BpfsimError } from '@bpfsim/uapi';
import { DEFAULT_LIMITS, FileRefused, clip, readRegularFile } from '@bpfsim/scenario';

export class InputError extends BpfsimError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('EINPUT', message, options);
  }
}

export type ProgramFileKind = 'elf' | 'asm' | 'raw';

/**
 * A file named on the command line: a regular file (a FIFO, /dev/zero or a
 * directory is refused, never read without end) of at most `maxBytes`
 * (default: the object limit, 256 MiB).
 */
export function readFileBytes(path: string, maxBytes: number = DEFAULT_LIMITS.maxObjectBytes): Uint8Array {
  try {
    return readRegularFile(path, maxBytes);
  } catch (e) {
    if (!(e instanceof FileRefused)) throw e;
    const why = /^no such file/.test(e.message) ? 'no such file' : / is a directory/.test(e.message) ? 'is a directory' : e.message;
    throw new InputError(`${clip(path, 200)}: cannot read: ${why}`, { cause: e });
  }
}

export function sniffProgramFile(bytes: Uint8Array): ProgramFileKind {
  if (bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46) return 'elf';
  return looksLikeText(bytes) ? 'asm' : 'raw';
}

/** Text: valid UTF-8 with no NUL and no control bytes other than tab/CR/LF/FF. */
function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return true;
  for (const b of bytes) {
    if (b === 0) return false;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) return false;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** A program from a non-ELF file (assembly or raw words). */
export function programFromBytes(bytes: Uint8Array, file: string): Program {
  const kind = sniffProgramFile(bytes);
  if (kind === 'elf') throw new InputError(`${file}: is an ELF object; pick a program from it with --prog or --section`);
  if (kind === 'asm') return assemble(new TextDecoder().decode(bytes), { file });
  return decodeProgram(bytes, { file });
}

/** Parse hex given on the command line ("de ad be ef", "0xdeadbeef", "de:ad"). */
export function parseHexArg(text: string, what: string): Uint8Array {
  const clean = text.trim().replace(/^0x/i, '').replace(/[\s:,_-]+/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(clean))
    throw new InputError(`${what}: '${clip(text)}' is not hex bytes (expected pairs of hex digits, e.g. 'deadbeef')`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
