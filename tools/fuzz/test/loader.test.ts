/**
 * A seeded slice of the loader fuzz campaign (`npm run fuzz:loader` runs
 * 100,000): mutated corpus objects must load or fail with a LoaderError that
 * names the file — never crash. Also: the mutator is deterministic per seed,
 * and it reaches most error codes (so the campaign exercises the checks).
 */
import { loadSeeds, runLoaderCampaign, runLoaderCase } from '../loader-campaign';

describe('loader fuzz (seeded)', () => {
  test('2000 mutated objects: no crash', () => {
    const r = runLoaderCampaign(2000, 'jest-loader');
    const crashes = r.crashes.map((c) => `${c.seed} (${c.base}; ${c.applied.join(',')}): ${c.outcome.kind === 'crash' ? c.outcome.error.split('\n').slice(0, 3).join(' | ') : ''}`);
    expect(crashes).toEqual([]);
    expect(r.ok + Object.values(r.errors).reduce((a, b) => a + b, 0)).toBe(2000);
    // The mutations reach deep checks, not only the ELF header.
    expect(Object.keys(r.errors)).toEqual(expect.arrayContaining([
      'ELF_TRUNCATED', 'ELF_BAD_OFFSET', 'ELF_OVERLAP', 'ELF_BAD_STRING', 'ELF_BAD_SYMBOL', 'ELF_BAD_RELOC', 'BTF_INVALID', 'BTF_EXT_INVALID', 'PROG_INVALID', 'MAP_INVALID',
    ]));
    expect(r.ok).toBeGreaterThan(100);
  });

  test('a case is reproducible from its seed', () => {
    const seeds = loadSeeds();
    for (let i = 0; i < 200; i++) {
      const a = runLoaderCase(seeds, `det:${i}`);
      const b = runLoaderCase(seeds, `det:${i}`);
      expect([a.base, a.applied, a.outcome]).toEqual([b.base, b.applied, b.outcome]);
    }
  });
});
