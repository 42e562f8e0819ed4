/**
 * The profile kernel's tracepoint formats as data: the text of every tracefs
 * `events/<system>/<event>/format` file, generated from the reference machine by
 * tools/gen/tracepoints.js into data/tracepoints.json.br (identity in
 * data/tracepoints.json). Read on first use and shared: the data is immutable.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { BpfsimError } from '@bpfsim/uapi';
import { parseTracepointFormat, type TracepointFormat } from '../bpf/ctx/tracepoint';

/** Where the data lives: packages/kernel/data, from src/trace or dist/trace alike. */
export const TRACEPOINTS_FILE = path.resolve(__dirname, '..', '..', 'data', 'tracepoints.json.br');

export class TracepointError extends BpfsimError {
  constructor(code: 'ETPDATA' | 'ETPUNKNOWN', message: string) {
    super(code, message);
    this.name = 'TracepointError';
  }
}

export interface TracepointInfo {
  /** "system:event", as libbpf's SEC("tracepoint/system/event") names it with a slash. */
  name: string;
  system: string;
  event: string;
  /** The format file's text, byte for byte as tracefs prints it. */
  text: string;
  /** Its parsed fields, ID and record size. */
  format: TracepointFormat;
}

let texts: ReadonlyMap<string, string> | undefined;
const parsed = new Map<string, TracepointInfo>();

function allTexts(): ReadonlyMap<string, string> {
  if (texts) return texts;
  let data: { formats?: Record<string, unknown> };
  try {
    data = JSON.parse(zlib.brotliDecompressSync(fs.readFileSync(TRACEPOINTS_FILE)).toString('utf8'));
  } catch (e) {
    throw new TracepointError('ETPDATA', `${TRACEPOINTS_FILE}: cannot read the tracepoint formats: ${(e as Error).message}`);
  }
  const m = new Map<string, string>();
  // The generator writes names sorted byte-wise; sort again so listing order never depends on the file.
  for (const k of Object.keys(data.formats ?? {}).sort(cmp)) {
    const v = data.formats![k];
    if (typeof v !== 'string') throw new TracepointError('ETPDATA', `${TRACEPOINTS_FILE}: ${k}: format is not text`);
    m.set(k, v);
  }
  texts = m;
  return m;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** "syscalls:sys_enter_openat", "syscalls/sys_enter_openat" or "tracepoint/syscalls/sys_enter_openat" → "syscalls:sys_enter_openat". */
export function normalizeTracepointName(name: string): string {
  const s = name.replace(/^(tracepoint|tp)\//, '');
  const i = s.search(/[:/]/);
  return i < 0 ? s : `${s.slice(0, i)}:${s.slice(i + 1)}`;
}

/** Whether the profile kernel has this event. */
export function hasTracepoint(name: string): boolean {
  return allTexts().has(normalizeTracepointName(name));
}

/** One event's format text and parsed fields; a TracepointError naming near matches when there is none. */
export function tracepointFormat(name: string): TracepointInfo {
  const key = normalizeTracepointName(name);
  const hit = parsed.get(key);
  if (hit) return hit;
  const text = allTexts().get(key);
  if (text === undefined) {
    const ev = key.split(':').pop() ?? key;
    const near = listTracepoints(ev).slice(0, 5);
    throw new TracepointError('ETPUNKNOWN', `no tracepoint ${key} in the profile kernel${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`);
  }
  const [system, event] = key.split(':');
  const info: TracepointInfo = { name: key, system, event, text, format: parseTracepointFormat(text, `${system}/${event}/format`) };
  parsed.set(key, info);
  return info;
}

/** An exact "system:event"; else a glob (* ? [..]) when the filter has glob characters, else a substring; matched against "system:event". Sorted. */
export function listTracepoints(filter?: string): string[] {
  const names = [...allTexts().keys()];
  if (!filter) return names;
  const f = filter.includes('/') && !filter.includes(':') ? normalizeTracepointName(filter) : filter;
  // A whole "system:event" names that event alone, not every event it is a prefix of.
  if (allTexts().has(f)) return [f];
  if (/[*?[]/.test(f)) {
    const re = globRegExp(f);
    return names.filter((n) => re.test(n) || re.test(n.slice(n.indexOf(':') + 1)));
  }
  return names.filter((n) => n.includes(f));
}

function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const j = glob.indexOf(']', i + 1);
      if (j < 0) re += '\\[';
      else {
        re += `[${glob.slice(i + 1, j).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = j;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
