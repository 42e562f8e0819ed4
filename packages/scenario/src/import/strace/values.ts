import type { StraceField, StraceValue } from './ast';
import type { Cursor } from './cursor';

/**
 * The grammar of strace's argument printing:
 *   value    := operand (op operand)* ['=>' value] [comment]        op: && || == != << | * + - or
 *   operand  := string | '@'string | hwaddr | number['<'path'>'] | ident['<'path'>'] | ident '(' fields ')'
 *             | '{' fields '}' | '[' items ']' | '~'operand | '&'operand | '!'operand | '-'ident
 *             | '...' | comment | '<…>' | '(' value ')'
 *   fields   := [field (',' field)*]   field := [name '='] value    (terse structs: names separated by spaces)
 *   items    := item ((',' | ' ') item)*   item := value | '[' value ']' '=' value
 */

const NUMBER = /-?(?:0[xX][0-9a-fA-F]+|[0-9]+)(?![0-9A-Za-z_])/y;
// A link-layer address as netlink and packet sockets print it: `c2:f7:5d:62:d5:90`.
const HWADDR = /[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){2,}(?![0-9A-Za-z_:])/y;
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
// A member or named argument: `st_size=`, `c_cc[VMIN]=`, `msg_hdr.msg_name=` (never `==`).
const FIELD_NAME = /([A-Za-z_][A-Za-z0-9_.]*(?:\[[A-Za-z0-9_]+\])*)=(?![=>])/y;
const BINARY_OPS = ['&&', '||', '==', '!=', '<<', '|', '*', '+', '-'] as const;

/** Depth guard: a mutated line like `[[[[[…` must give an error, not a stack overflow. */
const MAX_DEPTH = 200;

export function parseValue(c: Cursor, depth = 0): StraceValue {
  if (depth > MAX_DEPTH) c.fail('values nested too deeply');
  const first = parseOperand(c, depth);
  const operands: StraceValue[] = [first];
  const ops: string[] = [];
  for (;;) {
    const save = c.pos;
    c.skipSpaces();
    // `BTRFS_IOC_CLONE or FICLONE`: an ioctl number strace cannot tell apart.
    const op = c.pos > save && c.startsWith('or ') ? 'or' : BINARY_OPS.find((o) => c.startsWith(o) && !(o === '|' && c.startsWith('||')));
    // `IPV4_DEVCONF_FORWARDING-1` is arithmetic only when written tight: `} ---` ends a signal line.
    if (!op || ((op === '-' || op === '+') && c.pos > save)) {
      c.pos = save;
      break;
    }
    c.pos += op.length;
    c.skipSpaces();
    ops.push(op);
    operands.push(parseOperand(c, depth));
  }
  let v: StraceValue =
    ops.length === 0 ? first : ops.every((o) => o === '|') ? { kind: 'flags', items: operands } : { kind: 'expr', operands, ops };
  const save = c.pos;
  c.skipSpaces();
  if (c.eat('=>')) {
    c.skipSpaces();
    v = { kind: 'inout', before: v, after: parseValue(c, depth + 1) };
    return v;
  }
  if (c.startsWith('/*')) {
    const text = parseComment(c);
    v.comment = text;
    return v;
  }
  c.pos = save;
  return v;
}

function parseComment(c: Cursor): string {
  const start = c.pos;
  const end = c.text.indexOf('*/', start + 2);
  if (end < 0) c.fail('unterminated comment');
  c.pos = end + 2;
  return c.text.slice(start + 2, end).trim();
}

function parseOperand(c: Cursor, depth: number): StraceValue {
  if (depth > MAX_DEPTH) c.fail('values nested too deeply');
  const ch = c.peek();
  if (ch === '"') return parseString(c, false);
  if (ch === '@' && c.peek(1) === '"') {
    c.pos++;
    return parseString(c, true);
  }
  if (ch === '{') {
    c.pos++;
    const fields = parseFields(c, '}', depth + 1);
    return { kind: 'struct', fields };
  }
  if (ch === '[') return parseArray(c, depth + 1);
  // `-ENODEV` (netlink errors) is a negated constant; `-1` is a number, read below.
  if (ch === '~' || ch === '&' || ch === '!' || (ch === '-' && /[A-Za-z_]/.test(c.peek(1)))) {
    c.pos++;
    return { kind: 'unary', op: ch, operand: parseOperand(c, depth + 1) };
  }
  if (c.eat('...')) return { kind: 'ellipsis' };
  if (c.startsWith('/*')) return { kind: 'comment', text: parseComment(c) };
  if (ch === '<') return parseAngle(c);
  if (ch === '(') {
    c.pos++;
    c.skipSpaces();
    const v = parseValue(c, depth + 1);
    c.skipSpaces();
    c.expect(')', 'to close a parenthesis');
    return v;
  }
  const mac = c.match(HWADDR);
  if (mac) return { kind: 'hwaddr', text: mac[0] };
  const num = c.match(NUMBER);
  if (num) {
    const text = num[0];
    const v: StraceValue = { kind: 'num', value: numberValue(text), text };
    if (c.peek() === '<' && c.peek(1) !== '<') v.path = parseAngle(c).text;
    return v;
  }
  const id = c.match(IDENT);
  if (id) {
    if (c.peek() === '(') {
      c.pos++;
      return { kind: 'call', name: id[0], args: parseFields(c, ')', depth + 1) };
    }
    const v: StraceValue = { kind: 'ident', name: id[0] };
    // -y prints the directory an AT_FDCWD stands for: `AT_FDCWD</tmp>`.
    if (c.peek() === '<' && c.peek(1) !== '<') v.path = parseAngle(c).text;
    return v;
  }
  c.fail(`expected a value, found ${c.found()}`);
}

