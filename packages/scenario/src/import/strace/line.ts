import type { StraceField } from './ast';
import { Cursor } from './cursor';
import { StraceParseError } from './errors';
import type { StraceResult } from './events';
import { parseResult } from './result';
import { parseFields, parseValue } from './values';

/** One line of the log, before unfinished/resumed pairs are joined. */
export type RawRecord =
  | { kind: 'call'; name: string; args: StraceField[]; result: StraceResult }
  /** `name(args <unfinished ...>) = ?`: the process died inside the call, before anything resumed it. */
  | { kind: 'died'; name: string; args: StraceField[] }
  /** `<... name resumed> <unfinished ...>) = ?`: the process died inside a call begun on an earlier line. */
  | { kind: 'resumed-died'; name: string }
  /** `name(args <unfinished ...>`: `text` is everything after `name(` up to the marker, `col` its column. */
  | { kind: 'unfinished'; name: string; text: string; col: number }
  /** `<... name resumed>rest`: `text` is the rest, `col` its column. */
  | { kind: 'resumed'; name: string; text: string; col: number }
  | { kind: 'signal'; signal: string; info?: StraceField[]; stopped?: true }
  | { kind: 'exit'; code?: number; signal?: string; coreDumped?: true }
  | { kind: 'superseded'; byPid: number }
  /** `<detached ...>`: strace let go of the process inside a call. */
  | { kind: 'detached' };

export interface RawLine {
  pid: number;
  /** The -ttt timestamp in ns since the epoch. */
  timeNs: bigint;
  record: RawRecord;
}

