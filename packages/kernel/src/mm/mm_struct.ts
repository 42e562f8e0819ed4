/**
 * A process's user memory (struct mm_struct): its VMAs are regions of the
 * kernel's one AddressSpace (kind 'user'), so bpf_probe_read_user(_str) of a
 * pointer the process passed reads what it wrote. Each VMA is its own region,
 * so its address comes from the region allocator (see docs/kernel.md: user
 * addresses are unique across processes and a forked child's copies live at
 * new addresses, unlike Linux).
 */
import { utf8Decode } from '../kernel/utf8';
import { Errno } from '@bpfsim/uapi';
import type { AddressSpace, Region } from '@bpfsim/vm';
import { VmLayout } from './vm_layout';

export const PAGE_SIZE = 4096;
/**
 * Room below the argument strings on a new stack. Linux reserves 128 KiB and
 * grows the stack on demand; simulated processes run no code, so the stack
 * only needs to hold what exec puts there (and memory stays small per process).
 */
export const STACK_SLACK = 16 * 1024;
/** Room brk can grow into; beyond it brk fails as it would hitting another mapping. */
export const HEAP_MAX = 8 * 1024 * 1024;
/** Scratch memory the syscall layer places string and buffer arguments in (grows when needed). */
export const SCRATCH_SIZE = 16 * 1024;

export type VmaKind = 'stack' | 'heap' | 'anon' | 'scratch';

export interface Vma {
  readonly kind: VmaKind;
  readonly region: Region;
  readonly start: bigint;
  /** start and size as numbers (user addresses are below 2^47), for the copy paths. */
  readonly lo: number;
  readonly size: number;
  /** Exclusive end of the usable part (a heap's is the current brk). */
  end: bigint;
}

const pageUp = (n: number): number => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;

export class MmStruct {
  readonly vmas: Vma[] = [];
  /** mm->arg_start/arg_end/env_start/env_end, start_stack, start_brk/brk. */
  argStart = 0n;
  argEnd = 0n;
  envStart = 0n;
  envEnd = 0n;
  startStack = 0n;
  startBrk = 0n;
  brk = 0n;
  users = 1;
  /** mm->flags' dumpable bits: SUID_DUMP_USER (1) unless set otherwise (exec of a set-id file clears it in Linux). */
  dumpable = 1;
  /** Pinned user-visible placement (strace replay): see vm_layout.ts. */
  layout = new VmLayout();
  private scratch: Vma | undefined;
  private scratchUsed = 0;

  constructor(private readonly mem: AddressSpace, readonly owner: string) {}

  private addVma(kind: VmaKind, size: number, end?: number): Vma {
    const region = this.mem.map('user', new Uint8Array(size), { name: `${this.owner} ${kind}`, owner: this });
    const vma: Vma = { kind, region, start: region.base, lo: Number(region.base), size, end: region.base + BigInt(end ?? size) };
    this.vmas.push(vma);
    return vma;
  }

  /** The stack VMA, created on first use with room for `size` bytes; strings are placed from its top down. */
  stack(size = STACK_SLACK): Vma {
    return this.vmas.find((v) => v.kind === 'stack') ?? this.addVma('stack', pageUp(size + STACK_SLACK));
  }

  /**
   * The heap VMA. It is mapped at the first brk() call rather than at exec, so
   * processes that never call brk cost no memory: until then start_brk and brk
   * read 0 (docs/kernel.md).
   */
  private heap(): Vma {
    let h = this.vmas.find((v) => v.kind === 'heap');
    if (!h) {
      h = this.addVma('heap', HEAP_MAX, 0);
      this.startBrk = this.brk = h.start;
    }
    return h;
  }

  /** sys_brk: move the break; a request outside [start_brk, start_brk + HEAP_MAX] leaves it where it was. */
  setBrk(addr: bigint): bigint {
    const heap = this.heap();
    if (addr < this.startBrk || addr > heap.start + BigInt(HEAP_MAX)) return this.brk;
    const oldPage = BigInt(pageUp(Number(this.brk - heap.start)));
    const newPage = BigInt(pageUp(Number(addr - heap.start)));
    // Memory given back and taken again reads as zeros.
    if (newPage < oldPage) (heap.region.bytes as Uint8Array).fill(0, Number(newPage), Number(oldPage));
    this.brk = addr;
    heap.end = heap.start + newPage;
    return this.brk;
  }

  /** An anonymous private mapping of `len` bytes: its address, or -errno. */
  mmapAnon(len: number): bigint | number {
    if (len <= 0) return -Errno.EINVAL;
    if (len >= 0x1_0000_0000) return -Errno.ENOMEM;
    return this.addVma('anon', pageUp(len)).start;
  }

