/**
 * The value notations of scenario files: byte strings (map keys and values,
 * packets, contexts), durations, and matchers (exact, regex, range).
 */
import { t, type Type } from './schema';
import { DURATION_MAX, REGEX_SOURCE_MAX, VALUE_BYTES_MAX } from './limits';
import { clip } from './quote';
import { compileUserRegex, testUserRegex } from './regex';

/** Byte notation, resolved to bytes once the size it must fill is known. */
export type BytesSpec =
  | { hex: string }                                        // "de ad be ef"
  | { int: bigint; size?: number; signed?: boolean; be?: boolean } // 7, {u32: 7}, {be16: 80}
  | { str: string; size?: number }                         // {str: "hello", size: 16}
  | { concat: BytesSpec[] };                               // [ {u32: 1}, {u32: 2} ]

const INT_KEYS: Record<string, { size: number; signed: boolean; be: boolean }> = {
  u8: { size: 1, signed: false, be: false }, u16: { size: 2, signed: false, be: false },
  u32: { size: 4, signed: false, be: false }, u64: { size: 8, signed: false, be: false },
  s8: { size: 1, signed: true, be: false }, s16: { size: 2, signed: true, be: false },
  s32: { size: 4, signed: true, be: false }, s64: { size: 8, signed: true, be: false },
  be16: { size: 2, signed: false, be: true }, be32: { size: 4, signed: false, be: true },
  be64: { size: 8, signed: false, be: true },
};

const toBig = (v: unknown): bigint | undefined =>
  typeof v === 'bigint' ? v : typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : undefined;

function bytesSpec(v: unknown): BytesSpec | string {
  const n = toBig(v);
  if (n !== undefined) return { int: n };
  if (typeof v === 'string') {
    const clean = v.trim().replace(/^0x/i, '').replace(/[\s:_]+/g, '');
    if (clean.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(clean))
      return `!expected hex bytes like "de ad be ef", found "${clip(v)}" (write {str: ...} for text)`;
    if (clean.length / 2 > VALUE_BYTES_MAX) return `!${clean.length / 2} bytes of hex, over the limit of ${VALUE_BYTES_MAX}`;
    return { hex: clean.toLowerCase() };
  }
  if (v instanceof Uint8Array) return { hex: Buffer.from(v).toString('hex') };
  if (Array.isArray(v)) {
    const parts: BytesSpec[] = [];
    for (const x of v) {
      const p = bytesSpec(x);
      if (typeof p === 'string') return p;
      parts.push(p);
    }
    return { concat: parts };
  }
  if (v && typeof v === 'object') {
    const rec = v as Record<string, unknown>;
    const keys = Object.keys(rec);
    if (keys.length === 1 && Object.hasOwn(INT_KEYS, keys[0])) {
      const n2 = toBig(rec[keys[0]]);
      if (n2 === undefined) return `!expected a whole number for ${keys[0]}`;
      const f = INT_KEYS[keys[0]];
      const lim = 1n << BigInt(f.size * 8);
      if (f.signed ? n2 < -(lim >> 1n) || n2 >= lim >> 1n : n2 < -(lim >> 1n) || n2 >= lim)
        return `!${clip(String(n2), 24)} does not fit in ${keys[0]}`;
      return { int: n2, ...f };
    }
    if (Object.hasOwn(rec, 'str') && keys.every((k) => k === 'str' || k === 'size')) {
      if (typeof rec.str !== 'string') return '!expected {str: "text"}';
      const size = rec.size === undefined ? undefined : toBig(rec.size);
      if (rec.size !== undefined && (size === undefined || size < 0n)) return '!size must be a whole number ≥ 0';
      // Checked before use: a size of 2^64 or 1e308 must not reach an array allocation.
      if (size !== undefined && size > BigInt(VALUE_BYTES_MAX)) return `!size ${clip(String(size), 24)} is over the limit of ${VALUE_BYTES_MAX} bytes`;
      if (rec.str.length > VALUE_BYTES_MAX) return `!the string is over the limit of ${VALUE_BYTES_MAX} bytes`;
      return { str: rec.str, size: size === undefined ? undefined : Number(size) };
    }
    return `!expected bytes: hex "de ad", a number, {u32: N} (u8..u64, s8..s64, be16..be64), {str: "text", size: N}, or a list of these; found keys ${clip(keys.join(', '))}`;
  }
  return `!expected bytes, found ${v === null || v === undefined ? 'nothing' : typeof v}`;
}

