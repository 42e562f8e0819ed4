/**
 * Carrying out one scenario event on the world. Each returns the outcome
 * record for the trace (plain data) and any check that failed on the spot.
 */
import { BpfMapType, Errno, errnoName } from '@bpfsim/uapi';
import {
  BpfErrnoError, failFromCall, hasTestRun, hex, returnSequence, shiftBy,
  type ExerciseResult, type HelperOverride, type MapHandle, type ProgHandle,
} from '@bpfsim/kernel';
import { ScenarioError } from './errors';
import type { OverrideSpec, ScenarioEvent } from './format';
import { describeMatcher, matchBytes, matchNumber, resolveBytes, type BytesSpec } from './values';
import type { World } from './world';
import { bpfElem, type ElemCmd } from './bpf-calls';
import { runProcEvent } from './proc-events';
import { runNetEvent } from './net-events';

export type Outcome = Record<string, string | number | boolean | null>;

export interface EventResult {
  outcome: Outcome;
  /** Failed on-the-spot checks (expect: on runs and lookups, expect_errno). */
  failures: string[];
}

export interface EventContext {
  world: World;
  file: string;
  index: number;
}

const MAP_FLAGS = { any: 0, noexist: 1, exist: 2 } as const;

function place(c: EventContext, ...rest: (string | number)[]) {
  return { file: c.file, path: ['events', c.index, ...rest] };
}

function bytesOf(c: EventContext, spec: BytesSpec, size: number | undefined, ...at: (string | number)[]): Uint8Array {
  const b = resolveBytes(spec, size);
  if (typeof b === 'string') throw new ScenarioError(place(c, ...at), b);
  return b;
}

function mapNamed(c: EventContext, name: string, ...at: (string | number)[]): MapHandle {
  const list = c.world.maps.get(name);
  if (!list) throw new ScenarioError(place(c, ...at), `no map named '${name}' (maps: ${[...c.world.maps.keys()].join(', ') || 'none'})`);
  if (list.length > 1) throw new ScenarioError(place(c, ...at), `map name '${name}' is in more than one object`);
  return list[0];
}

function progNamed(c: EventContext, name: string, ...at: (string | number)[]): ProgHandle {
  const p = c.world.programs.get(name);
  if (!p) {
    const v = c.world.verdicts.get(name);
    throw new ScenarioError(place(c, ...at), v && !v.accepted
      ? `program '${name}' was rejected by the verifier (${v.errno}: ${v.error}), so it cannot run`
      : `no program named '${name}'`);
  }
  return p;
}

/** A map element command as a bpf() call of the event's process (`pid`, else the root shell). */
function mapCall(c: EventContext, kind: string, pid: number | undefined, cmd: ElemCmd, m: MapHandle, key: Uint8Array, value?: Uint8Array, flags = 0): Uint8Array | undefined {
  const pw = c.world.procs;
  const t = pid === undefined ? pw.defaultShell(c.index) : pw.task(pid, place(c, kind, 'pid'));
  const r = bpfElem(pw, c.index, t, cmd, m, key, value, flags, place(c, kind));
  if (r.ret < 0) throw new BpfErrnoError(-r.ret, `bpf(BPF_${cmd})`);
  return r.value;
}

/** Run an errno-returning map operation, checking `expect_errno`. */
function errnoCheck(r: () => void, expected: string | undefined, what: string): { result: string; failures: string[] } {
  let result = 'ok';
  try {
    r();
  } catch (e) {
    if (!(e instanceof BpfErrnoError)) throw e;
    result = errnoName(e.errno) ?? `errno ${e.errno}`;
  }
  const want = expected ?? 'ok';
  return { result, failures: result === want ? [] : [`${what}: expected ${want === 'ok' ? 'success' : want}, got ${result === 'ok' ? 'success' : result}`] };
}

/** The value seen for a per-CPU map: one CPU's slot, or (no cpu given) the sum over CPUs as an integer. */
export function valueView(m: MapHandle, value: Uint8Array, cpu: number | undefined): Uint8Array {
  const percpu = [BpfMapType.PERCPU_ARRAY, BpfMapType.PERCPU_HASH, BpfMapType.LRU_PERCPU_HASH].includes(m.map.type as never);
  if (!percpu) return value;
  const vs = m.map.valueSize;
  const stride = Math.ceil(vs / 8) * 8;
  if (cpu !== undefined) return value.slice(cpu * stride, cpu * stride + vs);
  let sum = 0n;
  for (let at = 0; at + vs <= value.length; at += stride) {
    let v = 0n;
    for (let i = vs - 1; i >= 0; i--) v = (v << 8n) | BigInt(value[at + i]);
    sum += v;
  }
  const out = new Uint8Array(vs);
  for (let i = 0; i < vs; i++) { out[i] = Number(sum & 0xffn); sum >>= 8n; }
  return out;
}

