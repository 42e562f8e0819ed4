/**
 * Reading a scenario: YAML (authored) or msgpack (recorded), migrated to the
 * current schema and validated; every error names the file, the field path,
 * and for YAML the line and column.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { ScenarioError, formatPlace, type Place } from './errors';
import { scenarioType, type Scenario } from './format';
import { migrate } from './migrations';
import type { Issue } from './schema';
import { decodeRecording, isRecording, type Recording } from './recording';
import { FileRefused, readRegularFile, resolveContained } from './files';
import { limitsOf, type ReadPolicy, type ScenarioLimits } from './limits';
import { nestingDepth } from './depth';
import { clip } from './quote';

export interface LoadedScenario {
  scenario: Scenario;
  /** The file it came from, and the directory relative paths resolve against. */
  file: string;
  dir: string;
  /** The document as written (after migration), before normalisation: what a recording stores. */
  raw: Record<string, unknown>;
  /** Present when the file is a recording: the outputs to compare against. */
  recording?: Recording;
  /** The directories its files may come from besides `dir`, and its limits. */
  allowPaths: readonly string[];
  limits: ScenarioLimits;
  /** Line and column of a field path (YAML only): errors and failures found while replaying name them. */
  locate?: (path: (string | number)[]) => { line: number; col: number } | undefined;
}

type Locate = (path: (string | number)[], atKey?: boolean) => { line: number; col: number } | undefined;

/** Aliases a YAML scenario may expand (the parser refuses more: billion-laughs documents). */
export const YAML_MAX_ALIASES = 1000;

export function loadScenarioFile(file: string, policy?: ReadPolicy): LoadedScenario {
  const limits = limitsOf(policy);
  let bytes: Buffer;
  try {
    const b = readRegularFile(file, limits.maxScenarioBytes);
    bytes = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    if (!(e instanceof FileRefused)) throw e;
    throw new ScenarioError({ file, path: [] }, /^no such file/.test(e.message) ? 'no such file' : `cannot read: ${e.message}`);
  }
  if (isRecording(bytes)) {
    const recording = decodeRecording(bytes, file, limits.maxDepth);
    return { ...validate(recording.scenario as unknown as Record<string, unknown>, file, () => undefined, policy), recording };
  }
  return parseScenarioText(bytes.toString('utf8'), file, policy);
}

