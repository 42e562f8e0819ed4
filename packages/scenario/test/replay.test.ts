import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  replay, parseScenarioText, makeRecording, encodeRecording, loadScenarioFile, replayLoaded,
  firstDivergence, plainTrace, describeDivergence, type ReplayResult,
} from '@bpfsim/scenario';

const scenariosDir = path.resolve(__dirname, '../../../scenarios');
const repoRoot = path.resolve(__dirname, '../../..');
const examples = fs.readdirSync(scenariosDir).flatMap((d) => {
  const dir = path.join(scenariosDir, d);
  return fs.statSync(dir).isDirectory() ? fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => path.join(dir, f)) : [];
});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-replay-'));
function scenario(text: string, name = 's.yaml') {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, text);
  // These scenarios live in a temporary directory and name the repository's objects: allowed explicitly.
  return parseScenarioText(text, f, { allowPaths: [repoRoot] });
}

// r0 = bpf_get_prandom_u32(); exit — an XDP program whose verdict is whatever prandom says.
const PRANDOM = `bpfsim: 1
seed: 5
programs:
  - name: p
    type: xdp
    asm: |
      call 7
      exit
events:
${Array.from({ length: 8 }, () => '  - run: { program: p, data: "00 00 00 00 00 00 00 00 00 00 00 00 08 00" }').join('\n')}
`;

const retvals = (r: ReplayResult) => r.trace.filter((e) => e.outcome.kind === 'run').map((e) => e.outcome.retval);

describe('replay', () => {
  test('there are example scenarios', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
  });

  test.each(examples)('%s passes its expectations, twice with identical trace bytes', async (file) => {
    const a = await replay(file);
    const b = await replay(file);
    expect(a.expectations.filter((x) => !x.pass)).toEqual([]);
    expect(a.trace.flatMap((e) => e.failures)).toEqual([]);
    expect(a.passed).toBe(true);
    expect(Buffer.from(a.traceBytes).equals(Buffer.from(b.traceBytes))).toBe(true);
  });

  test('the same seed gives the same prandom values; other seeds give others', async () => {
    const s = scenario(PRANDOM);
    const a = retvals(await replay(s));
    expect(retvals(await replay(s))).toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(1);
    const other = retvals(await replay(s, { seed: 6 }));
    expect(other).not.toEqual(a);
  });

  test('a helper override returns the given sequence, then the real helper again', async () => {
    const s = scenario(PRANDOM.replace('events:\n', 'events:\n  - override: { helper: bpf_get_prandom_u32, returns: [7, 8] }\n'));
    const got = retvals(await replay(s));
    expect(got.slice(0, 2)).toEqual([7, 8]);
    const plain = retvals(await replay(scenario(PRANDOM)));
    expect(got.slice(2)).toEqual(plain.slice(0, 6)); // the stream was not consumed by the overridden calls
  });

  test('a run expectation that fails is reported with expected and actual', async () => {
    const s = scenario(PRANDOM.replace('events:\n', 'events:\n  - override: { helper: bpf_get_prandom_u32, returns: [1] }\n  - run: { program: p, data: "00 00 00 00 00 00 00 00 00 00 00 00 08 00", expect: { retval: XDP_PASS } }\n'));
    const r = await replay(s);
    expect(r.passed).toBe(false);
    expect(r.trace.flatMap((e) => e.failures)).toEqual(['run p: expected retval 2, got 1']);
  });

  test('a program the verifier rejects fails the scenario unless a verdict expectation says so', async () => {
    const bad = `bpfsim: 1\nprograms:\n  - name: bad\n    type: xdp\n    asm: |\n      exit\n`;
    const r1 = await replay(scenario(bad));
    expect(r1.passed).toBe(false);
    expect(r1.expectations[0].what).toBe('program bad loads');
    const r2 = await replay(scenario(bad + 'expect:\n  - verdict: { program: bad, accepted: false, errno: EACCES, error: "R0 !read_ok" }\n'));
    expect(r2.expectations).toEqual([expect.objectContaining({ pass: true })]);
  });

  test('a recording replays identically, and a changed program is reported at its first divergence', async () => {
    const s = scenario(PRANDOM, 'rec.yaml');
    const r = await replay(s);
    const recFile = path.join(tmp, 'rec.msgpack');
    fs.writeFileSync(recFile, encodeRecording(makeRecording(r, recFile)));
    const back = loadScenarioFile(recFile);
    const again = replayLoaded(back, { seed: back.recording!.seed });
    expect(firstDivergence(back.recording!.trace, plainTrace(again.trace))).toBeUndefined();

    // The same recording, replayed with another seed, diverges at the first run.
    const other = replayLoaded(back, { seed: 99 });
    const d = firstDivergence(back.recording!.trace, plainTrace(other.trace))!;
    expect(d.ev).toBe(0);
    expect(d.program).toBe('p');
    expect(describeDivergence(d)).toMatch(/^first divergence at event 0, program p.*: outcome\.(cpu|retval): recorded \d+, now \d+$/);
  });
});