/** The value of a number as strace prints it: decimal, 0x hex, 0-prefixed octal (modes: 0644), maybe negative. */
export function numberValue(text: string): bigint {
  const neg = text.startsWith('-');
  const digits = neg ? text.slice(1) : text;
  const mag = /^0[0-7]+$/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  return neg ? -mag : mag;
}

/** `<…>` with nesting (-yy prints `3<socket:[123]>`, fds with paths containing `<`). */
function parseAngle(c: Cursor): { kind: 'angle'; text: string } {
  const start = c.pos;
  let depth = 0;
  for (let i = c.pos; i < c.text.length; i++) {
    const ch = c.text[i];
    if (ch === '<') depth++;
    else if (ch === '>' && --depth === 0) {
      c.pos = i + 1;
      return { kind: 'angle', text: c.text.slice(start + 1, i) };
    }
  }
  c.fail("unterminated '<'", start);
}

/** Fields up to `close`: arguments of a call, members of a struct. */
export function parseFields(c: Cursor, close: string, depth: number): StraceField[] {
  const fields: StraceField[] = [];
  c.skipSpaces();
  if (c.eat(close)) return fields;
  for (;;) {
    c.skipSpaces();
    const name = c.match(FIELD_NAME);
    const value = parseValue(c, depth);
    fields.push(name ? { name: name[1], value } : { value });
    const spaced = c.skipSpaces();
    if (c.eat(',')) continue;
    if (c.eat(close)) return fields;
    // strace's terse forms separate members by spaces: `{B38400 opost isig icanon echo ...}`.
    if (spaced && close === '}' && !name && spaceSeparable(value, c)) continue;
    c.fail(`expected ',' or '${close}', found ${c.found()}`);
  }
}

/** Space-separated lists hold only names and numbers (signal sets, terse termios flags) and `...`. */
function spaceSeparable(prev: StraceValue, c: Cursor): boolean {
  return (prev.kind === 'ident' || prev.kind === 'num' || prev.kind === 'ellipsis') && /[A-Za-z0-9_.]/.test(c.peek());
}

function parseArray(c: Cursor, depth: number): StraceValue {
  c.expect('[', 'to open an array');
  const items: StraceValue[] = [];
  let sep: ',' | ' ' = ',';
  c.skipSpaces();
  if (c.eat(']')) return { kind: 'array', items, sep };
  for (;;) {
    c.skipSpaces();
    let item = parseValue(c, depth);
    // A designated element: `[DEVCONF_MTU6]=65536`, `[IPV4_DEVCONF_FORWARDING-1]=0`.
    if (item.kind === 'array' && item.items.length === 1 && c.peek() === '=' && c.peek(1) !== '=' && c.peek(1) !== '>') {
      c.pos++;
      item = { kind: 'element', index: item.items[0], value: parseValue(c, depth) };
    }
    items.push(item);
    const spaced = c.skipSpaces();
    if (c.eat(',')) continue;
    if (c.eat(']')) return { kind: 'array', items, sep };
    // Signal sets: `[INT QUIT]`, `~[RTMIN RT_1]`.
    if (spaced && (sep === ' ' || items.length === 1) && spaceSeparable(items[items.length - 1], c)) {
      sep = ' ';
      continue;
    }
    c.fail(`expected ',' or ']', found ${c.found()}`);
  }
}

const PLAIN_RUN = /[\x20-\x21\x23-\x5b\x5d-\x7e]+/y;
const SIMPLE_ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, v: 11, f: 12, a: 7, b: 8, e: 27, '\\': 92, '"': 34, "'": 39, '?': 63 };

/** A C string literal as strace prints it; its bytes as one char each. */
function parseString(c: Cursor, abstract: boolean): StraceValue {
  const start = c.pos;
  c.pos++;
  let out = '';
  for (;;) {
    // Runs of plain ASCII in one step: read() and write() buffers are long.
    const run = c.match(PLAIN_RUN);
    if (run) out += run[0];
    if (c.eof) c.fail('unterminated string', start);
    const ch = c.text[c.pos++];
    if (ch === '"') break;
    if (ch !== '\\') {
      const code = ch.charCodeAt(0);
      if (code < 0x80) out += ch;
      // A raw non-ASCII character (the log was read as UTF-8): keep its UTF-8 bytes.
      else for (const b of Buffer.from(ch, 'utf8')) out += String.fromCharCode(b);
      continue;
    }
    const e = c.text[c.pos];
    if (e === undefined) c.fail('unterminated escape in string', c.pos - 1);
    if (e === 'x') {
      const m = /^[0-9a-fA-F]{1,2}/.exec(c.text.slice(c.pos + 1, c.pos + 3));
      if (!m) c.fail('expected hex digits after \\x', c.pos - 1);
      out += String.fromCharCode(parseInt(m[0], 16));
      c.pos += 1 + m[0].length;
    } else if (e >= '0' && e <= '7') {
      const m = /^[0-7]{1,3}/.exec(c.text.slice(c.pos, c.pos + 3))!;
      const code = parseInt(m[0], 8);
      if (code > 0xff) c.fail(`octal escape \\${m[0]} is not a byte`, c.pos - 1);
      out += String.fromCharCode(code);
      c.pos += m[0].length;
    } else if (Object.prototype.hasOwnProperty.call(SIMPLE_ESCAPES, e)) {
      out += String.fromCharCode(SIMPLE_ESCAPES[e]);
      c.pos++;
    } else {
      c.fail(`unknown escape \\${e} in string`, c.pos - 1);
    }
  }
  const truncated = c.eat('...');
  const v: StraceValue = { kind: 'str', value: out, truncated };
  if (abstract) v.abstract = true;
  return v;
}
