/**
 * The `.data` test files of the bpf_conformance suite: `-- asm`, `-- raw`,
 * `-- mem`, `-- result`, `-- error` sections; `#` comments anywhere.
 * See ../shared/conformance/README.md for the format.
 */
import { BpfsimError } from '@bpfsim/uapi';

export class ConformanceFileError extends BpfsimError {
  constructor(message: string) {
    super('ECONFORMANCE_FILE', message);
  }
}

export interface DataFile {
  file: string;
  /** Assembly text (uBPF dialect) with the line number its first line had in the file. */
  asm?: { text: string; line: number };
  /** Instruction words from `-- raw`, which replaces `-- asm` when present. */
  raw?: bigint[];
  mem: Uint8Array;
  /** Expected r0. */
  result?: bigint;
  /** Expected error text. */
  error?: string;
}

const KNOWN = new Set(['asm', 'raw', 'mem', 'result', 'error', 'c', 'no register offset']);

export function parseDataFile(text: string, file: string): DataFile {
  const sections = new Map<string, { lines: string[]; line: number }>();
  let current: { lines: string[]; line: number } | undefined;
  text.split(/\r?\n/).forEach((rawLine, i) => {
    const lineNo = i + 1;
    const hash = rawLine.indexOf('#');
    const line = hash >= 0 ? rawLine.slice(0, hash) : rawLine;
    const marker = line.indexOf('--');
    if (marker >= 0 && /^\s*--\s/.test(line.slice(marker) + ' ') && line.slice(0, marker).trim() === '') {
      const name = line.slice(marker + 2).trim();
      if (!KNOWN.has(name)) throw new ConformanceFileError(`${file}:${lineNo}: unknown section '-- ${name}'`);
      if (sections.has(name)) throw new ConformanceFileError(`${file}:${lineNo}: section '-- ${name}' appears twice`);
      current = { lines: [], line: lineNo + 1 };
      sections.set(name, current);
      return;
    }
    if (current) current.lines.push(line);
    else if (line.trim() !== '') throw new ConformanceFileError(`${file}:${lineNo}: text before the first '--' section`);
  });

  const out: DataFile = { file, mem: new Uint8Array(0) };
  const asm = sections.get('asm');
  if (asm) out.asm = { text: asm.lines.join('\n'), line: asm.line };
  const raw = sections.get('raw');
  if (raw) out.raw = numbers(raw, file, 'raw', 64);
  const mem = sections.get('mem');
  if (mem) out.mem = hexBytes(mem, file);
  const result = sections.get('result');
  if (result) {
    const vals = numbers(result, file, 'result', 64);
    if (vals.length !== 1) throw new ConformanceFileError(`${file}:${result.line}: '-- result' must hold one number, found ${vals.length}`);
    out.result = vals[0];
  }
  const error = sections.get('error');
  if (error) out.error = error.lines.join('\n').trim();
  if (out.result === undefined && out.error === undefined)
    throw new ConformanceFileError(`${file}: no '-- result' or '-- error' section: nothing to check`);
  if (!out.asm && !out.raw) throw new ConformanceFileError(`${file}: no '-- asm' or '-- raw' section: no program`);
  return out;
}

function tokens(sec: { lines: string[]; line: number }): { tok: string; line: number }[] {
  const out: { tok: string; line: number }[] = [];
  sec.lines.forEach((l, i) => {
    for (const tok of l.split(/\s+/)) if (tok) out.push({ tok, line: sec.line + i });
  });
  return out;
}

function numbers(sec: { lines: string[]; line: number }, file: string, what: string, bits: number): bigint[] {
  const max = (1n << BigInt(bits)) - 1n;
  return tokens(sec).map(({ tok, line }) => {
    const m = /^(-)?(0x[0-9a-f]+|\d+)$/i.exec(tok);
    if (!m) throw new ConformanceFileError(`${file}:${line}: '-- ${what}': '${tok}' is not a number`);
    let v = BigInt(m[2]);
    if (m[1]) v = -v;
    if (v > max || v < -(1n << BigInt(bits - 1)))
      throw new ConformanceFileError(`${file}:${line}: '-- ${what}': ${tok} does not fit in ${bits} bits`);
    return BigInt.asUintN(bits, v);
  });
}

function hexBytes(sec: { lines: string[]; line: number }, file: string): Uint8Array {
  const toks = tokens(sec);
  const out = new Uint8Array(toks.length);
  toks.forEach(({ tok, line }, i) => {
    if (!/^[0-9a-f]{2}$/i.test(tok)) throw new ConformanceFileError(`${file}:${line}: '-- mem': '${tok}' is not a hex byte`);
    out[i] = parseInt(tok, 16);
  });
  return out;
}
