/**
 * Splitting a suite across machines, and the JSON report each part writes.
 *
 * `--shard i/n` (1 ≤ i ≤ n, as jest's) gives the same split on every machine:
 * - `bpfsim test`: round-robin over the scenarios sorted by their path
 *   relative to the suite root (code-point order, '/' separators), so the
 *   k-th scenario (from 0) runs in shard (k mod n) + 1;
 * - `bpfsim explore --seeds A..B`: the range cut into n contiguous blocks
 *   whose sizes differ by at most one (the first blocks are the larger).
 * A report (`--json FILE`) holds one row per scenario or seed; `bpfsim test
 * --merge FILE...` joins reports and names every failure with the command
 * that reproduces it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { clip } from '@bpfsim/scenario';
import { CliExit, EXIT, type Io } from './io';

export interface Shard { index: number; count: number }

export function parseShard(raw: unknown): Shard | undefined {
  if (raw === undefined) return undefined;
  const s = String(Array.isArray(raw) ? raw[raw.length - 1] : raw);
  const m = /^\s*(\d{1,6})\/(\d{1,6})\s*$/.exec(s);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count)
    throw new CliExit(EXIT.usage, `--shard takes i/n with 1 ≤ i ≤ n (e.g. 2/4), not '${clip(s, 40)}'`);
  return { index, count };
}

export const shardName = (s: Shard | undefined): string | null => (s ? `${s.index}/${s.count}` : null);

/** The suite-relative name a scenario is sorted and reported by ('/' separators on every host). */
export const suiteRelative = (root: string, file: string): string =>
  (path.relative(root, file) || path.basename(file)).split(path.sep).join('/');

/** Round-robin over the list sorted by key: the members of shard i/n, in sorted order (all, as given, without a shard). */
export function shardFiles<T>(items: T[], key: (t: T) => string, shard: Shard | undefined): T[] {
  if (!shard) return items;
  const keyed = items.map((t) => ({ t, k: key(t) })).sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  return keyed.filter((_x, k) => k % shard.count === shard.index - 1).map((x) => x.t);
}

/** The contiguous block of seeds A..B that shard i/n replays; undefined when the block is empty. */
export function shardSeeds(a: number, b: number, shard: Shard | undefined): [number, number] | undefined {
  if (!shard) return [a, b];
  const total = b - a + 1;
  const base = Math.floor(total / shard.count);
  const extra = total % shard.count;
  const i = shard.index - 1;
  const start = a + i * base + Math.min(i, extra);
  const size = base + (i < extra ? 1 : 0);
  return size ? [start, start + size - 1] : undefined;
}

/** One scenario (test) or one seed (explore) of a report. */
export interface ReportRow {
  id: string;
  passed: boolean;
  problems: string[];
  /** The command that reproduces this row's run. */
  reproduce: string;
  seed?: number;
}

export interface Report {
  bpfsim: 'report';
  version: 1;
  command: 'test' | 'explore';
  shard: string | null;
  passed: number;
  failed: number;
  rows: ReportRow[];
}

/** Shell quoting for reproduce commands: bare when safe, else single-quoted. */
export const shellWord = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export function makeReport(command: Report['command'], shard: Shard | undefined, rows: ReportRow[]): Report {
  const failed = rows.filter((r) => !r.passed).length;
  return { bpfsim: 'report', version: 1, command, shard: shardName(shard), passed: rows.length - failed, failed, rows };
}

export function writeReport(file: string, report: Report, write: (file: string, data: string) => void): void {
  write(file, JSON.stringify(report, null, 1) + '\n');
}

function readReport(file: string): Report {
  let v: Partial<Report>;
  try {
    v = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Report>;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliExit(EXIT.input, `${clip(file, 200)}: ${code === 'ENOENT' ? 'no such file' : code ? `cannot read (${code})` : 'not a JSON report'}`);
  }
  const rowOk = (r: unknown) => {
    const x = r as Partial<ReportRow> | null;
    return !!x && typeof x.id === 'string' && typeof x.passed === 'boolean' && Array.isArray(x.problems) && typeof x.reproduce === 'string';
  };
  if (!v || v.bpfsim !== 'report' || v.version !== 1 || (v.command !== 'test' && v.command !== 'explore') || !Array.isArray(v.rows) || !v.rows.every(rowOk))
    throw new CliExit(EXIT.input, `${clip(file, 200)}: not a bpfsim report (written by bpfsim test/explore --json)`);
  return v as Report;
}

const byRow = (p: ReportRow, q: ReportRow): number =>
  p.id === q.id ? (p.seed ?? 0) - (q.seed ?? 0) : p.id < q.id ? -1 : 1;

/**
 * Join reports: the rows of all, sorted (scenario path, then seed). A row in
 * two reports, or a shard missing from a complete set i/n, is a failure of
 * the merge itself: a split that lost or repeated work must not look green.
 */
export function mergeReports(files: string[]): { report: Report; problems: string[] } {
  const reports = files.map((f) => ({ file: f, report: readReport(f) }));
  const problems: string[] = [];
  const commands = new Set(reports.map((r) => r.report.command));
  if (commands.size > 1) problems.push('the reports mix bpfsim test and bpfsim explore');
  const seen = new Map<string, string>();
  const rows: ReportRow[] = [];
  for (const { file, report } of reports) {
    for (const row of report.rows) {
      const key = `${row.id}\0${row.seed ?? ''}`;
      const first = seen.get(key);
      if (first !== undefined) {
        problems.push(`${row.id}${row.seed !== undefined ? ` seed ${row.seed}` : ''} is in both ${first} and ${file}`);
        continue;
      }
      seen.set(key, file);
      rows.push(row);
    }
  }
  const shards = reports.map((r) => r.report.shard).filter((s): s is string => s !== null);
  const counts = new Set(shards.map((s) => s.split('/')[1]));
  if (counts.size > 1) problems.push(`the reports come from different splits (${[...new Set(shards)].join(', ')})`);
  else if (counts.size === 1) {
    const n = Number([...counts][0]);
    const have = new Set(shards.map((s) => Number(s.split('/')[0])));
    for (let i = 1; i <= n; i++) if (!have.has(i)) problems.push(`no report for shard ${i}/${n}`);
  }
  rows.sort(byRow);
  const command = reports[0]?.report.command ?? 'test';
  return { report: makeReport(command, undefined, rows), problems };
}

/** Print a merged report: each failure with its reproducer, then the totals; the exit code. */
export function printMerged(io: Io, merged: { report: Report; problems: string[] }, files: number): number {
  for (const row of merged.report.rows) {
    if (row.passed) continue;
    io.out(`FAIL ${row.id}${row.seed !== undefined ? ` seed ${row.seed}` : ''}: ${row.problems[0] ?? 'failed'}${row.problems.length > 1 ? ` (+${row.problems.length - 1} more)` : ''}`);
    io.out(`     reproduce: ${row.reproduce}`);
  }
  for (const p of merged.problems) io.out(`FAIL merge: ${p}`);
  io.out(`${merged.report.passed} passed, ${merged.report.failed} failed (${files} report${files === 1 ? '' : 's'} merged)`);
  return merged.report.failed || merged.problems.length ? 1 : 0;
}
