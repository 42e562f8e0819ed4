/**
 * probe_read helpers: copy from any mapped address of the simulated kernel,
 * failing softly (-EFAULT, destination zeroed) where nothing is mapped, as
 * copy_from_kernel_nofault does. bpfsim's _user variants read 'user' regions
 * only and the _kernel ones everything else.
 */
import { Errno } from '@bpfsim/uapi';
import type { HelperCall } from '@bpfsim/vm';
import { neg, type HelperArea } from './types';

type Space = 'kernel' | 'user' | 'any';

function readable(call: HelperCall, addr: bigint, size: number, space: Space): boolean {
  const r = call.mem.find(addr, Math.max(size, 1));
  if (!r) return false;
  if (space === 'user') return r.kind === 'user';
  if (space === 'kernel') return r.kind !== 'user';
  return true;
}

function probeRead(space: Space) {
  return (call: HelperCall, dst: bigint, size: bigint, src: bigint): bigint => {
    const n = Number(size & 0xffffffffn);
    if (n === 0) return 0n;
    if (!readable(call, src, n, space)) {
      call.mem.write(dst, new Uint8Array(n));
      return neg(Errno.EFAULT);
    }
    call.mem.write(dst, call.mem.read(src, n));
    return 0n;
  };
}

/** strncpy_from_*_nofault: returns the length copied including the NUL, or -EFAULT (destination zeroed). */
function probeReadStr(space: Space) {
  return (call: HelperCall, dst: bigint, size: bigint, src: bigint): bigint => {
    const n = Number(size & 0xffffffffn);
    if (n === 0) return 0n;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      if (!readable(call, src + BigInt(i), 1, space)) {
        call.mem.write(dst, new Uint8Array(n));
        return neg(Errno.EFAULT);
      }
      const b = call.mem.read(src + BigInt(i), 1)[0];
      if (b === 0 || i === n - 1) {
        // Copy what was read, NUL-terminated; the rest of dst is left as it was.
        call.mem.write(dst, out.subarray(0, i + 1));
        return BigInt(i + 1);
      }
      out[i] = b;
    }
    return BigInt(n);
  };
}

const wrap = (f: ReturnType<typeof probeRead>) => (_env: unknown, call: HelperCall, a: bigint, b: bigint, c: bigint) => f(call, a, b, c);

export const probeHelpers: HelperArea = {
  bpf_probe_read: wrap(probeRead('any')),
  bpf_probe_read_kernel: wrap(probeRead('kernel')),
  bpf_probe_read_user: wrap(probeRead('user')),
  bpf_probe_read_str: wrap(probeReadStr('any')),
  bpf_probe_read_kernel_str: wrap(probeReadStr('kernel')),
  bpf_probe_read_user_str: wrap(probeReadStr('user')),
};
