/**
 * Where the recording host's kernel (uname: 6.18.44-fc-v1272) deviates from the Linux v6.18 source,
 * which bpfsim follows (docs/differences.md, "Decided from the v6.18 source"). Each deviation is a
 * function from what bpfsim (= the v6.18 source) answers to what that host answers, so a test
 * accepts the host's answer only where it is exactly the documented deviation and nothing else. On
 * a kernel that follows the source the first comparison already matches and none of this is used.
 */
import { verify, type VerifyOptions } from '@bpfsim/verifier';
import type { Insn } from '@bpfsim/isa';
import { scalarAluStep, syncScalar, tnumSubreg, type AluOp, type ScalarState } from '../src/scalar';

/**
 * 1. SOCKMAP/SOCKHASH lookups. v6.18 check_helper_call (RET_PTR_TO_MAP_VALUE) types the result
 * `map_value_or_null`; mark_ptr_not_null_reg makes it `sock` after the NULL check. The host types
 * it `sock_or_null` at the call (no map=,ks=,vs= in the state). Maps bpfsim's text to the host's.
 */
export function sockLookupAsHost(text: string): string {
  return text
    // the register state: map_value_or_null with a reference is only ever a sock map lookup
    .replace(/map_value_or_null\((id=\d+,ref_obj_id=\d+),map=[^,()]*,ks=\d+,vs=\d+\)/g, 'sock_or_null($1)')
    .replace(/'map_value_or_null'/g, "'sock_or_null'")
    .replace(/type=map_value_or_null /g, 'type=sock_or_null ');
}

/**
 * 2. Pointers walked from a trusted BTF pointer through a field with no trust annotation. v6.18
 * check_ptr_to_btf_access (in an RCU critical section, which a non-sleepable program always is)
 * clears the trust flags: plain `ptr_<struct>`. The host marks them PTR_UNTRUSTED:
 * `untrusted_ptr_<struct>`. Maps a register's type in bpfsim's log to the host's (never the
 * `expected=` lists, which name types, not registers).
 */
export function walkedPtrAsHost(text: string): string {
  return text
    .replace(/(\bR\d+(?:_w)?=)ptr_/g, '$1untrusted_ptr_')
    .replace(/(\bfp-\d+(?:_w)?=)ptr_/g, '$1untrusted_ptr_')
    .replace(/(\bR\d+ type=)ptr_ /g, '$1untrusted_ptr_ ');
}
/**
 * A helper call the host refuses because its argument is untrusted (`R<n> type=untrusted_ptr_
 * expected=...`) where the v6.18 source has a plain `ptr_` there: true when bpfsim's log shows that
 * very register as a plain walked `ptr_` when the call is reached.
 */
export function untrustedArgExplained(kernelError: string, simLog: string): boolean {
  const m = /^R(\d) type=untrusted_ptr_ expected=/.exec(kernelError);
  if (!m) return false;
  return new RegExp(`\\bR${m[1]}(?:_w)?=ptr_\\w+\\(`).test(simLog);
}

/**
 * 3. Private stacks. v6.18 bpf_enable_priv_stack answers PRIV_STACK_ADAPTIVE for kprobe,
 * tracepoint, perf_event and raw_tracepoint programs (x86-64 JIT: bpf_jit_supports_private_stack),
 * so their frames of 64 bytes or more are not added up. The host adds them up for kprobe, tracepoint
 * and raw_tracepoint (only perf_event gets a private stack): `combined stack size of N calls is X.
 * Too large`. The host's answer is bpfsim's with `privateStack: false` for those three types.
 */
export const HOST_NO_PRIV_STACK_TYPES: ReadonlySet<number> = new Set([2, 5, 17]);
export function verifyAsHostStack(insns: readonly Insn[], opts: VerifyOptions): ReturnType<typeof verify> | null {
  if (!HOST_NO_PRIV_STACK_TYPES.has(opts.progType)) return null;
  return verify(insns, { ...opts, privateStack: false });
}

/**
 * 4. Sign-extending moves (movsx8/16/32). v6.18 coerce_reg_to_size_sx widens to the whole sN range
 * whenever the source's 64-bit bounds differ above bit N (a value in [-128, 127] moved with movsx32
 * becomes [S32_MIN, S32_MAX]). The host (measured) derives the 64-bit forms from the source's 32-bit
 * bounds instead: for movsx32 always, for movsx8/16 when those bounds lie within sN, the result is
 * the 32-bit subregister sign-extended (its s32/u32 bounds kept, smin/smax = s32 bounds). The 32-bit
 * forms (w = (s8)w, w = (s16)w) are as v6.18.
 */
export function movsxAsHost(op: AluOp, before: ScalarState, src: ScalarState, is64: boolean): ReturnType<typeof scalarAluStep> | null {
  if (!op.startsWith('movsx') || !is64) return null;
  const n = BigInt(op.slice(5));
  if (n < 32n && (src.s32min < -(1n << (n - 1n)) || src.s32max > (1n << (n - 1n)) - 1n)) return null;
  const HI = 0xffffffff00000000n;
  const sext = (x: bigint): bigint => (x & 0x80000000n ? x | HI : x);
  const sub = tnumSubreg(src.varOff);
  const varOff = sub.mask & 0x80000000n ? { value: sub.value, mask: sub.mask | HI } : { value: sext(sub.value), mask: sub.mask };
  return {
    dst: syncScalar({
      varOff, smin: src.s32min, smax: src.s32max, s32min: src.s32min, s32max: src.s32max, u32min: src.u32min, u32max: src.u32max,
      umin: src.u32min & 0x80000000n ? sext(src.u32min) : src.u32min, umax: src.u32max & 0x80000000n ? sext(src.u32max) : src.u32max,
    }),
  };
}

/**
 * 5. bpf_for_each_map_elem callbacks. v6.18 map_set_for_each_callback_args gives the callback's R3
 * a `map_value` with no id (__mark_reg_known_zero); the host gives it a fresh id
 * (`R3=map_value(id=1,...)`). Removes that id from the kernel's callback-entry states.
 */
export function forEachValueIdAsSource(kernelLog: string): string {
  const ids = new Set<string>();
  for (const m of kernelLog.matchAll(/ frame\d+: R1=map_ptr\([^)]*\) R2=map_key\([^)]*\) R3=map_value\(id=(\d+),/g)) ids.add(m[1]);
  // the id travels with copies of R3 (r0 = r3 ...)
  return ids.size ? kernelLog.replace(/map_value\(id=(\d+),/g, (all, id: string) => (ids.has(id) ? 'map_value(' : all)) : kernelLog;
}

/**
 * 6. The statistics line's peak_states. The host counts more states at the peak than bpfsim for
 * programs with callbacks (`peak_states 2` where bpfsim, and an earlier 6.18.44 kernel, print 1);
 * not traced to a line of v6.18's update_peak_states. Compares the line without that one number.
 */
export const withoutPeakStates = (log: string): string => log.replace(/( peak_states )\d+( mark_read \d+)$/m, '$1N$2');
