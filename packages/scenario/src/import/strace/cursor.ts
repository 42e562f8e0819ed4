import { StraceParseError } from './errors';

/** Where a piece of the text being parsed came from (a joined call is two pieces of two lines). */
export interface Segment {
  /** Offset of the piece in the text. */
  at: number;
  line: number;
  /** 1-based column of the piece's first character on its line. */
  col: number;
}

/** A position in one record's text, with the means to name the file, line and column on failure. */
export class Cursor {
  pos = 0;
  constructor(readonly text: string, readonly file: string, private readonly segments: Segment[]) {}

  get eof(): boolean {
    return this.pos >= this.text.length;
  }

  peek(ahead = 0): string {
    return this.text[this.pos + ahead] ?? '';
  }

  startsWith(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }

  /** Skips spaces; true if any were skipped. */
  skipSpaces(): boolean {
    const start = this.pos;
    while (this.text[this.pos] === ' ' || this.text[this.pos] === '\t') this.pos++;
    return this.pos > start;
  }

  /** Consumes `s` if it is next. */
  eat(s: string): boolean {
    if (!this.startsWith(s)) return false;
    this.pos += s.length;
    return true;
  }

  expect(s: string, where: string): void {
    if (!this.eat(s)) this.fail(`expected '${s}' ${where}, found ${this.found()}`);
  }

  /** Consumes and returns a match of `re` (which must be sticky, /y) at the cursor, or undefined. */
  match(re: RegExp): RegExpExecArray | undefined {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m) return undefined;
    this.pos += m[0].length;
    return m;
  }

  /** A short quote of what is at the cursor, for messages. */
  found(): string {
    if (this.eof) return 'end of line';
    const rest = this.text.slice(this.pos, this.pos + 20);
    return `'${rest}${this.text.length - this.pos > 20 ? '…' : ''}'`;
  }

  fail(what: string, at = this.pos): never {
    let seg = this.segments[0];
    for (const s of this.segments) if (s.at <= at) seg = s;
    throw new StraceParseError(this.file, seg.line, seg.col + (at - seg.at), what);
  }
}
