/**
 * The loader fuzz campaign: mutated corpus objects through loadObject().
 * Every case must end in a result or a LoaderError; anything else (a thrown
 * TypeError, RangeError, a non-LoaderError, an error without file name) is a
 * crash and is reported with its seed, so `runLoaderCase(seed)` replays it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Btf, LoaderError, loadObject, parseBtf, KconfigValue } from '@bpfsim/loader';
import { mutateObject, MutationKind } from './loader-mutate';
import { Rng } from './rng';

const ROOT = path.resolve(__dirname, '..', '..');
const CORPUS = path.join(ROOT, 'corpus');

export const FUZZ_KCONFIG: Record<string, KconfigValue> = {
  LINUX_KERNEL_VERSION: 0x061200, LINUX_HAS_SYSCALL_WRAPPER: 'y', LINUX_HAS_BPF_COOKIE: 'y', CONFIG_BPF_SYSCALL: 'y', CONFIG_HZ: 1000,
};

export interface Seeds {
  objects: { name: string; bytes: Uint8Array }[];
  target: Btf;
}

export function loadSeeds(): Seeds {
  const objects = fs.readdirSync(CORPUS).filter((f) => f.endsWith('.bpf.o')).sort()
    .map((name) => ({ name, bytes: new Uint8Array(fs.readFileSync(path.join(CORPUS, name))) }));
  const target = parseBtf(fs.readFileSync(path.join(CORPUS, 'btf', 'vmlinux.min.btf')), 'corpus/btf/vmlinux.min.btf');
  return { objects, target };
}

export type CaseOutcome =
  | { kind: 'ok' }
  | { kind: 'error'; code: string }
  | { kind: 'crash'; error: string };

export interface CaseResult {
  seed: string;
  base: string;
  applied: MutationKind[];
  outcome: CaseOutcome;
  /** Wall time of loadObject in ms (reported by the CLI campaign only, never asserted). */
  ms: number;
}

export function runLoaderCase(seeds: Seeds, seed: string): CaseResult {
  const r = new Rng(seed);
  const base = r.pick(seeds.objects);
  const donor = r.pick(seeds.objects);
  const { bytes, applied } = mutateObject(r, base.bytes, donor.bytes);
  const file = `fuzz-${seed}.o`;
  const t0 = process.hrtime.bigint();
  let outcome: CaseOutcome;
  try {
    loadObject(bytes, { file, targetBtf: seeds.target, kconfig: FUZZ_KCONFIG });
    outcome = { kind: 'ok' };
  } catch (e) {
    if (e instanceof LoaderError && e.message.includes(file) && typeof e.code === 'string') outcome = { kind: 'error', code: e.code };
    else outcome = { kind: 'crash', error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { seed, base: base.name, applied, outcome, ms };
}

export interface LoaderCampaign {
  total: number;
  ok: number;
  errors: Record<string, number>;
  crashes: CaseResult[];
  slowest: CaseResult | undefined;
}

export function runLoaderCampaign(count: number, seed: string, onCase?: (i: number) => void): LoaderCampaign {
  const seeds = loadSeeds();
  const out: LoaderCampaign = { total: 0, ok: 0, errors: {}, crashes: [], slowest: undefined };
  for (let i = 0; i < count; i++) {
    const res = runLoaderCase(seeds, `${seed}:${i}`);
    out.total++;
    if (res.outcome.kind === 'ok') out.ok++;
    else if (res.outcome.kind === 'error') out.errors[res.outcome.code] = (out.errors[res.outcome.code] ?? 0) + 1;
    else out.crashes.push(res);
    if (!out.slowest || res.ms > out.slowest.ms) out.slowest = res;
    onCase?.(i);
  }
  return out;
}
