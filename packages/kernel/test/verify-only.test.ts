/**
 * A verify-only kernel (`bpfsim verify`) loads programs whose helpers bpfsim cannot run yet, so the
 * verdict is the verifier's alone; such a program then refuses to run with a typed error. An ordinary
 * kernel refuses the load instead (never a silent no-op at run time).
 */
import { assemble } from '@bpfsim/isa';
import { BpfProgType, HELPER_NAMES, isBpfsimError } from '@bpfsim/uapi';
import { helperImplemented } from '../src/bpf/helpers';
import { newKernel } from './kit';

// helpers an XDP program may call that bpfsim does not implement: each one makes the load differ
const unimplemented = [109 /* send_signal */, 117 /* send_signal_thread */].filter((id) => !helperImplemented(id));

describe('verify-only kernels', () => {
  test('there are helpers to test with', () => expect(unimplemented.length).toBeGreaterThan(0));
  test.each(unimplemented)('helper %i: refused by a normal kernel, loaded but not runnable by a verify-only one', (id) => {
    const insns = assemble(`r1 = 0\ncall ${id}\nr0 = 2\nexit`, 'prog.s');
    const normal = newKernel();
    const r1 = normal.bpf.progLoad({ progType: BpfProgType.XDP, insns, license: 'GPL', name: 'p' });
    expect(r1.fd).toBeLessThan(0);
    expect(r1.error).toBe(`1: bpfsim does not implement helper ${HELPER_NAMES[id]}#${id}`);

    const vo = newKernel({ verifyOnly: true });
    const r2 = vo.bpf.progLoad({ progType: BpfProgType.XDP, insns, license: 'GPL', name: 'p' });
    expect(r2.fd).toBeGreaterThan(0);
    expect(r2.prog!.missingHelpers).toEqual([id]);
    let err: unknown;
    try {
      vo.bpf.progTestRun(r2.fd, { dataIn: new Uint8Array(64) });
    } catch (e) { err = e; }
    expect(isBpfsimError(err)).toBe(true);
    expect((err as Error).message).toContain(`bpfsim does not implement helper ${HELPER_NAMES[id]}#${id} (loaded by a verify-only kernel)`);
  });
});
