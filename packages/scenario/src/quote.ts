/**
 * Quoting user input inside error messages: at most a bounded prefix, with
 * control bytes escaped, so a 10 MB name or raw terminal escapes from a file
 * never reach the user's terminal verbatim.
 */

/** Longest piece of user input an error message quotes. */
export const QUOTE_MAX = 80;

/** Escape C0/C1 controls and DEL (\n, \t, \x1b, ...) as JSON-style escapes. */
export function escapeControls(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    switch (c) {
      case '\n': return '\\n';
      case '\r': return '\\r';
      case '\t': return '\\t';
      default: return '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
    }
  });
}

/** A bounded prefix of `s`, escaped, without surrounding quotes: "abc…(+9990 chars)". */
export function clip(s: string, max = QUOTE_MAX): string {
  const head = s.length > max ? s.slice(0, max) : s;
  const more = s.length > max ? `…(+${s.length - max} chars)` : '';
  return escapeControls(head) + more;
}

/** `s` quoted for a message: '…' around a bounded, escaped prefix. */
export function quote(s: string, max = QUOTE_MAX): string {
  return `'${clip(s, max)}'`;
}

/**
 * A whole message made safe for a terminal: every line's control bytes
 * escaped and the lines and their count bounded (the last resort for
 * messages built before their parts were quoted).
 */
export function safeMessage(msg: string, maxLine = 2000, maxLines = 200): string {
  const lines = msg.split('\n');
  const kept = lines.slice(0, maxLines).map((l) => clip(l, maxLine));
  if (lines.length > maxLines) kept.push(`…(+${lines.length - maxLines} lines)`);
  return kept.join('\n');
}
