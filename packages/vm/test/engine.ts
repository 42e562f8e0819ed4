/**
 * Every VM test runs on both engines: the reference interpreter and the
 * compiled engine. Test files take run/Vm from here and wrap their describe
 * blocks in forEachEngine(); each block sets the engine its tests use.
 */
import * as vm from '@bpfsim/vm';
import type { Engine, RunOptions, RunResult } from '@bpfsim/vm';

export const ENGINES: readonly Engine[] = ['interp', 'compiled'];

let current: Engine = 'interp';

/** The engine of the running forEachEngine block. */
export const engine = (): Engine => current;

/** Options that select the current engine; the compiled one compiles at once (no interpreter tier). */
const engineOpts = (): RunOptions => ({ engine: current, compileAfter: 0 });

/** vm.run on the current engine (an explicit opts.engine wins). */
export function run(prog: Parameters<typeof vm.run>[0], opts: RunOptions = {}): RunResult {
  return vm.run(prog, { ...engineOpts(), ...opts });
}

/** vm.Vm whose runs use the current engine. */
export class Vm extends vm.Vm {
  override run(opts: RunOptions = {}): RunResult {
    return super.run({ ...engineOpts(), ...opts });
  }
}

/** Declare the tests of `body` once per engine. */
export function forEachEngine(body: () => void): void {
  describe.each(ENGINES)('%s engine', (e) => {
    beforeAll(() => {
      current = e;
    });
    body();
  });
}
