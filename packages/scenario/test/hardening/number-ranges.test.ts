/** Issue 14: {str, size: 2^64}, 1e308 or a 400-digit number reached an array allocation (RangeError). */
import { ScenarioError, replayLoaded } from '@bpfsim/scenario';
import { HEAD, load, loadError } from './helpers';

const run = (data: string) => `${HEAD}events:\n  - run: {program: p, data: ${data}}\n`;

describe('numbers are range-checked before use', () => {
  test.each([
    ['{str: "a", size: 18446744073709551616}', /size 18446744073709551616 is over the limit of 16777216 bytes/],
    ['{str: "a", size: 1e308}', /size \d{24}…\(\+\d+ chars\) is over the limit/],
    [`{str: "a", size: ${'9'.repeat(400)}}`, /size 9{24}…\(\+376 chars\) is over the limit/],
    ['{str: "a", size: -1}', /size must be a whole number ≥ 0/],
    [`{u32: ${'9'.repeat(400)}}`, /9{24}…\(\+376 chars\) does not fit in u32/],
  ])('data %s', (data, msg) => {
    const e = loadError(run(data));
    expect(e.message).toMatch(msg);
    expect(e.message.length).toBeLessThan(400);
  });

  test.each([
    ['advance: 1e308', /a duration is at most 18446744073709551615 ns/],
    [`advance: ${'9'.repeat(400)}`, /a duration is at most/],
    [`at: "${'9'.repeat(400)}s"\n    advance: 1`, /a duration is at most|expected a duration/],
    ['run: {program: p, repeat: 1e308}', /expected a whole number from 1 to 1000000, found number 1e\+308/],
    [`run: {program: p, repeat: ${'9'.repeat(400)}}`, /expected a whole number from 1 to 1000000, found bigint 9{40}…/],
  ])('%s', (ev, msg) => {
    expect(loadError(`${HEAD}events:\n  - ${ev}\n`).message).toMatch(msg);
  });
});

test('data: 1e308 is refused when the run resolves it, as a ScenarioError', () => {
  const loaded = load(run('1e308'));
  expect(() => replayLoaded(loaded)).toThrow(ScenarioError);
  expect(() => replayLoaded(loaded)).toThrow(/events\[0\]\.run\.data: 1\d{23}…\(\+285 chars\) does not fit in 8 bytes/);
});
