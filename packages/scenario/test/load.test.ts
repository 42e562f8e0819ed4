import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseScenarioText, loadScenarioFile } from '../src/load';
import { encodeRecording, RECORDING_MAGIC } from '../src/recording';
import { encodeCanonical, decodeCanonical } from '../src/canonical';
import { resolveBytes } from '../src/values';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-scn-'));
fs.writeFileSync(path.join(dir, 'prog.o'), 'not really an object');
const file = path.join(dir, 's.yaml');

function err(text: string): string {
  try {
    parseScenarioText(text, file);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

const base = `bpfsim: 1
seed: 7
programs:
  - name: fw
    object: prog.o
events:
  - run: { program: fw, data: "00 11 22", expect: { retval: XDP_DROP } }
  - advance: 1.5ms
  - map_update: { map: counts, key: {u32: 1}, value: 5 }
expect:
  - map: { name: counts, key: {u32: 1}, value: {min: 1, max: 9} }
  - trace_pipe: [ { regex: "^hello" } ]
`;

describe('scenario files', () => {
  test('a valid scenario is normalised: durations in ns, bytes as specs, retval names resolved', () => {
    const { scenario } = parseScenarioText(base, file);
    expect(scenario.seed).toBe(7);
    const [run, adv, upd] = scenario.events!;
    expect(run).toMatchObject({ kind: 'run', run: { program: 'fw', data: { hex: '001122' }, expect: { retval: { equals: 1n } } } });
    expect(adv).toEqual({ kind: 'advance', advance: 1_500_000n });
    expect(upd).toMatchObject({ kind: 'map_update', map_update: { key: { int: 1n, size: 4 }, value: { int: 5n } } });
  });

  test.each([
    [base.replace('seed: 7', 'seed: seven'), /s\.yaml:2:7: seed: expected a whole number from 0 to 4294967295, found the string "seven"/],
    [base.replace('seed: 7', 'sed: 7'), /s\.yaml:2:1: sed: unknown field 'sed' \(did you mean 'seed'\?\)/],
    [base.replace('    object: prog.o', '    object: missing.o'), /s\.yaml:5:13: programs\[0\]\.object: no such file: missing\.o/],
    [base.replace('advance: 1.5ms', 'advance: soon'), /s\.yaml:8:14: events\[1\]\.advance: expected a duration/],
    [base.replace('  - advance: 1.5ms', '  - sleep: 1ms'), /s\.yaml:8:5: events\[1\]: expected an event \(one of: run, map_update.*'sleep' is not one/],
    [base.replace('program: fw,', 'program: fx,'), /events\[0\]\.run\.program: no program named 'fx' \(declared: fw\)/],
    [base.replace('"00 11 22"', '"0g"'), /events\[0\]\.run\.data: expected hex bytes/],
    [base.replace('bpfsim: 1', 'bpfsim: 9'), /schema version 9 is newer than this bpfsim understands/],
    ['bpfsim: 1\nevents: [\n', /s\.yaml:\d+:\d+: .*bad YAML/],
    ['- 1\n', /expected a mapping/],
    [base.replace('{u32: 1}, value: 5', '{u32: 99999999999}, value: 5'), /does not fit in u32/],
  ])('rejects a malformed scenario with the place named (%#)', (text, msg) => {
    expect(err(text)).toMatch(msg);
  });

  test('a missing file is a clear error', () => {
    expect(() => loadScenarioFile(path.join(dir, 'nope.yaml'))).toThrow(/nope\.yaml: \(top level\): no such file/);
  });

  test('a truncated or foreign recording is a clear error, never a crash', () => {
    const rec = encodeRecording({
      magic: RECORDING_MAGIC, format: 1, bpfsimVersion: '0.1.0', seed: 1,
      scenario: { bpfsim: 1 }, objects: {}, trace: [{ a: 1n }],
    });
    for (let cut = 1; cut < rec.length; cut += Math.max(1, Math.floor(rec.length / 40))) {
      const f = path.join(dir, `cut${cut}.msgpack`);
      fs.writeFileSync(f, rec.slice(0, cut));
      expect(() => loadScenarioFile(f)).toThrow(/cut\d+\.msgpack/);
    }
    const whole = path.join(dir, 'whole.msgpack');
    fs.writeFileSync(whole, rec);
    expect(loadScenarioFile(whole).recording?.trace).toEqual([{ a: 1 }]);
  });
});

describe('canonical encoding', () => {
  test('key order does not change the bytes; bigints and bytes round-trip', () => {
    const a = encodeCanonical({ b: 1, a: [2n ** 64n - 1n, new Uint8Array([1, 2])], c: 'x' });
    const b = encodeCanonical({ c: 'x', a: [2n ** 64n - 1n, new Uint8Array([1, 2])], b: 1 });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(decodeCanonical(a)).toEqual({ a: [2n ** 64n - 1n, new Uint8Array([1, 2])], b: 1, c: 'x' });
  });
});

describe('byte notation', () => {
  test.each([
    [{ int: 258n }, 4, '02010000'],
    [{ int: -1n, size: 2, signed: true, be: false }, undefined, 'ffff'],
    [{ int: 80n, size: 2, signed: false, be: true }, undefined, '0050'],
    [{ str: 'hi', size: 4 }, undefined, '68690000'],
    [{ concat: [{ int: 1n, size: 1, signed: false, be: false }, { hex: 'ff' }] }, 2, '01ff'],
  ])('byte spec %# resolves to %s', (spec, size, hex) => {
    const b = resolveBytes(spec as never, size);
    expect(typeof b === 'string' ? b : Buffer.from(b).toString('hex')).toBe(hex);
  });

  test('sizes that do not fit are errors', () => {
    expect(resolveBytes({ hex: '0102' }, 4)).toBe('2 bytes given where 4 are needed');
    expect(resolveBytes({ int: 300n }, 1)).toBe('300 does not fit in 1 bytes');
  });
});

describe('every problem of a scenario is listed', () => {
  test('three mistakes in different places: one line naming each place and what is wrong', () => {
    const text = 'bpfsim: 2\nevents:\n  - advance: abc\n  - run: { program: p, repeat: -1 }\nexpect:\n  - runs: { program: p }\n';
    let msg = '';
    try {
      parseScenarioText(text, 'three.yaml');
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg.split('\n')).toHaveLength(1);
    expect(msg).toMatch(/^three\.yaml:3:\d+: events\[0\]\.advance: /);
    expect(msg).toMatch(/; three\.yaml:4:\d+: events\[1\]\.run\.repeat: /);
    expect(msg).toMatch(/; three\.yaml:6:\d+: expect\[0\]\.runs(\.count)?: /);
    expect(msg).not.toMatch(/more problem/);
  });

  test('past twenty problems the rest are counted', () => {
    const text = `bpfsim: 2\nevents:\n${Array.from({ length: 30 }, () => '  - advance: abc\n').join('')}`;
    expect(() => parseScenarioText(text, 'many.yaml')).toThrow(/; and 9 more problems$/);
  });
});
