/**
 * Callbacks of bpf_loop and bpf_for_each_map_elem (the kernel's push_callback_call,
 * set_loop_callback_state, set_map_elem_callback_state and the callback half of prepare_func_exit).
 *
 * The kernel models "called some number of times" by exploring the callback body as a separate path
 * pushed at the call, returning from it to the call instruction itself, and calling again until a
 * state at the callsite is covered by an earlier one (or, for bpf_loop, until as many visits as R1's
 * upper bound were pushed).
 */
import { op } from './opcodes';
import * as S from './bridge/scalar';
import { eacces, einval, Reject } from './errors';
import { pathStep } from './path';
import type { Checker, Checkpoint } from './check';
import { cloneState, newFrame, notInit, ptr, scalar, type Frame, type Reg } from './state';

export const BPF_FUNC_FOR_EACH_MAP_ELEM = 164;
export const BPF_FUNC_LOOP = 181;
/** Helpers whose callback is verified here (is_sync_callback_calling_function). */
export const SYNC_CALLBACK_HELPERS: ReadonlySet<number> = new Set([BPF_FUNC_FOR_EACH_MAP_ELEM, BPF_FUNC_LOOP]);
/** callback_ret_range of both helpers' callbacks. */
export const CALLBACK_RET_RANGE: readonly [number, number] = [0, 1];

const MAX_CALL_FRAMES = 8;

/** Map types whose ops have map_set_for_each_callback_args (array, hash and their percpu/LRU kinds). */
const FOR_EACH_MAPS: ReadonlySet<number> = new Set([
  op.BpfMapType.HASH, op.BpfMapType.ARRAY, op.BpfMapType.PERCPU_HASH, op.BpfMapType.PERCPU_ARRAY,
  op.BpfMapType.LRU_HASH, op.BpfMapType.LRU_PERCPU_HASH,
]);

type SetCalleeState = (caller: Frame, callee: Frame) => void;

/** set_loop_callback_state: callback_fn(u64 index, void *ctx). */
const setLoopState: SetCalleeState = (caller, callee) => {
  callee.regs[1] = scalar();
  callee.regs[2] = { ...caller.regs[3] };
  for (const r of [3, 4, 5]) callee.regs[r] = notInit();
};

/** map_set_for_each_callback_args: callback_fn(map, key, value, ctx). */
const setMapElemState: SetCalleeState = (caller, callee) => {
  const map = caller.regs[1].map;
  callee.regs[1] = { ...caller.regs[1] };
  callee.regs[2] = ptr('map_key', { map });
  callee.regs[3] = ptr('map_value', { map });
  callee.regs[4] = { ...caller.regs[3] };
  callee.regs[5] = notInit();
};

/**
 * The callback part of check_helper_call for `id`: pushes a visit of the callback starting at insn
 * `start` (the R2 func pointer), or, for bpf_loop, stops once R1's bound of visits was pushed.
 */
export function helperCallback(c: Checker, id: number, start: number): void {
  if (id === BPF_FUNC_LOOP) {
    // the kernel relies on R1's value to know when iterating is finished (it marks R1 precise; bpfsim's
    // pruning treats every scalar as precise, and the kernel's log shows no `P` here)
    if (BigInt(c.frame.callbackDepth) < c.regs[1].s.umax) pushCallbackCall(c, start, setLoopState);
    else {
      c.frame.callbackDepth = 0;
      if (c.log.level === 2) c.log.write(`frame${c.cur.frames.length - 1} bpf_loop iteration limit reached\n`);
    }
    return;
  }
  const map = c.regs[1].map;
  if (!map || !FOR_EACH_MAPS.has(map.type)) throw new Reject('callback function not allowed for map', 'ENOTSUPP');
  pushCallbackCall(c, start, setMapElemState);
}

