/**
 * Regexes written in scenarios run on V8's linear-time engine (the `l` flag),
 * so no pattern can backtrack catastrophically over a packet's hex
 * (`^(0+)+1$` against 60 kB took a minute on the backtracking engine). That
 * engine refuses backreferences and lookaround: a scenario using them gets a
 * clear error instead. Where the runtime lacks the engine, the input a
 * pattern is run on is bounded instead.
 */
import * as v8 from 'v8';

let linear: boolean | undefined;

/** Whether this runtime compiles `l` regexes (enabling V8's engine once). */
function linearEngine(): boolean {
  if (linear === undefined) {
    try {
      v8.setFlagsFromString('--enable-experimental-regexp-engine');
      new RegExp('a', 'l');
      linear = true;
    } catch {
      linear = false;
    }
  }
  return linear;
}

/** Input length matched against a backtracking regex when no linear engine is there. */
export const BACKTRACKING_INPUT_MAX = 4096;

const cache = new Map<string, RegExp>();

/** Compile a user's regex, or return an error message (no leading '!'). */
export function compileUserRegex(source: string, maxLength: number): RegExp | string {
  if (source.length > maxLength) return `the regex is ${source.length} characters, over the limit of ${maxLength}`;
  const hit = cache.get(source);
  if (hit) return hit;
  let re: RegExp;
  try {
    re = new RegExp(source, linearEngine() ? 'l' : '');
  } catch (e) {
    const msg = (e as Error).message;
    return /linear time/.test(msg)
      ? 'the regex uses a backreference or lookaround, which bpfsim does not run (expectations use a linear-time regex engine)'
      : `bad regex: ${msg.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '')}`;
  }
  if (cache.size > 1000) cache.clear();
  cache.set(source, re);
  return re;
}

/** Test `text` against a regex already accepted by compileUserRegex. */
export function testUserRegex(source: string, text: string): boolean {
  const re = compileUserRegex(source, Infinity);
  if (typeof re === 'string') return false;
  return re.test(linearEngine() ? text : text.slice(0, BACKTRACKING_INPUT_MAX));
}
