/**
 * toHaveCalledSyscall(name, { pid, comm, args, ret, errno, times }): the
 * syscalls simulated processes made in a scenario (its replay result) or in
 * an API run driven through @bpfsim/scenario's ProcWorld, as the timeline
 * lists them. `args` match the arguments as shown, in order (text or RegExp
 * per argument; a missing one matches anything).
 */
import type { MatcherContext } from 'expect';
import { ProcWorld, errnoNumber, syscallLine, type ReplayResult, type SyscallRecord } from '@bpfsim/scenario';
import { subjectError, type MatchResult } from './common';

export interface SyscallMatch {
  pid?: number;
  comm?: string;
  args?: (string | number | RegExp | undefined)[];
  ret?: number;
  errno?: string;
  /** Exactly this many matching calls (default: at least one). */
  times?: number;
}

function logOf(received: unknown): readonly SyscallRecord[] | undefined {
  if (received instanceof ProcWorld) return received.log;
  const r = received as ReplayResult | undefined;
  if (r && typeof r === 'object' && r.world && r.world.procs instanceof ProcWorld) return r.world.procs.log;
  return undefined;
}

const unquote = (s: string): string => {
  if (!/^".*"(\.\.\.)?$/.test(s)) return s;
  try {
    return JSON.parse(s.replace(/\.\.\.$/, '')) as string;
  } catch {
    return s;
  }
};

function argMatches(want: string | number | RegExp | undefined, shown: string | undefined): boolean {
  if (want === undefined) return true;
  if (shown === undefined) return false;
  if (want instanceof RegExp) return want.test(unquote(shown)) || want.test(shown);
  return String(want) === unquote(shown) || String(want) === shown;
}

export function toHaveCalledSyscall(this: MatcherContext, received: unknown, name: string, opts: SyscallMatch = {}): MatchResult {
  const head = () => this.utils.matcherHint('toHaveCalledSyscall', undefined, this.utils.printExpected(name), { isNot: this.isNot });
  const log = logOf(received);
  if (!log) return { pass: false, message: () => `${head()}\n\n${subjectError(received, 'a scenario result (bpfsim.scenario(file)) or a ProcWorld')}` };
  const errno = opts.errno === undefined ? undefined : errnoNumber(opts.errno);
  if (opts.errno !== undefined && errno === undefined)
    return { pass: false, message: () => `${head()}\n\nunknown errno ${opts.errno}` };
  const calls = log.filter((r) => !r.resumed && r.call === name);
  const hits = calls.filter((r) =>
    (opts.pid === undefined || r.pid === opts.pid) && (opts.comm === undefined || r.comm === opts.comm)
    && (opts.args ?? []).every((a, i) => argMatches(a, r.args[i]))
    && (opts.ret === undefined || r.ret === opts.ret)
    && (errno === undefined || r.ret === -errno));
  const pass = opts.times === undefined ? hits.length > 0 : hits.length === opts.times;
  const want = [
    opts.pid !== undefined && `pid ${opts.pid}`, opts.comm !== undefined && `comm ${opts.comm}`,
    opts.args && `args ${opts.args.map((a) => (a === undefined ? '*' : String(a))).join(', ')}`,
    opts.ret !== undefined && `= ${opts.ret}`, opts.errno && `= -1 ${opts.errno}`,
    opts.times !== undefined && `${opts.times} time${opts.times === 1 ? '' : 's'}`,
  ].filter(Boolean).join(', ');
  const shown = (rs: readonly SyscallRecord[]) => rs.slice(0, 12).map((r) => `  ${syscallLine(r)}`).join('\n') + (rs.length > 12 ? `\n  … ${rs.length - 12} more` : '');
  return {
    pass,
    message: () => pass
      ? `${head()}\n\nexpected no ${name} call${want ? ` (${want})` : ''}, but found ${hits.length}:\n${shown(hits)}`
      : `${head()}\n\nexpected ${name}${want ? ` (${want})` : ''}; ${hits.length} matching of ${calls.length} ${name} call${calls.length === 1 ? '' : 's'}${calls.length ? `:\n${shown(calls)}` : ` (${log.length} syscalls in all)`}`,
  };
}
