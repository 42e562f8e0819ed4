/**
 * Reading a scenario: YAML (authored) or msgpack (recorded), migrated to the
 * current schema and validated; every error names the file, the field path,
 * and for YAML the line and column.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { ScenarioError, type Place } from './errors';
import { scenarioType, type Scenario } from './format';
import { migrate } from './migrations';
import type { Issue } from './schema';
import { decodeRecording, isRecording, type Recording } from './recording';

export interface LoadedScenario {
  scenario: Scenario;
  /** The file it came from, and the directory relative paths resolve against. */
  file: string;
  dir: string;
  /** The document as written (after migration), before normalisation: what a recording stores. */
  raw: Record<string, unknown>;
  /** Present when the file is a recording: the outputs to compare against. */
  recording?: Recording;
}

type Locate = (path: (string | number)[], atKey?: boolean) => { line: number; col: number } | undefined;

export function loadScenarioFile(file: string): LoadedScenario {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ScenarioError({ file, path: [] }, code === 'ENOENT' ? 'no such file' : `cannot read: ${(e as Error).message}`);
  }
  if (isRecording(bytes)) {
    const recording = decodeRecording(bytes, file);
    return { ...validate(recording.scenario as unknown as Record<string, unknown>, file, () => undefined), recording };
  }
  return parseScenarioText(bytes.toString('utf8'), file);
}

export function parseScenarioText(text: string, file: string): LoadedScenario {
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter, intAsBigInt: true, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const pos = lineCounter.linePos(e.pos[0]);
    throw new ScenarioError({ file, path: [], line: pos.line, col: pos.col }, `bad YAML: ${e.message.split('\n')[0]}`);
  }
  const data = doc.toJS({ maxAliasCount: 1000 }) as unknown;
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
  return validate(data as Record<string, unknown>, file, locate);
}

function validate(raw: Record<string, unknown>, file: string, locate: Locate): LoadedScenario {
  const m = migrate(raw);
  if ('error' in m) throw new ScenarioError(place(file, ['bpfsim'], locate), m.error);
  const issues: Issue[] = [];
  const scenario = scenarioType.check(m.doc, [], issues);
  if (!scenario || issues.length) {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
    throw new ScenarioError(place(file, first.path, locate, first.atKey), first.message + more);
  }
  const dir = path.dirname(path.resolve(file));
  checkReferences(scenario, file, dir, locate);
  return { scenario, file, dir, raw: m.doc };
}

function place(file: string, p: (string | number)[], locate: Locate, atKey?: boolean): Place {
  const pos = locate(p, atKey);
  return { file, path: p, line: pos?.line, col: pos?.col };
}

/** Names that must exist: programs named once, events naming declared programs, object files present. */
function checkReferences(s: Scenario, file: string, dir: string, locate: Locate): void {
  const programs = new Set<string>();
  (s.programs ?? []).forEach((p, i) => {
    const at = (...rest: (string | number)[]) => place(file, ['programs', i, ...rest], locate);
    if (programs.has(p.name)) throw new ScenarioError(at('name'), `program '${p.name}' is declared twice`);
    programs.add(p.name);
    if ((p.object === undefined) === (p.asm === undefined))
      throw new ScenarioError(at(), "give exactly one of 'object' (an ELF file) or 'asm' (assembly text)");
    if (p.asm !== undefined && p.type === undefined)
      throw new ScenarioError(at(), "an 'asm' program needs 'type' (xdp, sched_cls, socket_filter, ...)");
    if (p.object !== undefined && !fs.existsSync(path.resolve(dir, p.object)))
      throw new ScenarioError(at('object'), `no such file: ${p.object} (paths are relative to the scenario file)`);
  });
  let last = -1n;
  (s.events ?? []).forEach((e, i) => {
    const at = (...rest: (string | number)[]) => place(file, ['events', i, ...rest], locate);
    const prog = e.kind === 'run' ? e.run.program : e.kind === 'map_update' ? e.map_update.program : undefined;
    if (prog !== undefined && !programs.has(prog))
      throw new ScenarioError(at(e.kind, 'program'), `no program named '${prog}' (declared: ${[...programs].join(', ') || 'none'})`);
    if (e.at !== undefined) {
      if (e.at < last) throw new ScenarioError(at('at'), `time goes backwards: ${e.at}ns is before ${last}ns`);
      last = e.at;
    }
  });
  (s.expect ?? []).forEach((x, i) => {
    const prog = x.kind === 'verdict' ? x.verdict.program : x.kind === 'runs' ? x.runs.program : undefined;
    if (prog !== undefined && !programs.has(prog))
      throw new ScenarioError(place(file, ['expect', i, x.kind, 'program'], locate), `no program named '${prog}'`);
  });
}
