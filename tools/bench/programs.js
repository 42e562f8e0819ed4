'use strict';
/**
 * The three benchmark programs, as raw instruction slots (Insn[] of
 * @bpfsim/isa), shared by the VM benchmark (vm.js) and the kernel side
 * (kernel.js) so both run exactly the same code. Each program is a loop of
 * `iterations` rounds (default 1000: small enough for the kernel verifier to
 * walk the bounded loop), ignores its context and returns a checksum in r0.
 *
 *   const { PROGRAMS } = require('./programs');
 *   for (const p of PROGRAMS) p.build(1000)  // -> { insns, iterations }
 */
const { Insn } = require('@bpfsim/isa');

// Opcode bytes (include/uapi/linux/bpf.h).
const ALU64_K = (op) => 0x07 | op;
const ALU64_X = (op) => 0x0f | op;
const ALU32_K = (op) => 0x04 | op;
const JMP_K = (op) => 0x05 | op;
const JMP_X = (op) => 0x0d | op;
const JMP32_K = (op) => 0x06 | op;
const ADD = 0x00, SUB = 0x10, MUL = 0x20, OR = 0x40, AND = 0x50, LSH = 0x60, RSH = 0x70, XOR = 0xa0, MOV = 0xb0, ARSH = 0xc0;
const JA = 0x00, JEQ = 0x10, JGT = 0x20, JSET = 0x40, JNE = 0x50, JSGT = 0x60, JLT = 0xa0, JSLT = 0xc0;
const LDX_DW = 0x79, LDX_W = 0x61, LDX_B = 0x71, STX_DW = 0x7b, STX_W = 0x63, STX_B = 0x73, ST_DW = 0x7a;
const EXIT = 0x95;
const R10 = 10;

const I = (code, dst = 0, src = 0, off = 0, imm = 0) => new Insn(code, dst, src, off, imm);

/** ALU-heavy: 64/32-bit add, xor, shifts, and, or, mov, mul; 12 insns per round. */
function aluLoop(iterations = 1000) {
  const body = [
    I(ALU64_X(ADD), 0, 1),        // r0 += r1
    I(ALU64_K(XOR), 0, 0, 0, 0x5a5a5a5), // r0 ^= 0x5a5a5a5
    I(ALU64_X(MOV), 2, 0),        // r2 = r0
    I(ALU64_K(LSH), 2, 0, 0, 7),  // r2 <<= 7
    I(ALU64_K(RSH), 0, 0, 0, 3),  // r0 >>= 3
    I(ALU64_X(XOR), 0, 2),        // r0 ^= r2
    I(ALU64_K(MUL), 3, 0, 0, 3),  // r3 *= 3
    I(ALU64_X(ADD), 3, 0),        // r3 += r0
    I(ALU32_K(AND), 3, 0, 0, 0x7fffffff), // w3 &= 0x7fffffff
    I(ALU64_K(OR), 0, 0, 0, 1),   // r0 |= 1
    I(ALU64_K(SUB), 1, 0, 0, 1),  // r1 -= 1
  ];
  const insns = [
    I(ALU64_K(MOV), 0, 0, 0, 0),
    I(ALU64_K(MOV), 1, 0, 0, iterations),
    I(ALU64_K(MOV), 3, 0, 0, 1),
    ...body,
    I(JMP_K(JNE), 1, 0, -(body.length + 1), 0), // if r1 != 0 goto loop
    I(ALU64_X(ADD), 0, 3),
    I(EXIT),
  ];
  return { insns, iterations };
}

