/**
 * The scenario format, version 2, as data. YAML files and msgpack recordings
 * share it. A later schema version adds event and expectation kinds (tasks,
 * syscalls, packets, devices); migrations.ts lifts older files to the
 * current version so recorded files keep replaying.
 */
import { t, type Type } from './schema';
import { fieldPattern, type FieldPattern } from './fields';
import { bytes, bytesMatcher, duration, numberMatcher, textMatcher, type BytesSpec, type Matcher } from './values';
import { fileSpec, procEvents, procExpectations, processSpec, type FileSpec, type ProcEventBody, type ProcExpectation, type ProcessSpec } from './proc-format';
import { netEvents, netExpectations, networkSpec, type NetEventBody, type NetExpectation, type NetworkSpec } from './net-format';

/** 2: files, processes, process and syscall events; map events are bpf() calls of a process (`pid`). */
export const SCHEMA_VERSION = 2;

/** Return codes by name, usable wherever a program's return value is matched. */
export const RETVAL_NAMES: Record<string, number> = {
  XDP_ABORTED: 0, XDP_DROP: 1, XDP_PASS: 2, XDP_TX: 3, XDP_REDIRECT: 4,
  TC_ACT_UNSPEC: -1, TC_ACT_OK: 0, TC_ACT_RECLASSIFY: 1, TC_ACT_SHOT: 2, TC_ACT_PIPE: 3,
  TC_ACT_STOLEN: 4, TC_ACT_QUEUED: 5, TC_ACT_REPEAT: 6, TC_ACT_REDIRECT: 7,
};

const name = t.str('a name', /^[A-Za-z_][\w.-]*$/);
/** Map names may start with a dot: libbpf's global data maps are .data, .rodata, .bss. */
const mapName = t.str('a map name', /^[.A-Za-z_][\w.-]*$/);
const errnoName = t.str('an errno name such as ENOENT', /^E[A-Z0-9]+$/);

export interface ProgramDecl {
  name: string;
  object?: string;
  program?: string;
  section?: string;
  asm?: string;
  type?: string;
  /** A hook to attach the program to once loaded (LINK_CREATE); `fire` events run it. */
  attach?: string;
  /** bpf_get_attach_cookie's value for that link. */
  cookie?: bigint;
}

const programDecl = t.obj('a program', {
  name, object: t.str('a path to an ELF object'), program: t.str('a function name in the object'),
  section: t.str('a section name'), asm: t.str('assembly text'), type: t.str('a program type such as xdp'),
  attach: t.str('a hook name such as kprobe/do_sys_openat2'),
  cookie: t.custom<bigint>('a whole number', (v) => typeof v === 'bigint' ? v : typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : '!expected a whole number'),
}, ['name']);

const runEvent = t.obj('a program run', {
  program: name,
  data: bytes, ctx: bytes,
  repeat: t.int(1, 1_000_000),
  cpu: t.int(0, 1023),
  expect_errno: errnoName,
  expect: t.obj('what the run must return', {
    retval: numberMatcher(RETVAL_NAMES), data_out: bytesMatcher, ctx_out: bytesMatcher,
  }),
}, ['program']);

const mapKeyOp = { map: mapName, key: bytes, expect_errno: errnoName, pid: t.int(1, 4_194_304) };
const mapUpdate = t.obj('a map update', { ...mapKeyOp, value: bytes, program: name, flags: t.enum(['any', 'noexist', 'exist'] as const) }, ['map', 'key']);
const mapDelete = t.obj('a map delete', mapKeyOp, ['map', 'key']);
const mapLookup = t.obj('a map lookup', { ...mapKeyOp, cpu: t.int(0, 1023), expect: bytesMatcher }, ['map', 'key']);

const bigintValue = t.custom<bigint>('a whole number', (v) =>
  typeof v === 'bigint' ? v : typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : '!expected a whole number');
const override = t.obj('a helper override', {
  helper: t.str('a helper name such as bpf_get_prandom_u32'),
  returns: t.list(bigintValue, 1),
  errno: errnoName,
  add: bigintValue,
  from_call: t.int(1),
  calls: t.int(1),
}, ['helper']);

export type EventBody =
  | { kind: 'run'; run: { program: string; data?: BytesSpec; ctx?: BytesSpec; repeat?: number; cpu?: number; expect_errno?: string; expect?: { retval?: Matcher; data_out?: Matcher; ctx_out?: Matcher } } }
  | { kind: 'map_update'; map_update: { map: string; key: BytesSpec; value?: BytesSpec; program?: string; flags?: 'any' | 'noexist' | 'exist'; expect_errno?: string; pid?: number } }
  | { kind: 'map_delete'; map_delete: { map: string; key: BytesSpec; expect_errno?: string; pid?: number } }
  | { kind: 'map_lookup'; map_lookup: { map: string; key: BytesSpec; cpu?: number; expect?: Matcher; expect_errno?: string; pid?: number } }
  | { kind: 'perf_buffer'; perf_buffer: { map: string } }
  | { kind: 'fire'; fire: { hook: string; ctx?: BytesSpec; cpu?: number } }
  | { kind: 'advance'; advance: bigint }
  | { kind: 'override'; override: OverrideSpec }
  | ProcEventBody
  | NetEventBody;

