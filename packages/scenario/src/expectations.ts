/** Checking a scenario's expectations against the trace and the final kernel state. */
import { hex } from '@bpfsim/kernel';
import type { Expectation } from './format';
import { decodeBtfValue, findBtfType, type Btf } from '@bpfsim/loader';
import { matchFields, type FieldPattern } from './fields';
import { describeMatcher, matchBytes, matchNumber, matchText, resolveBytes } from './values';
import type { World } from './world';
import { valueView } from './events';
import { checkProcExpectation } from './proc-expect';
import { checkNetExpectation } from './net-expect';

export interface ExpectationResult {
  index: number;
  /** One line naming what was checked. */
  what: string;
  pass: boolean;
  /** For a failure: expected and actual, as lines. */
  diff?: string[];
}

function fail(index: number, what: string, expected: string, actual: string): ExpectationResult {
  return { index, what, pass: false, diff: [`- expected: ${expected}`, `+ actual:   ${actual}`] };
}

export function checkExpectation(x: Expectation, index: number, world: World): ExpectationResult {
  const ok = (what: string): ExpectationResult => ({ index, what, pass: true });
  const k = world.kernel;
  switch (x.kind) {
    case 'task': case 'file': case 'syscalls':
      return checkProcExpectation(x, index, world);
    case 'capture': case 'device': case 'iptables':
      return checkNetExpectation(x, index, world);
    case 'verdict': {
      const v = x.verdict;
      const what = `verdict of ${v.program}: ${v.accepted ? 'accepted' : 'rejected'}`;
      const got = world.verdicts.get(v.program);
      if (!got) return fail(index, what, v.accepted ? 'accepted' : 'rejected', 'not loaded');
      const gotText = got.accepted ? 'accepted' : `rejected (${got.errno}: ${got.error})`;
      if (got.accepted !== v.accepted) return fail(index, what, v.accepted ? 'accepted' : 'rejected', gotText);
      if (v.errno !== undefined && got.errno !== v.errno) return fail(index, what, `errno ${v.errno}`, `errno ${got.errno}`);
      if (v.error && !matchText(v.error, got.error ?? '')) return fail(index, what, `error ${describeMatcher(v.error)}`, `error ${JSON.stringify(got.error)}`);
      return ok(what);
    }
    case 'runs': {
      const r = x.runs;
      const handle = world.programs.get(r.program);
      const count = handle ? k.trace.of('prog_run').filter((p) => p.progId === handle.prog.id).length : 0;
      const what = `runs of ${r.program}: ${describeMatcher(r.count)}`;
      return matchNumber(r.count, BigInt(count)) ? ok(what) : fail(index, what, describeMatcher(r.count), String(count));
    }
    case 'trace_pipe': {
      const lines = k.trace.of('trace_pipe').map((t) => t.text);
      const what = `trace_pipe: ${x.trace_pipe.length} line${x.trace_pipe.length === 1 ? '' : 's'}`;
      const n = Math.max(lines.length, x.trace_pipe.length);
      for (let i = 0; i < n; i++) {
        const m = x.trace_pipe[i];
        const line = lines[i];
        if (!m || line === undefined || !matchText(m, line))
          return fail(index, `${what} (line ${i + 1})`, m ? describeMatcher(m) : '(no more lines)', line === undefined ? '(no more lines)' : JSON.stringify(line));
      }
      return ok(what);
    }
    case 'trace_pipe_contains': {
      const lines = k.trace.of('trace_pipe').map((t) => t.text);
      const what = `trace_pipe has a line matching ${describeMatcher(x.trace_pipe_contains)}`;
      return lines.some((l) => matchText(x.trace_pipe_contains, l)) ? ok(what)
        : fail(index, what, describeMatcher(x.trace_pipe_contains), lines.length ? lines.map((l) => JSON.stringify(l)).join(', ') : '(trace_pipe is empty)');
    }
    case 'ringbuf':
    case 'perf_event': {
      // Records in output order: ring buffer submits, or bpf_perf_event_output calls.
      const r = x.kind === 'ringbuf' ? x.ringbuf : x.perf_event;
      const label = `${x.kind === 'ringbuf' ? 'ringbuf' : 'perf_event'} ${r.map}`;
      const recs = x.kind === 'ringbuf'
        ? k.trace.of('ringbuf').filter((t) => t.map === r.map).map((t) => t.data)
        : k.trace.of('perf_event').filter((t) => t.map === r.map).map((t) => t.data);
      if (r.count) {
        const what = `${label}: ${describeMatcher(r.count)} records`;
        if (!matchNumber(r.count, BigInt(recs.length))) return fail(index, what, describeMatcher(r.count), String(recs.length));
        if (!r.records) return ok(what);
      }
      if (r.events) return checkDecoded(index, label, r.type, r.events, recs, world.btfByMap.get(r.map));
      if (!r.records) return ok(label);
      const what = `${label}: ${r.records.length} records`;
      const n = Math.max(recs.length, r.records.length);
      for (let i = 0; i < n; i++) {
        const m = r.records[i];
        const rec = recs[i];
        if (!m || rec === undefined || !matchBytes(m, Uint8Array.from(Buffer.from(rec, 'hex'))))
          return fail(index, `${what} (record ${i + 1})`, m ? describeMatcher(m) : '(no more records)', rec ?? '(no more records)');
      }
      return ok(what);
    }
    case 'map': {
      const m = x.map;
      const handle = world.maps.get(m.name)?.[0];
      if (!handle) return fail(index, `map ${m.name}`, 'a map of that name', `no such map (maps: ${[...world.maps.keys()].join(', ')})`);
      if (m.entries) {
        const count = handle.keys().length;
        const what = `map ${m.name}: ${describeMatcher(m.entries)} entries`;
        if (!matchNumber(m.entries, BigInt(count))) return fail(index, what, describeMatcher(m.entries), String(count));
        if (!m.key) return ok(what);
      }
      if (!m.key) return fail(index, `map ${m.name}`, "a 'key' (or 'entries')", 'neither');
      const key = resolveBytes(m.key, handle.map.keySize);
      if (typeof key === 'string') return fail(index, `map ${m.name}`, `a key of ${handle.map.keySize} bytes`, key);
      const what = `map ${m.name}[${hex(key)}]${m.absent ? ' is absent' : m.value ? ` = ${describeMatcher(m.value)}` : ' exists'}`;
      let value: Uint8Array | undefined;
      try {
        value = handle.lookup(key);
      } catch (e) {
        return fail(index, what, 'a readable entry', (e as Error).message);
      }
      if (m.absent) return value ? fail(index, what, 'no entry', hex(value)) : ok(what);
      if (!value) return fail(index, what, m.value ? describeMatcher(m.value) : 'an entry', 'no entry (ENOENT)');
      const view = valueView(handle, value, m.cpu);
      if (m.value && !matchBytes(m.value, view)) return fail(index, what, describeMatcher(m.value), hex(view));
      return ok(what);
    }
  }
}

