/** Loads, stores, atomics and the memory faults of the checked address space. */
import fc from 'fast-check';
import { AddressSpace, MemoryFault, STACK_FRAME_SIZE } from '@bpfsim/vm';
import { run, forEachEngine } from './engine';
import { I, R10, alu, atomic, exit, lddw, ldx, ldxs, mov64, mov64r, st, stx } from './builders';
import { FC, imm32, operand } from './arbitraries';
import { M64, sext, u32, u64 } from './reference';

const SIZES = [1, 2, 4, 8] as const;
const mask = (size: number): bigint => (1n << BigInt(size * 8)) - 1n;

forEachEngine(() => {
  describe('stack loads and stores', () => {
    it('stx then ldx / ldxs of every size round-trips with zero / sign extension', () => {
      fc.assert(
        fc.property(operand, fc.constantFrom(...SIZES), fc.integer({ min: 1, max: 64 }), (v, size, slot) => {
          const off = -slot * 8;
          const base = [...lddw(1, v), stx(size, R10, 1, off)];
          expect(run([...base, ldx(size, 0, R10, off), exit()]).r0).toBe(v & mask(size));
          if (size !== 8) expect(run([...base, ldxs(size, 0, R10, off), exit()]).r0).toBe(sext(v, size * 8));
        }),
        FC,
      );
    });
    it('st stores the immediate (sign-extended for 8 bytes, truncated otherwise)', () => {
      fc.assert(
        fc.property(imm32, fc.constantFrom(...SIZES), (k, size) => {
          const r0 = run([st(size, R10, -8, k), ldx(size, 0, R10, -8), exit()]).r0;
          expect(r0).toBe(u64(BigInt(k)) & mask(size));
        }),
        FC,
      );
    });
    it('stores are little-endian and only touch their bytes', () => {
      const prog = [
        ...lddw(1, 0x1122334455667788n), stx(8, R10, 1, -8),
        mov64(2, 0xab), stx(1, R10, 2, -7), // second byte
        ldx(8, 0, R10, -8), exit(),
      ];
      expect(run(prog).r0).toBe(0x112233445566ab88n);
    });
    it('the stack starts zeroed and r10 is its top', () => {
      const mem = new AddressSpace();
      const prog = [ldx(8, 0, R10, -STACK_FRAME_SIZE), ldx(8, 1, R10, -8), alu(true, 'or', 0, 1, true), exit()];
      expect(run(prog, { memory: mem }).r0).toBe(0n);
      const r10 = run([mov64r(0, R10), exit()], { memory: mem }).r0;
      const frame = mem.regionAt(r10 - 1n)!;
      expect(frame.kind).toBe('stack');
      expect(frame.base + BigInt(STACK_FRAME_SIZE)).toBe(r10);
      expect(r10 >> 32n).toBe(BigInt(0xffffc900 + frame.id));
    });
  });

  describe('regions', () => {
    it('programs read and write embedder regions in place', () => {
      const mem = new AddressSpace();
      const bytes = new Uint8Array(16);
      const r = mem.map('map_value', bytes, { name: 'counter' });
      const prog = [ldx(8, 0, 1, 8), alu(true, 'add', 0, 5, false), stx(8, 1, 0, 8), exit()];
      run(prog, { memory: mem, args: [r.base] });
      expect(run(prog, { memory: mem, args: [r.base] }).r0).toBe(10n);
      expect(new DataView(bytes.buffer).getBigUint64(8, true)).toBe(10n);
    });
    it('bases are (family + id) << 32, in allocation order', () => {
      const mem = new AddressSpace();
      const a = mem.map('ctx', new Uint8Array(8));
      const b = mem.map('map_value', new Uint8Array(8));
      const c = mem.map('user', new Uint8Array(8));
      expect([a.base, b.base, c.base]).toEqual([0xffff888000000000n, 0xffff888100000000n, 0x00007f0200000000n]);
      const again = new AddressSpace();
      expect(again.map('ctx', new Uint8Array(8)).base).toBe(a.base);
    });
    it('a family that runs out of high words reuses freed ones, deterministically', () => {
      const build = () => {
        const mem = new AddressSpace();
        const capacity = 0xffffc900 - 0xffff8880;
        const first = Array.from({ length: 3 }, () => mem.map('mem', new Uint8Array(1)));
        for (let i = 3; i < capacity; i++) mem.map('mem', new Uint8Array(0));
        mem.unmap(first[1]);
        const next = mem.map('mem', new Uint8Array(4), { name: 'reused' });
        return { mem, first, next };
      };
      const { mem, first, next } = build();
      expect(next.base).toBe(first[1].base);
      expect(build().next.base).toBe(next.base);
      expect(mem.describe(next.base + 2n)).toMatch(/offset 2 of reused/);
      expect(() => mem.map('mem', new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'EINVAL_VM' }));
    });
    it('helpers read and write through the checked API', () => {
      const mem = new AddressSpace();
      const r = mem.map('kernel', new Uint8Array(16));
      mem.writeU64(r.base + 8n, 0x0102030405060708n);
      expect(mem.readU32(r.base + 8n)).toBe(0x05060708);
      expect(mem.readU16(r.base + 14n)).toBe(0x0102);
      expect(mem.readU8(r.base + 15n)).toBe(1);
      expect(mem.read(r.base + 8n, 2)).toEqual(new Uint8Array([8, 7]));
      expect(() => mem.readU64(r.base + 12n)).toThrow(MemoryFault);
      expect(mem.find(r.base + 8n, 8)).toBe(r);
      expect(mem.find(r.base + 9n, 8)).toBeUndefined();
    });
  });

  describe('memory faults', () => {
    const fault = (fn: () => unknown): MemoryFault => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(MemoryFault);
        return e as MemoryFault;
      }
      throw new Error('no fault');
    };

    it('below the stack frame', () => {
      const f = fault(() => run([mov64(0, 0), ldx(8, 0, R10, -520), exit()]));
      expect(f.code).toBe('EFAULT_MEM');
      expect(f.insn).toBe(1);
      expect(f.size).toBe(8);
      expect(f.access).toBe('read');
      expect(f.message).toMatch(/^insn 1 \(opcode 0x79, frame 0\): invalid read of 8 bytes at 0xffffc8ff/);
      expect(f.message).toMatch(/before the start of stack frame 0 \(512 bytes at 0xffffc9/);
    });
    it('above the stack frame (at r10)', () => {
      const f = fault(() => run([stx(4, R10, 1, 0), exit()]));
      expect(f.access).toBe('write');
      expect(f.addr & 0xffffffffn).toBe(512n);
      expect(f.message).toMatch(/0 bytes past the end of stack frame 0/);
    });
    it('an access straddling the end of a region', () => {
      const f = fault(() => run([ldx(8, 0, R10, -4), exit()]));
      expect(f.message).toMatch(/at offset 508 of stack frame 0 .*runs 4 byte\(s\) past its end/);
    });
    it('a write to a read-only region', () => {
      const mem = new AddressSpace();
      const ctx = mem.map('ctx', new Uint8Array(24), { name: 'xdp_md', writable: false });
      expect(run([ldx(4, 0, 1, 4), exit()], { memory: mem, args: [ctx.base] }).r0).toBe(0n);
      const f = fault(() => run([st(4, 1, 4, 7), exit()], { memory: mem, args: [ctx.base] }));
      expect(f.access).toBe('write');
      expect(f.message).toMatch(/xdp_md is read-only/);
    });
    it('unmapped memory, NULL, and a region that was unmapped', () => {
      expect(fault(() => run([ldx(1, 0, 1, 0), exit()])).message).toMatch(/0x0 is a NULL pointer dereference/);
      const f = fault(() => run([...lddw(1, 0x1234_5678_9abcn), ldx(1, 0, 1, 0), exit()]));
      expect(f.insn).toBe(2);
      expect(f.addr).toBe(0x1234_5678_9abcn);
      const mem = new AddressSpace();
      const r = mem.map('mem', new Uint8Array(8), { name: 'ringbuf record' });
      mem.unmap(r);
      expect(fault(() => run([ldx(1, 0, 1, 0), exit()], { memory: mem, args: [r.base] })).message).toMatch(/inside ringbuf record, which has been unmapped/);
    });
    it('random addresses near a region fault exactly when outside it', () => {
      const mem = new AddressSpace();
      const r = mem.map('map_value', new Uint8Array(64));
      fc.assert(
        fc.property(fc.integer({ min: -100, max: 100 }), fc.constantFrom(...SIZES), (delta, size) => {
          const addr = u64(r.base + BigInt(delta));
          const inside = delta >= 0 && delta + size <= 64;
          const go = () => run([...lddw(1, addr), ldx(size, 0, 1, 0), exit()], { memory: mem });
          if (inside) expect(go().r0).toBe(0n);
          else expect(go).toThrow(MemoryFault);
        }),
        FC,
      );
    });
    it('address arithmetic wraps at 64 bits instead of reaching another region', () => {
      // r1 = 0xffffffffffffffff; load at r1 + 1 = 0: NULL, not the top of some region.
      expect(fault(() => run([...lddw(1, M64), ldx(1, 0, 1, 1), exit()])).addr).toBe(0n);
    });
  });

  describe('atomics', () => {
    const OPS = { add: 0x00, or: 0x40, and: 0x50, xor: 0xa0 } as const;
    const apply = (op: keyof typeof OPS, a: bigint, b: bigint): bigint =>
      op === 'add' ? a + b : op === 'or' ? a | b : op === 'and' ? a & b : a ^ b;

    it('add/or/and/xor with and without fetch, W and DW', () => {
      fc.assert(
        fc.property(operand, operand, fc.constantFrom('add', 'or', 'and', 'xor') as fc.Arbitrary<keyof typeof OPS>, fc.boolean(), fc.constantFrom(4, 8) as fc.Arbitrary<4 | 8>,
          (old, v, op, fetch, size) => {
            const m = mask(size);
            const prog = [
              ...lddw(1, old), stx(8, R10, 1, -8), ...lddw(2, v),
              atomic(size, R10, 2, -8, OPS[op] | (fetch ? 1 : 0)),
              ldx(8, 0, R10, -8), stx(8, R10, 2, -16), exit(),
            ];
            const mem = new AddressSpace();
            const r0 = run(prog, { memory: mem }).r0;
            const want = (old & ~m) | (apply(op, old & m, v & m) & m);
            expect(r0).toBe(want);
          }),
        FC,
      );
    });
    it('fetch returns the old value (zero-extended for W) in src', () => {
      fc.assert(
        fc.property(operand, operand, fc.constantFrom(4, 8) as fc.Arbitrary<4 | 8>, (old, v, size) => {
          const prog = [...lddw(1, old), stx(8, R10, 1, -8), ...lddw(2, v), atomic(size, R10, 2, -8, 0x01), mov64r(0, 2), exit()];
          expect(run(prog).r0).toBe(old & mask(size));
        }),
        FC,
      );
    });
    it('xchg and cmpxchg (on r0)', () => {
      fc.assert(
        fc.property(operand, operand, operand, fc.boolean(), fc.constantFrom(4, 8) as fc.Arbitrary<4 | 8>, (old, v, expected, hit, size) => {
          const m = mask(size);
          const r0in = hit ? old : expected;
          // cmpxchg: r0 = old; if old == r0 (compared at size) memory = v
          const prog = [
            ...lddw(1, old), stx(8, R10, 1, -8), ...lddw(2, v), ...lddw(0, r0in),
            atomic(size, R10, 2, -8, 0xf1), stx(8, R10, 0, -16), ldx(8, 0, R10, -8), exit(),
          ];
          const mem = new AddressSpace();
          const after = run(prog, { memory: mem }).r0;
          const swapped = (old & m) === (r0in & m);
          expect(after).toBe(swapped ? (old & ~m) | (v & m) : old);
          const xchg = [...lddw(1, old), stx(8, R10, 1, -8), ...lddw(2, v), atomic(size, R10, 2, -8, 0xe1), mov64r(0, 2), exit()];
          expect(run(xchg).r0).toBe(old & m);
        }),
        FC,
      );
    });
    it('cmpxchg W zero-extends r0', () => {
      const prog = [...lddw(1, 0xaaaabbbbccccddddn), stx(8, R10, 1, -8), ...lddw(0, u64(-1n)), atomic(4, R10, 2, -8, 0xf1), exit()];
      expect(run(prog).r0).toBe(u32(0xccccddddn));
    });
    it('an atomic on a read-only region faults as an atomic access', () => {
      const mem = new AddressSpace();
      const ro = mem.map('map_value', new Uint8Array(8), { writable: false });
      try {
        run([atomic(8, 1, 2, 0, 0x00), exit()], { memory: mem, args: [ro.base] });
        throw new Error('no fault');
      } catch (e) {
        expect(e).toMatchObject({ code: 'EFAULT_MEM', access: 'atomic', insn: 0 });
      }
    });
    it('unknown atomic operations are invalid', () => {
      expect(() => run([atomic(8, R10, 2, -8, 0x10), exit()])).toThrow(expect.objectContaining({ code: 'EINVAL_INSN' }));
      expect(() => run([I(0xd3, R10, 2, -8, 0x00), exit()])).toThrow(expect.objectContaining({ code: 'EINVAL_INSN' })); // byte-sized add
    });
    it('load-acquire and store-release move size bytes', () => {
      const prog = [
        ...lddw(1, 0x1122334455667788n), I(0xdb, R10, 1, -8, 0x110), // store_rel dw
        I(0xcb, 0, R10, -8, 0x100), // load_acq h: r0 = *(u16 *)(r10 - 8)
        exit(),
      ];
      expect(run(prog).r0).toBe(0x7788n);
    });
  });
});
