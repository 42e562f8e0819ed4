/**
 * The helper table: every helper bpfsim implements, by kernel name and id.
 * A program calling a helper that is not here is refused at load time (see
 * prog-load.ts). Tests replace any helper through `HelperOverrides`.
 */
import { HELPER_NAMES } from '@bpfsim/uapi';
import type { HelperCall, HelperFn } from '@bpfsim/vm';
import { cgroupArrayHelpers } from './cgroup-array';
import { mapHelpers } from './map';
import { miscHelpers } from './misc';
import { outputHelpers } from './output';
import { packetHelpers } from './packet';
import { probeHelpers } from './probe';
import { redirectPeerHelpers } from './redirect-peer';
import { fibHelpers } from './fib';
import { seqHelpers } from './seq';
import { skbMetaHelpers } from './skb-meta';
import { skbResizeHelpers } from './skb-resize';
import { sockmapHelpers } from './sockmap';
import { stackHelpers } from './stack';
import { storageHelpers } from './storage';
import { taskHelpers } from './task';
import { timeHelpers } from './time';
import { traceHelpers } from './trace';
import type { HelperArea, KernelHelper, RunEnv } from './types';

/** bpf_tail_call's id: the VM performs it through RunOptions.tailCall. */
export const TAIL_CALL_ID = 12;

const AREAS: readonly HelperArea[] = [
  mapHelpers, timeHelpers, taskHelpers, probeHelpers, traceHelpers, outputHelpers, stackHelpers, miscHelpers, packetHelpers, storageHelpers,
  skbResizeHelpers, skbMetaHelpers, sockmapHelpers, cgroupArrayHelpers, redirectPeerHelpers, seqHelpers, fibHelpers,
];

const ID_BY_NAME = new Map<string, number>(HELPER_NAMES.map((n, i) => [n, i]));

/** Helper id of a kernel helper name ("bpf_ktime_get_ns" or "ktime_get_ns"); undefined when unknown. */
export function helperId(name: string): number | undefined {
  return ID_BY_NAME.get(name) ?? ID_BY_NAME.get(`bpf_${name}`);
}

/** id -> implementation, built once from the areas. */
export const HELPERS: ReadonlyMap<number, KernelHelper> = (() => {
  const m = new Map<number, KernelHelper>();
  for (const area of AREAS) {
    for (const [name, fn] of Object.entries(area)) {
      const id = ID_BY_NAME.get(name);
      if (id === undefined) throw new Error(`helper table: ${name} is not a helper of this kernel`);
      if (m.has(id)) throw new Error(`helper table: ${name} implemented twice`);
      m.set(id, fn);
    }
  }
  return m;
})();

/** True when bpfsim can run programs calling helper `id`. */
export function helperImplemented(id: number): boolean {
  return id === TAIL_CALL_ID || HELPERS.has(id);
}

/**
 * A replacement for a helper. It gets the run, the call, the arguments and
 * `original` (the kernel's implementation, to delegate to).
 */
export type HelperOverride = (env: RunEnv, call: HelperCall, args: readonly bigint[], original: () => bigint) => bigint;

/** Helper overrides of a kernel, by id. */
export class HelperOverrides {
  private readonly byId = new Map<number, HelperOverride>();
  /** Bumped on every change, so tables built from the overrides know to rebuild. */
  private changes = 0;
  get version(): number {
    return this.changes;
  }

  /** Replace helper `name` (kernel name or id). Returns a function that restores it. */
  set(name: string | number, fn: HelperOverride): () => void {
    const id = typeof name === 'number' ? name : helperId(name);
    if (id === undefined || !HELPER_NAMES[id]) throw new RangeError(`override: no helper ${String(name)}`);
    this.byId.set(id, fn);
    this.changes++;
    return () => {
      if (this.byId.get(id) === fn) {
        this.byId.delete(id);
        this.changes++;
      }
    };
  }
  get(id: number): HelperOverride | undefined {
    return this.byId.get(id);
  }
  clear(): void {
    this.byId.clear();
    this.changes++;
  }
}

/**
 * The VM helper table of a kernel, built once and kept until the overrides
 * change: each entry reads the run it serves from `env`, which the run path
 * sets for the length of a run (and restores after, for nested runs).
 */
export class HelperDispatch {
  env: RunEnv | undefined;
  private version = -1;
  private readonly fns = new Map<number, HelperFn | null>();
  readonly table: (id: number) => HelperFn | undefined;

  constructor(private readonly overrides: HelperOverrides) {
    this.table = (id) => {
      if (this.version !== this.overrides.version) {
        this.fns.clear();
        this.version = this.overrides.version;
      }
      let fn = this.fns.get(id);
      if (fn === undefined) this.fns.set(id, (fn = this.build(id)));
      return fn ?? undefined;
    };
  }

  private build(id: number): HelperFn | null {
    const impl = HELPERS.get(id);
    const ov = this.overrides.get(id);
    if (!impl && !ov) return null;
    if (ov) {
      return (call, r1, r2, r3, r4, r5) => {
        const env = this.env!;
        return ov(env, call, [r1, r2, r3, r4, r5], () => (impl ? impl(env, call, r1, r2, r3, r4, r5) : 0n));
      };
    }
    return (call, r1, r2, r3, r4, r5) => impl!(this.env!, call, r1, r2, r3, r4, r5);
  }
}

export type { RunEnv, KernelHelper } from './types';