const PREFIX = /^(\d+)[ \t]+(\d+)\.(\d{1,9})[ \t]+/;
const NAME = /^([a-z_][a-z0-9_]*|syscall_0x[0-9a-f]+|\?\?\?\?)\(/;
const UNFINISHED = ' <unfinished ...>';
const DIED = ' <unfinished ...>)';
const RESUMED = /^<\.\.\. ([a-z_][a-z0-9_]*|syscall_0x[0-9a-f]+|\?\?\?\?) resumed>/;

/** Parses one non-empty line (1-based `line`) of a log written with `strace -f -ttt`. */
export function parseLine(text: string, file: string, line: number): RawLine {
  const p = PREFIX.exec(text);
  if (!p) {
    const what = /^\d+\.\d+ /.test(text)
      ? 'no pid before the timestamp (record with strace -f)'
      : /^\d+[ \t]+/.test(text)
        ? 'expected a -ttt timestamp (seconds.microseconds) after the pid'
        : 'expected a pid and a -ttt timestamp at the start of the line';
    throw new StraceParseError(file, line, 1, what);
  }
  const pid = Number(p[1]);
  const timeNs = BigInt(p[2]) * 1_000_000_000n + BigInt(p[3].padEnd(9, '0'));
  const col = p[0].length + 1;
  const rest = text.slice(p[0].length);
  return { pid, timeNs, record: parseRecord(rest, file, line, col) };
}

function parseRecord(rest: string, file: string, line: number, col: number): RawRecord {
  const c: Cursor = new Cursor(rest, file, [{ at: 0, line, col }]);
  if (rest.startsWith('+++ ')) return parseExit(c);
  if (rest.startsWith('--- ')) return parseSignal(c);
  if (rest === '<detached ...>') return { kind: 'detached' };
  const r = RESUMED.exec(rest);
  if (r) {
    if (rest.startsWith(DIED, r[0].length)) {
      c.pos = r[0].length + DIED.length;
      diedResult(c);
      return { kind: 'resumed-died', name: r[1] };
    }
    return { kind: 'resumed', name: r[1], text: rest.slice(r[0].length), col: col + r[0].length };
  }
  const n = NAME.exec(rest);
  if (!n) c.fail(`expected a syscall, a signal (---) or an exit (+++), found ${c.found()}`);
  c.pos = n[0].length;
  if (rest.endsWith(UNFINISHED)) {
    return { kind: 'unfinished', name: n[1], text: rest.slice(n[0].length, rest.length - UNFINISHED.length), col: col + n[0].length };
  }
  const died = rest.lastIndexOf(DIED);
  if (died >= n[0].length && /^\s*= \?\s*$/.test(rest.slice(died + DIED.length))) {
    const args = parsePartial(rest.slice(n[0].length, died), file, line, col + n[0].length);
    c.pos = died + DIED.length;
    diedResult(c);
    return { kind: 'died', name: n[1], args };
  }
  const args = parseFields(c, ')', 0);
  return { kind: 'call', name: n[1], args, result: parseResult(c) };
}

/** A call its process died in can only have returned nothing: `= ?`. */
function diedResult(c: Cursor): void {
  const at = c.pos;
  const r = parseResult(c);
  if (r.value !== undefined || r.errno) c.fail(`expected '= ?' after '<unfinished ...>)', found '${r.text}'`, c.text.indexOf(r.text, at));
}

function parseExit(c: Cursor): RawRecord {
  const t = c.text;
  let m = /^\+\+\+ exited with (\d+) \+\+\+$/.exec(t);
  if (m) return { kind: 'exit', code: Number(m[1]) };
  m = /^\+\+\+ killed by (SIG[A-Z0-9+]+|[0-9]+)( \(core dumped\))? \+\+\+$/.exec(t);
  if (m) return m[2] ? { kind: 'exit', signal: m[1], coreDumped: true } : { kind: 'exit', signal: m[1] };
  m = /^\+\+\+ superseded by execve in pid (\d+) \+\+\+$/.exec(t);
  if (m) return { kind: 'superseded', byPid: Number(m[1]) };
  c.fail(`expected 'exited with N', 'killed by SIG…' or 'superseded by execve in pid N' between +++, found ${c.found()}`);
}

function parseSignal(c: Cursor): RawRecord {
  const t = c.text;
  const stop = /^--- stopped by (SIG[A-Z0-9+]+) ---$/.exec(t);
  if (stop) return { kind: 'signal', signal: stop[1], stopped: true };
  const m = /^--- (SIG[A-Z0-9+]+|SIG_?[0-9]+|[0-9]+) /.exec(t);
  if (!m || !t.endsWith(' ---')) c.fail(`expected '--- SIGNAME {siginfo} ---', found ${c.found()}`);
  c.pos = m[0].length;
  const info = parseValue(c);
  c.skipSpaces();
  if (c.text.length - c.pos !== 3 || !c.startsWith('---')) c.fail(`expected '---' after the siginfo, found ${c.found()}`);
  if (info.kind === 'struct') return { kind: 'signal', signal: m[1], info: info.fields };
  return { kind: 'signal', signal: m[1], info: [{ value: info }] };
}

/** Parses the joined text of an `<unfinished ...>` call and its `<... resumed>` rest. */
export function parseJoined(
  name: string, first: { text: string; line: number; col: number }, second: { text: string; line: number; col: number }, file: string,
): { name: string; args: StraceField[]; result: StraceResult } {
  const c: Cursor = new Cursor(first.text + second.text, file, [
    { at: 0, line: first.line, col: first.col },
    { at: first.text.length, line: second.line, col: second.col },
  ]);
  const args = parseFields(c, ')', 0);
  return { name, args, result: parseResult(c) };
}

/** The arguments of a call that never resumed: as far as strace printed them. */
export function parsePartial(text: string, file: string, line: number, col: number): StraceField[] {
  const c: Cursor = new Cursor(text, file, [{ at: 0, line, col }]);
  const fields: StraceField[] = [];
  for (;;) {
    c.skipSpaces();
    if (c.eof) return fields;
    const save = c.pos;
    // A field, then ',' or the end; reuse the field grammar by parsing one-element lists.
    const m = /^([A-Za-z_][A-Za-z0-9_.]*(?:\[[A-Za-z0-9_]+\])*)=(?![=>])/.exec(c.text.slice(c.pos));
    if (m) c.pos += m[0].length;
    const value = parseValue(c);
    fields.push(m ? { name: m[1], value } : { value });
    c.skipSpaces();
    if (c.eat(',')) continue;
    if (c.eof) return fields;
    c.fail(`expected ',' or the end of the unfinished call, found ${c.found()}`, c.pos > save ? c.pos : save);
  }
}
