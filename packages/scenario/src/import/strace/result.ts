import type { Cursor } from './cursor';
import type { StraceResult } from './events';
import { numberValue } from './values';

const VALUE = /\?|-?(?:0[xX][0-9a-fA-F]+|[0-9]+)(?![0-9A-Za-z_])/y;
const ERRNO = /[A-Z][A-Z0-9_]*(?![A-Za-z0-9_])/y;

/**
 * What follows a call's closing parenthesis: `= 3`, `= -1 ENOENT (No such file or directory)`,
 * `= 0x55d…`, `= ?`, `= ? ERESTARTSYS (To be restarted if SA_RESTART is set)`, `= 3</path>` (-y),
 * `= 0 (Timeout)`, `= 1 ([{fd=3, revents=POLLIN}])`. The whole rest of the line must be consumed.
 */
export function parseResult(c: Cursor): StraceResult {
  c.skipSpaces();
  c.expect('=', 'before the result');
  c.skipSpaces();
  const start = c.pos;
  const v = c.match(VALUE);
  if (!v) c.fail(`expected a result value or '?', found ${c.found()}`);
  const r: StraceResult = { text: '' };
  // Octal too: umask returns the old mask as strace prints masks, `= 022`.
  if (v[0] !== '?') r.value = numberValue(v[0]);
  if (c.peek() === '<') r.path = readAngle(c);
  if (c.skipSpaces()) {
    const e = c.match(ERRNO);
    if (e) r.errno = e[0];
    c.skipSpaces();
    if (c.peek() === '(') r.note = readParens(c);
    c.skipSpaces();
  }
  if (!c.eof) c.fail(`unexpected ${c.found()} after the result`);
  r.text = c.text.slice(start).trimEnd();
  return r;
}

function readAngle(c: Cursor): string {
  const start = c.pos;
  let depth = 0;
  for (let i = c.pos; i < c.text.length; i++) {
    if (c.text[i] === '<') depth++;
    else if (c.text[i] === '>' && --depth === 0) {
      c.pos = i + 1;
      return c.text.slice(start + 1, i);
    }
  }
  c.fail("unterminated '<' in the result", start);
}

/** Balanced parentheses up to the end of the note; strings inside may hold parentheses. */
function readParens(c: Cursor): string {
  const start = c.pos;
  let depth = 0;
  let inStr = false;
  for (let i = c.pos; i < c.text.length; i++) {
    const ch = c.text[i];
    if (inStr) {
      if (ch === '\\') i++;
      else if (ch === '"') inStr = false;
    } else if (ch === '"') inStr = true;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) {
      c.pos = i + 1;
      return c.text.slice(start + 1, i);
    }
  }
  c.fail("unterminated '(' in the result", start);
}
