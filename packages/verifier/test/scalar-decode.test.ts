/** Opcode decoding helpers the driver uses to reach the domain: every ALU/JMP encoding maps to its operation. */
import { AluOp, JmpCond, aluOpFromInsn, flipCond, jmpCondFromCode } from '../src/scalar';

const OPS: [number, AluOp][] = [
  [0x00, 'add'], [0x10, 'sub'], [0x20, 'mul'], [0x30, 'div'], [0x40, 'or'], [0x50, 'and'], [0x60, 'lsh'],
  [0x70, 'rsh'], [0x80, 'neg'], [0x90, 'mod'], [0xa0, 'xor'], [0xb0, 'mov'], [0xc0, 'arsh'],
];

describe('aluOpFromInsn', () => {
  test.each(OPS)('op 0x%s in ALU and ALU64, K and X sources', (op, name) => {
    for (const cls of [0x04, 0x07]) for (const src of [0x00, 0x08]) expect(aluOpFromInsn(op | cls | src, 0, 0)).toBe(name);
  });
  test('off selects sdiv/smod and movsx', () => {
    expect(aluOpFromInsn(0x3f, 1, 0)).toBe('sdiv');
    expect(aluOpFromInsn(0x9c, 1, 0)).toBe('smod');
    expect(aluOpFromInsn(0xbf, 8, 0)).toBe('movsx8');
    expect(aluOpFromInsn(0xbc, 16, 0)).toBe('movsx16');
    expect(aluOpFromInsn(0xbf, 32, 0)).toBe('movsx32');
  });
  test('BPF_END: le/be in ALU by source bit, bswap in ALU64, by imm width', () => {
    for (const w of [16, 32, 64]) {
      expect(aluOpFromInsn(0xd4, 0, w)).toBe(`le${w}`);
      expect(aluOpFromInsn(0xdc, 0, w)).toBe(`be${w}`);
      expect(aluOpFromInsn(0xd7, 0, w)).toBe(`bswap${w}`);
    }
    expect(aluOpFromInsn(0xd4, 0, 8)).toBeNull();
    expect(aluOpFromInsn(0xe4, 0, 0)).toBeNull();
    expect(aluOpFromInsn(0x15, 0, 0)).toBeNull(); // a jump, not an ALU op
  });
});

describe('jmpCondFromCode', () => {
  const CONDS: [number, JmpCond][] = [
    [0x10, 'jeq'], [0x20, 'jgt'], [0x30, 'jge'], [0x40, 'jset'], [0x50, 'jne'], [0x60, 'jsgt'], [0x70, 'jsge'],
    [0xa0, 'jlt'], [0xb0, 'jle'], [0xc0, 'jslt'], [0xd0, 'jsle'],
  ];
  test.each(CONDS)('0x%s in JMP and JMP32', (op, cond) => {
    for (const cls of [0x05, 0x06]) for (const src of [0x00, 0x08]) expect(jmpCondFromCode(op | cls | src)).toBe(cond);
    expect(flipCond(flipCond(cond))).toBe(cond);
  });
  test('ja, call, exit are not conditions', () => {
    for (const code of [0x05, 0x85, 0x95, 0x06, 0x14, 0x17]) expect(jmpCondFromCode(code)).toBeNull();
  });
});
