/** LD_ABS / LD_IND: network byte order through RunOptions.skbLoad; a failed load ends the frame with r0 = 0. */
import fc from 'fast-check';
import { type SkbLoader } from '@bpfsim/vm';
import { run, forEachEngine } from './engine';
import { I, alu, callLocal, exit, mov64, mov64r } from './builders';
import { FC } from './arbitraries';

const LD_ABS = { 1: 0x30, 2: 0x28, 4: 0x20 } as const;
const LD_IND = { 1: 0x50, 2: 0x48, 4: 0x40 } as const;

const loader = (pkt: Uint8Array): SkbLoader => (_ctx, off, size) =>
  off >= 0 && off + size <= pkt.length ? pkt.slice(off, off + size) : undefined;

const be = (pkt: Uint8Array, off: number, size: number): bigint => {
  let v = 0n;
  for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(pkt[off + i]);
  return v;
};

forEachEngine(() => {
  describe('LD_ABS and LD_IND', () => {
    it('load big-endian bytes at imm (+ src) or end the program with r0 = 0', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 0, maxLength: 40 }), fc.integer({ min: -4, max: 44 }), fc.integer({ min: -8, max: 8 }),
          fc.constantFrom(1, 2, 4) as fc.Arbitrary<1 | 2 | 4>, fc.boolean(), (pkt, base, imm, size, ind) => {
            const off = ind ? base + imm : base;
            const insn = ind ? I(LD_IND[size], 0, 7, 0, imm) : I(LD_ABS[size], 0, 0, 0, base);
            const prog = [mov64r(6, 1), mov64(7, base), mov64(0, 7), insn, alu(true, 'add', 0, 0x100000, false), exit()];
            const r0 = run(prog, { skbLoad: loader(pkt), args: [0xffff888000000000n] }).r0;
            const ok = off >= 0 && off + size <= pkt.length;
            expect(r0).toBe(ok ? be(pkt, off, size) + 0x100000n : 0n);
          }),
        FC,
      );
    });
    it('passes r6 as the context', () => {
      let seen = 0n;
      run([mov64(6, 42), I(LD_ABS[1], 0, 0, 0, 0), exit()], { skbLoad: (ctx) => ((seen = ctx), new Uint8Array([1])) });
      expect(seen).toBe(42n);
    });
    it('a failed load in a sub-program returns to its caller with r0 = 0', () => {
      const prog = [mov64(0, 9), callLocal(2), alu(true, 'add', 0, 5, false), exit(), I(LD_ABS[4], 0, 0, 0, 100), mov64(0, 77), exit()];
      expect(run(prog, { skbLoad: loader(new Uint8Array(8)) }).r0).toBe(5n);
    });
    it('without an skb loader the instruction is a typed error', () => {
      expect(() => run([I(LD_ABS[1], 0, 0, 0, 0), exit()])).toThrow(expect.objectContaining({ code: 'EINVAL_VM', insn: 0 }));
    });
    it('LD_ABS of 8 bytes does not exist', () => {
      expect(() => run([I(0x38, 0, 0, 0, 0), exit()])).toThrow(expect.objectContaining({ code: 'EINVAL_INSN' }));
    });
  });
});