/**
 * Replace a helper's result: `returns` gives values in turn (then the real
 * helper), `errno` fails calls with -errno (from call `from_call`, for
 * `calls` calls, default all), `add` shifts what the helper returns (a clock jump).
 */
export interface OverrideSpec {
  helper: string;
  returns?: bigint[];
  errno?: string;
  add?: bigint;
  from_call?: number;
  calls?: number;
}

export type ScenarioEvent = EventBody & { at?: bigint; note?: string };

const event: Type<ScenarioEvent> = t.tagged<ScenarioEvent>('an event', {
  run: runEvent, map_update: mapUpdate, map_delete: mapDelete, map_lookup: mapLookup, advance: duration, override,
  perf_buffer: t.obj('a perf buffer to open', { map: mapName }, ['map']),
  fire: t.obj('a hook firing', { hook: t.str('a hook name'), ctx: bytes, cpu: t.int(0, 1023) }, ['hook']),
  ...procEvents,
  ...netEvents,
}, { at: duration, note: t.str() });

export type Expectation =
  | { kind: 'map'; map: { name: string; key?: BytesSpec; value?: Matcher; absent?: boolean; cpu?: number; entries?: Matcher } }
  | { kind: 'trace_pipe'; trace_pipe: Matcher[] }
  | { kind: 'trace_pipe_contains'; trace_pipe_contains: Matcher }
  | { kind: 'ringbuf'; ringbuf: RecordsExpectation }
  | { kind: 'perf_event'; perf_event: RecordsExpectation }
  | { kind: 'verdict'; verdict: { program: string; accepted: boolean; errno?: string; error?: Matcher } }
  | { kind: 'runs'; runs: { program: string; count: Matcher } }
  | ProcExpectation
  | NetExpectation;

const recordsFields = {
  map: mapName, records: t.list(bytesMatcher), count: numberMatcher(),
  type: t.str('a C type such as "struct event"'), events: t.list(fieldPattern),
};

const expectation = t.tagged<Expectation>('an expectation', {
  map: t.obj('a map expectation', {
    name: mapName, key: bytes, value: bytesMatcher, absent: t.bool(), cpu: t.int(0, 1023), entries: numberMatcher(),
  }, ['name']),
  trace_pipe: t.list(textMatcher),
  trace_pipe_contains: textMatcher,
  ringbuf: t.obj('a ring buffer expectation', recordsFields, ['map']),
  perf_event: t.obj('a perf event output expectation', recordsFields, ['map']),
  verdict: t.obj('a verifier verdict', { program: name, accepted: t.bool(), errno: errnoName, error: textMatcher }, ['program', 'accepted']),
  runs: t.obj('a run count', { program: name, count: numberMatcher() }, ['program', 'count']),
  ...procExpectations,
  ...netExpectations,
}, { note: t.str() });

/**
 * Records a program output (ring buffer, perf events): as bytes (`records`), or
 * decoded through the object's BTF as `type` ("struct event") and matched
 * field by field (`events`), and/or counted.
 */
export interface RecordsExpectation {
  map: string;
  records?: Matcher[];
  type?: string;
  events?: FieldPattern[];
  count?: Matcher;
}

export interface Scenario {
  bpfsim: number;
  name?: string;
  description?: string;
  seed?: number;
  kernel?: { cpus?: number };
  /** The file system set up before any event (by syscalls of init). */
  files?: FileSpec[];
  /** Processes besides init, created in order by fork (and exec) from their parents. */
  processes?: ProcessSpec[];
  /** Namespaces, devices, addresses, routes, iptables and packet programs (net-format.ts). */
  network?: NetworkSpec;
  programs?: ProgramDecl[];
  events?: ScenarioEvent[];
  expect?: Expectation[];
}

export const scenarioType = t.obj('a scenario', {
  bpfsim: t.int(1),
  name: t.str(),
  description: t.str(),
  seed: t.int(0, 2 ** 32 - 1),
  kernel: t.obj('kernel settings', { cpus: t.int(1, 64) }),
  files: t.list(fileSpec),
  processes: t.list(processSpec),
  network: networkSpec,
  programs: t.list(programDecl),
  events: t.list(event),
  expect: t.list(expectation),
}, ['bpfsim']) as unknown as Type<Scenario>;