describe('perf event output', () => {
  test('records of bpf_perf_event_output are matched in order, and counted; none before a perf buffer is open', async () => {
    const obj = path.resolve(__dirname, '../../../corpus/perfbuf.bpf.o');
    // struct sched_process_exec_ctx: 8-byte common header, then filename offset, pid, old_pid.
    const ctx = (pid: number) => `[ { str: "", size: 12 }, { u32: ${pid} }, { u32: 0 }, { str: "", size: 8 } ]`;
    const text = `bpfsim: 1
programs:
  - name: exec
    object: ${obj}
events:
  - run: { program: exec, ctx: ${ctx(41)} }
  - perf_buffer: { map: events }
  - run: { program: exec, ctx: ${ctx(42)} }
  - run: { program: exec, ctx: ${ctx(43)} }
expect:
  - perf_event: { map: events, count: 2, records: [ { regex: "^2a000000" }, { regex: "^2b000000" } ] }
  - perf_event: { map: events, count: 3 }
`;
    const r = await replay(scenario(text, 'perf.yaml'));
    expect(r.expectations.map((x) => [x.what, x.pass])).toEqual([
      ['perf_event events: 2 records', true],
      ['perf_event events: 3 records', false],
    ]);
  });
});

describe('records decoded through BTF', () => {
  const file = path.join(scenariosDir, 'ringbuf-events/ringbuf-events.yaml');
  const variant = (from: string, to: string) => {
    const text = fs.readFileSync(file, 'utf8').replace(from, to);
    expect(text).not.toBe(fs.readFileSync(file, 'utf8'));
    const f = path.join(path.dirname(file), `.tmp-${process.pid}.yaml`);
    fs.writeFileSync(f, text);
    try {
      return parseScenarioText(text, f);
    } finally {
      fs.rmSync(f);
    }
  };
  const decoded = (r: ReplayResult) => r.expectations.find((x) => x.what.includes('struct kill_event'))!;

  test('a field that differs is named with both values', async () => {
    const r = await replay(variant('{ target: 1234, sig: 15, cpu: 0 }', '{ target: 1235, sig: 15, cpu: 0 }'));
    expect(decoded(r)).toMatchObject({ pass: false, diff: ['- expected: target: expected 1235', '+ actual:   1234'] });
  });

  test('an unknown field, or a type the BTF lacks, is reported', async () => {
    const r1 = await replay(variant('{ target: 1234, sig: 15, cpu: 0 }', '{ target: 1234, signal: 15 }'));
    expect(decoded(r1).diff?.[0]).toMatch(/signal: no such field \(fields: target, sig, nr, cpu\)/);
    const r2 = await replay(variant('type: struct kill_event', 'type: struct kill_evnt'));
    expect(r2.expectations.find((x) => x.what.includes('kill_evnt'))?.diff).toEqual(['- expected: a type struct kill_evnt in the object\'s BTF', '+ actual:   no such type']);
  });
});

describe('attach and fire', () => {
  test('programs attached to a hook run when it fires, in attach order; an empty hook runs nothing', async () => {
    const obj = path.join(scenariosDir, 'kprobe-openat/kprobe_openat.bpf.o');
    const regs = (dfd: number) => `[ { str: "", size: 112 }, { s64: ${dfd} }, { str: "", size: 48 } ]`;
    const text = `bpfsim: 1
programs:
  - name: openat
    object: ${obj}
    attach: kprobe/do_sys_openat2
events:
  - fire: { hook: kprobe/do_sys_openat2, ctx: ${regs(-100)} }
  - fire: { hook: kprobe/do_sys_openat2, ctx: ${regs(5)} }
  - fire: { hook: kprobe/vfs_read, ctx: ${regs(5)} }
expect:
  - map: { name: opens_by_dfd, key: {s32: -100}, value: {u64: 1} }
  - map: { name: opens_by_dfd, key: {s32: 5}, value: {u64: 1} }
  - runs: { program: openat, count: 2 }
  - trace_pipe_contains: { regex: "^openat2 dfd=5 " }
`;
    const r = await replay(scenario(text, 'fire.yaml'));
    expect(r.expectations.filter((x) => !x.pass)).toEqual([]);
    expect(r.trace.filter((e) => e.outcome.kind === 'fire').map((e) => [e.outcome.hook, e.outcome.programs])).toEqual([
      ['kprobe/do_sys_openat2', 1], ['kprobe/do_sys_openat2', 1], ['kprobe/vfs_read', 0],
    ]);
  });
});
