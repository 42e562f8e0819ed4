/**
 * Lifting older scenario documents to the current schema. Each entry turns a
 * version-n document into version n+1; recordings keep their original
 * version and are migrated on load, so a file recorded today replays tomorrow.
 */
import { SCHEMA_VERSION } from './format';

type Doc = Record<string, unknown>;

/**
 * MIGRATIONS[n] lifts a version-n document to n+1.
 * 1 → 2: version 2 only adds fields and kinds (files, processes, process events, `pid` on map
 * events); a version-1 document is a valid version-2 one. Its map events now run as bpf() calls
 * of the default root shell, which is the one change a version-1 replay sees (docs/scenarios.md).
 */
const MIGRATIONS: Record<number, (d: Doc) => Doc> = {
  1: (d) => d,
};

export type MigrationResult = { doc: Doc } | { error: string };

export function migrate(doc: Doc): MigrationResult {
  let v = doc.bpfsim;
  if (typeof v === 'bigint') v = Number(v);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    return { error: `expected 'bpfsim: ${SCHEMA_VERSION}' (the schema version) at the top` };
  if (v > SCHEMA_VERSION)
    return { error: `schema version ${v} is newer than this bpfsim understands (${SCHEMA_VERSION}); upgrade bpfsim` };
  let d: Doc = { ...doc, bpfsim: v };
  for (let n = v; n < SCHEMA_VERSION; n++) d = { ...MIGRATIONS[n](d), bpfsim: n + 1 };
  return { doc: d };
}
