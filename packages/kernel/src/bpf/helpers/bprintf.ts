/**
 * The kernel's BPF printf: the format checks of bpf_bprintf_prepare
 * (kernel/bpf/helpers.c) and the rendering bstr_printf/vsprintf gives the
 * accepted specifiers. Shared by bpf_trace_printk, bpf_snprintf and
 * bpf_seq_printf.
 *
 * Accepted: %% and %[flags 0+- space][width]{d,i,u,x,X} with l/ll, %c, %s,
 * %p, %pK, %px, %ps, %pS, %pB, %pks, %pus, %pi4, %pI4, %pi6, %pI6. No
 * precision, no %o, no %ld without d/i/u/x/X. Anything else is -EINVAL, as
 * are non-printable characters and more specifiers than arguments.
 */
import { Errno } from '@bpfsim/uapi';

export type Spec =
  | { t: 'lit'; text: string }
  | { t: 'int'; flags: string; width: number; size: 4 | 8; conv: 'd' | 'i' | 'u' | 'x' | 'X'; arg: number }
  | { t: 'char'; flags: string; width: number; arg: number }
  | { t: 'str'; flags: string; width: number; space: 'k' | 'u'; arg: number }
  | { t: 'ptr'; flags: string; width: number; kind: '' | 'K' | 'x' | 's' | 'S' | 'B' | 'i4' | 'I4' | 'i6' | 'I6'; arg: number };

const isPrint = (c: number): boolean => c >= 0x20 && c < 0x7f;
const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const isPunct = (c: number): boolean => isPrint(c) && c !== 0x20 && !/[A-Za-z0-9]/.test(String.fromCharCode(c));

/**
 * Parse a format (bytes up to its NUL) as bpf_bprintf_prepare does.
 * Returns the pieces or a negative errno.
 */
export function parseBprintf(fmt: Uint8Array, numArgs: number): Spec[] | number {
  const nul = fmt.indexOf(0);
  if (nul < 0) return -Errno.EINVAL;
  const f = fmt.subarray(0, nul + 1); // keep the NUL: lookahead reads it as the kernel does
  const at = (i: number): number => f[i] ?? 0;
  const out: Spec[] = [];
  let lit = '';
  let numSpec = 0;
  // bstr_printf skips every alphanumeric character after a %p extension: they never print
  // (the kernel's prepare step still checks them, as the loop below does).
  const skipAlnum = (i: number): number => {
    while (/[A-Za-z0-9]/.test(String.fromCharCode(at(i + 1))) && at(i + 1) !== 0) i++;
    return i;
  };
  const flush = (): void => {
    if (lit) out.push({ t: 'lit', text: lit });
    lit = '';
  };
  for (let i = 0; i < nul; i++) {
    const c = at(i);
    if ((!isPrint(c) && !isSpace(c)) || c > 0x7f) return -Errno.EINVAL;
    if (c !== 0x25 /* % */) {
      lit += String.fromCharCode(c);
      continue;
    }
    if (at(i + 1) === 0x25) {
      lit += '%';
      i++;
      continue;
    }
    if (numSpec >= numArgs) return -Errno.EINVAL;
    i++;
    let flags = '';
    while ('0+- '.includes(String.fromCharCode(at(i))) && at(i) !== 0) flags += String.fromCharCode(at(i++));
    let width = 0;
    if (at(i) >= 0x31 && at(i) <= 0x39) {
      while (at(i) >= 0x30 && at(i) <= 0x39) width = width * 10 + (at(i++) - 0x30);
    }
    const ch = String.fromCharCode(at(i));
    flush();
    const arg = numSpec;
    if (ch === 'p') {
      const n1 = at(i + 1);
      if (n1 === 0 || isSpace(n1) || isPunct(n1)) {
        out.push({ t: 'ptr', flags, width, kind: '', arg });
      } else if ((n1 === 0x6b || n1 === 0x75) && at(i + 2) === 0x73) {
        // %pks / %pus: a string read from kernel / user memory.
        const n3 = at(i + 3);
        if (n3 !== 0 && !isSpace(n3) && !isPunct(n3)) return -Errno.EINVAL;
        out.push({ t: 'str', flags, width, space: n1 === 0x6b ? 'k' : 'u', arg });
        i += 2;
      } else if ('KxsSB'.includes(String.fromCharCode(n1))) {
        out.push({ t: 'ptr', flags, width, kind: String.fromCharCode(n1) as 'K', arg });
        i++;
        i = skipAlnum(i);
      } else if ((n1 === 0x69 || n1 === 0x49) && (at(i + 2) === 0x34 || at(i + 2) === 0x36)) {
        out.push({ t: 'ptr', flags, width, kind: (String.fromCharCode(n1) + String.fromCharCode(at(i + 2))) as 'i4', arg });
        i += 2;
        i = skipAlnum(i);
      } else {
        return -Errno.EINVAL;
      }
    } else if (ch === 's') {
      const n1 = at(i + 1);
      if (n1 !== 0 && !isSpace(n1) && !isPunct(n1)) return -Errno.EINVAL;
      out.push({ t: 'str', flags, width, space: 'k', arg });
    } else if (ch === 'c') {
      out.push({ t: 'char', flags, width, arg });
    } else {
      let size: 4 | 8 = 4;
      if (at(i) === 0x6c) {
        size = 8;
        i++;
      }
      if (at(i) === 0x6c) i++;
      const conv = String.fromCharCode(at(i));
      if (!'diuxX'.includes(conv) || at(i) === 0) return -Errno.EINVAL;
      out.push({ t: 'int', flags, width, size, conv: conv as 'd', arg });
    }
    numSpec++;
  }
  flush();
  return out;
}