function override(spec: OverrideSpec, c: EventContext): HelperOverride {
  const given = [spec.returns, spec.errno, spec.add].filter((x) => x !== undefined).length;
  if (given !== 1) throw new ScenarioError(place(c, 'override'), "give exactly one of 'returns', 'errno' or 'add'");
  if (spec.returns) return returnSequence(spec.returns);
  if (spec.add !== undefined) return shiftBy(spec.add);
  const errno = (Errno as Record<string, number>)[spec.errno!];
  if (errno === undefined) throw new ScenarioError(place(c, 'override', 'errno'), `unknown errno ${spec.errno}`);
  const from = spec.from_call ?? 1;
  if (spec.calls === undefined) return failFromCall(from, errno);
  const inner = failFromCall(from, errno);
  let calls = 0;
  return (env, call, args, original) => (++calls < from + spec.calls! ? inner(env, call, args, original) : original());
}

export function runEvent(e: ScenarioEvent, c: EventContext): EventResult {
  const k = c.world.kernel;
  switch (e.kind) {
    case 'exec': case 'fork': case 'syscall': case 'exit': case 'kill': case 'wait':
    case 'unshare': case 'setns': case 'write_file': case 'read_file': case 'call': case 'compute':
      return runProcEvent(e, c, c.world.procs);

    case 'packet': case 'flow':
      return runNetEvent(e, c);

    case 'advance':
      k.clock.advance(e.advance);
      return { outcome: { kind: 'advance', now: String(k.clock.monotonicNs) }, failures: [] };

    case 'override': {
      try {
        k.helpers.set(e.override.helper, override(e.override, c));
      } catch (err) {
        if (err instanceof RangeError) throw new ScenarioError(place(c, 'override', 'helper'), `no helper named '${e.override.helper}'`);
        throw err;
      }
      return { outcome: { kind: 'override', helper: e.override.helper }, failures: [] };
    }

    case 'fire': {
      // Every program attached to the hook runs, in attach order, each on its own copy of the context.
      const f = e.fire;
      const ctx = f.ctx ? bytesOf(c, f.ctx, undefined, 'fire', 'ctx') : new Uint8Array(0);
      const runs = k.hooks.fire(f.hook, () => ({ ctx: { bytes: Uint8Array.from(ctx), writable: true }, cpu: f.cpu }));
      return {
        outcome: { kind: 'fire', hook: f.hook, programs: runs.length, retvals: runs.map((r) => String(r.r0 & 0xffffffffn)).join(',') },
        failures: [],
      };
    }

    case 'perf_buffer': {
      // What libbpf's perf_buffer__new does: a BPF output perf event per CPU, each in its slot.
      const m = mapNamed(c, e.perf_buffer.map, 'perf_buffer', 'map');
      if (m.map.type !== BpfMapType.PERF_EVENT_ARRAY)
        throw new ScenarioError(place(c, 'perf_buffer', 'map'), `map '${e.perf_buffer.map}' is not a perf_event_array`);
      const cpus = Math.min(k.sched.cpus, m.map.maxEntries);
      for (let cpu = 0; cpu < cpus; cpu++) {
        const fd = k.bpf.perfEventOpen(cpu);
        const key = new Uint8Array(4);
        const value = new Uint8Array(4);
        new DataView(key.buffer).setUint32(0, cpu, true);
        new DataView(value.buffer).setUint32(0, fd, true);
        m.update(key, value);
      }
      return { outcome: { kind: 'perf_buffer', map: e.perf_buffer.map, cpus }, failures: [] };
    }

    case 'map_update': {
      const u = e.map_update;
      const m = mapNamed(c, u.map, 'map_update', 'map');
      const key = bytesOf(c, u.key, m.map.keySize, 'map_update', 'key');
      let value: Uint8Array;
      if (u.program !== undefined) {
        value = new Uint8Array(4);
        new DataView(value.buffer).setUint32(0, progNamed(c, u.program, 'map_update', 'program').fd, true);
      } else if (u.value !== undefined) value = bytesOf(c, u.value, m.map.valueSize, 'map_update', 'value');
      else throw new ScenarioError(place(c, 'map_update'), "give 'value' (or 'program' for a prog_array slot)");
      const r = errnoCheck(() => mapCall(c, 'map_update', u.pid, 'MAP_UPDATE_ELEM', m, key, value, MAP_FLAGS[u.flags ?? 'any']), u.expect_errno, 'map_update');
      return { outcome: { kind: 'map_update', map: u.map, key: hex(key), value: hex(value), result: r.result }, failures: r.failures };
    }

    case 'map_delete': {
      const d = e.map_delete;
      const m = mapNamed(c, d.map, 'map_delete', 'map');
      const key = bytesOf(c, d.key, m.map.keySize, 'map_delete', 'key');
      const r = errnoCheck(() => mapCall(c, 'map_delete', d.pid, 'MAP_DELETE_ELEM', m, key), d.expect_errno, 'map_delete');
      return { outcome: { kind: 'map_delete', map: d.map, key: hex(key), result: r.result }, failures: r.failures };
    }

    case 'map_lookup': {
      const l = e.map_lookup;
      const m = mapNamed(c, l.map, 'map_lookup', 'map');
      const key = bytesOf(c, l.key, m.map.keySize, 'map_lookup', 'key');
      let value: Uint8Array | undefined;
      const r = errnoCheck(() => {
        value = mapCall(c, 'map_lookup', l.pid, 'MAP_LOOKUP_ELEM', m, key);
      }, l.expect_errno, 'map_lookup');
      const view = value && valueView(m, value, l.cpu);
      const failures = [...r.failures];
      if (l.expect && view && !matchBytes(l.expect, view))
        failures.push(`map_lookup ${l.map}[${hex(key)}]: expected ${describeMatcher(l.expect)}, got ${hex(view)}`);
      return { outcome: { kind: 'map_lookup', map: l.map, key: hex(key), result: r.result, value: view ? hex(view) : null }, failures };
    }

    case 'run': {
      const r = e.run;
      const prog = progNamed(c, r.program, 'run', 'program');
      const data = r.data && bytesOf(c, r.data, undefined, 'run', 'data');
      const ctx = r.ctx && bytesOf(c, r.ctx, undefined, 'run', 'ctx');
      let res: ExerciseResult;
      try {
        res = runProgramOnce(prog, { data, ctx, repeat: r.repeat, cpu: r.cpu }, c);
      } catch (err) {
        // The kernel refused the test run itself (bad sizes, ...): an outcome, expected or not.
        if (!(err instanceof BpfErrnoError)) throw err;
        const result = errnoName(err.errno) ?? `errno ${err.errno}`;
        const failures = r.expect_errno === result ? [] : [`run ${r.program}: the kernel refused the run: ${err.message}`];
        return { outcome: { kind: 'run', program: r.program, result }, failures };
      }
      const outcome: Outcome = {
        kind: 'run', program: r.program, cpu: res.cpu, retval: res.retval, insns: res.insns, duration: res.duration,
      };
      if (data) outcome.data_in = hex(data);
      if (res.dataOut) outcome.data_out = hex(res.dataOut);
      if (res.ctxOut) outcome.ctx_out = hex(res.ctxOut);
      const failures: string[] = r.expect_errno ? [`run ${r.program}: expected ${r.expect_errno}, but the run succeeded`] : [];
      const x = r.expect;
      if (x?.retval && !matchNumber(x.retval, BigInt(res.retval)))
        failures.push(`run ${r.program}: expected retval ${describeMatcher(x.retval)}, got ${res.retval}`);
      if (x?.data_out && !(res.dataOut && matchBytes(x.data_out, res.dataOut)))
        failures.push(`run ${r.program}: expected data_out ${describeMatcher(x.data_out)}, got ${res.dataOut ? hex(res.dataOut) : 'none'}`);
      if (x?.ctx_out && !(res.ctxOut && matchBytes(x.ctx_out, res.ctxOut)))
        failures.push(`run ${r.program}: expected ctx_out ${describeMatcher(x.ctx_out)}, got ${res.ctxOut ? hex(res.ctxOut) : 'none'}`);
      return { outcome, failures };
    }
  }
}

/** One run: BPF_PROG_TEST_RUN where the kernel has it for the type, else a direct run on the ctx bytes. */
function runProgramOnce(prog: ProgHandle, input: { data?: Uint8Array; ctx?: Uint8Array; repeat?: number; cpu?: number }, c: EventContext): ExerciseResult {
  if (!input.ctx && !hasTestRun(prog.prog.type))
    throw new ScenarioError(place(c, 'run'), `program '${prog.name}' has no kernel test run for its type: give its context as 'ctx' bytes`);
  return prog.exercise({
    dataIn: input.data, ctxIn: input.ctx, repeat: input.repeat, cpu: input.cpu,
    flags: input.cpu !== undefined ? 1 /* BPF_F_TEST_RUN_ON_CPU */ : 0,
  });
}
