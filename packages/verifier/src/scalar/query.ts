/** Questions about a ScalarState (membership, equality) used by callers and tests. */
import { s32, s64, u32, u64 } from './int';
import { ScalarState } from './bounds';
import { tnumContains, tnumEquals, tnumIn } from './tnum';

/** Does the concrete 64-bit value x satisfy every part of s (tnum and all eight bounds)? */
export function scalarContains(s: ScalarState, x: bigint): boolean {
  const u = u64(x);
  const v = s64(x);
  const lo = u32(x);
  const slo = s32(x);
  return (
    tnumContains(s.varOff, u) &&
    u >= s.umin && u <= s.umax && v >= s.smin && v <= s.smax &&
    lo >= s.u32min && lo <= s.u32max && slo >= s.s32min && slo <= s.s32max
  );
}

/** Field-by-field equality (regsafe's exact case). */
export function scalarEquals(a: ScalarState, b: ScalarState): boolean {
  return (
    tnumEquals(a.varOff, b.varOff) &&
    a.smin === b.smin && a.smax === b.smax && a.umin === b.umin && a.umax === b.umax &&
    a.s32min === b.s32min && a.s32max === b.s32max && a.u32min === b.u32min && a.u32max === b.u32max
  );
}

/**
 * range_within + tnum_in (the scalar part of regsafe): every value `cur`
 * allows is allowed by `old`, judged the kernel's way (all eight bounds and
 * the tnum compared field by field).
 */
export function scalarWithin(old: ScalarState, cur: ScalarState): boolean {
  return (
    old.umin <= cur.umin && old.umax >= cur.umax && old.smin <= cur.smin && old.smax >= cur.smax &&
    old.u32min <= cur.u32min && old.u32max >= cur.u32max && old.s32min <= cur.s32min && old.s32max >= cur.s32max &&
    tnumIn(old.varOff, cur.varOff)
  );
}
