/**
 * Differential test of the interpreter against the running kernel: a seeded
 * sample of generated XDP programs, each loaded and test-run by the kernel
 * and run on the VM; retval, r0..r9, the stack area and every packet byte must
 * agree. Skipped (reason in the suite name) where bpf() is unavailable.
 * The large campaign is `npm run fuzz:kernel`.
 */
import * as oracle from '../../oracle';
import { runCampaign, disagreementCount } from '../campaign';
import { differences } from '../compare';
import { generateCase } from '../generator';
import { runInKernel } from '../kernel-side';
import { runInVm } from '../vm-side';

const avail = oracle.available();
const kernel = avail.ok ? describe : describe.skip;
const COUNT = 600;
if (!avail.ok) console.warn(`tools/fuzz differential test skipped: the kernel oracle is unavailable: ${avail.reason}`);

kernel(`interpreter vs kernel${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  test(`${COUNT} generated XDP programs agree (seed "jest")`, () => {
    const r = runCampaign({ count: COUNT, seed: 'jest', keep: 3 });
    const rejected = r.rejected.map((x) => `${x.seed}: ${x.errnoName} ${x.lastErrorLine}\n${x.log.split('\n').slice(-8).join('\n')}`);
    // A rejection is a generator bug: the kernel must accept what we generate.
    expect(rejected).toEqual([]);
    if (r.disagreements.length) {
      throw new Error(`${disagreementCount(r)} of ${r.total} programs disagree; first:\n\n${r.disagreements.map((d) => d.jest).join('\n\n')}`);
    }
    expect(r.agreed).toBe(COUNT);
  });

  test('the comparison sees a one-bit difference anywhere in the result', () => {
    const c = generateCase('jest:mutation');
    const k = runInKernel(c);
    if (!k.accepted) throw new Error(`kernel rejected the case: ${k.log}`);
    const v = runInVm(c);
    if (!v.ok) throw new Error(v.error);
    expect(differences(k, v)).toEqual([]);
    for (let i = 0; i < v.packet.length; i += 7) {
      const p = v.packet.slice();
      p[i] ^= 1 << (i % 8);
      expect(differences(k, { ...v, packet: p }).length).toBe(1);
    }
    expect(differences(k, { ...v, retval: (v.retval ^ 0x80000000) >>> 0 })).toHaveLength(1);
    expect(differences(k, { ok: false, error: 'MemoryFault: boom' })).toEqual(['vm failed: MemoryFault: boom']);
  });
});