export const bytes: Type<BytesSpec> = t.custom('bytes', bytesSpec);

/** Resolve to exactly `size` bytes (when given): integers take the size; hex and strings must fit. */
export function resolveBytes(spec: BytesSpec, size?: number): Uint8Array | string {
  switch (true) {
    case 'hex' in spec: {
      const b = Uint8Array.from(Buffer.from((spec as { hex: string }).hex, 'hex'));
      if (size !== undefined && b.length !== size) return `${b.length} bytes given where ${size} are needed`;
      return b;
    }
    case 'int' in spec: {
      const s = spec as { int: bigint; size?: number; be?: boolean };
      const n = s.size ?? size ?? 8;
      if (size !== undefined && n !== size) return `a ${n}-byte integer given where ${size} bytes are needed`;
      const lim = 1n << BigInt(n * 8);
      if (s.int >= lim || s.int < -(lim >> 1n)) return `${clip(String(s.int), 24)} does not fit in ${n} bytes`;
      let v = BigInt.asUintN(n * 8, s.int);
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) { out[s.be ? n - 1 - i : i] = Number(v & 0xffn); v >>= 8n; }
      return out;
    }
    case 'str' in spec: {
      const s = spec as { str: string; size?: number };
      const text = new TextEncoder().encode(s.str);
      const n = s.size ?? size ?? text.length + 1;
      if (text.length > n) return `the string is ${text.length} bytes, longer than ${n}`;
      if (size !== undefined && n !== size) return `a ${n}-byte string given where ${size} bytes are needed`;
      const out = new Uint8Array(n);
      out.set(text);
      return out;
    }
    default: {
      const parts: Uint8Array[] = [];
      let total = 0;
      for (const p of (spec as { concat: BytesSpec[] }).concat) {
        const r = resolveBytes(p);
        if (typeof r === 'string') return r;
        parts.push(r);
        total += r.length;
        if (total > VALUE_BYTES_MAX) return `the parts add up to more than the limit of ${VALUE_BYTES_MAX} bytes`;
      }
      if (size !== undefined && total !== size) return `${total} bytes given where ${size} are needed`;
      const out = new Uint8Array(total);
      let at = 0;
      for (const p of parts) { out.set(p, at); at += p.length; }
      return out;
    }
  }
}

const UNITS: Record<string, bigint> = { ns: 1n, us: 1000n, ms: 1_000_000n, s: 1_000_000_000n };

/** A duration in nanoseconds: 250, "250ns", "3us", "1.5ms", "2s". */
export const duration: Type<bigint> = t.custom('a duration such as 100, "5us", "1.5ms" or "2s"', (v) => {
  const n = toBig(v);
  const tooLong = `!a duration is at most ${DURATION_MAX} ns (the kernel's clock is a u64 of nanoseconds)`;
  if (n !== undefined) return n < 0n ? '!a duration cannot be negative' : n > DURATION_MAX ? tooLong : n;
  if (typeof v !== 'string') return '!expected a duration such as 100, "5us", "1.5ms" or "2s"';
  if (v.length > 64) return `!expected a duration such as "5us", "1.5ms" or "2s", found "${clip(v, 40)}"`;
  const m = /^\s*(\d+)(?:\.(\d+))?\s*(ns|us|ms|s)\s*$/.exec(v);
  if (!m) return `!expected a duration such as "5us", "1.5ms" or "2s", found "${clip(v)}"`;
  const unit = UNITS[m[3]];
  const frac = m[2] ?? '';
  const scale = 10n ** BigInt(frac.length);
  const total = (BigInt(m[1]) * scale + BigInt(frac || '0')) * unit;
  if (total % scale !== 0n) return `!${v} is not a whole number of nanoseconds`;
  return total / scale > DURATION_MAX ? tooLong : total / scale;
});

/** How an observed value is compared. */
export type Matcher =
  | { equals: BytesSpec | string | bigint | boolean }
  | { regex: string }
  | { min?: bigint; max?: bigint }
  | { contains: string };

/**
 * A mapping that is itself a matcher ({regex}, {contains}, {min, max}): the
 * matcher, an error ("!..."), or undefined when the mapping is something else.
 */
