/**
 * Where regions live in the simulated 64-bit address space.
 *
 * Every region owns one whole high 32-bit word: base = (familyBase + id) << 32,
 * so the interpreter resolves any address with a single lookup on its high
 * word, and a pointer that wanders off a region lands in an unmapped word.
 * Families give kernel-looking addresses: stacks in the vmalloc area
 * (0xffffc9xx_xxxxxxxx, where kernel stacks live), everything the kernel
 * allocates in the direct map (0xffff888x_xxxxxxxx), user memory low
 * (0x00007fxx_xxxxxxxx). Addresses depend on allocation order only.
 */
import type { RegionKind } from '../api';

export interface Family {
  readonly name: string;
  /** High word of id 0. */
  readonly base: number;
  /** Number of high words the family may use before it would run into the next one. */
  readonly capacity: number;
}

const DIRECT: Family = { name: 'direct map', base: 0xffff8880, capacity: 0xffffc900 - 0xffff8880 };
const VMALLOC: Family = { name: 'vmalloc', base: 0xffffc900, capacity: 0x1_0000_0000 - 0xffffc900 };
const USER: Family = { name: 'user', base: 0x00007f00, capacity: 0x7fff_0000 };

export const FAMILY_OF: Readonly<Record<RegionKind, Family>> = {
  stack: VMALLOC,
  ctx: DIRECT,
  packet: DIRECT,
  map: DIRECT,
  map_value: DIRECT,
  mem: DIRECT,
  kernel: DIRECT,
  input: DIRECT,
  user: USER,
};

/** Bytes of one stack frame (MAX_BPF_STACK). */
export const STACK_FRAME_SIZE = 512;

export const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

/** Unsigned 64-bit address from its two 32-bit halves (any sign). */
export const addrOf = (hi: number, lo: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