/** push_callback_call + setup_func_entry: the callback's frame on a copy of the state, explored later. */
function pushCallbackCall(c: Checker, start: number, set: SetCalleeState): void {
  const st = cloneState(c.cur);
  if (st.frames.length >= MAX_CALL_FRAMES) {
    throw new Reject(`the call stack of ${st.frames.length + 1} frames is too deep`, 'E2BIG');
  }
  const caller = st.frames[st.frames.length - 1];
  const callee = newFrame(st.frames.length, c.idx, c.subprogOf(start));
  set(caller, callee);
  callee.inCallback = true;
  st.frames.push(callee);
  st.callbackUnrollDepth++;
  caller.callbackDepth++;
  c.frame.callbackDepth = 0;
  // setting up the callee's frame pointer scratches R10 (the kernel's log shows it after the call)
  c.markRegScratched(10);
  c.pushPath(st, start, c.idx);
}

/** prepare_func_exit for a callback frame: R0 in [0, 1]; returns to the call instruction itself. */
export function callbackExit(c: Checker): number {
  const st = c.cur;
  // no read check first: an unset R0 is "not a scalar value" here
  c.markRegScratched(0);
  const r0 = c.regs[0];
  // prepare_func_exit is conservative: no stack pointer (even the caller's) is returned
  if (r0.type === 'fp') throw einval('cannot return stack pointer to the caller');
  if (r0.type !== 'scalar') throw eacces('R0 not a scalar value');
  const [lo, hi] = CALLBACK_RET_RANGE;
  if (!(r0.s.smin >= BigInt(lo) && r0.s.smax <= BigInt(hi))) throw einval(invalidScalar(r0, 'At callback return', 'R0', lo, hi));
  const callee = st.frames[st.frames.length - 1];
  const ret = callee.callsite;
  if (c.log.level) {
    c.log.write('returning from callee:\n');
    c.printState(true);
  }
  st.frames.pop();
  if (c.log.level) {
    c.log.write(`to caller at ${ret}:\n`);
    c.printState(true);
  }
  widenImpreciseScalars(c, ret);
  c.path = pathStep(c.path, 'cbreturn', c.idx, ret);
  return ret;
}

/** verbose_invalid_scalar: `At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]`. */
export function invalidScalar(r: Reg, ctx: string, name: string, lo: number, hi: number): string {
  let out = `${ctx} the register ${name} has`;
  const MIN = -(1n << 63n), MAX = (1n << 63n) - 1n;
  if (r.s.smin > MIN) out += ` smin=${r.s.smin}`;
  if (r.s.smax < MAX) out += ` smax=${r.s.smax}`;
  if (r.s.smin === MIN && r.s.smax === MAX) out += ' unknown scalar value';
  return `${out} should have been in [${lo}, ${hi}]`;
}

/**
 * widen_imprecise_scalars: scalars the callback changed between two visits of the callsite, and whose
 * exact value never mattered, become unknown, so iterating converges (a counter in the callback's ctx).
 */
function widenImpreciseScalars(c: Checker, callsite: number): void {
  let prev: Checkpoint | null = c.curParent;
  while (prev && !(prev.idx === callsite && prev.st.frames.length === c.cur.frames.length)) prev = prev.parent;
  if (!prev) return;
  const widen = (old: Reg, cur: Reg): Reg =>
    cur.type === 'scalar' && !cur.precise && !(old.type === 'scalar' && S.equal(old.s, cur.s) && old.id === cur.id) ? scalar() : cur;
  for (let fi = 0; fi < c.cur.frames.length; fi++) {
    const fo = prev.st.frames[fi], fc = c.cur.frames[fi];
    for (let r = 0; r < 10; r++) fc.regs[r] = widen(fo.regs[r], fc.regs[r]);
    for (let i = 0; i < fc.stack.length && i < fo.stack.length; i++) {
      const sc = fc.stack[i], so = fo.stack[i];
      if (sc.types[7] !== 'spill' || so.types[7] !== 'spill') continue;
      sc.spilled = widen(so.spilled, sc.spilled);
    }
  }
}
