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
  constructor(readonly place: Place, what: string) {
    super('ESCENARIO', `${formatPlace(place)}: ${what}`);
  }
}
