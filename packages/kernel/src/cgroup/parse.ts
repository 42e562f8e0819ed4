/**
 * The number parsers cgroup interface files use (lib/kstrtox.c, lib/cmdline.c
 * memparse, string.c strstrip), with their errnos: EINVAL for what is not a
 * number, ERANGE for one that does not fit.
 */
import { Errno } from '@bpfsim/uapi';

/** strstrip: leading and trailing white space (the write's newline among it) removed. */
export function strstrip(s: string): string {
  return s.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '');
}

const INT64_MAX = (1n << 63n) - 1n;

/** kstrtoull with base 0 (0x hex, leading 0 octal), one trailing newline allowed: the value or -errno. */
export function kstrtoull(s0: string): bigint | number {
  let s = s0.endsWith('\n') ? s0.slice(0, -1) : s0;
  if (s.startsWith('+')) s = s.slice(1);
  let base = 10;
  if (/^0[xX][0-9a-fA-F]/.test(s)) {
    base = 16;
    s = s.slice(2);
  } else if (s.length > 1 && s.startsWith('0')) base = 8;
  if (s.length === 0) return -Errno.EINVAL;
  let v = 0n;
  for (const ch of s) {
    const d = parseInt(ch, 16);
    if (Number.isNaN(d) || d >= base) return -Errno.EINVAL;
    v = v * BigInt(base) + BigInt(d);
    if (v > 0xffff_ffff_ffff_ffffn) return -Errno.ERANGE;
  }
  return v;
}

/** kstrtoll. */
export function kstrtoll(s: string): bigint | number {
  const neg = s.startsWith('-');
  const v = kstrtoull(neg ? s.slice(1) : s);
  if (typeof v === 'number') return v;
  if (neg ? v > INT64_MAX + 1n : v > INT64_MAX) return -Errno.ERANGE;
  return neg ? -v : v;
}

/** kstrtoint. */
export function kstrtoint(s: string): number {
  const v = kstrtoll(s);
  if (typeof v === 'number') return v === -Errno.EINVAL ? Number.NaN : Number.NEGATIVE_INFINITY;
  if (v > 0x7fffffffn || v < -0x80000000n) return Number.NEGATIVE_INFINITY;
  return Number(v);
}
/** The errno kstrtoint's failure stands for. */
export function kstrtointErr(v: number): number {
  return Number.isNaN(v) ? -Errno.EINVAL : -Errno.ERANGE;
}

/**
 * memparse: a number (base 0) with an optional K/M/G/T/P/E suffix; `rest` is
 * what follows it (page_counter_memparse refuses anything left: EINVAL).
 */
export function memparse(s: string): { value: bigint; rest: string } {
  const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(s);
  if (!m) return { value: 0n, rest: s };
  let value = BigInt(m[1].startsWith('0') && m[1].length > 1 && !/^0[xX]/.test(m[1]) ? '0o' + m[1].slice(1) : m[1]);
  let rest = s.slice(m[1].length);
  const shift: Record<string, bigint> = { k: 10n, K: 10n, m: 20n, M: 20n, g: 30n, G: 30n, t: 40n, T: 40n, p: 50n, P: 50n, e: 60n, E: 60n };
  if (rest.length && shift[rest[0]] !== undefined) {
    value <<= shift[rest[0]];
    rest = rest.slice(1);
  }
  return { value: BigInt.asUintN(64, value), rest };
}