/** Records decoded through the map's object BTF as `type`, matched field by field in order. */
function checkDecoded(index: number, label: string, type: string | undefined, events: FieldPattern[], recs: string[], btf: Btf | undefined): ExpectationResult {
  const what = `${label}: ${events.length} ${type ?? 'records'}`;
  if (!type) return fail(index, what, "'type' naming the records' C type (\"struct event\")", 'no type');
  if (!btf) return fail(index, what, `BTF for ${type}`, 'the object has no BTF');
  const id = findBtfType(btf, type);
  if (id === undefined) return fail(index, what, `a type ${type} in the object's BTF`, 'no such type');
  const n = Math.max(recs.length, events.length);
  for (let i = 0; i < n; i++) {
    if (i >= recs.length) return fail(index, `${what} (record ${i + 1})`, 'a record', '(no more records)');
    if (i >= events.length) return fail(index, `${what} (record ${i + 1})`, '(no more records)', recs[i]);
    let value;
    try {
      value = decodeBtfValue(btf, id, Uint8Array.from(Buffer.from(recs[i], 'hex')));
    } catch (e) {
      return fail(index, `${what} (record ${i + 1})`, `a ${type}`, (e as Error).message);
    }
    const miss = matchFields(events[i], value);
    if (miss) return fail(index, `${what} (record ${i + 1})`, miss.replace(/, got .*$/, ''), miss.replace(/^.*, got /, ''));
  }
  return { index, what, pass: true };
}
