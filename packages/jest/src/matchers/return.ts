/** toReturn(XDP_DROP): a run's return value, named per program type. */
import type { MatcherContext } from 'expect';
import { BpfProgTypeName, errnoName, retCodeName, retCodeTable, retCodeValue, RETCODE_NAMES } from '@bpfsim/uapi';
import { exitPlaces, retvalPlaces } from '../source';
import { isRunResult, subjectError, type MatchResult } from './common';

/** "XDP_DROP (1)", "-EPERM (-1)", or the number. */
export function retvalLabel(progType: number | undefined, v: number): string {
  const s32 = v | 0;
  const name = progType === undefined ? undefined : retCodeName(progType, v) ?? retCodeName(progType, s32);
  if (name) return `${name} (${s32 < 0 && name.startsWith('TC_ACT') ? s32 : v >>> 0})`;
  if (s32 < 0 && s32 > -4096 && (progType === undefined || !retCodeTable(progType))) {
    const e = errnoName(-s32);
    if (e) return `-${e} (${s32})`;
  }
  return String(v >>> 0 === v ? v : s32);
}

const typeName = (t: number): string => (BpfProgTypeName[t] ?? `type ${t}`).replace(/^BPF_PROG_TYPE_/, '').toLowerCase();

/** The types whose table has a name (to say "TC_ACT_OK is a sched_cls code"). */
function typesOfName(name: string): string[] {
  const out: string[] = [];
  for (const k of Object.keys(BpfProgTypeName)) {
    const t = retCodeTable(Number(k));
    if (t && Object.hasOwn(t, name)) out.push(typeName(Number(k)));
  }
  return out;
}

type Mock = { _isMockFunction?: boolean; getMockName?: () => string; mock: { results: { type: string }[] } };
const isMock = (v: unknown): v is Mock => typeof v === 'function' && (v as unknown as Mock)._isMockFunction === true;

export function toReturn(this: MatcherContext, received: unknown, expected?: number | string): MatchResult {
  // expect.extend replaces jest's own toReturn (toHaveReturned on mocks): keep that meaning for mocks.
  if (expected === undefined && isMock(received)) {
    const n = received.mock.results.filter((r) => r.type === 'return').length;
    return {
      pass: n > 0,
      message: () => `${this.utils.matcherHint('toReturn', received.getMockName?.() ?? 'jest.fn()', '', { isNot: this.isNot })}\n\n`
        + `Received number of returns: ${this.utils.printReceived(n)}`,
    };
  }
  const head = () => this.utils.matcherHint('toReturn', undefined, this.utils.printExpected(expected), { isNot: this.isNot });
  const run = isRunResult(received) ? received : undefined;
  let retval: number;
  if (run) retval = run.retval;
  else if (typeof received === 'number') retval = received;
  else if (received && typeof received === 'object' && typeof (received as { retval?: unknown }).retval === 'number') retval = (received as { retval: number }).retval;
  else return { pass: false, message: () => `${head()}\n\n${subjectError(received, 'a run result (obj.run(...)), a test run result with a retval, or a number')}` };
  const progType = run?.progType;

  let want: number;
  if (typeof expected === 'string') {
    const v = retCodeValue(expected, progType);
    if (v === undefined) {
      const own = progType !== undefined ? retCodeTable(progType) : undefined;
      const names = Object.keys(own ?? RETCODE_NAMES);
      return { pass: false, message: () => `${head()}\n\nunknown return code ${JSON.stringify(expected)}; ${own ? `${typeName(progType!)} programs return` : 'known names'}: ${names.join(', ')}` };
    }
    want = v;
  } else if (typeof expected === 'number' && Number.isInteger(expected)) want = expected;
  else return { pass: false, message: () => `${head()}\n\nexpected a return code name (\"XDP_DROP\") or a whole number, got ${this.utils.printExpected(expected)}` };

  const pass = retval >>> 0 === want >>> 0;
  const message = (): string => {
    const got = retvalLabel(progType, retval);
    const exp = retvalLabel(progType, want);
    const lines = [head(), ''];
    if (pass) {
      lines.push(`${run ? run.program : 'the program'} returned ${got}`);
      return lines.join('\n');
    }
    lines.push(`${run ? run.program : 'the program'} returned ${this.utils.printReceived(got)}, expected ${this.utils.printExpected(exp)}`);
    if (typeof expected === 'string' && progType !== undefined && retCodeTable(progType) && !Object.hasOwn(retCodeTable(progType)!, expected)) {
      const types = typesOfName(expected);
      lines.push(`(note: ${expected} is a return code of ${types.join('/') || 'another program type'}, not of ${typeName(progType)} programs)`);
    }
    if (!run) return lines.join('\n');
    lines.push(`run: ${run.insns} instructions executed on CPU ${run.cpu}`);
    // No instruction trace from the VM: show where r0 is given each value, with the C lines.
    const gotAt = retvalPlaces(run.source, retval);
    lines.push(`instructions that set r0 = ${got}:`, ...(gotAt.length ? gotAt : ['    (none directly: the value comes from another register or a helper)']));
    const wantAt = retvalPlaces(run.source, want);
    lines.push(`instructions that set r0 = ${exp}:`, ...(wantAt.length ? wantAt : ['    (none directly)']));
    const exits = exitPlaces(run.source);
    if (exits.length) lines.push('exits:', ...exits);
    const printed = run.records.filter((r) => r.kind === 'trace_pipe').map((r) => (r as { text: string }).text);
    if (printed.length) lines.push('trace_pipe during the run:', ...printed.slice(-10).map((t) => `    ${t}`));
    return lines.join('\n');
  };
  return { pass, message };
}