export function parseScenarioText(text: string, file: string, policy?: ReadPolicy): LoadedScenario {
  const limits = limitsOf(policy);
  const lineCounter = new YAML.LineCounter();
  const top = { file, path: [], line: 1, col: 1 };
  let doc: YAML.Document.Parsed;
  let data: unknown;
  try {
    doc = YAML.parseDocument(text, { lineCounter, intAsBigInt: true, prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length) {
      const e = doc.errors[0];
      const pos = lineCounter.linePos(e.pos[0]);
      const msg = /Maximum call stack/.test(e.message) ? 'nested too deeply' : clip(e.message.split('\n')[0], 200);
      throw new ScenarioError({ file, path: [], line: pos.line, col: pos.col }, `bad YAML: ${msg}`);
    }
    // An undefined alias and the alias-count guard (billion laughs) are thrown here, as ReferenceErrors.
    data = doc.toJS({ maxAliasCount: YAML_MAX_ALIASES }) as unknown;
  } catch (e) {
    if (e instanceof ScenarioError) throw e;
    if (e instanceof ReferenceError)
      throw new ScenarioError(top, /Excessive alias count/.test(e.message)
        ? `bad YAML: aliases expand to more than ${YAML_MAX_ALIASES} nodes (refused as a resource-exhaustion document)`
        : `bad YAML: ${clip(e.message, 200)}`);
    if (e instanceof RangeError) throw new ScenarioError(top, 'bad YAML: nested too deeply');
    throw e;
  }
  if (nestingDepth(data, limits.maxDepth) > limits.maxDepth)
    throw new ScenarioError(top, `the document is nested deeper than ${limits.maxDepth} levels`);
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw new ScenarioError({ file, path: [], line: 1, col: 1 }, 'expected a mapping (bpfsim: 1, programs: ..., events: ..., expect: ...)');
  // The node at a path; for a mapping key, point at the key itself (an unknown or misspelt field).
  const locate: Locate = (p, atKey) => {
    let node: unknown = doc.contents;
    let best: YAML.Range | undefined = (node as YAML.Node | null)?.range ?? undefined;
    for (const seg of p) {
      if (YAML.isMap(node)) {
        const pair = node.items.find((it) => YAML.isScalar(it.key) && String(it.key.value) === String(seg));
        if (!pair) break;
        const key = pair.key as YAML.Node;
        node = pair.value;
        best = seg === p[p.length - 1] && (atKey || !YAML.isNode(node) || YAML.isCollection(node)) ? key.range ?? best
          : (node as YAML.Node | null)?.range ?? key.range ?? best;
      } else if (YAML.isSeq(node) && typeof seg === 'number') {
        node = node.items[seg];
        if (!node) break;
        best = (node as YAML.Node).range ?? best;
      } else break;
    }
    return best ? lineCounter.linePos(best[0]) : undefined;
  };
  return validate(data as Record<string, unknown>, file, locate, policy);
}

/** Problems listed after the first in one error line. */
const MAX_LISTED_ISSUES = 20;

function validate(raw: Record<string, unknown>, file: string, locate: Locate, policy?: ReadPolicy): LoadedScenario {
  const limits = limitsOf(policy);
  const allowPaths = policy?.allowPaths ?? [];
  const m = migrate(raw);
  if ('error' in m) throw new ScenarioError(place(file, ['bpfsim'], locate), m.error);
  const issues: Issue[] = [];
  const scenario = scenarioType.check(m.doc, [], issues);
  if (!scenario || issues.length) {
    // Every problem, each with its own place, on the one line (a bounded number: a generated file can have thousands).
    const [first, ...rest] = issues;
    const shown = rest.slice(0, MAX_LISTED_ISSUES).map((i) => `; ${formatPlace(place(file, i.path, locate, i.atKey))}: ${i.message}`).join('');
    const unlisted = rest.length - Math.min(rest.length, MAX_LISTED_ISSUES);
    const tail = unlisted ? `; and ${unlisted} more problem${unlisted > 1 ? 's' : ''}` : '';
    throw new ScenarioError(place(file, first.path, locate, first.atKey), first.message + shown + tail);
  }
  const dir = path.dirname(path.resolve(file));
  checkReferences(scenario, file, dir, locate, allowPaths);
  checkLimits(scenario, file, locate, limits);
  return { scenario, file, dir, raw: m.doc, allowPaths, limits, locate: (p) => locate(p) };
}

/** Events and program runs within the limits: a scenario cannot ask for 10^11 runs. */
function checkLimits(s: Scenario, file: string, locate: Locate, limits: ScenarioLimits): void {
  const events = s.events ?? [];
  if (events.length > limits.maxEvents)
    throw new ScenarioError(place(file, ['events'], locate), `${events.length} events, over the limit of ${limits.maxEvents} (raise it with --max-events)`);
  let runs = 0;
  events.forEach((e, i) => {
    if (e.kind !== 'run') return;
    runs += e.run.repeat ?? 1;
    if (runs > limits.maxRuns)
      throw new ScenarioError(place(file, ['events', i, 'run'], locate),
        `the scenario asks for more than ${limits.maxRuns} program runs by here (the sum of every run's repeat; raise it with --max-runs)`);
  });
}

function place(file: string, p: (string | number)[], locate: Locate, atKey?: boolean): Place {
  const pos = locate(p, atKey);
  return { file, path: p, line: pos?.line, col: pos?.col };
}

/** Names that must exist: programs named once, events naming declared programs, object files present. */
function checkReferences(s: Scenario, file: string, dir: string, locate: Locate, allowPaths: readonly string[]): void {
  const programs = new Set<string>();
  (s.programs ?? []).forEach((p, i) => {
    const at = (...rest: (string | number)[]) => place(file, ['programs', i, ...rest], locate);
    if (programs.has(p.name)) throw new ScenarioError(at('name'), `program '${clip(p.name)}' is declared twice`);
    programs.add(p.name);
    if ((p.object === undefined) === (p.asm === undefined))
      throw new ScenarioError(at(), "give exactly one of 'object' (an ELF file) or 'asm' (assembly text)");
    if (p.asm !== undefined && p.type === undefined)
      throw new ScenarioError(at(), "an 'asm' program needs 'type' (xdp, sched_cls, socket_filter, ...)");
    if (p.object !== undefined) {
      try {
        const real = resolveContained(p.object, dir, allowPaths);
        if (!fs.statSync(real).isFile()) throw new FileRefused(`${clip(p.object)} is not a regular file`);
      } catch (e) {
        if (!(e instanceof FileRefused)) throw e;
        const why = /^no such file/.test(e.message) ? `${e.message} (paths are relative to the scenario file)` : e.message;
        throw new ScenarioError(at('object'), why);
      }
    }
  });
  let last = -1n;
  (s.events ?? []).forEach((e, i) => {
    const at = (...rest: (string | number)[]) => place(file, ['events', i, ...rest], locate);
    const prog = e.kind === 'run' ? e.run.program : e.kind === 'map_update' ? e.map_update.program : undefined;
    if (prog !== undefined && !programs.has(prog))
      throw new ScenarioError(at(e.kind, 'program'), `no program named '${clip(prog)}' (declared: ${clip([...programs].join(', '), 200) || 'none'})`);
    if (e.at !== undefined) {
      if (e.at < last) throw new ScenarioError(at('at'), `time goes backwards: ${e.at}ns is before ${last}ns`);
      last = e.at;
    }
  });
  (s.expect ?? []).forEach((x, i) => {
    const prog = x.kind === 'verdict' ? x.verdict.program : x.kind === 'runs' ? x.runs.program : undefined;
    if (prog !== undefined && !programs.has(prog))
      throw new ScenarioError(place(file, ['expect', i, x.kind, 'program'], locate), `no program named '${clip(prog)}'`);
  });
}
