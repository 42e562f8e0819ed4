/**
 * The simulated kernel's own BTF (/sys/kernel/btf/vmlinux): the reference machine's whole vmlinux
 * BTF, committed brotli-compressed in data/vmlinux.btf.br (tools/gen/kernel-btf.js). Tracing
 * programs are verified against it: attach_btf_id is one of its ids, the verifier walks its struct
 * layouts and prints its ids, so only the kernel's own blob gives the kernel's verdicts and logs.
 * It is read on first use only (about 30 ms to decompress and 250 ms to parse 5.5 MB, ~70 MB of
 * heap) and shared by every Kernel of the process: it is immutable.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { parseBtf, type Btf } from '@bpfsim/loader';
import { BpfsimError } from '@bpfsim/uapi';

/** Where the blob lives: packages/kernel/data, from src/bpf or dist/bpf alike. */
export const VMLINUX_BTF_FILE = path.resolve(__dirname, '..', '..', 'data', 'vmlinux.btf.br');

let cached: Btf | undefined;

/** The bundled vmlinux BTF, parsed once per process. Throws a BpfsimError when the file is missing or corrupt. */
export function vmlinuxBtf(): Btf {
  if (cached) return cached;
  let raw: Buffer;
  try {
    raw = zlib.brotliDecompressSync(fs.readFileSync(VMLINUX_BTF_FILE));
  } catch (e) {
    throw new KernelBtfError(`${VMLINUX_BTF_FILE}: cannot read the simulated kernel's BTF: ${(e as Error).message}`);
  }
  cached = parseBtf(raw, VMLINUX_BTF_FILE);
  return cached;
}

/**
 * The same BTF behind a getter, for the verifier: it is read only when a program needs it (a tracing
 * program, or a helper taking or returning a kernel struct), so other loads never pay for it.
 */
export const lazyVmlinuxBtf: { readonly types: Btf['types'] } = Object.freeze({
  get types(): Btf['types'] {
    return vmlinuxBtf().types;
  },
});

/** The simulated kernel's BTF is missing or unreadable (a broken install). */
export class KernelBtfError extends BpfsimError {
  constructor(message: string) {
    super('KERNEL_BTF', message);
  }
}
