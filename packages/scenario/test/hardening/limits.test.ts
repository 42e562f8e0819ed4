/**
 * Issue 14, hangs and unbounded resources: a scenario could ask for 10^11
 * program runs; writing pcaps grew faster than linearly with the runs.
 */
import { tracePcaps } from '@bpfsim/scenario';
import { HEAD, load, loadError } from './helpers';

const runs = (n: number, repeat: number) =>
  `${HEAD}events:\n${Array(n).fill(`  - run: {program: p, data: "00000000000000000000000000000000", repeat: ${repeat}}`).join('\n')}\n`;

describe('limits per scenario', () => {
  test('100,000 runs × repeat 1,000,000 (10^11 program runs) is refused at load', () => {
    expect(loadError(runs(100_000, 1_000_000)).message)
      .toMatch(/events\[10\]\.run: the scenario asks for more than 10000000 program runs by here \(the sum of every run's repeat; raise it with --max-runs\)/);
  });

  test('the run limit is configurable', () => {
    expect(loadError(runs(3, 2), { limits: { maxRuns: 5 } }).message).toMatch(/events\[2\]\.run: the scenario asks for more than 5 program runs/);
    expect(load(runs(3, 2), { limits: { maxRuns: 6 } }).scenario.events).toHaveLength(3);
  });

  test('the event limit is configurable', () => {
    expect(loadError(runs(4, 1), { limits: { maxEvents: 3 } }).message).toMatch(/events: 4 events, over the limit of 3 \(raise it with --max-events\)/);
  });

  test('a scenario file over the size limit is refused before parsing', () => {
    expect(loadError(runs(10, 1), { limits: { maxScenarioBytes: 100 } }).message).toMatch(/cannot read: '.*s\.yaml' is \d+ bytes, over the limit of 100/);
  });

  test('the pcaps of 50,000 runs are gathered in linear time', () => {
    const trace = Array.from({ length: 50_000 }, (_, i) => ({ t: String(i), outcome: { kind: 'run', program: 'p', data_in: '00', data_out: '01' } }));
    const t0 = process.hrtime.bigint();
    const files = tracePcaps(trace);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    expect(files.get('p.in.pcap')).toHaveLength(50_000);
    expect(ms).toBeLessThan(10_000); // copying the list per packet took 220 s here (10^9 element copies); appending, 0.1 s
  });
});
