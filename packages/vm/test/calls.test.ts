/** Helpers, kfuncs, callx, bpf-to-bpf calls, frames, callbacks, the instruction budget. */
import fc from 'fast-check';
import { AddressSpace, MAX_CALL_FRAMES, type HelperFn } from '@bpfsim/vm';
import { Vm, run, forEachEngine } from './engine';
import { BpfsimError } from '@bpfsim/uapi';
import { I, R10, alu, call, callLocal, exit, jmp, kfunc, lddw, ldx, mov64, mov64r, stx, ja } from './builders';
import { FC, operand } from './arbitraries';

const helpers = (entries: [number, HelperFn][]) => new Map(entries);

forEachEngine(() => {
  describe('helper calls', () => {
    it('pass r1..r5 as unsigned bigints and store the result in r0 (mod 2^64)', () => {
      fc.assert(
        fc.property(fc.array(operand, { minLength: 5, maxLength: 5 }), fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }), (args, ret) => {
          let seen: bigint[] = [];
          const h: HelperFn = (_c, ...r) => {
            seen = r;
            return ret;
          };
          const prog = [...args.flatMap((v, i) => lddw(i + 1, v)), call(7), exit()];
          expect(run(prog, { helpers: helpers([[7, h]]) }).r0).toBe(BigInt.asUintN(64, ret));
          expect(seen).toEqual(args);
        }),
        { ...FC, numRuns: 100 },
      );
    });
    it('leave r1..r5 and r6..r9 as they were (the interpreter passes values)', () => {
      const prog = [mov64(1, 11), mov64(6, 66), call(7), alu(true, 'add', 1, 6, true), mov64r(0, 1), exit()];
      expect(run(prog, { helpers: (id) => (id === 7 ? () => 0n : undefined) }).r0).toBe(77n);
    });
    it('an unknown helper is a typed fault at run time', () => {
      expect(() => run([call(99), exit()])).toThrow(expect.objectContaining({ code: 'ENOENT_HELPER', insn: 0 }));
      expect(() => run([mov64(0, 1), exit(), call(99)])).not.toThrow();
    });
    it('a helper that throws an Error becomes EHELPER with the cause and the place', () => {
      const boom: HelperFn = () => {
        throw new Error('boom');
      };
      try {
        run([mov64(0, 0), call(3), exit()], { helpers: helpers([[3, boom]]) });
        throw new Error('no throw');
      } catch (e) {
        expect(e).toMatchObject({ code: 'EHELPER', insn: 1 });
        expect((e as Error).message).toMatch(/^insn 1 .*helper 3 failed: boom/);
        expect((e as Error).cause).toBeInstanceOf(Error);
      }
    });
    it('a BpfsimError from a helper keeps its code and gains the place', () => {
      const bad: HelperFn = () => {
        throw new BpfsimError('EKERNEL', 'map gone');
      };
      expect(() => run([call(1), exit()], { helpers: helpers([[1, bad]]) })).toThrow(/insn 0: helper 1: map gone/);
    });
    it('a helper reading bad memory reports the call instruction', () => {
      const probe: HelperFn = (c, r1) => {
        c.mem.read(r1, 8);
        return 0n;
      };
      expect(() => run([mov64(1, 16), mov64(0, 0), call(4), exit()], { helpers: helpers([[4, probe]]) }))
        .toThrow(expect.objectContaining({ code: 'EFAULT_MEM', insn: 2, message: expect.stringMatching(/^insn 2 .*helper 4: invalid read of 8 bytes at 0x10/) }));
    });
    it('unwind() ends the whole run with r0; non-Error throwables pass through', () => {
      const unwind: HelperFn = (c, r1) => (r1 === 0n ? c.unwind(0n) : r1);
      const prog = [mov64(1, 5), call(5), mov64(1, 0), call(5), mov64(0, 42), exit()];
      const res = run(prog, { helpers: helpers([[5, unwind]]) });
      expect(res.r0).toBe(0n);
      expect(res.insns).toBe(4);
      class Stop {}
      expect(() => run([call(1), exit()], { helpers: helpers([[1, () => { throw new Stop(); }]]) })).toThrow(Stop);
    });
    it('kfuncs resolve through opts.kfuncs by BTF id', () => {
      const res = run([mov64(1, 20), kfunc(12345), exit()], { kfuncs: (id) => (id === 12345 ? (c, r1) => (c.kfunc ? r1 + 1n : 0n) : undefined) });
      expect(res.r0).toBe(21n);
      expect(() => run([kfunc(1), exit()])).toThrow(expect.objectContaining({ code: 'ENOENT_KFUNC' }));
    });
    it('callx calls the helper whose id is in dst (conformance convention)', () => {
      const prog = [mov64(1, 9), mov64(2, 5), I(0x8d, 2), exit()];
      expect(run(prog, { helpers: helpers([[5, (_c, r1) => r1 * 2n]]) }).r0).toBe(18n);
      expect(() => run([...lddw(2, 1n << 40n), I(0x8d, 2), exit()])).toThrow(expect.objectContaining({ code: 'ENOENT_HELPER' }));
    });
  });

  describe('bpf-to-bpf calls', () => {
    it('pass r1..r5, return r0, keep r6..r9, give the callee its own stack frame', () => {
      const prog = [
        /* 0 */ mov64(6, 6), mov64(7, 7), mov64(8, 8), mov64(9, 9),
        /* 4 */ mov64(1, 100), stx(8, R10, 1, -8), mov64r(2, R10),
        /* 7 */ callLocal(9), // -> 17
        /* 8 */ ldx(8, 3, R10, -8), // caller's slot is untouched: 100
        /* 9 */ alu(true, 'add', 0, 3, true),
        /* 10 */ alu(true, 'add', 0, 6, true), alu(true, 'add', 0, 7, true), alu(true, 'add', 0, 8, true), alu(true, 'add', 0, 9, true),
        /* 14 */ exit(), exit(), exit(),
        /* 17 callee */ mov64(6, 0), mov64(7, 0), mov64(8, 0), mov64(9, 0),
        /* 21 */ ldx(8, 0, R10, -8), // fresh frame: 0
        /* 22 */ stx(8, R10, 1, -8), // its own slot
        /* 23 */ jmp(true, 'jeq', 2, R10, true, 1), // r2 (caller's r10) != callee r10
        /* 24 */ alu(true, 'add', 0, 1000, false),
        /* 25 */ exit(),
      ];
      expect(run(prog).r0).toBe(1000n + 100n + 6n + 7n + 8n + 9n);
    });
    it('up to 8 frames run; a ninth faults with E2BIG_FRAMES', () => {
      // f(n): if n == 0 return 0; return f(n - 1) + 1, entered with r1 = depth
      const prog = (depth: number) => [
        mov64(1, depth), callLocal(1), exit(),
        /* 3 */ jmp(true, 'jne', 1, 0, false, 2), mov64(0, 0), exit(),
        /* 6 */ alu(true, 'sub', 1, 1, false), mov64r(6, 1), callLocal(-6), alu(true, 'add', 0, 1, false), exit(),
      ];
      expect(run(prog(MAX_CALL_FRAMES - 2)).r0).toBe(BigInt(MAX_CALL_FRAMES - 2)); // main + 7 frames
      expect(() => run(prog(MAX_CALL_FRAMES - 1))).toThrow(expect.objectContaining({ code: 'E2BIG_FRAMES', frame: 7, insn: 8 }));
    });
    it('a call target outside the program faults at the call', () => {
      expect(() => run([callLocal(10), exit()])).toThrow(expect.objectContaining({ code: 'EFAULT_PC', insn: 0 }));
    });
    it('a deep stack of frames uses a distinct stack region per depth', () => {
      const mem = new AddressSpace();
      const seen: bigint[] = [];
      const probe: HelperFn = (_c, r1) => {
        seen.push(r1);
        return 0n;
      };
      // main: r1 = r10; call 1; call local f; exit.  f: r1 = r10; call 1; exit
      run([mov64r(1, R10), call(1), callLocal(1), exit(), mov64r(1, R10), call(1), exit()], { memory: mem, helpers: helpers([[1, probe]]) });
      expect(seen).toHaveLength(2);
      expect(seen[0]).not.toBe(seen[1]);
      expect(mem.regionAt(seen[1] - 1n)!.name).toBe('stack frame 1');
    });
  });

  describe('callbacks (bpf_loop style)', () => {
    const BPF_LOOP = 181;
    /** bpf_loop(nr, callback, ctx, flags): calls callback(i, ctx) until it returns 1. */
    const bpfLoop: HelperFn = (c, nr, fn, ctx) => {
      let i = 0n;
      for (; i < nr; i++) if (c.callback(Number(fn), [i, ctx]) === 1n) return i + 1n;
      return i;
    };
    const pseudoFunc = (dst: number, rel: number) => [I(0x18, dst, 4, 0, rel), I(0, 0, 0, 0, 0)];

    it('run a sub-program per iteration in a new frame; the caller keeps its registers', () => {
      const body = [
        /* 0 */ mov64(6, 0), stx(8, R10, 6, -8),
        /* 2 */ mov64(1, 10), ...pseudoFunc(2, 8), // lddw at 3: target = 3 + 8 + 1 = 12
        /* 5 */ mov64r(3, R10), mov64(4, 0), mov64(7, 77),
        /* 8 */ call(BPF_LOOP),
        /* 9 */ ldx(8, 0, R10, -8), alu(true, 'add', 0, 7, true), exit(),
        /* 12 callback(r1 = i, r2 = ctx) */ ldx(8, 3, 2, -8), alu(true, 'add', 3, 1, true), stx(8, 2, 3, -8),
        /* 15 */ mov64(7, 0), mov64(0, 0), exit(),
      ];
      const res = run(body, { helpers: helpers([[BPF_LOOP, bpfLoop]]) });
      expect(res.r0).toBe(45n + 77n);
    });
    it('the callback value of a BPF_PSEUDO_FUNC lddw is the callback slot index (lddw index + imm + 1)', () => {
      expect(run([...pseudoFunc(0, 1), exit(), exit()]).r0).toBe(2n);
      expect(run([mov64(0, 0), ...pseudoFunc(0, -2), exit()]).r0).toBe(0n);
    });
    it('a callback return of 1 stops the loop early', () => {
      const prog = [
        mov64(1, 100), ...pseudoFunc(2, 3), call(BPF_LOOP), exit(),
        /* 5 */ mov64(0, 0), jmp(true, 'jne', 1, 4, false, 1), mov64(0, 1), exit(),
      ];
      expect(run(prog, { helpers: helpers([[BPF_LOOP, bpfLoop]]) }).r0).toBe(5n);
    });
    it('a fault inside a callback names the callback instruction and the helper call', () => {
      const prog = [mov64(1, 3), ...pseudoFunc(2, 3), call(BPF_LOOP), exit(), ldx(8, 0, R10, 8), exit()];
      try {
        run(prog, { helpers: helpers([[BPF_LOOP, bpfLoop]]) });
        throw new Error('no fault');
      } catch (e) {
        expect(e).toMatchObject({ code: 'EFAULT_MEM', insn: 5, frame: 1 });
        expect((e as Error).message).toMatch(/^insn 3: helper 181 callback: insn 5 \(opcode 0x79, frame 1\): invalid read/);
      }
    });
    it('callbacks count towards the frame limit and the budget', () => {
      // recursive: the callback itself calls bpf_loop again, forever deeper
      const prog = [mov64(1, 1), ...pseudoFunc(2, -2), call(BPF_LOOP), exit()];
      expect(() => run(prog, { helpers: helpers([[BPF_LOOP, bpfLoop]]) })).toThrow(expect.objectContaining({ code: 'E2BIG_FRAMES' }));
      const spin = [mov64(1, 1), ...pseudoFunc(2, 3), call(BPF_LOOP), exit(), ja(-1)];
      expect(() => run(spin, { maxInsns: 1000, helpers: helpers([[BPF_LOOP, bpfLoop]]) })).toThrow(expect.objectContaining({ code: 'E2BIG_INSNS' }));
    });
    it('a callback pc outside the program is a typed fault', () => {
      const bad: HelperFn = (c) => c.callback(50, []);
      expect(() => run([call(1), exit()], { helpers: helpers([[1, bad]]) })).toThrow(expect.objectContaining({ code: 'EFAULT_PC' }));
    });
  });

  describe('instruction budget', () => {
    it('stops an endless loop with E2BIG_INSNS after exactly maxInsns instructions', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 5000 }), (max) => {
          try {
            run([mov64(0, 0), alu(true, 'add', 0, 1, false), ja(-2)], { maxInsns: max });
            throw new Error('no limit');
          } catch (e) {
            expect(e).toMatchObject({ code: 'E2BIG_INSNS', limit: max, insn: max === 0 ? 0 : ((max - 1) % 2) + 1 });
          }
        }),
        { ...FC, numRuns: 50 },
      );
    });
    it('counts lddw once and reports the total', () => {
      expect(run([...lddw(0, 1n), exit()]).insns).toBe(2);
      expect(run([...lddw(0, 1n), exit()], { maxInsns: 2 }).r0).toBe(1n);
      expect(() => run([...lddw(0, 1n), exit()], { maxInsns: 1 })).toThrow(expect.objectContaining({ code: 'E2BIG_INSNS', insn: 2 }));
    });
    it('a Vm reuses its decoded program across runs', () => {
      const vm = new Vm([mov64r(0, 1), alu(true, 'mul', 0, 3, false), exit()], { name: 'triple' });
      for (let i = 0n; i < 5n; i++) expect(vm.run({ args: [i] }).r0).toBe(3n * i);
      expect(() => new Vm([ldx(8, 0, 1, 0), exit()], { name: 'xdp_prog' }).run()).toThrow(/^prog xdp_prog: insn 0/);
    });
  });
});
