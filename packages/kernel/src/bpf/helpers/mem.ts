/** Memory access for helpers: checked reads/writes and the *_nofault variants that report instead of faulting. */
import type { AddressSpaceApi } from '@bpfsim/vm';
import type { BpfMap } from '../maps/map';

/** Bytes at addr, or null when [addr, addr+size) is not wholly mapped (copy_from_kernel_nofault failing). */
export function tryRead(mem: AddressSpaceApi, addr: bigint, size: number): Uint8Array | null {
  if (size === 0) return new Uint8Array(0);
  return mem.find(addr, size) ? mem.read(addr, size) : null;
}

/**
 * strncpy_from_*_nofault: copy a NUL-terminated string of at most size-1
 * bytes (plus the NUL). Returns the bytes without the NUL and whether a fault
 * stopped it before any byte could be read.
 */
export function readCString(mem: AddressSpaceApi, addr: bigint, size: number): Uint8Array | null {
  const out: number[] = [];
  for (let i = 0; i < size - 1; i++) {
    const b = tryRead(mem, addr + BigInt(i), 1);
    if (!b) return i === 0 ? null : Uint8Array.from(out);
    if (b[0] === 0) break;
    out.push(b[0]);
  }
  return Uint8Array.from(out);
}

/** The map an r1 map pointer stands for (its 'map' region's owner). */
export function mapAt(mem: AddressSpaceApi, addr: bigint): BpfMap {
  const r = mem.find(addr, 1);
  if (!r || r.kind !== 'map' || r.base !== addr) throw new TypeError(`helper: 0x${addr.toString(16)} is not a map pointer (${mem.describe(addr)})`);
  return r.owner as BpfMap;
}