/** Memory-heavy: stack stores and loads of 8, 4 and 1 bytes; 12 insns per round. */
function memLoop(iterations = 1000) {
  const body = [
    I(STX_DW, R10, 1, -8),       // *(u64 *)(r10 - 8) = r1
    I(LDX_DW, 2, R10, -8),       // r2 = *(u64 *)(r10 - 8)
    I(STX_W, R10, 2, -16),       // *(u32 *)(r10 - 16) = r2
    I(LDX_W, 3, R10, -16),       // r3 = *(u32 *)(r10 - 16)
    I(STX_B, R10, 3, -17),       // *(u8 *)(r10 - 17) = r3
    I(LDX_B, 4, R10, -17),       // r4 = *(u8 *)(r10 - 17)
    I(LDX_DW, 5, R10, -32),      // r5 = *(u64 *)(r10 - 32)
    I(ALU64_X(ADD), 5, 4),       // r5 += r4
    I(STX_DW, R10, 5, -32),      // *(u64 *)(r10 - 32) = r5
    I(ALU64_X(ADD), 0, 3),       // r0 += r3
    I(ALU64_K(SUB), 1, 0, 0, 1), // r1 -= 1
  ];
  const insns = [
    I(ALU64_K(MOV), 0, 0, 0, 0),
    I(ALU64_K(MOV), 1, 0, 0, iterations),
    I(ST_DW, R10, 0, -32, 0),    // *(u64 *)(r10 - 32) = 0
    ...body,
    I(JMP_K(JNE), 1, 0, -(body.length + 1), 0),
    I(LDX_DW, 5, R10, -32),
    I(ALU64_X(ADD), 0, 5),
    I(EXIT),
  ];
  return { insns, iterations };
}

/** Branchy: a chain of data-dependent conditional jumps (unsigned, signed, 32-bit, jset). */
function branchy(iterations = 1000) {
  // loop:                                   r1 counts down, r2 = pseudo-random state, r0 = score
  const body = [
    I(ALU64_X(MOV), 2, 1),                   // 0: r2 = r1
    I(ALU64_K(MUL), 2, 0, 0, 0x9e3779b1 | 0),// 1: r2 *= golden
    I(ALU64_K(RSH), 2, 0, 0, 13),            // 2: r2 >>= 13
    I(JMP_K(JSET), 2, 0, 2, 1),              // 3: if r2 & 1 goto 6
    I(ALU64_K(ADD), 0, 0, 0, 3),             // 4: r0 += 3
    I(JMP_K(JA), 0, 0, 1, 0),                // 5: goto 7
    I(ALU64_K(SUB), 0, 0, 0, 1),             // 6: r0 -= 1
    I(JMP_K(JGT), 2, 0, 1, 100000),          // 7: if r2 > 100000 goto 9
    I(ALU64_K(ADD), 0, 0, 0, 7),             // 8: r0 += 7
    I(JMP_K(JSLT), 0, 0, 1, 0),              // 9: if r0 s< 0 goto 11
    I(ALU64_K(XOR), 0, 0, 0, 0x55),          // 10: r0 ^= 0x55
    I(JMP32_K(JLT), 2, 0, 1, 0x40000000),    // 11: if w2 < 0x40000000 goto 13
    I(ALU64_K(ARSH), 0, 0, 0, 1),            // 12: r0 s>>= 1
    I(JMP_X(JEQ), 0, 2, 1, 0),               // 13: if r0 == r2 goto 15
    I(ALU64_K(ADD), 0, 0, 0, 1),             // 14: r0 += 1
    I(JMP_K(JSGT), 2, 0, 0, 5),              // 15: if r2 s> 5 goto 16 (falls through either way)
    I(ALU64_K(SUB), 1, 0, 0, 1),             // 16: r1 -= 1
  ];
  const insns = [
    I(ALU64_K(MOV), 0, 0, 0, 0),
    I(ALU64_K(MOV), 1, 0, 0, iterations),
    ...body,
    I(JMP_K(JNE), 1, 0, -(body.length + 1), 0),
    I(EXIT),
  ];
  return { insns, iterations };
}

const PROGRAMS = [
  { name: 'alu', description: 'ALU-heavy loop', build: aluLoop },
  { name: 'memory', description: 'stack load/store loop', build: memLoop },
  { name: 'branchy', description: 'data-dependent branches', build: branchy },
];

module.exports = { PROGRAMS, aluLoop, memLoop, branchy };