export function matcherShape(v: unknown): Matcher | string | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) return undefined;
  const rec = v as Record<string, unknown>;
  const keys = Object.keys(rec);
  if (keys.length === 1 && keys[0] === 'regex') {
    if (typeof rec.regex !== 'string') return '!regex must be a string';
    const re = compileUserRegex(rec.regex, REGEX_SOURCE_MAX);
    if (typeof re === 'string') return `!${re}`;
    return { regex: rec.regex };
  }
  if (keys.length === 1 && keys[0] === 'contains') {
    return typeof rec.contains === 'string' ? { contains: rec.contains } : '!contains must be a string';
  }
  if (keys.length > 0 && keys.every((k) => k === 'min' || k === 'max')) {
    const min = rec.min === undefined ? undefined : toBig(rec.min);
    const max = rec.max === undefined ? undefined : toBig(rec.max);
    if ((rec.min !== undefined && min === undefined) || (rec.max !== undefined && max === undefined))
      return '!min and max must be whole numbers';
    if (min !== undefined && max !== undefined && min > max) return `!min ${min} is above max ${max}`;
    return { min, max };
  }
  return undefined;
}

function matcher(inner: (v: unknown) => BytesSpec | string | bigint | boolean | string): (v: unknown) => Matcher | string {
  return (v) => {
    const shaped = matcherShape(v);
    if (shaped !== undefined) return shaped;
    const x = inner(v);
    if (typeof x === 'string' && x.startsWith('!')) return x;
    return { equals: x };
  };
}

const numberValue = (v: unknown) => toBig(v) ?? (typeof v === 'boolean' ? v : '!expected a whole number');
/** A number: 2, {min: 1, max: 5}. Names (XDP_DROP, ...) are resolved by the caller through `names`. */
export const numberMatcher = (names: Record<string, number> = {}): Type<Matcher> =>
  t.custom('a number, a name like XDP_PASS, or {min, max}', matcher((v) =>
    typeof v === 'string' && Object.hasOwn(names, v) ? BigInt(names[v]) : numberValue(v)));
export const textMatcher: Type<Matcher> = t.custom('text, {regex: "..."} or {contains: "..."}', matcher((v) =>
  typeof v === 'string' ? v : '!expected text'));
export const bytesMatcher: Type<Matcher> = t.custom('bytes, {regex: "<hex regex>"} or {min, max} for integers', matcher(bytesSpec));

/** Compare an observed number. */
export function matchNumber(m: Matcher, actual: bigint): boolean {
  if ('equals' in m) return typeof m.equals === 'bigint' && BigInt.asUintN(64, m.equals) === BigInt.asUintN(64, actual);
  if ('min' in m || 'max' in m) {
    const r = m as { min?: bigint; max?: bigint };
    return (r.min === undefined || actual >= r.min) && (r.max === undefined || actual <= r.max);
  }
  return false;
}

export function matchText(m: Matcher, actual: string): boolean {
  if ('regex' in m) return testUserRegex(m.regex, actual);
  if ('contains' in m) return actual.includes(m.contains);
  if ('equals' in m) return m.equals === actual;
  return false;
}

/** Compare observed bytes; integers in {min,max} read the bytes little-endian. */
export function matchBytes(m: Matcher, actual: Uint8Array): boolean {
  const hex = Buffer.from(actual).toString('hex');
  if ('regex' in m) return testUserRegex(m.regex, hex);
  if ('equals' in m) {
    const want = resolveBytes(m.equals as BytesSpec, actual.length);
    return typeof want !== 'string' && Buffer.from(want).toString('hex') === hex;
  }
  if ('min' in m || 'max' in m) {
    let v = 0n;
    for (let i = actual.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(actual[i]);
    return matchNumber(m, v);
  }
  return false;
}

export function describeMatcher(m: Matcher): string {
  if ('regex' in m) return `/${m.regex}/`;
  if ('contains' in m) return `text containing ${JSON.stringify(m.contains)}`;
  if (!('equals' in m)) return `${m.min ?? '-∞'}..${m.max ?? '∞'}`;
  const e = m.equals;
  if (typeof e === 'bigint' || typeof e === 'boolean') return String(e);
  if (typeof e === 'string') return JSON.stringify(e);
  const b = resolveBytes(e);
  return typeof b === 'string' ? '(bytes)' : Buffer.from(b).toString('hex');
}
