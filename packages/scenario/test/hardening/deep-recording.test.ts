/** Issue 14: a recording with a deeply nested trace overflowed the stack in describeDivergence. */
import * as fs from 'fs';
import * as path from 'path';
import {
  encodeRecording, RECORDING_MAGIC, loadScenarioFile, firstDivergence, describeDivergence, ScenarioError,
} from '@bpfsim/scenario';
import { tmpDir } from './helpers';

function nested(depth: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

const recording = (trace: unknown[]) => encodeRecording({
  magic: RECORDING_MAGIC, format: 1, bpfsimVersion: '0', seed: 1, scenario: { bpfsim: 1 }, objects: {}, trace,
});

describe('deeply nested data', () => {
  test('a recording nested 2,500 levels deep is refused at load', () => {
    const f = path.join(tmpDir(), 'deep.msgpack');
    fs.writeFileSync(f, recording([{ ev: 0, t: '0', outcome: { kind: 'run', x: nested(2500) }, effects: [], failures: [] }]));
    expect(() => loadScenarioFile(f)).toThrow(ScenarioError);
    expect(() => loadScenarioFile(f)).toThrow(/deep\.msgpack: \(top level\): not a readable recording: data nested deeper than 64 levels/);
  });

  test('describing a divergence between deeply nested traces does not recurse without bound', () => {
    const a = [{ ev: 0, t: '0', outcome: { kind: 'run', x: nested(20_000) }, effects: [], failures: [] }];
    const b = [{ ev: 0, t: '0', outcome: { kind: 'run', x: nested(19_999) }, effects: [], failures: [] }];
    const d = firstDivergence(a, b)!;
    expect(d).toBeDefined();
    expect(describeDivergence(d)).toMatch(/^first divergence at event 0: outcome\.x[[\]0]+…\(\+\d+ chars\): recorded \(data nested deeper than 100 levels\)/);
  });

  test('trace entries that are not mappings are reported, not crashed on', () => {
    expect(describeDivergence(firstDivergence([null, 5], [])!)).toMatch(/first divergence at event 0: entry: recorded null, now "\(none\)"/);
  });
});