  /** munmap of whole mappings (a partial unmap is refused with EINVAL in this model). */
  munmap(addr: bigint, len: number): number {
    if (addr % BigInt(PAGE_SIZE) !== 0n || len <= 0) return -Errno.EINVAL;
    const i = this.vmas.findIndex((v) => v.kind === 'anon' && v.start === addr);
    if (i < 0) return 0; // nothing mapped there: Linux succeeds too
    const v = this.vmas[i];
    if (BigInt(pageUp(len)) !== v.end - v.start) return -Errno.EINVAL;
    this.mem.unmap(v.region);
    this.vmas.splice(i, 1);
    return 0;
  }

  /** The VMA holding [addr, addr+n) in this mm (another process's memory is not this one's). */
  private vmaOf(addr: bigint, n: number): Vma | undefined {
    const a = Number(addr);
    for (const v of this.vmas) if (a >= v.lo && a + n <= v.lo + v.size) return v;
    return undefined;
  }

  /** copy_from_user: the bytes, or undefined (EFAULT). */
  copyFromUser(addr: bigint, n: number): Uint8Array | undefined {
    if (n === 0) return new Uint8Array(0);
    const v = this.vmaOf(addr, n);
    if (!v) return undefined;
    const off = Number(addr) - v.lo;
    return (v.region.bytes as Uint8Array).slice(off, off + n);
  }

  /** copy_to_user: false on EFAULT. */
  copyToUser(addr: bigint, data: Uint8Array): boolean {
    if (data.length === 0) return true;
    const v = this.vmaOf(addr, data.length);
    if (!v) return false;
    (v.region.bytes as Uint8Array).set(data, Number(addr) - v.lo);
    return true;
  }

  /** strncpy_from_user up to `max` bytes: the string, -EFAULT, or -ENAMETOOLONG-style overflow as `undefined` length. */
  strFromUser(addr: bigint, max: number): string | number {
    const v = this.vmaOf(addr, 1);
    if (!v) return -Errno.EFAULT;
    const bytes = v.region.bytes as Uint8Array;
    const off = Number(addr) - v.lo;
    const lim = Math.min(bytes.length, off + max);
    const end = bytes.indexOf(0, off);
    if (end < 0 || end >= lim) return end < 0 && lim === bytes.length && lim - off < max ? -Errno.EFAULT : -Errno.ENAMETOOLONG;
    return utf8Decode(bytes.subarray(off, end));
  }

  /** Reset the argument scratch area (once per syscall). */
  resetScratch(): void {
    this.scratchUsed = 0;
  }

  /** Place bytes in the scratch area (a larger area is mapped when they do not fit). */
  scratchPut(data: Uint8Array): bigint {
    const need = (data.length + 15) & ~15;
    if (!this.scratch || this.scratchUsed + need > this.scratch.region.bytes.length) {
      const size = Math.max(SCRATCH_SIZE, pageUp(need + (this.scratch ? this.scratchUsed : 0)));
      if (this.scratch && this.scratchUsed === 0) this.dropVma(this.scratch);
      this.scratch = this.addVma('scratch', size);
      this.scratchUsed = 0;
    }
    const addr = this.scratch.start + BigInt(this.scratchUsed);
    (this.scratch.region.bytes as Uint8Array).set(data, this.scratchUsed);
    this.scratchUsed += need;
    return addr;
  }

  private dropVma(v: Vma): void {
    this.mem.unmap(v.region);
    this.vmas.splice(this.vmas.indexOf(v), 1);
  }

  /** dup_mm for fork: every VMA copied (at new addresses, see the file comment). */
  copy(owner: string): MmStruct {
    const n = new MmStruct(this.mem, owner);
    n.layout = this.layout.copy();
    for (const v of this.vmas) {
      if (v.kind === 'scratch') continue;
      const nv = n.addVma(v.kind, v.region.bytes.length, Number(v.end - v.start));
      const used = v.kind === 'heap' ? Number(v.end - v.start) : v.region.bytes.length;
      (nv.region.bytes as Uint8Array).set((v.region.bytes as Uint8Array).subarray(0, used));
      const shift = (x: bigint): bigint => (x >= v.start && x <= v.start + BigInt(v.region.bytes.length) ? x - v.start + nv.start : x);
      if (v.kind === 'stack') {
        n.argStart = shift(this.argStart);
        n.argEnd = shift(this.argEnd);
        n.envStart = shift(this.envStart);
        n.envEnd = shift(this.envEnd);
        n.startStack = shift(this.startStack);
      }
      if (v.kind === 'heap') {
        n.startBrk = nv.start;
        n.brk = nv.start + (this.brk - this.startBrk);
      }
    }
    return n;
  }

  /** Called when the mm goes (the memory controller uncharges it: cgroup/memcontrol.ts). */
  onRelease: (() => void) | undefined;

  /** exit_mm / exec: every VMA unmapped. */
  release(): void {
    const done = this.onRelease;
    this.onRelease = undefined;
    done?.();
    for (const v of this.vmas.splice(0)) this.mem.unmap(v.region);
    this.scratch = undefined;
  }
}
