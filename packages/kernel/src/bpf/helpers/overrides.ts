/**
 * Ready-made helper overrides for tests (seeded fault injection):
 *   kernel.helpers.set('bpf_get_prandom_u32', returnSequence([1n, 2n, 3n]))
 *   kernel.helpers.set('bpf_map_update_elem', failFromCall(3, Errno.ENOMEM))
 *   kernel.helpers.set('bpf_ktime_get_ns', shiftBy(5_000_000_000n))
 *   kernel.helpers.set('bpf_map_update_elem', failRandomly(0.1, Errno.ENOMEM))
 */
import type { HelperOverride } from './index';
import { neg } from './types';

/** Return these values in turn; after the last, call the real helper. */
export function returnSequence(values: readonly bigint[]): HelperOverride {
  let i = 0;
  return (_env, _call, _args, original) => (i < values.length ? BigInt.asUintN(64, values[i++]) : original());
}

/** Calls 1..n-1 behave normally; from call n on, return -errno without calling the helper. */
export function failFromCall(n: number, errno: number): HelperOverride {
  let calls = 0;
  return (_env, _call, _args, original) => (++calls >= n ? neg(errno) : original());
}

/** Add `delta` to what the helper returns (a clock that jumps). */
export function shiftBy(delta: bigint): HelperOverride {
  return (_env, _call, _args, original) => BigInt.asUintN(64, original() + delta);
}

/**
 * Fail with -errno with probability p, drawn from the kernel's rng stream
 * "fault:<helper id>" so the failures are the same for the same seed.
 */
export function failRandomly(p: number, errno: number): HelperOverride {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`failRandomly: probability ${p} is not in [0, 1]`);
  return (env, call, _args, original) =>
    env.kernel.rng.stream(`fault:${call.helperId}`).float() < p ? neg(errno) : original();
}
