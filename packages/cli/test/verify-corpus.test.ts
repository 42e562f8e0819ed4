/**
 * bpfsim's verdict on every program of the C corpus against the kernel's. The
 * kernel's verdicts are measured by tools/libbpf-load (the real libbpf and
 * kernel, see packages/loader/test/libbpf-parity.test.ts): every program is
 * accepted except those in corpus/kernel-refusals.json. Where bpfsim cannot
 * yet verify a program, GAPS says why; the test fails when a gap closes
 * (remove it here) or when anything else disagrees.
 */
import * as fs from 'fs';
import * as path from 'path';
import { cli } from './helpers';

const corpus = path.resolve(__dirname, '../../../corpus');
const refusals = JSON.parse(fs.readFileSync(path.join(corpus, 'kernel-refusals.json'), 'utf8')) as Record<string, Record<string, { errno: number }>>;

/** program -> the start of bpfsim's error, for programs the kernel accepts but bpfsim cannot verify yet. */
const GAPS: Record<string, RegExp> = {
};
/** Objects bpfsim cannot load at all yet (a map type it does not model). */
const UNLOADABLE: Record<string, RegExp> = {};

const objects = fs.readdirSync(corpus).filter((f) => f.endsWith('.bpf.o')).sort();

describe('bpfsim verify on the corpus agrees with the kernel', () => {
  test.each(objects)('%s', async (obj) => {
    const r = await cli('verify', path.join(corpus, obj), '--log-level', '0', '--json');
    if (UNLOADABLE[obj]) {
      expect(r.err).toMatch(UNLOADABLE[obj]);
      return;
    }
    expect(r.err).toBe('');
    for (const line of r.out.trim().split('\n')) {
      const v = JSON.parse(line) as { program: string; accepted: boolean; errno: string | null; error: string | null };
      const key = `${obj}:${v.program}`;
      const refused = refusals[obj]?.[v.program];
      if (refused) {
        // The kernel refuses these before verification (no trampolines on this VM); bpfsim does not
        // describe their program type either, so both refuse.
        expect({ key, accepted: v.accepted }).toEqual({ key, accepted: false });
      } else if (GAPS[key]) {
        expect({ key, accepted: v.accepted }).toEqual({ key, accepted: false });
        expect(v.error).toMatch(GAPS[key]);
      } else {
        expect({ key, accepted: v.accepted, error: v.error }).toEqual({ key, accepted: true, error: null });
      }
    }
  });
});
