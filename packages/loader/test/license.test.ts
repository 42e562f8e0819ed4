/**
 * The GPL-compatible license list against the real kernel: a kprobe program
 * calling a GPL-only helper (bpf_get_current_task) loads exactly when
 * isGplCompatible(license) says so, and is refused with the kernel's message
 * otherwise. Skips where the kernel oracle is unavailable.
 */
import { Insn, encodeProgram } from '@bpfsim/isa';
import { GPL_COMPATIBLE_LICENSES, isGplCompatible, loadObject } from '../src';
import { FIXED_KCONFIG, readObject } from './helpers/corpus';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const oracle = require('../../../tools/oracle');
const avail: { ok: boolean; reason?: string } = oracle.available();

const CANDIDATES = [
  ...GPL_COMPATIBLE_LICENSES, 'GPL v3', 'GPLv2', 'gpl', 'GPL ', ' GPL', 'Dual BSD/GPL ', 'Dual GPL/BSD', 'MIT', 'BSD', 'Proprietary', '',
  'GPL and additional right', 'Dual MIT/GPL\n',
];

(avail.ok ? describe : describe.skip)('license vs the real kernel', () => {
  const prog = encodeProgram([
    new Insn(0x85, 0, 0, 0, 35), // call bpf_get_current_task (gpl_only)
    new Insn(0xb7, 0, 0, 0, 0), // r0 = 0
    new Insn(0x95, 0, 0, 0, 0), // exit
  ]);
  test.each(CANDIDATES.map((l) => [JSON.stringify(l), l]))('license %s', (_label, license) => {
    const v = oracle.loadVerdict({ type: 2, insns: prog, license });
    expect({ accepted: v.accepted, line: v.lastErrorLine }).toEqual({
      accepted: isGplCompatible(license),
      line: isGplCompatible(license) ? '' : 'cannot call GPL-restricted function from non-GPL compatible program',
    });
  });
});
if (!avail.ok) {
  // eslint-disable-next-line no-console
  console.warn(`license tests skipped: ${avail.reason}`);
}

test('the loader reads the license and version sections', () => {
  const p = loadObject(readObject('proprietary.bpf.o'), { file: 'p', kconfig: FIXED_KCONFIG });
  expect([p.license, p.gplCompatible, p.kernVersion]).toEqual(['Proprietary', false, 0x060c00]);
  const g = loadObject(readObject('perfbuf.bpf.o'), { file: 'g', kconfig: FIXED_KCONFIG });
  expect([g.license, g.gplCompatible, g.kernVersion]).toEqual(['Dual BSD/GPL', true, undefined]);
});
