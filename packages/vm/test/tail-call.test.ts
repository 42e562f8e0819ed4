/** bpf_tail_call: chains, MAX_TAIL_CALL_CNT, empty and out-of-range slots, tail calls from sub-programs. */
import { AddressSpace, MAX_TAIL_CALL_CNT, type TailCallResolver } from '@bpfsim/vm';
import { run, forEachEngine } from './engine';
import type { Insn } from '@bpfsim/isa';
import { alu, call, callLocal, exit, jmp, lddw, ldx, mov64, mov64r, stx } from './builders';

const MAP = 0xffff888000001000n;

/** Counts its runs in ctx[0], then tail-calls index r3 = `index`; r0 = 1000 when the call falls through. */
function counter(index: number): Insn[] {
  return [
    mov64r(6, 1),
    ldx(8, 0, 6, 0), alu(true, 'add', 0, 1, false), stx(8, 6, 0, 0),
    mov64r(1, 6), ...lddw(2, MAP), mov64(3, index), call(12),
    mov64(0, 1000), exit(),
  ];
}

function setup() {
  const mem = new AddressSpace();
  const ctxBytes = new Uint8Array(8);
  const ctx = mem.map('ctx', ctxBytes);
  const runs = () => Number(new DataView(ctxBytes.buffer).getBigUint64(0, true));
  return { mem, ctx, runs };
}

forEachEngine(() => {
  describe('tail calls', () => {
    it('a chain of 33 tail calls runs; the 34th is refused and execution continues', () => {
      const { mem, ctx, runs } = setup();
      const prog = counter(0);
      const seen: [bigint, bigint][] = [];
      const resolver: TailCallResolver = (map, index) => {
        seen.push([map, index]);
        return index === 0n ? prog : null;
      };
      const res = run(prog, { memory: mem, args: [ctx.base], tailCall: resolver });
      expect(MAX_TAIL_CALL_CNT).toBe(33);
      expect(res.tailCalls).toBe(33);
      expect(runs()).toBe(34);
      expect(res.r0).toBe(1000n);
      expect(seen[0]).toEqual([MAP, 0n]);
    });
    it('calls to an empty slot or an out-of-range index do not count against the limit (x86-64 JIT, as 6.18 runs it)', () => {
      // The real kernel gives 33 runs of the chain for both (checked with the oracle).
      for (const [empty, want] of [[undefined, 33], [null, 33]] as const) {
        const { mem, ctx, runs } = setup();
        const target = counter(0);
        // 10 failing tail calls to index 7, then one to index 0 (the counter chain).
        const first = [
          mov64r(6, 1), mov64(7, 10),
          mov64r(1, 6), ...lddw(2, MAP), mov64(3, 7), call(12), alu(true, 'sub', 7, 1, false), jmp(true, 'jne', 7, 0, false, -7),
          mov64r(1, 6), ...lddw(2, MAP), mov64(3, 0), call(12),
          mov64(0, 1), exit(),
        ];
        const res = run(first, { memory: mem, args: [ctx.base], tailCall: (_m, i) => (i === 0n ? target : empty) });
        expect(runs()).toBe(want);
        expect(res.tailCalls).toBe(want);
      }
    });
    it('a failed tail call leaves every register as it was', () => {
      const prog = [mov64(0, 77), mov64(3, 5), mov64(6, 66), call(12), alu(true, 'add', 0, 6, true), alu(true, 'add', 0, 3, true), exit()];
      expect(run(prog, { tailCall: () => undefined }).r0).toBe(77n + 66n + 5n);
      expect(run(prog).r0).toBe(77n + 66n + 5n);
    });
    it('the index is r3 truncated to u32', () => {
      const seen: bigint[] = [];
      run([...lddw(3, 0x1_0000_0005n), call(12), exit()], { tailCall: (_m, i) => (seen.push(i), undefined) });
      expect(seen).toEqual([5n]);
    });
    it('a tail call in a sub-program replaces that frame only: its exit returns to the caller', () => {
      const target = [mov64(0, 5), exit()];
      const prog = [
        mov64(6, 1000), callLocal(2), alu(true, 'add', 0, 6, true), exit(),
        /* 4 f */ mov64(6, 0), call(12), mov64(0, 99), exit(),
      ];
      const res = run(prog, { tailCall: () => target });
      expect(res.r0).toBe(1005n);
      expect(res.tailCalls).toBe(1);
      expect(res.insns).toBe(2 + 2 + 2 + 2); // mov, call | mov, tail call | target mov, exit | add, exit
    });
    it('a fault in a tail-called program names that program', () => {
      const bad = [ldx(8, 0, 1, 0), exit()];
      expect(() => run([mov64(1, 0), call(12), exit()], { tailCall: () => bad })).toThrow(expect.objectContaining({ code: 'EFAULT_MEM', insn: 0 }));
    });
  });
});
