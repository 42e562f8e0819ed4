/**
 * The options every scenario command shares (replay, test, record, explore):
 * where a scenario's files may come from and the limits it runs within
 * (docs/reliability.md lists the defaults).
 */
import type { Argv } from 'yargs';
import { DEFAULT_LIMITS, type ReadPolicy, type ScenarioLimits } from '@bpfsim/scenario';
import { intOption } from './args';

const MIB = 1024 * 1024;

export function withScenarioOptions(y: Argv): Argv {
  return y
    .option('allow-path', { type: 'string', describe: "a directory a scenario's files may also come from (repeatable)" })
    .option('max-object-size', { type: 'string', describe: `largest object file a scenario may name, in MiB (default ${DEFAULT_LIMITS.maxObjectBytes / MIB})` })
    .option('max-scenario-size', { type: 'string', describe: `largest scenario or recording file, in MiB (default ${DEFAULT_LIMITS.maxScenarioBytes / MIB})` })
    .option('max-events', { type: 'string', describe: `most events in a scenario (default ${DEFAULT_LIMITS.maxEvents})` })
    .option('max-runs', { type: 'string', describe: `most program runs a scenario may ask for, repeats included (default ${DEFAULT_LIMITS.maxRuns})` })
    .option('max-map-memory', { type: 'string', describe: `the kernel's total map memory, in MiB: past it map creation fails with ENOMEM (default ${DEFAULT_LIMITS.maxMapMemoryBytes / MIB})` });
}

/** The read policy the options give. */
export function readPolicy(args: Record<string, unknown>): ReadPolicy {
  const limits: Partial<ScenarioLimits> = {};
  const mib = (name: string) => intOption(args, name, 1, 64 * 1024, 'MiB');
  const obj = mib('max-object-size');
  if (obj !== undefined) limits.maxObjectBytes = obj * MIB;
  const sc = mib('max-scenario-size');
  if (sc !== undefined) limits.maxScenarioBytes = sc * MIB;
  const ev = intOption(args, 'max-events', 1, 1e9);
  if (ev !== undefined) limits.maxEvents = ev;
  const runs = intOption(args, 'max-runs', 1, 1e12);
  if (runs !== undefined) limits.maxRuns = runs;
  const mapMem = mib('max-map-memory');
  if (mapMem !== undefined) limits.maxMapMemoryBytes = mapMem * MIB;
  const allow = args['allow-path'];
  const allowPaths = allow === undefined ? [] : (Array.isArray(allow) ? allow : [allow]).map(String);
  return { allowPaths, limits };
}

/** The same options as command-line arguments, for a child process (explore's workers). */
export function policyArgs(args: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const name of ['max-object-size', 'max-scenario-size', 'max-events', 'max-runs', 'max-map-memory'])
    if (args[name] !== undefined) out.push(`--${name}`, String(args[name]));
  for (const p of readPolicy(args).allowPaths ?? []) out.push('--allow-path', p);
  return out;
}
