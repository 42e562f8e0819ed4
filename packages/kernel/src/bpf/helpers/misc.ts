/** Small helpers: bpf_loop, spin locks, strtol/strtoul. */
import { Errno } from '@bpfsim/uapi';
import { neg, type HelperArea } from './types';

/** BPF_MAX_LOOPS */
const BPF_MAX_LOOPS = 1 << 23;
const BPF_STRTOX_BASE_MASK = 0x1fn;

const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/** __bpf_strtoull: characters consumed or a negative errno, the value and its sign. */
export function strtoull(buf: Uint8Array, flags: bigint): { consumed: number; value: bigint; negative: boolean } | number {
  let base = Number(flags & BPF_STRTOX_BASE_MASK);
  if (buf.length === 0) return -Errno.EINVAL;
  if (base !== 0 && base !== 8 && base !== 10 && base !== 16) return -Errno.EINVAL;
  if (flags & ~BPF_STRTOX_BASE_MASK) return -Errno.EINVAL;
  let i = 0;
  while (i < buf.length && isSpace(buf[i])) i++;
  const negative = i < buf.length && buf[i] === 0x2d;
  if (negative) i++;
  let consumed = i;
  if (buf.length - consumed === 0) return -Errno.EINVAL;
  // The kernel copies at most 63 bytes into a NUL-terminated scratch string.
  const str = Array.from(buf.subarray(consumed, consumed + Math.min(buf.length - consumed, 63)));
  str.push(0);
  let p = 0;
  const lower = (c: number): number => (c >= 0x41 && c <= 0x5a ? c + 32 : c);
  const isXdigit = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (lower(c) >= 0x61 && lower(c) <= 0x66);
  if (base === 0) {
    if (str[0] === 0x30) base = lower(str[1]) === 0x78 && isXdigit(str[2]) ? 16 : 8;
    else base = 10;
  }
  if (base === 16 && str[0] === 0x30 && lower(str[1]) === 0x78) p = 2;
  let value = 0n;
  let overflow = false;
  let digits = 0;
  for (;; p++, digits++) {
    const c = lower(str[p]);
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
    else break;
    if (d >= base) break;
    value = value * BigInt(base) + BigInt(d);
    if (value > 0xffff_ffff_ffff_ffffn) overflow = true;
  }
  if (overflow) return -Errno.ERANGE;
  if (digits === 0) return -Errno.EINVAL;
  consumed += p;
  return { consumed, value, negative };
}

function writeU64(call: Parameters<HelperArea[string]>[1], addr: bigint, v: bigint): void {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  call.mem.write(addr, b);
}

export const miscHelpers: HelperArea = {
  bpf_loop(_env, call, nr, fn, ctx, flags) {
    if (flags !== 0n) return neg(Errno.EINVAL);
    const n = Number(nr & 0xffffffffn);
    if (n > BPF_MAX_LOOPS) return neg(Errno.E2BIG);
    for (let i = 0; i < n; i++) {
      if (call.callback(Number(fn), [BigInt(i), ctx, 0n, 0n, 0n]) !== 0n) return BigInt(i + 1);
    }
    return BigInt(n);
  },
  // One program runs at a time in bpfsim: a lock is always free.
  bpf_spin_lock: () => 0n,
  bpf_spin_unlock: () => 0n,
  bpf_strtol(_env, call, buf, len, flags, res) {
    // The kernel clears *res first, so a failed conversion leaves 0.
    writeU64(call, res, 0n);
    const r = strtoull(call.mem.read(buf, Number(len & 0xffffffffn)), flags);
    if (typeof r === 'number') return neg(-r);
    let v: bigint;
    if (r.negative) {
      v = BigInt.asIntN(64, -r.value);
      if (v > 0n) return neg(Errno.ERANGE);
    } else {
      v = BigInt.asIntN(64, r.value);
      if (v < 0n) return neg(Errno.ERANGE);
    }
    writeU64(call, res, v);
    return BigInt(r.consumed);
  },
  bpf_strtoul(_env, call, buf, len, flags, res) {
    writeU64(call, res, 0n);
    const r = strtoull(call.mem.read(buf, Number(len & 0xffffffffn)), flags);
    if (typeof r === 'number') return neg(-r);
    if (r.negative) return neg(Errno.EINVAL);
    writeU64(call, res, r.value);
    return BigInt(r.consumed);
  },
};
