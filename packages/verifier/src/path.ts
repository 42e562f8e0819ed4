/**
 * The branch decisions on the path being verified, for learners' error reports. A persistent list:
 * every pending branch shares its prefix with the current path (no copying per branch), and the
 * text is only made when a program is rejected.
 */
export type StepKind = 'always' | 'never' | 'falls' | 'from' | 'call' | 'return' | 'cbreturn';

export interface PathStep {
  readonly kind: StepKind;
  /** The instruction deciding (the jump's source for 'from'). */
  readonly at: number;
  /** Where it went. */
  readonly to: number;
  readonly prev: PathStep | null;
}

export const pathStep = (prev: PathStep | null, kind: StepKind, at: number, to: number): PathStep => ({ kind, at, to, prev });

function text(s: PathStep): string {
  switch (s.kind) {
    case 'always': return `${s.at}: always jumps to ${s.to}`;
    case 'never': return `${s.at}: never jumps`;
    case 'falls': return `${s.at}: falls through (${s.to} explored later)`;
    case 'from': return `from ${s.at} to ${s.to}`;
    case 'call': return `${s.at}: call to subprogram at ${s.to}`;
    case 'return': return `${s.at}: return to ${s.to}`;
    case 'cbreturn': return `${s.at}: callback returns to its call at ${s.to}`;
  }
}

/** The latest `max` decisions, oldest first. */
export function pathText(last: PathStep | null, max = 64): string[] {
  const out: string[] = [];
  for (let s = last; s && out.length < max; s = s.prev) out.push(text(s));
  return out.reverse();
}
