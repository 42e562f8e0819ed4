'use strict';
/**
 * The benchmark programs, as raw instruction slots (Insn[] of
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

const LDDW = 0x18, CALL = 0x85, LDX_H = 0x69, ALU64_K_AND = ALU64_K(AND);
const BPF_PSEUDO_MAP_FD = 1, BPF_FUNC_map_lookup_elem = 1;
/** Entries of the array map mapLookups reads; value i is i * 0x101 (u64). */
const MAP_ENTRIES = 16;

/**
 * Helper-heavy: a bpf_map_lookup_elem per round on a 16-entry array map;
 * 12 insns per round. `map` says how the lddw names the map: { fd } for the
 * kernel (BPF_PSEUDO_MAP_FD), { addr } (a bigint) for the VM.
 */
function mapLookups(iterations = 1000, map = { addr: 0n }) {
  const ld = map.fd !== undefined
    ? [I(LDDW, 1, BPF_PSEUDO_MAP_FD, 0, map.fd), I(0)]
    : [I(LDDW, 1, 0, 0, Number(BigInt.asIntN(32, map.addr))), I(0, 0, 0, 0, Number(BigInt.asIntN(32, map.addr >> 32n)))];
  const body = [
    I(ALU64_X(MOV), 1, 7),             // r1 = r7
    I(ALU64_K_AND, 1, 0, 0, MAP_ENTRIES - 1), // r1 &= 15
    I(STX_W, R10, 1, -4),              // *(u32 *)(r10 - 4) = r1 (the key)
    I(ALU64_X(MOV), 2, R10),           // r2 = r10
    I(ALU64_K(ADD), 2, 0, 0, -4),      // r2 += -4
    ...ld,                             // r1 = &map
    I(CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
    I(JMP_K(JEQ), 0, 0, 3, 0),         // if r0 == 0 goto skip
    I(LDX_DW, 3, 0, 0),                // r3 = *(u64 *)r0
    I(ALU64_X(ADD), 6, 3),             // r6 += r3
    I(ALU64_X(XOR), 6, 7),             // r6 ^= r7
    I(ALU64_K(SUB), 7, 0, 0, 1),       // skip: r7 -= 1
  ];
  const insns = [
    I(ALU64_K(MOV), 6, 0, 0, 0),
    I(ALU64_K(MOV), 7, 0, 0, iterations),
    ...body,
    I(JMP_K(JNE), 7, 0, -(body.length + 1), 0),
    I(ALU64_X(MOV), 0, 6),
    I(EXIT),
  ];
  return { insns, iterations };
}

/** The packet packetParse reads: Ethernet + IPv4 (ihl 5) + UDP, 64 bytes. */
function benchPacket() {
  const p = new Uint8Array(64);
  p.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00], 0); // dst, src MAC, ETH_P_IP
  p.set([0x45, 0, 0, 50, 0x12, 0x34, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14); // IPv4, UDP
  p.set([0x30, 0x39, 0x00, 0x35, 0, 30, 0, 0], 34); // 12345 -> 53
  return p;
}

/**
 * Packet parsing (XDP): after one bounds check on data/data_end (32-bit
 * context loads that give 64-bit packet pointers), each round parses the
 * Ethernet, IPv4 and UDP headers of the packet; 19 insns per round.
 */
function packetParse(iterations = 1000) {
  const body = [
    I(LDX_H, 5, 2, 12),                // r5 = eth->h_proto
    I(JMP_K(JNE), 5, 0, 15, 0x0008),   // if not IPv4 goto next
    I(LDX_B, 5, 2, 14),                // r5 = ip->ihl/version
    I(ALU64_K_AND, 5, 0, 0, 15),       // r5 &= 15
    I(ALU64_K(LSH), 5, 0, 0, 2),       // r5 <<= 2 (header bytes)
    I(LDX_B, 6, 2, 23),                // r6 = ip->protocol
    I(JMP_K(JNE), 6, 0, 10, 17),       // if not UDP goto next
    I(LDX_W, 8, 2, 26),                // r8 = ip->saddr
    I(LDX_W, 9, 2, 30),                // r9 = ip->daddr
    I(ALU64_X(XOR), 8, 9),             // r8 ^= r9
    I(LDX_H, 9, 2, 34),                // r9 = udp->source
    I(LDX_H, 4, 2, 36),                // r4 = udp->dest
    I(ALU64_K(LSH), 9, 0, 0, 16),      // r9 <<= 16
    I(ALU64_X(OR), 9, 4),              // r9 |= r4
    I(ALU64_X(ADD), 8, 9),             // r8 += r9
    I(ALU64_X(ADD), 0, 8),             // r0 += r8
    I(ALU64_X(ADD), 0, 5),             // r0 += r5
    I(ALU64_K(SUB), 7, 0, 0, 1),       // next: r7 -= 1
  ];
  const insns = [
    I(LDX_W, 2, 1, 0),                 // r2 = ctx->data
    I(LDX_W, 3, 1, 4),                 // r3 = ctx->data_end
    I(ALU64_K(MOV), 0, 0, 0, 0),
    I(ALU64_X(MOV), 4, 2),
    I(ALU64_K(ADD), 4, 0, 0, 42),
    I(JMP_X(JGT), 4, 3, body.length + 2, 0), // if data + 42 > data_end goto out
    I(ALU64_K(MOV), 7, 0, 0, iterations),
    ...body,
    I(JMP_K(JNE), 7, 0, -(body.length + 1), 0),
    I(EXIT),                           // out
  ];
  return { insns, iterations };
}

/** `needs`: what the program runs on besides its stack (vm.js and kernel.js set it up): a map, or a packet. */
const PROGRAMS = [
  { name: 'alu', description: 'ALU-heavy loop', build: aluLoop },
  { name: 'memory', description: 'stack load/store loop', build: memLoop },
  { name: 'branchy', description: 'data-dependent branches', build: branchy },
  { name: 'maps', description: 'bpf_map_lookup_elem per round (helper-heavy)', build: mapLookups, needs: 'map' },
  { name: 'packet', description: 'XDP Ethernet/IPv4/UDP header parsing', build: packetParse, needs: 'packet' },
];

module.exports = { PROGRAMS, aluLoop, memLoop, branchy, mapLookups, packetParse, benchPacket, MAP_ENTRIES };
