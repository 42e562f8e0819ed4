/**
 * Recordings: a scenario's inputs and every observable output of one run,
 * in canonical msgpack. Replaying a recording re-runs the inputs (with the
 * object files as they are now) and reports the first output that differs.
 */
import { ScenarioError } from './errors';
import { decodeCanonical, encodeCanonical } from './canonical';
import { DEFAULT_LIMITS } from './limits';
import { nestingDepth } from './depth';
import { clip } from './quote';

export const RECORDING_MAGIC = 'bpfsim-recording';
export const RECORDING_FORMAT = 1;

export interface Recording {
  magic: typeof RECORDING_MAGIC;
  format: number;
  bpfsimVersion: string;
  seed: number;
  /** The scenario document as validated (programs, events, expectations). */
  scenario: Record<string, unknown>;
  /** sha256 of each object file the scenario loaded, by its path in the scenario. */
  objects: Record<string, string>;
  /** The trace records of the run. */
  trace: unknown[];
}

/** A msgpack map whose first key is "format"... is a recording: sniff the fixstr "bpfsim-recording". */
export function isRecording(bytes: Uint8Array): boolean {
  const needle = Buffer.from(RECORDING_MAGIC);
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 256));
  return (head[0] & 0xf0) === 0x80 || head[0] === 0xde ? head.includes(needle) : false;
}

export function encodeRecording(r: Recording): Uint8Array {
  return encodeCanonical(r);
}

export function decodeRecording(bytes: Uint8Array, file: string, maxDepth: number = DEFAULT_LIMITS.maxDepth): Recording {
  let v: unknown;
  try {
    v = decodeCanonical(bytes);
  } catch (e) {
    // The decoder recurses: data nested thousands deep ends in a RangeError, reported as what it is.
    if (e instanceof RangeError && /call stack/.test(e.message))
      throw new ScenarioError({ file, path: [] }, `not a readable recording: data nested deeper than ${maxDepth} levels`);
    throw new ScenarioError({ file, path: [] }, `not a readable recording (truncated or corrupt msgpack: ${clip((e as Error).message)})`);
  }
  // Everything after this walks the data recursively (validation, comparison): bound the depth first.
  const depth = nestingDepth(v, maxDepth);
  if (depth > maxDepth) throw new ScenarioError({ file, path: [] }, `not a readable recording: data nested deeper than ${maxDepth} levels`);
  const r = v as Partial<Recording>;
  const bad = (field: string, what: string) => new ScenarioError({ file, path: [field] }, what);
  if (!r || typeof r !== 'object' || r.magic !== RECORDING_MAGIC) throw bad('magic', `not a bpfsim recording`);
  if (r.format !== RECORDING_FORMAT)
    throw bad('format', `recording format ${clip(String(r.format), 24)} is not one this bpfsim reads (${RECORDING_FORMAT})`);
  if (typeof r.seed !== 'number' || !Number.isInteger(r.seed) || r.seed < 0 || r.seed > 2 ** 32 - 1)
    throw bad('seed', 'expected the seed (a whole number from 0 to 4294967295)');
  if (!r.scenario || typeof r.scenario !== 'object') throw bad('scenario', 'expected the recorded scenario');
  if (!Array.isArray(r.trace)) throw bad('trace', 'expected the recorded trace (a list)');
  if (!r.objects || typeof r.objects !== 'object') throw bad('objects', 'expected the object hashes');
  if (typeof r.bpfsimVersion !== 'string') throw bad('bpfsimVersion', 'expected the bpfsim version');
  return r as Recording;
}
