/**
 * The initial user stack of a new program (fs/exec.c copy_strings,
 * fs/binfmt_elf.c create_elf_tables): at the top the strings — argv, then
 * envp, then the file name, then an 8-byte NULL end marker — below them the
 * platform string and 16 AT_RANDOM bytes, then, 16-byte aligned, argc, the argv
 * and envp pointer arrays and the auxiliary vector. Fills the mm's
 * arg_start/arg_end/env_start/env_end and start_stack.
 */
import type { Cred } from '../kernel/cred';
import type { MmStruct } from './mm_struct';
import { PAGE_SIZE } from './mm_struct';

export const AT = {
  NULL: 0, PHDR: 3, PHENT: 4, PHNUM: 5, PAGESZ: 6, BASE: 7, FLAGS: 8, ENTRY: 9,
  UID: 11, EUID: 12, GID: 13, EGID: 14, PLATFORM: 15, HWCAP: 16, CLKTCK: 17,
  SECURE: 23, RANDOM: 25, HWCAP2: 26, EXECFN: 31, MINSIGSTKSZ: 51,
} as const;

export interface ExecImage {
  filename: string;
  argv: readonly Uint8Array[];
  envp: readonly Uint8Array[];
  random: Uint8Array;
  cred: Cred;
  clkTck: number;
  /** AT_SECURE: the program gained privileges (set-id, capabilities). */
  secure?: boolean;
}

const enc = new TextEncoder();
const cstr = (b: Uint8Array): Uint8Array => {
  const o = new Uint8Array(b.length + 1);
  o.set(b);
  return o;
};

/** Lay out the stack of `mm` (its stack VMA must be empty); returns the initial stack pointer. */
export function setupExecStack(mm: MmStruct, img: ExecImage): bigint {
  let need = 64 + img.filename.length * 3 + 16 + 8 + 16 + 8 * (img.argv.length + img.envp.length + 32);
  for (const a of img.argv) need += a.length + 1;
  for (const e of img.envp) need += e.length + 1;
  const vma = mm.stack(need);
  const bytes = vma.region.bytes as Uint8Array;
  let p = bytes.length - 8; // the end marker: 8 zero bytes at the very top
  const put = (b: Uint8Array): number => {
    p -= b.length;
    bytes.set(b, p);
    return p;
  };
  const addr = (off: number): bigint => vma.start + BigInt(off);
  const execfn = put(cstr(enc.encode(img.filename)));
  const envOffs: number[] = [];
  const envEnd = p;
  for (let i = img.envp.length - 1; i >= 0; i--) envOffs.unshift(put(cstr(img.envp[i])));
  const envStart = p;
  const argEnd = p;
  const argOffs: number[] = [];
  for (let i = img.argv.length - 1; i >= 0; i--) argOffs.unshift(put(cstr(img.argv[i])));
  const argStart = p;
  const platform = put(cstr(enc.encode('x86_64')));
  p &= ~15;
  const random = put(img.random);
  p &= ~15;
  const aux: [number, bigint][] = [
    [AT.HWCAP, 0x178bfbffn],
    [AT.PAGESZ, BigInt(PAGE_SIZE)],
    [AT.CLKTCK, BigInt(img.clkTck)],
    [AT.FLAGS, 0n],
    [AT.UID, BigInt(img.cred.uid)],
    [AT.EUID, BigInt(img.cred.euid)],
    [AT.GID, BigInt(img.cred.gid)],
    [AT.EGID, BigInt(img.cred.egid)],
    [AT.SECURE, img.secure ? 1n : 0n],
    [AT.RANDOM, addr(random)],
    [AT.HWCAP2, 2n],
    [AT.EXECFN, addr(execfn)],
    [AT.PLATFORM, addr(platform)],
    [AT.NULL, 0n],
  ];
  const words = 1 + argOffs.length + 1 + envOffs.length + 1 + aux.length * 2;
  p -= words * 8;
  p &= ~15; // the ABI wants sp 16-byte aligned at entry
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let w = p;
  const word = (v: bigint): void => {
    dv.setBigUint64(w, v, true);
    w += 8;
  };
  word(BigInt(argOffs.length));
  for (const o of argOffs) word(addr(o));
  word(0n);
  for (const o of envOffs) word(addr(o));
  word(0n);
  for (const [k, v] of aux) {
    word(BigInt(k));
    word(v);
  }
  mm.argStart = addr(argStart);
  mm.argEnd = addr(argEnd);
  mm.envStart = addr(envStart);
  mm.envEnd = addr(envEnd);
  mm.startStack = addr(p);
  return addr(p);
}
