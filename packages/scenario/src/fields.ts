/**
 * Matching decoded records (BTF values) field by field: a pattern names only
 * the fields it cares about. A number matches an integer, a string matches
 * text (or an enum's name), {regex}/{contains}/{min, max} work as elsewhere,
 * a mapping recurses into a struct, a list into an array.
 */
import type { BtfValue } from '@bpfsim/loader';
import { t, type Type } from './schema';
import { matcherShape } from './values';
import { testUserRegex } from './regex';
import { clip } from './quote';

export type FieldPattern = bigint | boolean | string | { regex: string } | { contains: string } | { min?: bigint; max?: bigint }
  | FieldPattern[] | { fields: Record<string, FieldPattern> };

const isInt = (v: unknown): v is bigint | number => typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));

function parse(v: unknown): FieldPattern | string {
  if (isInt(v)) return BigInt(v);
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  if (Array.isArray(v)) {
    const out: FieldPattern[] = [];
    for (const x of v) {
      const p = parse(x);
      if (typeof p === 'string' && p.startsWith('!')) return p;
      out.push(p);
    }
    return out;
  }
  if (v && typeof v === 'object') {
    const rec = v as Record<string, unknown>;
    const keys = Object.keys(rec);
    const shaped = matcherShape(v);
    if (shaped !== undefined) return shaped as FieldPattern | string;
    // No prototype: a field named __proto__ or constructor is just a field.
    const fields = Object.create(null) as Record<string, FieldPattern>;
    for (const k of keys) {
      const p = parse(rec[k]);
      if (typeof p === 'string' && p.startsWith('!')) return `!${clip(k)}: ${p.slice(1)}`;
      fields[k] = p;
    }
    return { fields };
  }
  return '!expected a field pattern: a number, text, {regex}, {min, max}, a mapping of fields or a list';
}

export const fieldPattern: Type<FieldPattern> = t.custom('a field pattern', parse);

const show = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));

/** Undefined when `actual` matches; otherwise "field.path: expected X, got Y". */
export function matchFields(p: FieldPattern, actual: BtfValue, at = ''): string | undefined {
  const here = at || '(record)';
  const miss = (want: string) => `${here}: expected ${want}, got ${show(actual)}`;
  if (typeof p === 'bigint') return isInt(actual) && BigInt(actual) === p ? undefined : miss(p.toString());
  if (typeof p === 'boolean') return actual === p ? undefined : miss(String(p));
  if (typeof p === 'string') return actual === p ? undefined : miss(JSON.stringify(p));
  if (Array.isArray(p)) {
    if (!Array.isArray(actual)) return miss('a list');
    for (let i = 0; i < p.length; i++) {
      const r = matchFields(p[i], actual[i] ?? null, `${at}[${i}]`);
      if (r) return r;
    }
    return undefined;
  }
  if ('regex' in p) return typeof actual === 'string' && testUserRegex(p.regex, actual) ? undefined : miss(`/${p.regex}/`);
  if ('contains' in p) return typeof actual === 'string' && actual.includes(p.contains) ? undefined : miss(`text containing ${JSON.stringify(p.contains)}`);
  if ('fields' in p) {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return miss('a struct');
    for (const [k, sub] of Object.entries(p.fields)) {
      if (!Object.hasOwn(actual, k)) return `${at ? `${at}.` : ''}${k}: no such field (fields: ${Object.keys(actual).join(', ')})`;
      const r = matchFields(sub, actual[k], at ? `${at}.${k}` : k);
      if (r) return r;
    }
    return undefined;
  }
  const { min, max } = p as { min?: bigint; max?: bigint };
  if (!isInt(actual)) return miss('a number');
  const v = BigInt(actual);
  return (min === undefined || v >= min) && (max === undefined || v <= max) ? undefined : miss(`${min ?? '-∞'}..${max ?? '∞'}`);
}
