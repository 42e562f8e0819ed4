/**
 * Fixed cases of the kernel differential fuzzer. `npm run fuzz:kernel` prints a
 * disagreement as a test in this form: paste it below once the cause is fixed.
 */
import { Insn } from '@bpfsim/isa';
import { runInVm } from '../vm-side';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('fuzz regressions', () => {
  // Not a kernel agreement: for this program without the two `ja +0` harness markers, Linux 6.18's
  // x86-64 JIT returns 0xffffffff when the packet starts with 0, because the verifier pruned the
  // path after the second cmpxchg and never inserted its zero-extension (tools/fuzz/README.md).
  // (With the markers the kernel happens to insert it and agrees.) The ISA says a 32-bit cmpxchg
  // zero-extends r0; bpfsim follows the ISA.
  test.each([[0], [1]])('32-bit cmpxchg zero-extends r0 on both paths (first packet byte %i)', (first) => {
    const insns = [
      new Insn(0x61, 2, 1, 0, 0), new Insn(0x05, 0, 0, 0, 0), // r2 = data (harness: lddw)
      new Insn(0x61, 3, 1, 4, 0), new Insn(0x05, 0, 0, 0, 0), // r3 = data_end (harness: lddw)
      new Insn(0xbf, 4, 2, 0, 0), new Insn(0x07, 4, 0, 0, 1), new Insn(0x2d, 4, 3, 10, 0),
      new Insn(0x71, 6, 2, 0, 0),                             // r6 = first packet byte
      new Insn(0xb7, 0, 0, 0, -32), new Insn(0x7b, 10, 0, -8, 0), new Insn(0xb7, 2, 0, 0, 5),
      new Insn(0x15, 6, 0, 2, 0),
      new Insn(0xc3, 10, 2, -8, 0xf1), new Insn(0x05, 0, 0, 1, 0),
      new Insn(0xc3, 10, 2, -8, 0xf1),                        // the exchange succeeds: old value -32
      new Insn(0x77, 0, 0, 0, 32),                            // r0 >>= 32
      new Insn(0x95, 0, 0, 0, 0),
      new Insn(0xb7, 0, 0, 0, 1), new Insn(0x95, 0, 0, 0, 0),
    ];
    const vm = runInVm({ seed: 'cmpxchg-zext', insns, packet: new Uint8Array(16).fill(first) });
    if (!vm.ok) throw new Error(vm.error);
    expect(vm.r0).toBe(0n);
    expect(hex(vm.packet)).toBe(hex(new Uint8Array(16).fill(first)));
  });

  // Linux 6.18 returns 1 for both packets (without the harness markers): the verifier does not
  // track an atomic fetch's result back to its stack slot and hard-wires the branch
  // (tools/fuzz/README.md). Per the ISA the fetched value decides.
  test.each([[0x00, 1], [0xff, 2]])('a branch on an atomic fetch result follows the fetched value (packet bytes %i)', (byte, want) => {
    const insns = [
      new Insn(0x61, 2, 1, 0, 0), new Insn(0x05, 0, 0, 0, 0), new Insn(0x61, 3, 1, 4, 0), new Insn(0x05, 0, 0, 0, 0),
      new Insn(0xbf, 4, 2, 0, 0), new Insn(0x07, 4, 0, 0, 8), new Insn(0x2d, 4, 3, 13, 0),
      new Insn(0x18, 0, 0, 0, 0x42d386b0), new Insn(0, 0, 0, 0, 0x65097fb3), // r0 = 0x65097fb342d386b0
      new Insn(0x7b, 10, 0, -8, 0), new Insn(0xb7, 6, 0, 0, 65535), new Insn(0x69, 3, 2, 0, 0),
      new Insn(0x36, 3, 0, 1, 0xff),                          // if w3 >= 0xff skip the store
      new Insn(0x7a, 10, 0, -8, -2147483647),                 // *(u64 *)(r10 -8) = 0xffffffff80000001
      new Insn(0xc3, 10, 0, -8, 0x41),                        // r0 = atomic_fetch_or((u32 *)(r10 -8), r0)
      new Insn(0x6e, 6, 0, 2, 0),                             // if w6 s> w0 goto +2
      new Insn(0xb7, 0, 0, 0, 2), new Insn(0x95, 0, 0, 0, 0),
      new Insn(0xb7, 0, 0, 0, 1), new Insn(0x95, 0, 0, 0, 0),
      new Insn(0xb7, 0, 0, 0, 3), new Insn(0x95, 0, 0, 0, 0),
    ];
    const vm = runInVm({ seed: 'fetch-precision', insns, packet: new Uint8Array(16).fill(byte) });
    if (!vm.ok) throw new Error(vm.error);
    expect(vm.r0).toBe(BigInt(want));
  });
});