/** What rendering needs from the kernel: memory reads for %s and %pI4/%pI6. */
export interface BprintfEnv {
  readString(addr: bigint, space: 'k' | 'u', max: number): string | null;
  readBytes(addr: bigint, size: number): Uint8Array | null;
}

/** MAX_BPRINTF_BUF: strings read for %s share this budget in the kernel; each is cut at it. */
const MAX_STR = 1024;

function pad(body: string, flags: string, width: number, numeric: boolean): string {
  if (body.length >= width) return body;
  if (flags.includes('-')) return body + ' '.repeat(width - body.length);
  if (numeric && flags.includes('0')) {
    const sign = /^[+\- ]/.test(body) ? body[0] : '';
    const rest = sign ? body.slice(1) : body;
    return sign + '0'.repeat(width - body.length) + rest;
  }
  return ' '.repeat(width - body.length) + body;
}

function renderInt(s: Extract<Spec, { t: 'int' }>, raw: bigint): string {
  const bits = BigInt(s.size * 8);
  const u = BigInt.asUintN(Number(bits), raw);
  let body: string;
  if (s.conv === 'd' || s.conv === 'i') {
    const v = BigInt.asIntN(Number(bits), raw);
    body = v < 0n ? `-${(-v).toString()}` : (s.flags.includes('+') ? '+' : s.flags.includes(' ') ? ' ' : '') + v.toString();
  } else if (s.conv === 'u') {
    body = u.toString();
  } else {
    body = u.toString(16);
    if (s.conv === 'X') body = body.toUpperCase();
  }
  return pad(body, s.flags, s.width, true);
}

function ip4(b: Uint8Array, zeroPad: boolean): string {
  return Array.from(b, (x) => (zeroPad ? x.toString().padStart(3, '0') : x.toString())).join('.');
}

function ip6(b: Uint8Array, colons: boolean): string {
  const hx = Array.from(b, (x) => x.toString(16).padStart(2, '0'));
  if (!colons) return hx.join('');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(hx[i] + hx[i + 1]);
  return groups.join(':');
}

function renderPtr(s: Extract<Spec, { t: 'ptr' }>, raw: bigint, env: BprintfEnv): string {
  const p = BigInt.asUintN(64, raw);
  switch (s.kind) {
    case '':
    case 'K':
    case 'x':
      // pointer_string: 16 zero-padded digits unless a width is given. The running kernel prints
      // %p and %pK unhashed in BPF printf output (checked against it in test/helpers.diff).
      return s.width ? pad(p.toString(16), s.flags, s.width, true) : p.toString(16).padStart(16, '0');
    case 'i4':
    case 'I4': {
      const b = env.readBytes(p, 4) ?? new Uint8Array(4);
      return pad(ip4(b, s.kind === 'i4'), s.flags, s.width, false);
    }
    case 'i6':
    case 'I6': {
      const b = env.readBytes(p, 16) ?? new Uint8Array(16);
      return pad(ip6(b, s.kind === 'I6'), s.flags, s.width, false);
    }
    case 's':
    case 'S':
    case 'B':
      // No kernel symbols in bpfsim: vsprintf prints an unknown address as 0x%lx.
      return pad(`0x${p.toString(16)}`, s.flags, s.width, false);
  }
}

/** %p extensions bpf_bprintf_prepare renders ahead into its buffer (IP addresses, %pB). */
const PRERENDERED = new Set(['i4', 'I4', 'i6', 'I6', 'B']);

/**
 * Render parsed pieces with raw u64 arguments into an output of `size` bytes
 * (NUL included). The result is the length bstr_printf reports, which is the
 * full length except for one quirk: a prerendered %p piece counts only if the
 * output is not full yet when it comes.
 */
export function renderBprintf(specs: readonly Spec[], args: readonly bigint[], env: BprintfEnv, size = Infinity): string {
  let out = '';
  for (const s of specs) {
    switch (s.t) {
      case 'lit':
        out += s.text;
        break;
      case 'int':
        out += renderInt(s, args[s.arg] ?? 0n);
        break;
      case 'char':
        out += pad(String.fromCharCode(Number((args[s.arg] ?? 0n) & 0xffn)), s.flags, s.width, false);
        break;
      case 'str': {
        const str = env.readString(BigInt.asUintN(64, args[s.arg] ?? 0n), s.space, MAX_STR) ?? '';
        out += pad(str, s.flags, s.width, false);
        break;
      }
      case 'ptr':
        if (PRERENDERED.has(s.kind) && out.length >= size) break;
        out += renderPtr(s, args[s.arg] ?? 0n, env);
        break;
    }
  }
  return out;
}
