/** toBeAccepted / toBeRejectedWith: the verifier's verdict on a program or object. */
import type { MatcherContext } from 'expect';
import { ProgLoadError, LoadedObject } from '@bpfsim/kernel';
import { BpfsimObject } from '../api/object';
import { verify } from '../api/kernel';
import { verdictFromError, type LoadVerdict } from '../api/verdict';
import { subjectError, type MatchResult } from './common';

type VerdictLike = { accepted: boolean; errno?: string | null; error?: string | null; log?: string };

const isVerdictLike = (v: unknown): v is VerdictLike =>
  !!v && typeof v === 'object' && typeof (v as { accepted?: unknown }).accepted === 'boolean';

const ACCEPTS = 'a path or the bytes of an object file, a verdict (bpfsim.verify, k.verify, @bpfsim/verifier\'s verify), a ProgLoadError, a loaded object, or a function that loads one';

/** What the received value says about loading: a verdict, or why it cannot say. */
export function toVerdict(received: unknown): LoadVerdict | string {
  if (typeof received === 'string' || received instanceof Uint8Array) return verify(received);
  if (received instanceof ProgLoadError) return verdictFromError(received, '');
  if (received instanceof BpfsimObject || received instanceof LoadedObject) return { file: '', accepted: true, errno: null, error: null, log: '' };
  if (typeof received === 'function') {
    let r: unknown;
    try {
      r = (received as () => unknown)();
    } catch (e) {
      if (e instanceof ProgLoadError) return verdictFromError(e, '');
      throw e;
    }
    return isVerdictLike(r) ? toVerdict(r) : { file: '', accepted: true, errno: null, error: null, log: '' };
  }
  if (isVerdictLike(received)) {
    const v = received as VerdictLike & Partial<LoadVerdict>;
    return { file: v.file ?? '', ...v, errno: v.errno ?? null, error: v.error ?? null, log: v.log ?? '' };
  }
  return subjectError(received, ACCEPTS);
}

const who = (v: LoadVerdict): string =>
  [v.file, v.program !== undefined ? `program ${v.program}` : ''].filter(Boolean).join(': ') || 'the program';

/** The lines a person needs to fix a rejection: error, place in the C source, reason, log tail. */
export function rejectionDetails(v: LoadVerdict, logLines = 15): string {
  const out = [`${who(v)} was rejected: ${v.errno ?? 'error'}${v.error ? `: ${v.error}` : ''}`];
  if (v.insnIdx !== undefined) out.push(`  at instruction ${v.insnIdx}${v.source ? `: ${v.source}` : ''}`);
  if (v.explanation) out.push(`  why: ${v.explanation}`);
  const log = v.log.trimEnd().split('\n').filter(Boolean);
  if (log.length) {
    out.push(`verifier log${log.length > logLines ? ` (last ${logLines} of ${log.length} lines)` : ''}:`);
    out.push(...log.slice(-logLines).map((l) => `  | ${l}`));
  }
  return out.join('\n');
}

export function toBeAccepted(this: MatcherContext, received: unknown): MatchResult {
  const v = toVerdict(received);
  const head = () => this.utils.matcherHint('toBeAccepted', undefined, '', { isNot: this.isNot });
  if (typeof v === 'string') return { pass: false, message: () => `${head()}\n\n${v}` };
  return {
    pass: v.accepted,
    message: () => v.accepted
      ? `${head()}\n\n${who(v)} was accepted; expected a rejection`
      : `${head()}\n\n${rejectionDetails(v)}`,
  };
}

const matchesText = (m: string | RegExp, v: LoadVerdict): boolean => {
  const error = v.error ?? '';
  if (typeof m === 'string') return error.includes(m) || v.errno === m || v.log.split('\n').some((l) => l.includes(m));
  return m.test(error) || m.test(v.log);
};

export function toBeRejectedWith(this: MatcherContext, received: unknown, expected: string | RegExp): MatchResult {
  const head = () => this.utils.matcherHint('toBeRejectedWith', undefined, this.utils.printExpected(expected), { isNot: this.isNot });
  if (typeof expected !== 'string' && !(expected instanceof RegExp))
    return { pass: false, message: () => `${head()}\n\nexpected a text or a regular expression to find in the verifier's error, got ${this.utils.printReceived(expected)}` };
  const v = toVerdict(received);
  if (typeof v === 'string') return { pass: false, message: () => `${head()}\n\n${v}` };
  if (v.accepted) return { pass: false, message: () => `${head()}\n\n${who(v)} was accepted; expected a rejection matching ${this.utils.printExpected(expected)}` };
  const pass = matchesText(expected, v);
  return {
    pass,
    message: () => pass
      ? `${head()}\n\n${who(v)} was rejected with ${this.utils.printReceived(v.error)}, which matches ${this.utils.printExpected(expected)}`
      : `${head()}\n\nthe rejection does not match ${this.utils.printExpected(expected)} (looked in the error line, the errno and the log)\n\n${rejectionDetails(v)}`,
  };
}
