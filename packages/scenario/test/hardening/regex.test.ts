/** Issue 14: a user regex (`^(0+)+1$`) backtracked catastrophically over a packet's hex: a 60-second hang. */
import { compileUserRegex, replayLoaded } from '@bpfsim/scenario';
import { HEAD, load, loadError } from './helpers';

describe('expectation regexes run in linear time', () => {
  test('^(0+)+1$ over 3 kB of zero bytes answers at once', () => {
    const zeros = '00'.repeat(3000);
    const loaded = load(`${HEAD.replace('type: xdp', 'type: socket_filter')}events:\n  - run: {program: p, data: "${zeros}", expect: {data_out: {regex: "^(0+)+1$"}}}\n`);
    const t0 = process.hrtime.bigint();
    const r = replayLoaded(loaded);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    expect(r.trace[1].failures).toEqual([expect.stringMatching(/expected data_out \/\^\(0\+\)\+1\$\//)]);
    expect(ms).toBeLessThan(10_000); // the backtracking engine needs ~2^3000 steps here
  });

  test('the engine itself: 100,000 characters against a nested quantifier', () => {
    const re = compileUserRegex('^(0+)+1$', 4096) as RegExp;
    expect(re).toBeInstanceOf(RegExp);
    expect(re.test('0'.repeat(100_000))).toBe(false);
  });

  test('backreferences and lookaround are refused with a clear message', () => {
    expect(loadError(`${HEAD}expect:\n  - trace_pipe_contains: {regex: "(a)\\\\1"}\n`).message)
      .toMatch(/expect\[0\]\.trace_pipe_contains: the regex uses a backreference or lookaround, which bpfsim does not run/);
    expect(loadError(`${HEAD}expect:\n  - trace_pipe_contains: {regex: "(?=a)"}\n`).message).toMatch(/backreference or lookaround/);
  });

  test('a regex longer than the limit is refused; a bad one names the problem', () => {
    expect(loadError(`${HEAD}expect:\n  - trace_pipe_contains: {regex: "${'a'.repeat(5000)}"}\n`).message).toMatch(/the regex is 5000 characters, over the limit of 4096/);
    expect(loadError(`${HEAD}expect:\n  - trace_pipe_contains: {regex: "(a"}\n`).message).toMatch(/bad regex: Unterminated group/);
  });
});
