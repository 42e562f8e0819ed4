/**
 * Issue 14: event and expectation kinds named like Object.prototype
 * properties reached them ("this.variants[tag].check is not a function").
 */
import * as fs from 'fs';
import * as path from 'path';
import { encodeRecording, RECORDING_MAGIC, ScenarioError, loadScenarioFile } from '@bpfsim/scenario';
import { HEAD, loadError, tmpDir } from './helpers';

const NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];

describe('keys named like prototype properties', () => {
  test.each(NAMES)('an event kind %s is an unknown kind', (k) => {
    expect(loadError(`${HEAD}events:\n  - ${k}: {program: p}\n`).message).toMatch(/events\[0\]: expected an event \(one of: run,/);
  });

  test.each(NAMES)('an expectation kind %s is an unknown kind', (k) => {
    expect(loadError(`${HEAD}expect:\n  - ${k}: 1\n`).message).toMatch(/expect\[0\]: expected an expectation/);
  });

  test.each(NAMES)('a field %s is an unknown field', (k) => {
    expect(loadError(`${HEAD}${k}: 1\n`).message).toMatch(new RegExp(`unknown field '${k}'`));
    expect(loadError(`${HEAD}events:\n  - run: {program: p, ${k}: 1}\n`).message).toMatch(/events\[0\]\.run/);
  });

  test.each(NAMES)('a byte value {%s: 1} is not an integer notation', (k) => {
    expect(loadError(`${HEAD}events:\n  - run: {program: p, data: {${k}: 1}}\n`).message).toMatch(/expected bytes: hex/);
  });

  test.each(['constructor', 'toString', 'valueOf'])('a retval name %s is not a return-code name', (k) => {
    expect(loadError(`${HEAD}events:\n  - run: {program: p, data: "00000000000000000000000000000000", expect: {retval: ${k}}}\n`).message)
      .toMatch(/expected a whole number/);
  });

  test.each(NAMES)('a recording whose scenario has an event kind %s is refused with a ScenarioError', (k) => {
    const dir = tmpDir();
    const f = path.join(dir, 'r.msgpack');
    const scenario: Record<string, unknown> = { bpfsim: 1, events: [Object.defineProperty({}, k, { value: { program: 'p' }, enumerable: true })] };
    fs.writeFileSync(f, encodeRecording({ magic: RECORDING_MAGIC, format: 1, bpfsimVersion: '0', seed: 1, scenario, objects: {}, trace: [] }));
    expect(() => loadScenarioFile(f)).toThrow(ScenarioError);
    expect(() => loadScenarioFile(f)).toThrow(/events\[0\]: expected an event/);
  });
});
