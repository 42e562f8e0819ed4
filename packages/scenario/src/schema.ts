/**
 * A small declarative validator: the scenario format is described as data
 * (format.ts) and checked here, so every error names the path to the field
 * and what was expected. Unknown fields are errors: a typo must not be
 * silently ignored, and a recording from a newer schema must not half-load.
 */
import { clip } from './quote';

export type Path = (string | number)[];

/** Own keys only: a field or kind named `constructor` or `__proto__` must never reach a prototype property. */
const own = <V>(r: Record<string, V>, k: string): V | undefined => (Object.hasOwn(r, k) ? r[k] : undefined);

export interface Issue {
  path: Path;
  message: string;
  /** The problem is the key at `path` (an unknown field), not its value. */
  atKey?: boolean;
}

export abstract class Type<T> {
  abstract readonly expected: string;
  /** Returns the checked (and normalised) value, or pushes issues and returns undefined. */
  abstract check(v: unknown, path: Path, issues: Issue[]): T | undefined;
}

const describe = (v: unknown): string => {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string "${clip(v, 40)}"`;
  return `${typeof v} ${clip(String(v), 40)}`;
};

function mismatch(t: { expected: string }, v: unknown, path: Path, issues: Issue[]): undefined {
  issues.push({ path, message: `expected ${t.expected}, found ${describe(v)}` });
  return undefined;
}

class Str extends Type<string> {
  constructor(readonly expected = 'a string', private readonly pattern?: RegExp) { super(); }
  check(v: unknown, path: Path, issues: Issue[]) {
    if (typeof v !== 'string' || (this.pattern && !this.pattern.test(v))) return mismatch(this, v, path, issues);
    return v;
  }
}

class Int extends Type<number> {
  readonly expected: string;
  constructor(private readonly min = Number.MIN_SAFE_INTEGER, private readonly max = Number.MAX_SAFE_INTEGER) {
    super();
    this.expected = min === 0 && max === Number.MAX_SAFE_INTEGER ? 'a whole number ≥ 0'
      : min > Number.MIN_SAFE_INTEGER && max < Number.MAX_SAFE_INTEGER ? `a whole number from ${min} to ${max}` : 'a whole number';
  }
  check(v: unknown, path: Path, issues: Issue[]) {
    const n = typeof v === 'bigint' && v >= BigInt(this.min) && v <= BigInt(this.max) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < this.min || n > this.max) return mismatch(this, v, path, issues);
    return n;
  }
}

class Bool extends Type<boolean> {
  readonly expected = 'true or false';
  check(v: unknown, path: Path, issues: Issue[]) {
    return typeof v === 'boolean' ? v : mismatch(this, v, path, issues);
  }
}

class Enum<T extends string> extends Type<T> {
  readonly expected: string;
  constructor(private readonly values: readonly T[]) {
    super();
    this.expected = `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`;
  }
  check(v: unknown, path: Path, issues: Issue[]) {
    return typeof v === 'string' && (this.values as readonly string[]).includes(v) ? (v as T) : mismatch(this, v, path, issues);
  }
}

class List<T> extends Type<T[]> {
  readonly expected: string;
  constructor(private readonly item: Type<T>, private readonly minItems = 0) {
    super();
    this.expected = `a list of ${item.expected}`;
  }
  check(v: unknown, path: Path, issues: Issue[]) {
    if (!Array.isArray(v)) return mismatch(this, v, path, issues);
    if (v.length < this.minItems) {
      issues.push({ path, message: `expected at least ${this.minItems} item${this.minItems > 1 ? 's' : ''}` });
      return undefined;
    }
    const before = issues.length;
    const out = v.map((x, i) => this.item.check(x, [...path, i], issues));
    return issues.length === before ? (out as T[]) : undefined;
  }
}

type Fields = Record<string, Type<unknown>>;
type Out<F extends Fields, R extends keyof F> = { [K in R]: F[K] extends Type<infer T> ? T : never } & {
  [K in Exclude<keyof F, R>]?: F[K] extends Type<infer T> ? T : never;
};

class Obj<F extends Fields, R extends keyof F> extends Type<Out<F, R>> {
  constructor(readonly expected: string, readonly fields: F, readonly required: readonly R[]) { super(); }
  check(v: unknown, path: Path, issues: Issue[]) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) return mismatch(this, v, path, issues);
    const before = issues.length;
    const rec = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(rec)) {
      const t = own(this.fields, k);
      if (!t) {
        const known = Object.keys(this.fields);
        issues.push({ path: [...path, k], atKey: true, message: `unknown field '${clip(k)}'${suggest(k, known)} (${this.expected} has: ${known.join(', ')})` });
        continue;
      }
      if (rec[k] === undefined) continue;
      out[k] = t.check(rec[k], [...path, k], issues);
    }
    for (const k of this.required)
      if (!Object.hasOwn(rec, k as string) || rec[k as string] === undefined) issues.push({ path, message: `missing field '${String(k)}' (${this.fields[k].expected})` });
    return issues.length === before ? (out as Out<F, R>) : undefined;
  }
}

/** Exactly one of several shapes, told apart by which key is present (`run:`, `advance:`, ...). */
class Tagged<T> extends Type<T> {
  readonly expected: string;
  constructor(what: string, private readonly variants: Record<string, Type<unknown>>, private readonly shared: Fields = {}) {
    super();
    this.expected = `${what} (one of: ${Object.keys(variants).join(', ')})`;
  }
  check(v: unknown, path: Path, issues: Issue[]) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return mismatch(this, v, path, issues);
    const rec = v as Record<string, unknown>;
    const tags = Object.keys(rec).filter((k) => Object.hasOwn(this.variants, k));
    if (tags.length !== 1) {
      const unknown = Object.keys(rec).filter((k) => !Object.hasOwn(this.shared, k) && !Object.hasOwn(this.variants, k));
      issues.push({
        path,
        message: tags.length === 0
          ? `expected ${this.expected}${unknown.length ? `; '${clip(unknown[0])}' is not one${suggest(unknown[0], Object.keys(this.variants))}` : ''}`
          : `expected exactly one of ${tags.map((t) => `'${t}'`).join(' and ')}`,
      });
      return undefined;
    }
    const tag = tags[0];
    const before = issues.length;
    const out: Record<string, unknown> = { kind: tag };
    for (const k of Object.keys(rec)) {
      if (k === tag) continue;
      const t = own(this.shared, k);
      if (!t) {
        issues.push({ path: [...path, k], atKey: true, message: `unknown field '${clip(k)}' beside '${tag}'${suggest(k, Object.keys(this.shared))}` });
        continue;
      }
      out[k] = t.check(rec[k], [...path, k], issues);
    }
    out[tag] = own(this.variants, tag)!.check(rec[tag], [...path, tag], issues);
    return issues.length === before ? (out as T) : undefined;
  }
}

/** The first alternative that accepts the value, else one error naming them all. */
class Union<T> extends Type<T> {
  constructor(readonly expected: string, private readonly alts: Type<unknown>[]) { super(); }
  check(v: unknown, path: Path, issues: Issue[]) {
    for (const a of this.alts) {
      const trial: Issue[] = [];
      const out = a.check(v, path, trial);
      if (trial.length === 0) return out as T;
    }
    return mismatch(this, v, path, issues);
  }
}

class Custom<T> extends Type<T> {
  constructor(readonly expected: string, private readonly fn: (v: unknown) => T | string) { super(); }
  check(v: unknown, path: Path, issues: Issue[]) {
    const r = this.fn(v);
    if (typeof r === 'string' && r.startsWith('!')) {
      issues.push({ path, message: r.slice(1) });
      return undefined;
    }
    return r as T;
  }
}

function suggest(word: string, known: readonly string[]): string {
  if (word.length > 64) return ''; // the edit distance is quadratic: no suggestion for a huge key
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(word, k);
    if (d < bestD) { best = k; bestD = d; }
  }
  return best ? ` (did you mean '${best}'?)` : '';
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      dp[i][j] = Math.min(dp[i - 1][j] + 1, dp[i][j - 1] + 1, dp[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return dp[a.length][b.length];
}

export const t = {
  str: (expected?: string, pattern?: RegExp) => new Str(expected, pattern),
  int: (min?: number, max?: number) => new Int(min, max),
  bool: () => new Bool(),
  enum: <T extends string>(values: readonly T[]) => new Enum<T>(values),
  list: <T>(item: Type<T>, minItems?: number) => new List<T>(item, minItems),
  obj: <F extends Fields, R extends keyof F = never>(expected: string, fields: F, required: readonly R[] = []) =>
    new Obj<F, R>(expected, fields, required),
  tagged: <T>(what: string, variants: Record<string, Type<unknown>>, shared?: Fields) => new Tagged<T>(what, variants, shared),
  union: <T>(expected: string, alts: Type<unknown>[]) => new Union<T>(expected, alts),
  /** A check function: return the value, or a string starting with '!' as the error message. */
  custom: <T>(expected: string, fn: (v: unknown) => T | string) => new Custom<T>(expected, fn),
};
