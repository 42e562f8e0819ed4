import { BpfsimError } from '@bpfsim/uapi';
import { clip } from './quote';

/** Where in a scenario something is: the file, the path to the field, and for YAML the line and column. */
export interface Place {
  file: string;
  path: (string | number)[];
  line?: number;
  col?: number;
}

export function formatPath(path: readonly (string | number)[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${clip(p)}` : clip(p);
  return s || '(top level)';
}

export function formatPlace(p: Place): string {
  const pos = p.line !== undefined ? `:${p.line}:${p.col ?? 1}` : '';
  return `${clip(p.file, 400)}${pos}: ${formatPath(p.path)}`;
}

/** A scenario that cannot be read: bad YAML/msgpack, wrong types, unknown fields, missing files. */
export class ScenarioError extends BpfsimError {
  constructor(readonly place: Place, readonly what: string) {
    super('ESCENARIO', `${formatPlace(place)}: ${what}`);
  }
}

/** Finds the line and column of a field path in the scenario's YAML (nothing for a recording). */
export type Locator = (path: (string | number)[]) => { line: number; col: number } | undefined;

/** The same error with its place given a line and column, when it has none yet. */
export function located(e: ScenarioError, locate: Locator | undefined): ScenarioError {
  if (e.place.line !== undefined || !locate) return e;
  const pos = locate(e.place.path);
  return pos ? new ScenarioError({ ...e.place, line: pos.line, col: pos.col }, e.what) : e;
}
