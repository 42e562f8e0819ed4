/**
 * toMatchTrace(goldenFile): a scenario's trace (or a kernel's records) against
 * a golden file, compared as `bpfsim test` compares them — canonical msgpack
 * bytes, the first divergence named. BPFSIM_UPDATE=1 rewrites the file.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { MatcherContext } from 'expect';
import { encodeCanonical, firstDivergence, describeDivergence, plainTrace, type ReplayResult } from '@bpfsim/scenario';
import { BpfsimKernel } from '../api/kernel';
import { subjectError, type MatchResult } from './common';

// The golden file format of `bpfsim test`: indented JSON, bigints as {"$bigint": "..."}.
const toJson = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? { $bigint: x.toString() } : x), 1) + '\n';
const fromJson = (s: string) => JSON.parse(s, (_k, x) => (x && typeof x === 'object' && typeof x.$bigint === 'string' ? BigInt(x.$bigint) : x));

const isReplay = (v: unknown): v is ReplayResult =>
  !!v && typeof v === 'object' && Array.isArray((v as ReplayResult).trace) && (v as ReplayResult).traceBytes instanceof Uint8Array;

/** The trace a subject stands for, as a golden file holds it. */
function traceOf(received: unknown): { seed: unknown; trace: unknown[] } | undefined {
  if (isReplay(received)) return { seed: received.seed, trace: plainTrace(received.trace) };
  if (received instanceof BpfsimKernel) return { seed: received.kernel.seed, trace: plainTrace(received.records as never) };
  return undefined;
}

export const updating = (): boolean => process.env.BPFSIM_UPDATE === '1';

export function toMatchTrace(this: MatcherContext, received: unknown, goldenFile: string): MatchResult {
  const head = () => this.utils.matcherHint('toMatchTrace', undefined, this.utils.printExpected(goldenFile), { isNot: this.isNot });
  const now = traceOf(received);
  if (!now) return { pass: false, message: () => `${head()}\n\n${subjectError(received, 'a scenario result (bpfsim.scenario(file)) or a kernel (bpfsim.kernel())')}` };
  const golden = path.isAbsolute(goldenFile) || !this.testPath ? path.resolve(goldenFile) : path.resolve(path.dirname(this.testPath), goldenFile);
  if (updating()) {
    fs.mkdirSync(path.dirname(golden), { recursive: true });
    fs.writeFileSync(golden, toJson(now));
    return { pass: !this.isNot, message: () => `${head()}\n\n${golden} rewritten (BPFSIM_UPDATE=1)` };
  }
  let want: { trace?: unknown };
  try {
    want = fromJson(fs.readFileSync(golden, 'utf8'));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(e as Error).message})`;
    return { pass: false, message: () => `${head()}\n\n${golden} ${why}; write it with BPFSIM_UPDATE=1` };
  }
  if (!want || typeof want !== 'object' || !Array.isArray(want.trace))
    return { pass: false, message: () => `${head()}\n\n${golden} has the wrong shape (expected {"seed": N, "trace": [...]}); rewrite it with BPFSIM_UPDATE=1` };
  const pass = Buffer.from(encodeCanonical(want.trace)).equals(Buffer.from(encodeCanonical(now.trace)));
  return {
    pass,
    message: () => {
      if (pass) return `${head()}\n\nthe trace equals ${golden}`;
      const d = firstDivergence(want.trace as unknown[], now.trace);
      return `${head()}\n\ntrace differs from ${golden}: ${d ? describeDivergence(d) : 'encodings differ'}\n(rewrite it with BPFSIM_UPDATE=1 if the change is intended)`;
    },
  };
}
