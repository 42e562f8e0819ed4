import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  replay, parseScenarioText, makeRecording, encodeRecording, loadScenarioFile, replayLoaded,
  firstDivergence, plainTrace, describeDivergence, type ReplayResult,
} from '@bpfsim/scenario';

const scenariosDir = path.resolve(__dirname, '../../../scenarios');
const examples = fs.readdirSync(scenariosDir).flatMap((d) => {
  const dir = path.join(scenariosDir, d);
  return fs.statSync(dir).isDirectory() ? fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => path.join(dir, f)) : [];
});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-replay-'));
function scenario(text: string, name = 's.yaml') {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, text);
  return parseScenarioText(text, f);
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
