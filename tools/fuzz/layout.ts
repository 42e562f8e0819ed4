/**
 * Where the generated programs keep things. Stack offsets are relative to the
 * frame pointer r10 (negative); packet offsets are from xdp_md->data.
 *
 * stack (main)                          packet (PKT_LEN bytes)
 *   fp-8    packet pointer spill          [0, 80)     r0..r9 at the end
 *   fp-96.. register saves (epilogue)     [80, 208)   the stack data area at the end
 *   fp-224  data area, 128 bytes          [208, 272)  scratch the body loads and stores
 * The data area's upper half (ATOMIC_AREA_OFF) starts as packet bytes and is written only by
 * atomics, so the verifier never knows its contents (see generator.ts, atomic()).
 * A callee's stack data area is its top CALLEE_STACK_LEN bytes.
 */
export const PKT_PTR_SLOT = -8;
export const REG_SAVE_SLOT = -96;
export const STACK_AREA_OFF = -224;
export const STACK_AREA_LEN = 128;
export const ATOMIC_AREA_OFF = -160;
export const ATOMIC_AREA_LEN = 64;
export const CALLEE_STACK_LEN = 64;

export const OUT_REGS_OFF = 0;
export const OUT_STACK_OFF = 80;
export const PKT_LEN = OUT_STACK_OFF + STACK_AREA_LEN + 64;

/** Slots of the prologue's two ctx loads (each followed by `ja +0`), which the VM harness swaps for lddw. */
export const PROLOGUE_DATA_SLOT = 0;
export const PROLOGUE_DATA_END_SLOT = 2;
