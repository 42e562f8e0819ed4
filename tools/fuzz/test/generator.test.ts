/** The generator itself: deterministic per seed, and its programs keep the shape the harness relies on. */
import { encodeProgram } from '@bpfsim/isa';
import { generateCase } from '../generator';
import { PKT_LEN } from '../layout';
import { rewriteCtxLoads } from '../vm-side';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('generator', () => {
  test('the same seed gives the same program and packet; different seeds differ', () => {
    for (let i = 0; i < 50; i++) {
      const a = generateCase(`det:${i}`);
      const b = generateCase(`det:${i}`);
      expect(hex(encodeProgram(a.insns))).toBe(hex(encodeProgram(b.insns)));
      expect(hex(a.packet)).toBe(hex(b.packet));
      expect(a.packet.length).toBe(PKT_LEN);
    }
    expect(hex(encodeProgram(generateCase('x:1').insns))).not.toBe(hex(encodeProgram(generateCase('x:2').insns)));
  });

  test('covers every opcode family it promises', () => {
    const seen = new Set<number>();
    const atomics = new Set<number>();
    const offs = new Set<string>();
    for (let i = 0; i < 300; i++) {
      for (const insn of generateCase(`cov:${i}`).insns) {
        seen.add(insn.code);
        if ((insn.code & 0xe7) === 0xc3) atomics.add(insn.imm);
        if ((insn.code & 0xf7) === 0x34 || (insn.code & 0xf7) === 0x94 || (insn.code & 0xf7) === 0xb4) offs.add(`${insn.code & 0xf7}:${insn.off}`);
      }
    }
    const alu = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0];
    for (const cls of [0x04, 0x07]) for (const o of alu) for (const s of [0, 8]) expect(seen).toContain(cls | o | s);
    for (const c of [0x84, 0x87, 0xd4, 0xdc, 0xd7]) expect(seen).toContain(c); // neg, neg64, le, be, bswap
    for (const c of [0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91, 0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb, 0xd3, 0xcb, 0x18]) expect(seen).toContain(c);
    for (const cls of [0x05, 0x06]) for (const o of [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0]) for (const s of [0, 8]) expect(seen).toContain(cls | o | s);
    for (const c of [0x05, 0x06, 0x85, 0x95]) expect(seen).toContain(c); // ja, gotol, call, exit
    for (const imm of [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1, 0x100, 0x110]) expect(atomics).toContain(imm);
    for (const k of ['52:1', '148:1', '180:8', '180:16']) expect(offs).toContain(k); // sdiv, smod, movsx (alu32 codes masked)
  });

  test('the harness rewrite swaps the two marked ctx loads for lddw and keeps every other slot', () => {
    const c = generateCase('rewrite:1');
    const p = rewriteCtxLoads(c.insns, 0xffff888000000000n, 0xffff888000000110n);
    expect(p.length).toBe(c.insns.length);
    expect([p[0].code, p[0].dst, p[0].imm >>> 0, p[1].imm >>> 0]).toEqual([0x18, 6, 0, 0xffff8880]);
    expect([p[2].code, p[2].dst, p[2].imm >>> 0, p[3].imm >>> 0]).toEqual([0x18, 7, 0x110, 0xffff8880]);
    expect(hex(encodeProgram(p.slice(4)))).toBe(hex(encodeProgram(c.insns.slice(4))));
    expect(() => rewriteCtxLoads(c.insns.slice(1), 0n, 0n)).toThrow(/not the marked xdp_md load/);
  });
});
