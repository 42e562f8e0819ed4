import { StraceParseError } from './errors';
import type { StraceCall, StraceEvent } from './events';
import { parseJoined, parseLine, parsePartial } from './line';

/** A parsed log: its events in the order their first lines appear, and every line that could not be read. */
export interface StraceLog {
  file: string;
  events: StraceEvent[];
  /** One typed error per unreadable line (or unjoinable pair), in line order; never silently dropped. */
  errors: StraceParseError[];
  /** Lines in the log (a final newline does not start a line). */
  lineCount: number;
  /** The -ttt timestamp of the first record, ns since the epoch: times in events are relative to it. */
  startNs?: bigint;
}

interface Pending {
  event: StraceCall;
  text: string;
  col: number;
}

/**
 * Reads a log written by `strace -f -ttt [-v] [-s N] [-y] -o <log>`: one event per line, with each
 * `<unfinished ...>` call joined to its `<... name resumed>` line of the same pid.
 */
export function parseStraceLog(text: string, fileName: string): StraceLog {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const events: (StraceEvent | null)[] = [];
  const errors: StraceParseError[] = [];
  const pending = new Map<number, Pending>();
  let startNs: bigint | undefined;

  // Ends a call that never resumed (its process exited, was detached, or the log ends): keeps
  // the arguments strace printed; a failure to read them is reported like any other line.
  const abandon = (pid: number) => {
    const p = pending.get(pid);
    if (!p) return;
    pending.delete(pid);
    try {
      p.event.args = parsePartial(p.text, fileName, p.event.line, p.col);
    } catch (e) {
      if (!(e instanceof StraceParseError)) throw e;
      errors.push(e);
      events[events.indexOf(p.event)] = null;
    }
  };

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (raw.trim() === '') continue;
    try {
      const l = parseLine(raw, fileName, lineNo);
      if (startNs === undefined) startNs = l.timeNs;
      const at = { pid: l.pid, timeNs: Number(l.timeNs - startNs), line: lineNo };
      const r = l.record;
      switch (r.kind) {
        case 'call':
          events.push({ kind: 'syscall', ...at, name: r.name, args: r.args, result: r.result });
          break;
        case 'unfinished': {
          abandon(l.pid);
          const event: StraceCall = { kind: 'syscall', ...at, name: r.name, args: [], unfinished: true };
          pending.set(l.pid, { event, text: r.text, col: r.col });
          events.push(event);
          break;
        }
        case 'resumed': {
          const p = pending.get(l.pid);
          if (!p) throw new StraceParseError(fileName, lineNo, 1, `'<... ${r.name} resumed>' of pid ${l.pid} without an unfinished call before it`);
          if (p.event.name !== r.name) {
            throw new StraceParseError(fileName, lineNo, 1, `'<... ${r.name} resumed>' of pid ${l.pid}, but its unfinished call (line ${p.event.line}) is ${p.event.name}`);
          }
          pending.delete(l.pid);
          try {
            const j = parseJoined(r.name, { text: p.text, line: p.event.line, col: p.col }, { text: r.text, line: lineNo, col: r.col }, fileName);
            p.event.args = j.args;
            p.event.result = j.result;
            p.event.resumed = { timeNs: at.timeNs, line: lineNo };
            delete p.event.unfinished;
          } catch (e) {
            events[events.indexOf(p.event)] = null;
            if (!(e instanceof StraceParseError)) throw e;
            const other = e.line === lineNo ? p.event.line : lineNo;
            throw new StraceParseError(e.file, e.line, e.col, e.what, other);
          }
          break;
        }
        case 'died':
          events.push({ kind: 'syscall', ...at, name: r.name, args: r.args, unfinished: true });
          break;
        case 'resumed-died': {
          const p = pending.get(l.pid);
          if (!p || p.event.name !== r.name) {
            throw new StraceParseError(fileName, lineNo, 1, `'<... ${r.name} resumed> <unfinished ...>' of pid ${l.pid} without an unfinished ${r.name} call before it`);
          }
          p.event.resumed = { timeNs: at.timeNs, line: lineNo };
          abandon(l.pid);
          break;
        }
        case 'detached':
          abandon(l.pid);
          break;
        case 'signal':
          events.push({ kind: 'signal', ...at, signal: r.signal, ...(r.stopped ? { stopped: true as const } : {}), ...(r.info ? { info: r.info } : {}) });
          break;
        case 'exit':
          abandon(l.pid);
          events.push({ kind: 'exit', ...at, ...(r.code !== undefined ? { code: r.code } : {}), ...(r.signal ? { signal: r.signal } : {}), ...(r.coreDumped ? { coreDumped: true as const } : {}) });
          break;
        case 'superseded':
          abandon(l.pid);
          events.push({ kind: 'superseded', ...at, byPid: r.byPid });
          break;
      }
    } catch (e) {
      if (!(e instanceof StraceParseError)) throw e;
      errors.push(e);
    }
  }
  for (const pid of [...pending.keys()]) abandon(pid);
  errors.sort((a, b) => a.line - b.line || a.col - b.col);
  return { file: fileName, events: events.filter((e): e is StraceEvent => e !== null), errors, lineCount: lines.length, startNs };
}
