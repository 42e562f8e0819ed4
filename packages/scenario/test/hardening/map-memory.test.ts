/**
 * The kernel's total map memory (limits.maxMapMemoryBytes, `--max-map-memory MIB`): the world a
 * scenario replays in gets it as the Kernel's mapMemoryLimit; an object whose maps do not fit is
 * refused with ENOMEM as the kernel's BPF_MAP_CREATE would, a typed error naming the map.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_LIMITS, replay } from '@bpfsim/scenario';
import { load, tmpDir } from './helpers';

const SCENARIO = path.join(__dirname, '..', '..', '..', '..', 'scenarios', 'percpu-counters');

function copyScenario(): string {
  const dir = tmpDir();
  for (const f of ['percpu-counters.yaml', 'percpu_counters.bpf.o']) fs.copyFileSync(path.join(SCENARIO, f), path.join(dir, f));
  return dir;
}

describe('map memory of a scenario', () => {
  test('the default is 1 GiB and the scenario replays within it', async () => {
    expect(DEFAULT_LIMITS.maxMapMemoryBytes).toBe(2 ** 30);
    const dir = copyScenario();
    const loaded = load(fs.readFileSync(path.join(dir, 'percpu-counters.yaml'), 'utf8'), undefined, dir);
    const r = await replay(loaded);
    expect(r.passed).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a budget smaller than its maps: ENOMEM creating the first map, as a typed error', async () => {
    const dir = copyScenario();
    const loaded = load(fs.readFileSync(path.join(dir, 'percpu-counters.yaml'), 'utf8'), { limits: { maxMapMemoryBytes: 100 } }, dir);
    let err: unknown;
    try { await replay(loaded); } catch (e) { err = e; }
    expect(err).toBeDefined();
    expect(String((err as Error).message)).toMatch(/create map .*ENOMEM|Cannot allocate memory/);
    expect((err as { code?: unknown }).code).toBeDefined();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
