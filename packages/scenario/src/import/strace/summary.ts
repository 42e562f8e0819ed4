import type { StraceLog } from './join';

/** What a log holds, in figures: for reports and the recording campaign's summary. */
export interface StraceSummary {
  file: string;
  lines: number;
  syscalls: number;
  distinct: number;
  /** Syscall name → count, names in code-point order. */
  bySyscall: Record<string, number>;
  /** `<unfinished ...>` calls joined to their `<... resumed>` line. */
  resumedPairs: number;
  /** Calls that never returned (the process died in them, or the log ends first). */
  unfinished: number;
  /** Calls that failed (an errno name in the result). */
  failed: number;
  signals: number;
  exits: number;
  pids: number;
  unparsed: number;
}

export function summarizeStraceLog(log: StraceLog): StraceSummary {
  const counts = new Map<string, number>();
  const pids = new Set<number>();
  const s: StraceSummary = {
    file: log.file, lines: log.lineCount, syscalls: 0, distinct: 0, bySyscall: {}, resumedPairs: 0, unfinished: 0,
    failed: 0, signals: 0, exits: 0, pids: 0, unparsed: log.errors.length,
  };
  for (const e of log.events) {
    pids.add(e.pid);
    if (e.kind === 'syscall') {
      s.syscalls++;
      counts.set(e.name, (counts.get(e.name) ?? 0) + 1);
      if (e.resumed) s.resumedPairs++;
      if (e.unfinished) s.unfinished++;
      if (e.result?.errno) s.failed++;
    } else if (e.kind === 'signal') s.signals++;
    else if (e.kind === 'exit') s.exits++;
  }
  for (const name of [...counts.keys()].sort()) s.bySyscall[name] = counts.get(name)!;
  s.distinct = counts.size;
  s.pids = pids.size;
  return s;
}
