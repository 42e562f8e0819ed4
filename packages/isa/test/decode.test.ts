import fc from 'fast-check';
import { DecodeError, Insn, decodeProgram, encodeProgram, validateInsn, inKernelInsnTable, OPCODES } from '../src';
import { ALL_CODES, anyInsn, fields, insnFor, programOf } from './gen';

const bytes = (...insns: Insn[]): Uint8Array => encodeProgram(insns);

function decodeError(b: Uint8Array): DecodeError {
  try {
    decodeProgram(b, { file: 'prog.o:xdp' });
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    expect((e as DecodeError).code).toBe('EDECODE');
    return e as DecodeError;
  }
  throw new Error('decodeProgram accepted an invalid program');
}

describe('decodeProgram', () => {
  test('round-trips every valid encoding (property over all opcodes)', () => {
    fc.assert(
      fc.property(programOf(), (prog) => {
        const b = encodeProgram(prog);
        const back = decodeProgram(b);
        expect(fields(back)).toEqual(fields(prog));
        expect(encodeProgram(back)).toEqual(b);
      }),
      { numRuns: 2000, seed: 42 },
    );
  });

  test('every defined opcode decodes', () => {
    for (const code of ALL_CODES) {
      fc.assert(fc.property(insnFor(code), (slots) => expect(validateInsn(slots[0], slots[1])).toBeUndefined()), { numRuns: 50, seed: code });
    }
    expect(ALL_CODES.length).toBe(OPCODES.size);
  });

  test('a length that is not a multiple of 8 is refused', () => {
    const e = decodeError(new Uint8Array(12));
    expect(e.message).toBe('prog.o:xdp: program is 12 bytes, not a multiple of 8 (the size of one instruction)');
  });

  test('every undefined opcode is refused with its index', () => {
    for (let code = 0; code < 256; code++) {
      if (OPCODES.has(code)) continue;
      const e = decodeError(bytes(new Insn(0xb7, 0, 0, 0, 0), new Insn(code, 0, 0, 0, 0), new Insn(0x95, 0, 0, 0, 0)));
      expect(e.index).toBe(1);
      expect(e.message).toBe(`prog.o:xdp: insn 1 (byte offset 8): unknown opcode ${code.toString(16).padStart(2, '0')}`);
    }
  });

  test('truncated lddw: missing second slot, or a second slot that is not empty', () => {
    expect(decodeError(bytes(new Insn(0x18, 1, 0, 0, 5))).message).toMatch(/insn 0 .*second slot is missing/);
    for (const bad of [new Insn(0x95, 0, 0, 0, 0), new Insn(0, 1, 0, 0, 0), new Insn(0, 0, 1, 0, 0), new Insn(0, 0, 0, 1, 0)]) {
      const e = decodeError(bytes(new Insn(0xb7, 0, 0, 0, 0), new Insn(0x18, 1, 0, 0, 5), bad));
      expect(e.index).toBe(1);
      expect(e.message).toMatch(/invalid bpf_ld_imm64 insn/);
    }
    expect(decodeError(bytes(new Insn(0x18, 1, 7, 0, 5), new Insn(0, 0, 0, 0, 0))).message).toMatch(/unrecognized bpf_ld_imm64/);
    expect(decodeError(bytes(new Insn(0x18, 1, 1, 0, 5), new Insn(0, 0, 0, 0, 3))).message).toMatch(/unrecognized bpf_ld_imm64/);
  });

  test('reserved fields: setting any reserved field of a valid instruction makes it invalid', () => {
    // Mutate one field of a valid instruction; if the result is still valid it must be
    // because that field is meaningful for the opcode, never because a check is missing.
    const cases: Array<[Insn, RegExp]> = [
      [new Insn(0x87, 1, 2, 0, 0), /BPF_NEG uses reserved fields/],
      [new Insn(0x87, 1, 0, 0, 3), /BPF_NEG uses reserved fields/],
      [new Insn(0xd4, 1, 0, 0, 8), /BPF_END uses reserved fields/],
      [new Insn(0xd7, 1, 0, 1, 16), /BPF_END uses reserved fields/],
      [new Insn(0xbc, 1, 2, 32, 0), /BPF_MOV uses reserved fields/],
      [new Insn(0xbf, 1, 2, 0, 7), /BPF_MOV uses reserved fields/],
      [new Insn(0xb7, 1, 2, 0, 7), /BPF_MOV uses reserved fields/],
      [new Insn(0xbf, 1, 2, 1, 2), /addr_space_cast/],
      [new Insn(0x0f, 1, 2, 0, 1), /BPF_ALU uses reserved fields/],
      [new Insn(0x07, 1, 2, 0, 1), /BPF_ALU uses reserved fields/],
      [new Insn(0x0f, 1, 2, 1, 0), /BPF_ALU uses reserved fields/],
      [new Insn(0x3f, 1, 2, 2, 0), /BPF_ALU uses reserved fields/],
      [new Insn(0x85, 1, 0, 0, 1), /BPF_CALL uses reserved fields/],
      [new Insn(0x85, 0, 3, 0, 1), /BPF_CALL uses reserved fields/],
      [new Insn(0x85, 0, 1, 4, 1), /BPF_CALL uses reserved fields/],
      [new Insn(0x05, 0, 0, 1, 1), /BPF_JA uses reserved fields/],
      [new Insn(0x06, 0, 0, 1, 1), /BPF_JA uses reserved fields/],
      [new Insn(0x95, 0, 0, 1, 0), /BPF_EXIT uses reserved fields/],
      [new Insn(0xe5, 0, 1, 1, 0), /invalid may_goto/],
      [new Insn(0xe5, 0, 0, 1, 5), /invalid may_goto/],
      [new Insn(0x15, 1, 2, 1, 0), /BPF_JMP\/JMP32 uses reserved fields/],
      [new Insn(0x1d, 1, 2, 1, 9), /BPF_JMP\/JMP32 uses reserved fields/],
      [new Insn(0x79, 1, 2, 0, 9), /BPF_LDX uses reserved fields/],
      [new Insn(0x7a, 1, 2, 0, 9), /BPF_ST uses reserved fields/],
      [new Insn(0x7b, 1, 2, 0, 9), /BPF_STX uses reserved fields/],
      [new Insn(0xdb, 1, 2, 0, 0x10), /invalid atomic opcode 10/],
      [new Insn(0xcb, 1, 2, 0, 0x01), /invalid atomic operand size/],
      [new Insn(0x30, 1, 0, 0, 0), /BPF_LD_\[ABS\|IND\] uses reserved fields/],
      [new Insn(0x20, 0, 1, 0, 0), /BPF_LD_\[ABS\|IND\] uses reserved fields/],
      [new Insn(0x50, 0, 1, 1, 0), /BPF_LD_\[ABS\|IND\] uses reserved fields/],
      [new Insn(0xb7, 11, 0, 0, 0), /R11 is invalid/],
      [new Insn(0x0f, 1, 12, 0, 0), /R12 is invalid/],
      [new Insn(0x8d, 11, 0, 0, 0), /R11 is invalid/],
    ];
    for (const [insn, re] of cases) {
      expect(validateInsn(insn)).toMatch(re);
      const e = decodeError(bytes(new Insn(0xb7, 0, 0, 0, 0), insn, new Insn(0x95, 0, 0, 0, 0)));
      expect(e.index).toBe(1);
      expect(e.message).toMatch(re);
    }
  });

  test('mutating one field either keeps a valid instruction or yields a typed error (never a crash)', () => {
    fc.assert(
      fc.property(anyInsn, fc.constantFrom('dst', 'src', 'off', 'imm'), fc.integer({ min: -40000, max: 40000 }), ([insn, next], field, v) => {
        const val = field === 'dst' || field === 'src' ? ((v % 16) + 16) % 16 : field === 'off' ? Math.max(-32768, Math.min(32767, v)) : v;
        const m = insn.with({ [field]: val });
        const prog = next ? [m, next] : [m];
        const problem = validateInsn(m, next);
        if (problem === undefined) expect(fields(decodeProgram(encodeProgram(prog)))).toEqual(fields(prog));
        else expect(() => decodeProgram(encodeProgram(prog))).toThrow(DecodeError);
      }),
      { numRuns: 3000, seed: 7 },
    );
  });

  test('random bytes decode or fail with a DecodeError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), (b) => {
        try {
          expect(encodeProgram(decodeProgram(b))).toEqual(b);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 3000, seed: 5 },
    );
  });

  test('callx is an ISA instruction the kernel does not accept', () => {
    expect(OPCODES.has(0x8d)).toBe(true);
    expect(inKernelInsnTable(0x8d)).toBe(false);
    expect(inKernelInsnTable(0x85)).toBe(true);
    expect(inKernelInsnTable(0x8c)).toBe(false);
  });
});
