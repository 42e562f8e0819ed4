/**
 * State pruning as Linux 6.18 does it (prune.ts: one list per explored_state bucket, newest first,
 * states evicted when they keep missing): on chains of unprunable branches the statistics line must
 * be the kernel's. The expected lines were recorded from the running 6.18 kernel (log_level 1) for
 * these exact programs (tools/bench/verifier.js's branchChain); without eviction bpfsim kept every
 * state (max_states_per_insn 511 on the 2^11 chain) and its time grew with the square of the paths.
 */
import { Insn } from '@bpfsim/isa';
import { verify } from '@bpfsim/verifier';

/** `depth` data-dependent branches on one random value, each adding its bit to r6 (see the bench). */
function branchChain(depth: number, pad: number): Insn[] {
  const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => new Insn(code, dst, src, off, imm);
  const out = [I(0x85, 0, 0, 0, 7), I(0xbf, 7, 0), I(0xb7, 6, 0, 0, 0), I(0xb7, 8, 0, 0, 0)];
  for (let level = 0; level < depth; level++) {
    out.push(I(0x45, 7, 0, 1, 1 << level), I(0x05, 0, 0, 1, 0), I(0x07, 6, 0, 0, 1 << level));
    for (let p = 0; p < pad; p++) out.push(I(p % 2 ? 0xa7 : 0x07, 8, 0, 0, p + 1));
  }
  out.push(I(0x15, 6, 0, 1, 0x7fffffff), I(0xb7, 0, 0, 0, 2), I(0x95));
  return out;
}

const KERNEL: Record<number, string> = {
  3: 'processed 77 insns (limit 1000000) max_states_per_insn 2 total_states 8 peak_states 8 mark_read 0',
  5: 'processed 317 insns (limit 1000000) max_states_per_insn 4 total_states 32 peak_states 26 mark_read 0',
  8: 'processed 2557 insns (limit 1000000) max_states_per_insn 4 total_states 257 peak_states 54 mark_read 0',
  11: 'processed 20477 insns (limit 1000000) max_states_per_insn 4 total_states 2048 peak_states 77 mark_read 0',
};

describe('pruning statistics equal the kernel\'s on unprunable branch chains', () => {
  test.each(Object.keys(KERNEL).map(Number))('2^%i paths', (depth) => {
    const r = verify(branchChain(depth, 2), { progType: 6 /* xdp */, logLevel: 1 });
    expect(r.accepted).toBe(true);
    expect(r.log.trim().split('\n').pop()).toBe(KERNEL[depth]);
  });
});
